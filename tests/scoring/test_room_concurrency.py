"""Two consoles pressing "next" at the same moment advance one reporter (threads, own connections)."""

import pytest

from reviews import services as review_services
from reviews.models import ReportStage, Session
from reviews.services import MeetingError
from tests.scoring.conftest import ScoredWorld
from tests.scoring.test_concurrency import _run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_consoles_pressing_next_together_advance_one_reporter():
    world = ScoredWorld()
    press = lambda: review_services.meeting_next(  # noqa: E731 - the same call from two consoles
        actor=world.county_staff, session=world.session, version=0
    )
    outcomes = _run_together(press, press)
    moved = [o for o in outcomes if isinstance(o, Session)]
    refused = [o for o in outcomes if isinstance(o, MeetingError)]
    assert len(moved) == 1 and [e.code for e in refused] == ["stale"], outcomes
    stages = [r.stage for r in world.session.reports.order_by("order")]
    assert stages == [ReportStage.REPORTING, ReportStage.PENDING]
    assert Session.objects.get(pk=world.session.pk).meeting_version == 1
