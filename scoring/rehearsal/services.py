"""模拟演练: a dry run of a whole session — rehearsal codes, phones, console, screen, close, reveal, exports —
cleared with one action, leaving the session as it was before (scheme, reporters, topics, real codes).

While a rehearsal runs, only codes issued during it are accepted (real codes wait, unused), the quorum
counts only rehearsal codes, and nothing can be published. Clearing deletes everything the rehearsal made
and keeps two audit entries (start and clear, with counts).
"""

from django.db import transaction
from django.utils.translation import gettext as _

from reviews.audit import services as audit
from reviews.audit.models import AuditEvent
from reviews.cycles.models import Report, ReportStage, ScreenMode, Session, SessionStatus
from reviews.findings.models import Finding
from reviews.meeting.models import Comment, Question
from reviews.scope import ensure_can_manage
from scoring.ballots.models import Ballot, PendingBallot
from scoring.ballots.services import lock_scheme
from scoring.codes.models import Credential, IssueBatch
from scoring.errors import ScoringError
from scoring.paper.models import PaperBallot, ScanBatch, ScannedPage
from scoring.results.models import ResultSnapshot
from scoring.schemes.models import Scheme, ScoringStatus

START, CLEAR = "rehearsal.start", "rehearsal.clear"


def _scheme_or_refuse(session: Session) -> Scheme:
    if not Scheme.objects.filter(session=session).exists():
        raise ScoringError(_("Set up the scoring scheme before a rehearsal."), code="no_scheme")
    return lock_scheme(session)


def _meeting_rows(session: Session) -> tuple:
    reports = Report.objects.filter(session=session)
    return Question.objects.filter(report__in=reports), Comment.objects.filter(report__in=reports)


@transaction.atomic
def rehearsal_start(*, actor, session: Session) -> Session:
    """Begin a rehearsal: only before the real meeting has left any trace."""
    ensure_can_manage(actor, session.host)
    scheme = _scheme_or_refuse(session)
    session = scheme.session
    if session.rehearsal:
        return session
    questions, comments = _meeting_rows(session)
    traces = [
        scheme.scoring_status != ScoringStatus.NOT_OPEN,
        ResultSnapshot.objects.filter(session=session).exists(),
        Ballot.objects.filter(session=session).exists(),
        PendingBallot.objects.filter(session=session).exists(),
        PaperBallot.objects.filter(session=session).exists(),
        Credential.objects.filter(session=session, used=True).exists(),
        questions.exists(),
        comments.exists(),
        Report.objects.filter(session=session).exclude(stage=ReportStage.PENDING).exists(),
    ]
    if any(traces):
        raise ScoringError(
            _(
                "The real meeting has already begun (scoring opened, ballots, questions or reports "
                "under way): a rehearsal is only possible before it."
            ),
            code="started",
        )
    session.rehearsal = True
    session.meeting_version += 1
    session.save(update_fields=["rehearsal", "meeting_version"])
    audit.record(
        actor=actor, action=START, obj=session, organisation=session.host, changes={"status": session.status}
    )
    return session


@transaction.atomic
def rehearsal_clear(*, actor, session: Session) -> dict[str, int]:
    """Delete everything the rehearsal made and put the session back as it was when it began."""
    ensure_can_manage(actor, session.host)
    # Codes first, then the scheme: the same order as a submit, so the two cannot deadlock.
    codes = list(Credential.objects.select_for_update().filter(session=session, rehearsal=True))
    scheme = _scheme_or_refuse(session)
    session = scheme.session
    if not session.rehearsal:
        raise ScoringError(_("No rehearsal is under way."), code="no_rehearsal")
    questions, comments = _meeting_rows(session)
    images = [page.image for page in ScannedPage.objects.filter(session=session) if page.image]
    counts = {
        "codes": len(codes),
        "ballots": Ballot.objects.filter(session=session).count()
        + PendingBallot.objects.filter(session=session).count(),
        "paper": PaperBallot.objects.filter(session=session).count(),
        "questions": questions.count(),
        "comments": comments.count(),
    }
    Finding.objects.filter(question__in=questions).delete()
    Finding.objects.filter(comment__in=comments).delete()
    questions.delete()
    comments.delete()
    ScanBatch.objects.filter(session=session).delete()
    PaperBallot.objects.filter(session=session).delete()
    Ballot.objects.filter(session=session).delete()
    PendingBallot.objects.filter(session=session).delete()
    ResultSnapshot.objects.filter(session=session).delete()
    Credential.objects.filter(pk__in=[c.pk for c in codes]).delete()
    # Their issues too: a form replaying one must not hand out codes that no longer exist.
    IssueBatch.objects.filter(session=session, first_serial__in=[c.serial for c in codes]).delete()
    IssueBatch.objects.filter(session=session, rehearsal=True).delete()  # printing or failed: no codes
    Report.objects.filter(session=session).update(stage=ReportStage.PENDING, stage_started_at=None)
    scheme.scoring_status = ScoringStatus.NOT_OPEN
    scheme.save(update_fields=["scoring_status"])
    started = (
        AuditEvent.objects.filter(action=START, object_type="reviews.session", object_id=str(session.pk))
        .order_by("-at", "-pk")
        .first()
    )
    session.status = (started.changes.get("status") if started else None) or SessionStatus.PREPARING
    session.rehearsal = False
    session.current_report = None
    session.screen_mode = ScreenMode.ORDER
    session.revealed_rows = 0
    session.meeting_version += 1
    session.save(
        update_fields=[
            "status",
            "rehearsal",
            "current_report",
            "screen_mode",
            "revealed_rows",
            "meeting_version",
        ]
    )
    audit.record(actor=actor, action=CLEAR, obj=session, organisation=session.host, changes=counts)
    transaction.on_commit(lambda: [image.delete(save=False) for image in images])
    return counts
