"""The demo's previous year: scored and published through the services, problems handed over and followed."""

import datetime
from collections import Counter

import pytest
from django.core.management import call_command

from reviews.cycles.models import Cycle, SessionStatus
from reviews.demo.before_meeting import SECRETARY_LOGIN, demo_before_meeting_seed
from reviews.demo.county import demo_seed
from reviews.rectification.models import (
    FollowUpMark,
    FollowUpOutcome,
    RectificationEvent,
    RectificationEventKind,
    RectificationItem,
    RectificationStatus,
)
from reviews.rectification.services import is_responsible
from scoring.demo import history as demo_history
from scoring.results.models import ResultSnapshot
from scoring.results.services import snapshot_matches

# A fixed day, so the figures do not drift as the real date moves past the demo's deadlines.
DAY = datetime.date(2026, 11, 24)


@pytest.fixture
def history(db):
    demo_seed()
    demo_before_meeting_seed()
    call_command("seed_demo_scoring")
    return Cycle.objects.get(name=demo_history.CYCLE_NAME)


def test_the_previous_year_is_published_and_recomputes(history):
    snapshots = list(ResultSnapshot.objects.filter(session__cycle=history).select_related("session"))
    assert len(snapshots) == 2
    for snapshot in snapshots:
        assert snapshot.session.status == SessionStatus.PUBLISHED
        assert snapshot_matches(snapshot)
        ranks = [row["rank"] for row in snapshot.data["reporters"]]
        assert sorted(r for r in ranks if r is not None)[0] == 1


def test_items_stand_in_every_state_a_year_on(history):
    items = RectificationItem.objects.filter(cycle=history)
    statuses = Counter(items.values_list("status", flat=True))
    assert set(statuses) == set(RectificationStatus.values)
    assert statuses[RectificationStatus.VERIFIED] > len(items) / 3
    overdue = items.overdue(DAY)
    assert overdue.exists()
    assert not overdue.filter(
        status__in=[RectificationStatus.SUBMITTED, RectificationStatus.VERIFIED]
    ).exists()
    extended = [item for item in items if item.is_extended]
    assert extended and all(item.deadline == demo_history.EXTENDED_TO for item in extended)
    in_time = items.filter(status=RectificationStatus.IN_PROGRESS).not_overdue(DAY)
    assert in_time.exists() and all(item.is_extended for item in in_time)
    for item in items.filter(status=RectificationStatus.VERIFIED)[:5]:
        kinds = list(item.events.values_list("kind", flat=True))
        assert kinds == [
            RectificationEventKind.ISSUED,
            RectificationEventKind.PROGRESS,
            RectificationEventKind.SUBMITTED,
            RectificationEventKind.VERIFIED,
        ]
        assert item.verified_at.date() > item.notice.issued_on


def test_the_township_secretary_can_work_on_their_items(history):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=SECRETARY_LOGIN)
    mine = RectificationItem.objects.filter(
        cycle=history, organisation__code="T01", notice__session__host__code="C"
    )
    assert [i.status for i in mine.order_by("number")][:3] == [
        RectificationStatus.IN_PROGRESS,
        RectificationStatus.RETURNED,
        RectificationStatus.VERIFIED,
    ]
    assert all(is_responsible(user, item, on=DAY) for item in mine)
    returned = mine.get(status=RectificationStatus.RETURNED)
    assert returned.return_reason and returned.events.filter(kind=RectificationEventKind.RETURNED).exists()


def test_a_follow_up_marks_some_items_relapsed(history):
    marks = Counter(FollowUpMark.objects.filter(review__cycle=history).values_list("outcome", flat=True))
    assert marks[FollowUpOutcome.HELD] == 10 and marks[FollowUpOutcome.RELAPSED] == 2


def test_seeding_again_adds_nothing(history):
    before = (RectificationItem.objects.count(), RectificationEvent.objects.count())
    call_command("seed_demo_scoring")
    assert (RectificationItem.objects.count(), RectificationEvent.objects.count()) == before
