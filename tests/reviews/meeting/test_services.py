"""The meeting services behind the host console: each action, its refusals, stale versions, the audit log."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from reviews.audit.models import AuditEvent
from reviews.cycles.models import Report, ReportStage, ScreenMode, Session
from reviews.meeting import services
from reviews.meeting.services import MeetingError


@pytest.fixture
def meeting(world):
    world.session = world.county_session
    world.first, world.second = world.county_reports
    world.staff = world.county_staff
    return world


def _session(world) -> Session:
    return Session.objects.get(pk=world.session.pk)


def _stages(world) -> list[str]:
    return list(
        Report.objects.filter(session=world.session).order_by("order").values_list("stage", flat=True)
    )


def _state(world) -> tuple:
    """Everything a console action may change, to check that a refusal changed nothing."""
    session = _session(world)
    reports = Report.objects.filter(session=world.session).order_by("order")
    return (
        session.current_report_id,
        session.screen_mode,
        session.revealed_rows,
        session.screen_token,
        session.meeting_version,
        [(r.stage, r.stage_started_at) for r in reports],
        AuditEvent.objects.count(),
    )


def _started_at(report: Report) -> datetime.datetime:
    return Report.objects.get(pk=report.pk).stage_started_at


# ---------------------------------------------------------------------------------------------------
# Each action


def test_start_report_sets_the_stage_the_clock_and_the_screen(meeting):
    before = timezone.now()
    session = services.meeting_start_report(
        actor=meeting.staff, session=meeting.session, report=meeting.second, version=0
    )
    assert session.meeting_version == 1
    fresh = _session(meeting)
    assert fresh.current_report_id == meeting.second.pk and fresh.screen_mode == ScreenMode.REPORT
    assert _stages(meeting) == [ReportStage.PENDING, ReportStage.REPORTING]
    assert before <= _started_at(meeting.second) <= timezone.now()


def test_starting_another_report_finishes_whoever_was_speaking(meeting):
    services.meeting_start_report(
        actor=meeting.staff, session=meeting.session, report=meeting.first, version=0
    )
    services.meeting_start_report(
        actor=meeting.staff, session=meeting.session, report=meeting.second, version=1
    )
    assert _stages(meeting) == [ReportStage.DONE, ReportStage.REPORTING]


def test_a_finished_reporter_can_be_started_again_with_a_fresh_clock(meeting):
    services.meeting_start_report(
        actor=meeting.staff, session=meeting.session, report=meeting.first, version=0
    )
    services.meeting_end_report(actor=meeting.staff, session=meeting.session, version=1)
    Report.objects.filter(pk=meeting.first.pk).update(
        stage_started_at=timezone.now() - datetime.timedelta(hours=1)
    )
    services.meeting_start_report(
        actor=meeting.staff, session=meeting.session, report=meeting.first, version=2
    )
    assert _stages(meeting)[0] == ReportStage.REPORTING
    assert timezone.now() - _started_at(meeting.first) < datetime.timedelta(minutes=1)


def test_a_reporter_of_another_session_is_refused(meeting):
    other = Report.objects.create(session=meeting.shijia_session, organisation=meeting.shijia_v1, order=1)
    before = _state(meeting)
    with pytest.raises(MeetingError) as info:
        services.meeting_start_report(actor=meeting.staff, session=meeting.session, report=other, version=0)
    assert info.value.code == "other_session" and _state(meeting) == before


def test_questions_restart_the_clock_for_the_question_time(meeting):
    services.meeting_next(actor=meeting.staff, session=meeting.session, version=0)
    reporting_since = _started_at(meeting.first)
    services.meeting_start_questions(actor=meeting.staff, session=meeting.session, version=1)
    assert _stages(meeting)[0] == ReportStage.QUESTIONING
    assert _started_at(meeting.first) >= reporting_since
    assert _session(meeting).screen_mode == ScreenMode.REPORT


def test_questions_twice_are_refused(meeting):
    services.meeting_next(actor=meeting.staff, session=meeting.session, version=0)
    services.meeting_start_questions(actor=meeting.staff, session=meeting.session, version=1)
    with pytest.raises(MeetingError) as info:
        services.meeting_start_questions(actor=meeting.staff, session=meeting.session, version=2)
    assert info.value.code == "not_reporting"


def test_end_finishes_the_report_and_shows_the_order(meeting):
    services.meeting_next(actor=meeting.staff, session=meeting.session, version=0)
    services.meeting_start_questions(actor=meeting.staff, session=meeting.session, version=1)
    services.meeting_end_report(actor=meeting.staff, session=meeting.session, version=2)
    assert _stages(meeting) == [ReportStage.DONE, ReportStage.PENDING]
    fresh = _session(meeting)
    assert fresh.screen_mode == ScreenMode.ORDER and fresh.current_report_id == meeting.first.pk


def test_end_with_nothing_under_way_is_refused(meeting):
    with pytest.raises(MeetingError) as info:
        services.meeting_end_report(actor=meeting.staff, session=meeting.session, version=0)
    assert info.value.code == "nothing_to_end"
    services.meeting_next(actor=meeting.staff, session=meeting.session, version=0)
    services.meeting_end_report(actor=meeting.staff, session=meeting.session, version=1)
    with pytest.raises(MeetingError):
        services.meeting_end_report(actor=meeting.staff, session=meeting.session, version=2)


def test_next_takes_the_first_reporter_still_waiting_in_speaking_order(meeting):
    # The second spoke first (started by hand); "next" then goes back to the first, who is still waiting.
    services.meeting_start_report(
        actor=meeting.staff, session=meeting.session, report=meeting.second, version=0
    )
    services.meeting_next(actor=meeting.staff, session=meeting.session, version=1)
    assert _stages(meeting) == [ReportStage.REPORTING, ReportStage.DONE]
    assert _session(meeting).current_report_id == meeting.first.pk


def test_next_when_everyone_has_reported_is_refused_and_changes_nothing(meeting):
    services.meeting_next(actor=meeting.staff, session=meeting.session, version=0)
    services.meeting_next(actor=meeting.staff, session=meeting.session, version=1)
    services.meeting_end_report(actor=meeting.staff, session=meeting.session, version=2)
    before = _state(meeting)
    with pytest.raises(MeetingError) as info:
        services.meeting_next(actor=meeting.staff, session=meeting.session, version=3)
    assert info.value.code == "no_next" and _state(meeting) == before
    assert _stages(meeting) == [ReportStage.DONE, ReportStage.DONE]


@pytest.mark.parametrize("mode", [ScreenMode.ORDER, ScreenMode.BLANK])
def test_show_puts_the_order_or_black_up(meeting, mode):
    services.meeting_show(actor=meeting.staff, session=meeting.session, mode=mode, version=0)
    assert _session(meeting).screen_mode == mode


def test_show_the_current_reporter_needs_one(meeting):
    with pytest.raises(MeetingError) as info:
        services.meeting_show(actor=meeting.staff, session=meeting.session, mode=ScreenMode.REPORT, version=0)
    assert info.value.code == "no_current"
    services.meeting_next(actor=meeting.staff, session=meeting.session, version=0)
    services.meeting_show(actor=meeting.staff, session=meeting.session, mode=ScreenMode.BLANK, version=1)
    services.meeting_show(actor=meeting.staff, session=meeting.session, mode=ScreenMode.REPORT, version=2)
    assert _session(meeting).screen_mode == ScreenMode.REPORT


@pytest.mark.parametrize("mode", [ScreenMode.RESULTS, "scores", ""])
def test_show_refuses_results_and_unknown_modes(meeting, mode):
    before = _state(meeting)
    with pytest.raises(MeetingError) as info:
        services.meeting_show(actor=meeting.staff, session=meeting.session, mode=mode, version=0)
    assert info.value.code == "mode" and _state(meeting) == before


def test_rotate_gives_a_new_unguessable_token(meeting):
    old = meeting.session.screen_token
    services.screen_token_rotate(actor=meeting.staff, session=meeting.session)
    fresh = _session(meeting)
    assert fresh.screen_token != old and len(fresh.screen_token) >= 32
    assert not Session.objects.filter(screen_token=old).exists()
    assert fresh.meeting_version == 1


def test_without_a_version_the_check_is_skipped(meeting):
    services.meeting_next(actor=meeting.staff, session=meeting.session, version=None)
    services.meeting_next(actor=meeting.staff, session=meeting.session, version=None)
    assert _session(meeting).meeting_version == 2


# ---------------------------------------------------------------------------------------------------
# Stale consoles and scope


def _actions(world):
    """Every console action, as a function of the version the console holds."""
    return {
        "start": lambda v: services.meeting_start_report(
            actor=world.staff, session=world.session, report=world.second, version=v
        ),
        "questions": lambda v: services.meeting_start_questions(
            actor=world.staff, session=world.session, version=v
        ),
        "end": lambda v: services.meeting_end_report(actor=world.staff, session=world.session, version=v),
        "next": lambda v: services.meeting_next(actor=world.staff, session=world.session, version=v),
        "show": lambda v: services.meeting_show(
            actor=world.staff, session=world.session, mode=ScreenMode.BLANK, version=v
        ),
        "reveal": lambda v: services.meeting_reveal(
            actor=world.staff, session=world.session, rows=1, version=v
        ),
    }


@pytest.mark.parametrize("action", ["start", "questions", "end", "next", "show", "reveal"])
def test_a_stale_version_is_refused_with_nothing_changed(meeting, action):
    services.meeting_next(actor=meeting.staff, session=meeting.session, version=0)  # another console
    before = _state(meeting)
    with pytest.raises(MeetingError) as info:
        _actions(meeting)[action](0)
    assert info.value.code == "stale"
    assert "另一控制台" in info.value.message  # translated when raised
    assert _state(meeting) == before


@pytest.mark.parametrize("action", ["start", "questions", "end", "next", "show", "reveal"])
def test_township_staff_cannot_drive_the_county_meeting(meeting, action):
    meeting.staff = meeting.shijia_staff
    before = _state(meeting)
    with pytest.raises(PermissionDenied):
        _actions(meeting)[action](0)
    assert _state(meeting) == before


def test_township_staff_cannot_rotate_the_county_screen(meeting):
    before = _state(meeting)
    with pytest.raises(PermissionDenied):
        services.screen_token_rotate(actor=meeting.liaoyang_staff, session=meeting.session)
    assert _state(meeting) == before


def test_township_staff_drive_their_own_meeting(meeting):
    village = Report.objects.create(session=meeting.shijia_session, organisation=meeting.shijia_v1, order=1)
    services.meeting_next(actor=meeting.shijia_staff, session=meeting.shijia_session, version=0)
    assert Report.objects.get(pk=village.pk).stage == ReportStage.REPORTING


# ---------------------------------------------------------------------------------------------------
# The audit log


def test_every_action_is_audited_with_who_and_what(meeting):
    services.meeting_next(actor=meeting.staff, session=meeting.session, version=0)
    services.meeting_start_questions(actor=meeting.staff, session=meeting.session, version=1)
    services.meeting_end_report(actor=meeting.staff, session=meeting.session, version=2)
    services.meeting_start_report(
        actor=meeting.staff, session=meeting.session, report=meeting.second, version=3
    )
    services.meeting_show(actor=meeting.staff, session=meeting.session, mode=ScreenMode.BLANK, version=4)
    services.screen_token_rotate(actor=meeting.staff, session=meeting.session)
    events = list(
        AuditEvent.objects.filter(object_type="reviews.session", object_id=str(meeting.session.pk))
        .order_by("at", "id")
        .values_list("action", "actor", "organisation", "changes")
    )
    staff, county = meeting.staff.pk, meeting.county.pk
    assert events == [
        ("meeting.next", staff, county, {"reporter": str(meeting.first)}),
        ("meeting.questions_start", staff, county, {"reporter": str(meeting.first)}),
        ("meeting.report_end", staff, county, {"reporter": str(meeting.first)}),
        ("meeting.report_start", staff, county, {"reporter": str(meeting.second)}),
        ("meeting.show", staff, county, {"screen": "blank"}),
        ("meeting.screen_rotate", staff, county, {}),
    ]


def test_a_refused_action_leaves_no_audit_entry(meeting):
    with pytest.raises(MeetingError):
        services.meeting_end_report(actor=meeting.staff, session=meeting.session, version=0)
    assert not AuditEvent.objects.filter(action__startswith="meeting.").exists()


# ---------------------------------------------------------------------------------------------------
# The reveal of the ranking (scoring.services.results_reveal, over meeting_reveal)


@pytest.fixture
def closed(db):
    from scoring.ballots import services as ballots_services
    from tests.scoring.conftest import ScoredWorld

    world = ScoredWorld()
    ballots_services.ballot_submit(code=world.leader_codes[0].token, marks=world.marks(), submission_key="k")
    return world


def test_the_ranking_cannot_be_revealed_while_scoring_is_open(closed):
    from scoring.errors import ScoringError
    from scoring.meeting import services as meeting_services

    with pytest.raises(ScoringError) as info:
        meeting_services.results_reveal(actor=closed.county_staff, session=closed.session, version=0)
    assert info.value.code == "not_closed" and Session.objects.get(pk=closed.session.pk).revealed_rows == 0


def test_reveal_one_place_at_a_time_then_everything(closed):
    from scoring.ballots import services as ballots_services
    from scoring.errors import ScoringError
    from scoring.meeting import services as meeting_services

    ballots_services.scoring_close(actor=closed.county_staff, session=closed.session)
    session = meeting_services.results_reveal(actor=closed.county_staff, session=closed.session, version=0)
    assert (session.screen_mode, session.revealed_rows) == (ScreenMode.RESULTS, 1)
    with pytest.raises(ScoringError) as info:  # a second console on the same page
        meeting_services.results_reveal(actor=closed.county_staff, session=closed.session, version=0)
    assert info.value.code == "stale" and Session.objects.get(pk=closed.session.pk).revealed_rows == 1
    session = meeting_services.results_reveal(actor=closed.county_staff, session=closed.session, version=1)
    assert session.revealed_rows == 2
    session = meeting_services.results_reveal(actor=closed.county_staff, session=closed.session, version=2)
    assert session.revealed_rows == 2  # never more rows than reporters
    assert AuditEvent.objects.filter(action="meeting.reveal", actor=closed.county_staff).count() == 3


def test_reveal_everything_at_once(closed):
    from scoring.ballots import services as ballots_services
    from scoring.meeting import services as meeting_services

    ballots_services.scoring_close(actor=closed.county_staff, session=closed.session)
    session = meeting_services.results_reveal(
        actor=closed.county_staff, session=closed.session, everything=True, version=0
    )
    assert session.revealed_rows == 2
