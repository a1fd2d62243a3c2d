"""模拟演练: a full dry run with rehearsal codes, never counted or published, cleared back to the session
as it was — codes, scheme, reporters and topics — with the audit log keeping that it happened."""

import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from reviews.audit.models import AuditEvent
from reviews.cycles.models import Report, ReportStage, SessionStatus
from reviews.meeting import services as meeting_services
from reviews.meeting.models import Question
from scoring import selectors
from scoring.ballots import services as ballots_services
from scoring.ballots.models import Ballot, PendingBallot
from scoring.codes import services as codes_services
from scoring.codes.documents import code_slips_html
from scoring.codes.models import Credential
from scoring.errors import ScoringError
from scoring.rehearsal import services
from scoring.results import services as results_services
from scoring.results.exports import ResultsWorkbook
from scoring.schemes.models import Scheme, ScoringStatus
from tests.scoring.conftest import ScoredWorld


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def ready(db) -> ScoredWorld:
    """Scheme set, real codes issued and printed, scoring not open: the day before the meeting."""
    return ScoredWorld(open_scoring=False)


def _state(world: ScoredWorld) -> dict:
    scheme = Scheme.objects.get(pk=world.scheme.pk)
    session = type(world.session).objects.get(pk=world.session.pk)
    return {
        "scheme": (scheme.scoring_status, scheme.mode, scheme.allow_abstention, scheme.onsite_share),
        "groups": list(scheme.groups.values_list("name", "weight", "paper_issued")),
        "criteria": list(scheme.criteria.values_list("name", "order")),
        "reports": list(
            Report.objects.filter(session=session).values_list("order", "organisation_id", "topic", "stage")
        ),
        "session": (session.status, session.current_report_id, session.screen_mode, session.revealed_rows),
        "codes": list(Credential.objects.filter(session=session).values_list("serial", "used", "revoked")),
    }


def _rehearse_everything(world: ScoredWorld) -> list:
    """What a dry run does: rehearsal codes, votes, console, a question handed over, close, reveal."""
    staff, session = world.county_staff, world.session
    issued = codes_services.credentials_issue(actor=staff, session=session, group=world.delegates, count=6)
    ballots_services.scoring_open(actor=staff, session=session)
    for n, code in enumerate(issued[:5]):
        ballots_services.ballot_submit(code=code.token, marks=world.marks("good"), submission_key=f"r{n}")
    session.refresh_from_db()
    meeting_services.meeting_start_report(
        actor=staff, session=session, report=world.reports[0], version=session.meeting_version
    )
    question = meeting_services.question_save(actor=staff, report=world.reports[0], question="演练提问")
    meeting_services.question_hand_over(actor=staff, question=question)
    ballots_services.scoring_close(actor=staff, session=session)
    return issued


def test_a_rehearsal_runs_the_whole_meeting_and_clearing_leaves_the_session_as_before(ready):
    world, staff = ready, ready.county_staff
    before = _state(world)
    services.rehearsal_start(actor=staff, session=world.session)
    world.session.refresh_from_db()
    issued = _rehearse_everything(world)
    assert all(code.rehearsal for code in issued)
    assert Ballot.objects.filter(session=world.session).count() == 5
    data = selectors.session_tally(world.session)
    assert data.result.ballots_received == 5
    # The quorum counts the rehearsal's own codes only: 5 of 6, not 5 of 18.
    assert data.result.codes_issued == 6
    assert sum(row["issued"] for row in selectors.turnout(world.session)) == 6
    with pytest.raises(ScoringError) as refused:
        results_services.results_publish(actor=staff, session=world.session)
    assert refused.value.code == "rehearsal" and "模拟演练" in refused.value.message
    counts = services.rehearsal_clear(actor=staff, session=world.session)
    assert counts == {"codes": 6, "ballots": 5, "paper": 0, "questions": 1, "comments": 0}
    assert _state(world) == before
    assert not Ballot.objects.filter(session=world.session).exists()
    assert not PendingBallot.objects.filter(session=world.session).exists()
    assert not Question.objects.filter(report__session=world.session).exists()
    actions = list(
        AuditEvent.objects.filter(action__startswith="rehearsal.")
        .order_by("at", "pk")
        .values_list("action", flat=True)
    )
    assert actions == ["rehearsal.start", "rehearsal.clear"]
    # The real codes then work as if the rehearsal never happened.
    ballots_services.scoring_open(actor=staff, session=world.session)
    receipt = ballots_services.ballot_submit(
        code=world.leader_codes[0].token, marks=world.marks("fairly_good"), submission_key="real"
    )
    assert receipt.receipt


def test_real_codes_wait_during_a_rehearsal_and_rehearsal_codes_stop_after_it(ready):
    world, staff = ready, ready.county_staff
    services.rehearsal_start(actor=staff, session=world.session)
    rehearsal_code = codes_services.credentials_issue(
        actor=staff, session=world.session, group=world.leaders, count=1
    )[0]
    ballots_services.scoring_open(actor=staff, session=world.session)
    with pytest.raises(ScoringError) as refused:
        ballots_services.ballot_submit(
            code=world.leader_codes[0].token, marks=world.marks(), submission_key="k"
        )
    assert refused.value.code == "rehearsal" and "演练" in refused.value.message
    assert not Credential.objects.get(serial=world.leader_codes[0].serial, session=world.session).used
    ballots_services.ballot_submit(code=rehearsal_code.token, marks=world.marks(), submission_key="k")
    services.rehearsal_clear(actor=staff, session=world.session)
    assert not Credential.objects.filter(session=world.session, rehearsal=True).exists()
    with pytest.raises(ScoringError) as gone:
        ballots_services.ballot_submit(code=rehearsal_code.token, marks=world.marks(), submission_key="k2")
    assert gone.value.code == "unknown"


def test_a_rehearsal_cannot_start_once_the_real_meeting_has_begun(scored):
    with pytest.raises(ScoringError) as refused:
        services.rehearsal_start(actor=scored.county_staff, session=scored.session)
    assert refused.value.code == "started" and "演练" in refused.value.message
    assert not type(scored.session).objects.get(pk=scored.session.pk).rehearsal


def test_clearing_without_a_rehearsal_is_refused_and_changes_nothing(ready):
    with pytest.raises(ScoringError) as refused:
        services.rehearsal_clear(actor=ready.county_staff, session=ready.session)
    assert refused.value.code == "no_rehearsal"
    assert not AuditEvent.objects.filter(action__startswith="rehearsal.").exists()


def test_township_staff_cannot_rehearse_the_county_session(ready):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.rehearsal_start(actor=ready.shijia_staff, session=ready.session)


def test_rehearsal_slips_and_workbook_say_rehearsal(ready):
    world, staff = ready, ready.county_staff
    services.rehearsal_start(actor=staff, session=world.session)
    world.session.refresh_from_db()
    issued = _rehearse_everything(world)
    world.session.refresh_from_db()
    html = code_slips_html(world.session, issued[:1])
    assert "演练" in html
    _, _, content = ResultsWorkbook().render(world.session)
    title = openpyxl.load_workbook(io.BytesIO(content))["排名"]["A1"].value
    assert title.startswith("【演练") or "演练" in title


def test_the_overview_starts_and_clears_with_a_banner_and_a_confirmation(client, ready):
    client.force_login(ready.county_staff)
    overview = reverse("scoring:session", args=[ready.session.pk])
    assert "开始模拟演练" in client.get(overview).content.decode()
    response = client.post(reverse("scoring:rehearsal_start", args=[ready.session.pk]), follow=True)
    page = response.content.decode()
    assert "sz-rehearsal-banner" in page and "清除演练" in page
    unconfirmed = client.post(reverse("scoring:rehearsal_clear", args=[ready.session.pk]), follow=True)
    assert "请勾选" in unconfirmed.content.decode()
    assert type(ready.session).objects.get(pk=ready.session.pk).rehearsal
    cleared = client.post(
        reverse("scoring:rehearsal_clear", args=[ready.session.pk]), {"confirm": "yes"}, follow=True
    )
    assert "sz-rehearsal-banner" not in cleared.content.decode()
    session = type(ready.session).objects.get(pk=ready.session.pk)
    assert not session.rehearsal and session.status == ready.session.status


def test_the_big_screen_and_the_preflight_check_show_the_rehearsal(client, ready):
    services.rehearsal_start(actor=ready.county_staff, session=ready.session)
    screen = client.get(reverse("screen:state", args=[ready.session.screen_token])).content.decode()
    assert "sc-rehearsal" in screen and "演练" in screen
    client.force_login(ready.county_staff)
    preflight = reverse("scoring:preflight", args=[ready.session.pk])
    assert "演练尚未清除" in client.get(preflight).content.decode()
    services.rehearsal_clear(actor=ready.county_staff, session=ready.session)
    assert "已进行演练并清除" in client.get(preflight).content.decode()
    screen = client.get(reverse("screen:state", args=[ready.session.screen_token])).content.decode()
    assert "sc-rehearsal" not in screen


def test_clearing_restores_the_status_the_session_had(ready):
    type(ready.session).objects.filter(pk=ready.session.pk).update(status=SessionStatus.PREPARING)
    ready.session.refresh_from_db()
    services.rehearsal_start(actor=ready.county_staff, session=ready.session)
    ballots_services.scoring_open(actor=ready.county_staff, session=ready.session)
    assert type(ready.session).objects.get(pk=ready.session.pk).status == SessionStatus.IN_PROGRESS
    services.rehearsal_clear(actor=ready.county_staff, session=ready.session)
    session = type(ready.session).objects.get(pk=ready.session.pk)
    assert session.status == SessionStatus.PREPARING
    assert Scheme.objects.get(pk=ready.scheme.pk).scoring_status == ScoringStatus.NOT_OPEN
    assert set(Report.objects.filter(session=session).values_list("stage", flat=True)) == {
        ReportStage.PENDING
    }
