"""The meeting room: the host console drives the reports; questions and comments are kept and handed over."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from reviews.audit import services as audit
from reviews.audit.services import save_audited
from reviews.cycles.models import (
    Report,
    ReportStage,
    ScreenMode,
    Session,
    new_screen_token,
)
from reviews.findings.models import Finding, FindingSource
from reviews.meeting.models import Comment, Question
from reviews.scope import ensure_can_manage

# ---------------------------------------------------------------------------------------------------
# The meeting room: the host console drives the reports; the big screen follows.


class MeetingError(Exception):
    """A console action refused, with a message for the host (translated when raised)."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _lock_meeting(actor, session: Session, version: int | None) -> Session:
    """Lock the session row; refuse when the console acted on a stale page (another host moved on)."""
    ensure_can_manage(actor, session.host)
    locked = Session.objects.select_for_update(no_key=True).get(pk=session.pk)
    if version is not None and locked.meeting_version != version:
        raise MeetingError(
            _("Another console changed the meeting meanwhile. Check the page and try again."),
            code="stale",
        )
    return locked


def _meeting_saved(actor, session: Session, action: str, changes: dict, fields: list[str]) -> Session:
    session.meeting_version += 1
    session.save(update_fields=[*fields, "meeting_version"])
    audit.record(
        actor=actor, action=f"meeting.{action}", obj=session, organisation=session.host, changes=changes
    )
    return session


def _set_stage(report: Report, stage: str) -> None:
    report.stage = stage
    report.stage_started_at = timezone.now()
    report.save(update_fields=["stage", "stage_started_at"])


def _finish_current(session: Session) -> None:
    current = session.current_report
    if current is not None and current.stage in (ReportStage.REPORTING, ReportStage.QUESTIONING):
        _set_stage(current, ReportStage.DONE)


@transaction.atomic
def meeting_start_report(*, actor, session: Session, report: Report, version: int | None) -> Session:
    """述职开始: this reporter takes the floor; whoever was speaking is finished."""
    session = _lock_meeting(actor, session, version)
    if report.session_id != session.pk:
        raise MeetingError(_("This reporter belongs to another session."), code="other_session")
    report = Report.objects.select_for_update().get(pk=report.pk)
    _finish_current(session)
    _set_stage(report, ReportStage.REPORTING)
    session.current_report = report
    session.screen_mode = ScreenMode.REPORT
    return _meeting_saved(
        actor, session, "report_start", {"reporter": str(report)}, ["current_report", "screen_mode"]
    )


@transaction.atomic
def meeting_start_questions(*, actor, session: Session, version: int | None) -> Session:
    """质询开始 for the current reporter."""
    session = _lock_meeting(actor, session, version)
    report = session.current_report
    if report is None or report.stage != ReportStage.REPORTING:
        raise MeetingError(_("Start a report before its questions."), code="not_reporting")
    _set_stage(report, ReportStage.QUESTIONING)
    return _meeting_saved(actor, session, "questions_start", {"reporter": str(report)}, [])


@transaction.atomic
def meeting_end_report(*, actor, session: Session, version: int | None) -> Session:
    """The current report is over; the screen goes back to the speaking order."""
    session = _lock_meeting(actor, session, version)
    report = session.current_report
    if report is None or report.stage == ReportStage.DONE:
        raise MeetingError(_("No report is under way."), code="nothing_to_end")
    _set_stage(report, ReportStage.DONE)
    session.screen_mode = ScreenMode.ORDER
    return _meeting_saved(actor, session, "report_end", {"reporter": str(report)}, ["screen_mode"])


@transaction.atomic
def meeting_next(*, actor, session: Session, version: int | None) -> Session:
    """下一位: finish the current report and start the first reporter still waiting."""
    session = _lock_meeting(actor, session, version)
    following = session.reports.filter(stage=ReportStage.PENDING).order_by("order").first()
    if following is None:
        raise MeetingError(_("Every reporter has reported."), code="no_next")
    _finish_current(session)
    _set_stage(following, ReportStage.REPORTING)
    session.current_report = following
    session.screen_mode = ScreenMode.REPORT
    return _meeting_saved(
        actor, session, "next", {"reporter": str(following)}, ["current_report", "screen_mode"]
    )


@transaction.atomic
def meeting_show(*, actor, session: Session, mode: str, version: int | None) -> Session:
    """Put the speaking order, the current reporter or a blank screen up (results: scoring.results_reveal)."""
    if mode not in (ScreenMode.ORDER, ScreenMode.REPORT, ScreenMode.BLANK):
        raise MeetingError(_("The screen cannot show that."), code="mode")
    session = _lock_meeting(actor, session, version)
    if mode == ScreenMode.REPORT and session.current_report is None:
        raise MeetingError(_("No reporter has started yet."), code="no_current")
    session.screen_mode = mode
    return _meeting_saved(actor, session, "show", {"screen": mode}, ["screen_mode"])


@transaction.atomic
def meeting_reveal(*, actor, session: Session, rows: int, version: int | None) -> Session:
    """Put the ranking up with `rows` rows revealed (counted from the last place). Called by scoring."""
    session = _lock_meeting(actor, session, version)
    session.screen_mode = ScreenMode.RESULTS
    session.revealed_rows = rows
    return _meeting_saved(actor, session, "reveal", {"rows": rows}, ["screen_mode", "revealed_rows"])


@transaction.atomic
def screen_token_rotate(*, actor, session: Session) -> Session:
    """A new big-screen address; the old one stops working at once."""
    session = _lock_meeting(actor, session, None)
    session.screen_token = new_screen_token()
    return _meeting_saved(actor, session, "screen_rotate", {}, ["screen_token"])


# ---------------------------------------------------------------------------------------------------
# Questions, comments and findings


@transaction.atomic
def question_save(*, actor, report: Report, instance: Question | None = None, **fields) -> Question:
    """Create or update a question as the clerk types it (saved on every pause)."""
    ensure_can_manage(actor, report.organisation)
    if instance is None:
        last = report.questions.order_by("-order").values_list("order", flat=True).first() or 0
        instance = Question(report=report, order=last + 1)
    elif instance.report_id != report.pk:
        raise MeetingError(_("This question belongs to another reporter."), code="other_report")
    for name, value in fields.items():
        setattr(instance, name, value)
    return save_audited(
        actor=actor, instance=instance, organisation=report.organisation, action_prefix="question"
    )


@transaction.atomic
def question_delete(*, actor, question: Question) -> None:
    question = Question.objects.select_for_update().select_related("report__organisation").get(pk=question.pk)
    ensure_can_manage(actor, question.report.organisation)
    if question.handed_over:
        raise MeetingError(_("A question handed over as a finding cannot be deleted."), code="handed_over")
    audit.record(
        actor=actor, action="question.delete", obj=question, organisation=question.report.organisation
    )
    question.delete()


@transaction.atomic
def comment_save(*, actor, report: Report, instance: Comment | None = None, **fields) -> Comment:
    ensure_can_manage(actor, report.organisation)
    if instance is None:
        instance = Comment(report=report)
    elif instance.report_id != report.pk:
        raise MeetingError(_("This comment belongs to another reporter."), code="other_report")
    for name, value in fields.items():
        setattr(instance, name, value)
    return save_audited(
        actor=actor, instance=instance, organisation=report.organisation, action_prefix="comment"
    )


def _hand_over(actor, *, report: Report, source: str, description: str, **origin) -> Finding:
    if not description.strip():
        raise MeetingError(_("Write the problem down before handing it over."), code="empty")
    finding = Finding(
        cycle=report.session.cycle,
        organisation=report.organisation,
        source=source,
        description=description.strip(),
        report=report,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        **origin,
    )
    return save_audited(
        actor=actor, instance=finding, organisation=report.organisation, action_prefix="finding"
    )


@transaction.atomic
def question_hand_over(*, actor, question: Question) -> Finding:
    """交办: the question becomes a finding of the reporter's organisation (once)."""
    question = Question.objects.select_for_update().select_related("report__session").get(pk=question.pk)
    ensure_can_manage(actor, question.report.organisation)
    existing = Finding.objects.filter(question=question).first()
    if existing:
        return existing
    finding = _hand_over(
        actor,
        report=question.report,
        source=FindingSource.QUESTION,
        description=question.question,
        question=question,
    )
    question.handed_over = True
    question.save(update_fields=["handed_over"])
    return finding


@transaction.atomic
def comment_hand_over(*, actor, comment: Comment) -> Finding:
    comment = Comment.objects.select_for_update().select_related("report__session").get(pk=comment.pk)
    ensure_can_manage(actor, comment.report.organisation)
    existing = Finding.objects.filter(comment=comment).first()
    if existing:
        return existing
    finding = _hand_over(
        actor, report=comment.report, source=FindingSource.COMMENT, description=comment.text, comment=comment
    )
    comment.handed_over = True
    comment.save(update_fields=["handed_over"])
    return finding
