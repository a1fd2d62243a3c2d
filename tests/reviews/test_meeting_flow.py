"""The host console's actions: stages, the current reporter, the screen, and stale consoles refused."""

import pytest
from django.core.exceptions import PermissionDenied

from reviews import services
from reviews.models import AuditEvent, ReportStage, ScreenMode, Session
from reviews.services import MeetingError


def _fresh(session) -> Session:
    return Session.objects.get(pk=session.pk)


def test_starting_a_report_makes_it_current_and_starts_its_clock(world):
    session, (first, _second) = world.county_session, world.county_reports
    services.meeting_start_report(actor=world.county_staff, session=session, report=first, version=0)
    session, first = _fresh(session), first.__class__.objects.get(pk=first.pk)
    assert session.current_report == first and session.screen_mode == ScreenMode.REPORT
    assert first.stage == ReportStage.REPORTING and first.stage_started_at is not None
    assert session.meeting_version == 1
    assert AuditEvent.objects.filter(action="meeting.report_start", actor=world.county_staff).exists()


def test_questions_then_end_then_next(world):
    session, (first, second) = world.county_session, world.county_reports
    services.meeting_next(actor=world.county_staff, session=session, version=0)
    services.meeting_start_questions(actor=world.county_staff, session=session, version=1)
    first.refresh_from_db()
    assert first.stage == ReportStage.QUESTIONING
    services.meeting_end_report(actor=world.county_staff, session=session, version=2)
    first.refresh_from_db()
    assert first.stage == ReportStage.DONE and _fresh(session).screen_mode == ScreenMode.ORDER
    services.meeting_next(actor=world.county_staff, session=session, version=3)
    second.refresh_from_db()
    assert second.stage == ReportStage.REPORTING and _fresh(session).current_report == second


def test_next_finishes_whoever_is_speaking(world):
    session, (first, second) = world.county_session, world.county_reports
    services.meeting_next(actor=world.county_staff, session=session, version=0)
    services.meeting_next(actor=world.county_staff, session=session, version=1)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.stage, second.stage) == (ReportStage.DONE, ReportStage.REPORTING)


def test_next_after_the_last_reporter_is_refused(world):
    session = world.county_session
    for version in range(2):
        services.meeting_next(actor=world.county_staff, session=session, version=version)
    with pytest.raises(MeetingError) as info:
        services.meeting_next(actor=world.county_staff, session=session, version=2)
    assert info.value.code == "no_next"


def test_a_stale_console_is_refused_and_changes_nothing(world):
    session = world.county_session
    services.meeting_next(actor=world.county_staff, session=session, version=0)
    with pytest.raises(MeetingError) as info:
        services.meeting_next(actor=world.county_staff, session=session, version=0)
    assert info.value.code == "stale"
    assert _fresh(session).current_report == world.county_reports[0]
    assert _fresh(session).meeting_version == 1


def test_questions_need_a_report_under_way(world):
    with pytest.raises(MeetingError) as info:
        services.meeting_start_questions(actor=world.county_staff, session=world.county_session, version=0)
    assert info.value.code == "not_reporting"


def test_the_screen_can_go_blank_and_back(world):
    session = world.county_session
    services.meeting_show(actor=world.county_staff, session=session, mode=ScreenMode.BLANK, version=0)
    assert _fresh(session).screen_mode == ScreenMode.BLANK
    with pytest.raises(MeetingError):
        services.meeting_show(actor=world.county_staff, session=session, mode=ScreenMode.REPORT, version=1)
    with pytest.raises(MeetingError):
        services.meeting_show(actor=world.county_staff, session=session, mode=ScreenMode.RESULTS, version=1)


def test_rotating_the_screen_address_replaces_the_token(world):
    old = world.county_session.screen_token
    services.screen_token_rotate(actor=world.county_staff, session=world.county_session)
    assert (
        _fresh(world.county_session).screen_token != old
        and len(_fresh(world.county_session).screen_token) >= 32
    )


def test_township_staff_cannot_drive_the_county_meeting(world):
    with pytest.raises(PermissionDenied):
        services.meeting_next(actor=world.shijia_staff, session=world.county_session, version=0)
