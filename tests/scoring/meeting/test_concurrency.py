"""Two host consoles pressing at the same moment: threads with their own connections (PostgreSQL, SQLite)."""

import pytest
from django.test import Client
from django.urls import reverse

from reviews.audit.models import AuditEvent
from reviews.cycles.models import Report, ReportStage, Session
from reviews.meeting import services
from reviews.meeting.services import MeetingError
from scoring.ballots import services as ballots_services
from scoring.errors import ScoringError
from scoring.meeting import services as meeting_services
from tests.conftest import World
from tests.scoring.ballots.test_concurrency import _run_together

pytestmark = pytest.mark.django_db(transaction=True)


def _stages(session) -> list[str]:
    return list(Report.objects.filter(session=session).order_by("order").values_list("stage", flat=True))


def _split(outcomes):
    done = [o for o in outcomes if isinstance(o, Session)]
    refused = [o for o in outcomes if isinstance(o, MeetingError | ScoringError)]
    assert len(done) + len(refused) == len(outcomes), outcomes
    return done, refused


def test_two_consoles_pressing_next_together_advance_exactly_one_reporter():
    world = World()
    session = world.county_session
    outcomes = _run_together(
        lambda: services.meeting_next(actor=world.county_staff, session=session, version=0),
        lambda: services.meeting_next(actor=world.superuser, session=session, version=0),
    )
    done, refused = _split(outcomes)
    assert len(done) == 1 and [e.code for e in refused] == ["stale"], outcomes
    assert _stages(session) == [ReportStage.REPORTING, ReportStage.PENDING]
    fresh = Session.objects.get(pk=session.pk)
    assert fresh.meeting_version == 1 and fresh.current_report_id == world.county_reports[0].pk
    assert AuditEvent.objects.filter(action="meeting.next").count() == 1


def test_two_consoles_pressing_next_mid_meeting_skip_no_one():
    world = World()
    session = world.county_session
    services.meeting_next(actor=world.county_staff, session=session, version=0)
    outcomes = _run_together(
        *[
            (lambda: services.meeting_next(actor=world.county_staff, session=session, version=1))
            for _ in range(4)
        ]
    )
    done, refused = _split(outcomes)
    assert len(done) == 1 and {e.code for e in refused} == {"stale"}, outcomes
    assert _stages(session) == [ReportStage.DONE, ReportStage.REPORTING]
    assert Session.objects.get(pk=session.pk).meeting_version == 2


def test_next_racing_end_on_the_same_page_does_one_of_them():
    world = World()
    session = world.county_session
    services.meeting_next(actor=world.county_staff, session=session, version=0)
    outcomes = _run_together(
        lambda: services.meeting_next(actor=world.county_staff, session=session, version=1),
        lambda: services.meeting_end_report(actor=world.superuser, session=session, version=1),
    )
    done, refused = _split(outcomes)
    assert len(done) == 1 and [e.code for e in refused] == ["stale"], outcomes
    expected = (
        [ReportStage.DONE, ReportStage.REPORTING]
        if outcomes[0] is done[0]
        else [ReportStage.DONE, ReportStage.PENDING]
    )
    assert _stages(session) == expected


def test_two_consoles_revealing_together_reveal_one_row():
    from tests.scoring.conftest import ScoredWorld

    world = ScoredWorld()
    ballots_services.scoring_close(actor=world.county_staff, session=world.session)
    outcomes = _run_together(
        *[
            (
                lambda: meeting_services.results_reveal(
                    actor=world.county_staff, session=world.session, version=0
                )
            )
            for _ in range(2)
        ]
    )
    done, refused = _split(outcomes)
    assert len(done) == 1 and [e.code for e in refused] == ["stale"], outcomes
    assert Session.objects.get(pk=world.session.pk).revealed_rows == 1


def test_two_browsers_posting_next_through_the_console_advance_one_reporter():
    world = World()
    session = world.county_session
    clients = []
    for _ in range(2):
        client = Client()
        client.force_login(world.county_staff)
        clients.append(client)
    url = reverse("meeting:next", args=[session.pk])
    outcomes = _run_together(
        *[(lambda c=c: c.post(url, {"version": 0}, HTTP_HX_REQUEST="true")) for c in clients]
    )
    assert [o.status_code for o in outcomes] == [200, 200], outcomes
    pages = [o.content.decode() for o in outcomes]
    refused = [p for p in pages if "另一控制台" in p]
    assert len(refused) == 1
    assert _stages(session) == [ReportStage.REPORTING, ReportStage.PENDING]
    assert Session.objects.get(pk=session.pk).meeting_version == 1
