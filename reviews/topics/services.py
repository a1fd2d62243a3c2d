"""State-changing operations of the reviews app: one function each, atomic and audited."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from reviews import audit
from reviews.models import (
    Appointment,
    Comment,
    Cycle,
    Finding,
    FindingSource,
    Organisation,
    Person,
    Question,
    Report,
    ReportStage,
    ScreenMode,
    Session,
    SessionStatus,
    StaffProfile,
    SuggestionSource,
    TopicCall,
    TopicCategory,
    TopicSuggestion,
    new_screen_token,
    secretary_on,
)
from reviews.scope import ensure_can_manage, restrict, scope_root


def _previous(instance):
    if instance.pk is None:
        return None
    return type(instance).objects.filter(pk=instance.pk).first()


def _save(*, actor, instance, organisation, action_prefix: str):
    before = _previous(instance)
    instance.full_clean()
    instance.save()
    action = f"{action_prefix}.{'create' if before is None else 'update'}"
    changes = audit.diff(before, instance)
    if before is None or changes:
        audit.record(actor=actor, action=action, obj=instance, changes=changes, organisation=organisation)
    return instance


@transaction.atomic
def organisation_save(*, actor, organisation: Organisation) -> Organisation:
    """Create or update an organisation and keep its subtree's paths in step."""
    if organisation.parent_id:
        ensure_can_manage(actor, organisation.parent)
    else:
        ensure_can_manage(actor, None)
    if organisation.pk:
        ensure_can_manage(actor, Organisation.objects.get(pk=organisation.pk))
    old_path = organisation.path
    if organisation.pk is None:
        organisation.full_clean(exclude=["path"])
        organisation.save()
        before = None
    else:
        before = _previous(organisation)
        organisation.full_clean()
    organisation.path = organisation.computed_path()
    organisation.depth = organisation.path.count(Organisation.PATH_SEPARATOR) - 2
    organisation.save()
    if old_path and old_path != organisation.path:
        _move_descendants(old_path, organisation.path)
    changes = audit.diff(before, organisation)
    if before is None or changes:
        action = "organisation.create" if before is None else "organisation.update"
        audit.record(actor=actor, action=action, obj=organisation, changes=changes, organisation=organisation)
    return organisation


def _move_descendants(old_path: str, new_path: str) -> None:
    descendants = list(Organisation.objects.filter(path__startswith=old_path).exclude(path=old_path))
    for org in descendants:
        org.path = new_path + org.path[len(old_path) :]
        org.depth = org.path.count(Organisation.PATH_SEPARATOR) - 2
    Organisation.objects.bulk_update(descendants, ["path", "depth"], batch_size=500)


@transaction.atomic
def appointment_save(*, actor, appointment: Appointment) -> Appointment:
    """Save an appointment; the organisation row is locked so two overlapping secretaries cannot slip in."""
    ensure_can_manage(actor, appointment.organisation)
    Organisation.objects.select_for_update().filter(pk=appointment.organisation_id).first()
    return _save(
        actor=actor, instance=appointment, organisation=appointment.organisation, action_prefix="appointment"
    )


@transaction.atomic
def cycle_save(*, actor, cycle: Cycle) -> Cycle:
    return _save(actor=actor, instance=cycle, organisation=None, action_prefix="cycle")


@transaction.atomic
def session_save(*, actor, session: Session) -> Session:
    ensure_can_manage(actor, session.host)
    return _save(actor=actor, instance=session, organisation=session.host, action_prefix="session")


@transaction.atomic
def report_save(*, actor, report: Report) -> Report:
    """Save a reporter's slot; an empty secretary is resolved from appointments at the session date."""
    ensure_can_manage(actor, report.organisation)
    if report.secretary_id is None and report.organisation_id:
        report.secretary = secretary_on(report.organisation, report.session.date)
    return _save(actor=actor, instance=report, organisation=report.organisation, action_prefix="report")


@transaction.atomic
def report_delete(*, actor, report: Report) -> None:
    ensure_can_manage(actor, report.organisation)
    audit.record(actor=actor, action="report.delete", obj=report, organisation=report.organisation)
    report.delete()


@transaction.atomic
def staff_profile_save(*, actor, profile: StaffProfile) -> StaffProfile:
    ensure_can_manage(actor, profile.organisation)
    return _save(
        actor=actor, instance=profile, organisation=profile.organisation, action_prefix="staff_profile"
    )


@transaction.atomic
def appointment_delete(*, actor, appointment: Appointment) -> None:
    ensure_can_manage(actor, appointment.organisation)
    audit.record(
        actor=actor, action="appointment.delete", obj=appointment, organisation=appointment.organisation
    )
    appointment.delete()


@transaction.atomic
def person_save(*, actor, person: Person) -> Person:
    return _save(actor=actor, instance=person, organisation=None, action_prefix="person")


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
    return _save(actor=actor, instance=instance, organisation=report.organisation, action_prefix="question")


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
    return _save(actor=actor, instance=instance, organisation=report.organisation, action_prefix="comment")


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
    return _save(actor=actor, instance=finding, organisation=report.organisation, action_prefix="finding")


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


@transaction.atomic
def finding_save(*, actor, finding: Finding) -> Finding:
    ensure_can_manage(actor, finding.organisation)
    if finding.pk is None and finding.created_by_id is None and actor is not None and actor.is_authenticated:
        finding.created_by = actor
    return _save(actor=actor, instance=finding, organisation=finding.organisation, action_prefix="finding")


# ---------------------------------------------------------------------------------------------------
# Topics (点题): the call, suggestions, classification, merging and assignment

TEXT_MIN = 5  # a public suggestion: long enough to say something, short enough to read
TEXT_MAX = 500
STAFF_TEXT_MIN = 2  # staff type what a paper slip or a visit said, e.g. 上级点题 "集体经济"
NAME_MAX = 40
TOPIC_MAX = Report._meta.get_field("topic").max_length
SUPPORTERS_MAX = 100_000
PUBLIC_SOURCES = (SuggestionSource.PARTY_MEMBER, SuggestionSource.PUBLIC, SuggestionSource.OTHER)
# A mainland mobile number, or a landline with its area code (0571-87654321, 057187654321).
PHONE_PATTERN = re.compile(r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
CLOSED_STATUSES = (SessionStatus.FINISHED, SessionStatus.PUBLISHED)


class TopicError(Exception):
    """A topic operation refused, with a message for the person who tried (translated when raised)."""

    def __init__(self, message: str, *, code: str = "", field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


# ---------------------------------------------------------------------------------------------------
# Checks shared by the operations


def _clean_text(text: str, *, minimum: int) -> str:
    text = (text or "").strip()
    if len(text) < minimum:
        raise TopicError(
            _("Write at least %(min)s characters.") % {"min": minimum}, code="too_short", field="text"
        )
    if len(text) > TEXT_MAX:
        raise TopicError(
            _("Write no more than %(max)s characters.") % {"max": TEXT_MAX}, code="too_long", field="text"
        )
    return text


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if len(name) > NAME_MAX:
        raise TopicError(
            _("A name has no more than %(max)s characters.") % {"max": NAME_MAX}, code="name", field="name"
        )
    return name


def _clean_phone(phone: str) -> str:
    phone = re.sub(r"\s+", "", phone or "")
    if phone and not PHONE_PATTERN.match(phone):
        raise TopicError(
            _("Enter an 11-digit mobile number or a landline number with its area code."),
            code="phone",
            field="phone",
        )
    return phone


def _reporter_organisation(session: Session, organisation_id) -> Organisation | None:
    """The organisation a suggestion is for: one of the session's reporters, or None (the whole session)."""
    if organisation_id in (None, ""):
        return None
    if isinstance(organisation_id, Organisation):
        organisation_id = organisation_id.pk
    try:
        organisation_id = int(organisation_id)
    except (TypeError, ValueError):
        organisation_id = 0
    report = Report.objects.filter(session=session, organisation_id=organisation_id).first()
    if report is None:
        raise TopicError(
            _("Choose one of the organisations reporting at this session."),
            code="organisation",
            field="organisation",
        )
    return report.organisation


def _ensure_session_open(session: Session) -> None:
    if session.status in CLOSED_STATUSES:
        raise TopicError(_("This session is over; its topics can no longer change."), code="session_over")


def _locked_suggestion(suggestion: TopicSuggestion) -> TopicSuggestion:
    return (
        TopicSuggestion.objects.select_for_update(of=("self",))
        .select_related("session__host", "organisation")
        .get(pk=suggestion.pk)
    )


# ---------------------------------------------------------------------------------------------------
# The call for topics


@transaction.atomic
def topic_call_open(*, actor, session: Session) -> TopicCall:
    """开始征集: create the session's public call, or reopen it (same link, so printed posters still work)."""
    ensure_can_manage(actor, session.host)
    _ensure_session_open(session)
    call = TopicCall.objects.select_for_update().filter(session=session).first()
    if call is None:
        try:
            with transaction.atomic():
                call = TopicCall.objects.create(session=session)
        except IntegrityError:  # another staff member opened it at the same moment
            return TopicCall.objects.get(session=session)
        audit.record(actor=actor, action="topic_call.open", obj=call, organisation=session.host)
        return call
    if not call.is_open:
        call.is_open = True
        call.save(update_fields=["is_open"])
        audit.record(
            actor=actor,
            action="topic_call.open",
            obj=call,
            organisation=session.host,
            changes={"is_open": [False, True]},
        )
    return call


@transaction.atomic
def topic_call_close(*, actor, session: Session) -> TopicCall:
    """结束征集: the public link then says the call has closed; staff can still enter suggestions."""
    ensure_can_manage(actor, session.host)
    call = TopicCall.objects.select_for_update().filter(session=session).first()
    if call is None:
        raise TopicError(_("The call for topics has not been opened."), code="no_call")
    if call.is_open:
        call.is_open = False
        call.save(update_fields=["is_open"])
        audit.record(
            actor=actor,
            action="topic_call.close",
            obj=call,
            organisation=session.host,
            changes={"is_open": [True, False]},
        )
    return call


# ---------------------------------------------------------------------------------------------------
# Suggestions


@transaction.atomic
def suggestion_submit_public(
    *,
    call_token: str,
    organisation_id: int | str | None,
    text: str,
    source: str,
    name: str = "",
    phone: str = "",
) -> TopicSuggestion:
    """A member or the public proposes a topic through the call's link (no login, no actor)."""
    call = (
        TopicCall.objects.select_for_update(of=("self",))
        .select_related("session__host")
        .filter(token=call_token)
        .first()
    )
    if call is None:
        raise TopicError(_("This call for topics does not exist."), code="unknown")
    if not call.is_open or call.session.status in CLOSED_STATUSES:
        raise TopicError(_("The call for topics has closed. Thank you for your interest."), code="closed")
    session = call.session
    organisation = _reporter_organisation(session, organisation_id)
    if source not in PUBLIC_SOURCES:
        raise TopicError(_("Say whether you are a party member or a member of the public."), code="source")
    suggestion = TopicSuggestion(
        session=session,
        organisation=organisation,
        text=_clean_text(text, minimum=TEXT_MIN),
        source=source,
        name=_clean_name(name),
        phone=_clean_phone(phone),
    )
    suggestion.full_clean()
    suggestion.save()
    # The name and phone stay on the suggestion only: the audit log keeps no second copy of them.
    audit.record(
        actor=None,
        action="topic_suggestion.submit",
        obj=suggestion,
        organisation=organisation or session.host,
        changes={"source": [None, source], "organisation": [None, str(organisation or "")]},
    )
    return suggestion


@transaction.atomic
def suggestion_enter(
    *,
    actor,
    session: Session,
    organisation: Organisation | None,
    text: str,
    source: str,
    supporters: int = 1,
    name: str = "",
) -> TopicSuggestion:
    """Staff type a suggestion collected on paper or on a visit (走访, 座谈), or the superior's 上级点题."""
    ensure_can_manage(actor, session.host)
    _ensure_session_open(session)
    organisation = _reporter_organisation(session, organisation)
    if source not in SuggestionSource.values:
        raise TopicError(_("Choose who proposed it."), code="source", field="source")
    if not isinstance(supporters, int) or not 1 <= supporters <= SUPPORTERS_MAX:
        raise TopicError(
            _("The number of people raising it is between 1 and %(max)s.") % {"max": SUPPORTERS_MAX},
            code="supporters",
            field="supporters",
        )
    suggestion = TopicSuggestion(
        session=session,
        organisation=organisation,
        text=_clean_text(text, minimum=STAFF_TEXT_MIN),
        source=source,
        name=_clean_name(name),
        supporters=supporters,
        entered_by=actor if actor is not None and actor.is_authenticated else None,
    )
    return _save(
        actor=actor,
        instance=suggestion,
        organisation=organisation or session.host,
        action_prefix="topic_suggestion",
    )


@transaction.atomic
def suggestion_classify(
    *, actor, suggestion: TopicSuggestion, category: TopicCategory | None
) -> TopicSuggestion:
    """归类: put a suggestion in a category (None: back to unclassified)."""
    suggestion = _locked_suggestion(suggestion)
    ensure_can_manage(actor, suggestion.session.host)
    if suggestion.merged_into_id is not None:
        raise TopicError(
            _("This suggestion was merged into another; classify that one instead."), code="merged"
        )
    if suggestion.category_id == (category.pk if category else None):
        return suggestion
    suggestion.category = category
    return _save(
        actor=actor,
        instance=suggestion,
        organisation=suggestion.organisation or suggestion.session.host,
        action_prefix="topic_suggestion",
    )


@transaction.atomic
def suggestions_merge(*, actor, target: TopicSuggestion, others) -> TopicSuggestion:
    """合并: the same topic raised several times counts once, with everyone who raised it.

    The others' supporters are added to the target's; the others point to the target and leave every count.
    """
    other_ids = {other.pk for other in others}
    if not other_ids:
        raise TopicError(_("Choose the suggestions to merge."), code="nothing")
    if target.pk in other_ids:
        raise TopicError(_("A suggestion cannot be merged into itself."), code="self")
    rows = {
        row.pk: row
        for row in TopicSuggestion.objects.select_for_update(of=("self",))
        .select_related("session__host")
        .filter(pk__in=other_ids | {target.pk})
        .order_by("pk")
    }
    target = rows[target.pk]
    ensure_can_manage(actor, target.session.host)
    _ensure_session_open(target.session)
    if target.merged_into_id is not None:
        raise TopicError(_("That suggestion was itself merged into another."), code="merged")
    others = [rows[pk] for pk in sorted(other_ids) if pk in rows]
    for other in others:
        if other.session_id != target.session_id:
            raise TopicError(_("Suggestions of different sessions cannot be merged."), code="other_session")
        if other.organisation_id != target.organisation_id:
            raise TopicError(
                _("Suggestions for different organisations cannot be merged."), code="other_organisation"
            )
        if other.merged_into_id is not None:
            raise TopicError(_("One of these suggestions was already merged."), code="merged")
    before = target.supporters
    target.supporters += sum(other.supporters for other in others)
    target.save(update_fields=["supporters"])
    TopicSuggestion.objects.filter(pk__in=[o.pk for o in others]).update(merged_into=target)
    # Anything merged into the others earlier now points straight at the target.
    TopicSuggestion.objects.filter(merged_into__in=[o.pk for o in others]).update(merged_into=target)
    audit.record(
        actor=actor,
        action="topic_suggestion.merge",
        obj=target,
        organisation=target.organisation if target.organisation_id else target.session.host,
        changes={"supporters": [before, target.supporters], "merged": [None, [o.pk for o in others]]},
    )
    return target


def _top_suggestion(report: Report) -> TopicSuggestion | None:
    return (
        TopicSuggestion.objects.filter(
            session_id=report.session_id, organisation_id=report.organisation_id, merged_into__isnull=True
        )
        .order_by("-supporters", "created_at", "pk")
        .first()
    )


@transaction.atomic
def report_topic_assign(
    *, actor, report: Report, text: str | None = None, suggestion: TopicSuggestion | None = None
) -> Report:
    """确定述职题目: from a suggestion (its text, or `text` as a tighter wording of it), typed, or — with
    neither — from the organisation's most-raised suggestion.
    """
    report = (
        Report.objects.select_for_update(of=("self",))
        .select_related("session__host", "organisation")
        .get(pk=report.pk)
    )
    ensure_can_manage(actor, report.session.host)
    _ensure_session_open(report.session)
    typed = " ".join((text or "").split())
    if suggestion is None and not typed:
        suggestion = _top_suggestion(report)
        if suggestion is None:
            raise TopicError(
                _("No suggestion has been received for this organisation yet; type the topic."),
                code="no_suggestion",
            )
    if suggestion is not None:
        suggestion = TopicSuggestion.objects.get(pk=suggestion.pk)
        if suggestion.session_id != report.session_id or suggestion.organisation_id not in (
            None,
            report.organisation_id,
        ):
            raise TopicError(_("This suggestion was made for another reporter."), code="other_report")
        if suggestion.merged_into_id is not None:
            raise TopicError(
                _("This suggestion was merged into another; adopt that one instead."), code="merged"
            )
    topic = typed or " ".join(suggestion.text.split())
    if len(topic) < STAFF_TEXT_MIN:
        raise TopicError(_("Type the topic."), code="empty", field="text")
    if len(topic) > TOPIC_MAX:
        raise TopicError(
            _("A report topic has at most %(max)s characters; put the suggestion in fewer words.")
            % {"max": TOPIC_MAX},
            code="too_long",
            field="text",
        )
    before = report.topic
    report.topic = topic
    report.topic_suggestion = suggestion  # None when staff typed a topic of their own
    report.save(update_fields=["topic", "topic_suggestion"])
    changes = {"topic": [before, topic]}
    if suggestion is not None:
        changes["suggestion"] = [None, suggestion.pk]
        changes["supporters"] = [None, suggestion.supporters]
    audit.record(
        actor=actor,
        action="report.topic_assign",
        obj=report,
        organisation=report.organisation,
        changes=changes,
    )
    return report


# ---------------------------------------------------------------------------------------------------
# Categories: one list for the whole county, kept by the top-level office


def _ensure_can_edit_categories(actor) -> None:
    """The categories are shared by every session: only superusers and top-level staff change them."""
    if actor is None or actor.is_superuser:
        return
    root = scope_root(actor)
    if root is None or root.pk is None or root.parent_id is not None:
        raise TopicError(
            _("The categories are shared by every session; only the county office changes them."),
            code="scope",
        )


@transaction.atomic
def topic_category_save(*, actor, category: TopicCategory) -> TopicCategory:
    _ensure_can_edit_categories(actor)
    category.name = (category.name or "").strip()
    return _save(actor=actor, instance=category, organisation=None, action_prefix="topic_category")


@transaction.atomic
def topic_category_delete(*, actor, category: TopicCategory) -> None:
    """Remove a category nobody uses; a category in use is renamed instead, so no grouping is lost."""
    _ensure_can_edit_categories(actor)
    used = TopicSuggestion.objects.filter(category=category).count()
    if used:
        raise TopicError(
            _("%(count)s suggestions are in this category; rename it instead.") % {"count": used},
            code="in_use",
        )
    audit.record(actor=actor, action="topic_category.delete", obj=category)
    category.delete()


# ---------------------------------------------------------------------------------------------------
# Reads: the counters and the per-organisation board of the staff page


@dataclass(frozen=True)
class TopicCounts:
    """What the collection reached: sessions, organisations covered, people consulted, suggestions."""

    suggestions: int = 0  # 收集建议 (merged ones counted once, in their target)
    people: int = 0  # 征求意见人次: everyone who raised a suggestion, Σ supporters
    organisations: int = 0  # 覆盖党组织: reporters with at least one suggestion
    sessions: int = 0  # 召开点题述职: sessions with at least one suggestion


def _counts(suggestions: QuerySet) -> TopicCounts:
    row = suggestions.filter(merged_into__isnull=True).aggregate(
        suggestions=Count("id"),
        people=Sum("supporters"),
        organisations=Count("organisation", distinct=True),
        sessions=Count("session", distinct=True),
    )
    return TopicCounts(**{key: value or 0 for key, value in row.items()})


def session_topic_counts(session: Session) -> TopicCounts:
    """One query."""
    return _counts(TopicSuggestion.objects.filter(session=session))


def cycle_topic_counts(cycle, user) -> TopicCounts:
    """Across the sessions of the cycle the user can see; one query."""
    sessions = restrict(Session.objects.filter(cycle=cycle), user, via="host")
    return _counts(TopicSuggestion.objects.filter(session__in=sessions.values("pk")))


@dataclass
class CategoryTally:
    category: TopicCategory | None  # None: not classified yet
    people: int
    suggestions: int
    share: float  # of the organisation's people


@dataclass
class OrganisationTopics:
    """One reporter's line on the staff page: its suggestions and how opinion gathers."""

    report: Report | None  # None: suggestions for the whole session
    suggestions: list[TopicSuggestion] = field(default_factory=list)
    categories: list[CategoryTally] = field(default_factory=list)

    @property
    def people(self) -> int:
        return sum(s.supporters for s in self.suggestions)

    @property
    def top(self) -> TopicSuggestion | None:
        return self.suggestions[0] if self.suggestions else None

    @property
    def concentration(self) -> float | None:
        """意见集中度: the share of people whose suggestion falls in the most-raised category."""
        classified = [c for c in self.categories if c.category is not None]
        return classified[0].share if classified else None

    @property
    def adopted_id(self) -> int | None:
        """The suggestion whose wording is the current topic, if any."""
        if self.report is None or not self.report.topic:
            return None
        return next((s.pk for s in self.suggestions if " ".join(s.text.split()) == self.report.topic), None)


def _rank_categories(suggestions: list[TopicSuggestion]) -> list[CategoryTally]:
    people: dict[int | None, int] = defaultdict(int)
    counts: dict[int | None, int] = defaultdict(int)
    objects: dict[int | None, TopicCategory | None] = {None: None}
    for suggestion in suggestions:
        people[suggestion.category_id] += suggestion.supporters
        counts[suggestion.category_id] += 1
        objects[suggestion.category_id] = suggestion.category
    total = sum(people.values()) or 1

    def order(key):  # most people first; unclassified last; ties in the list's own order
        category = objects[key]
        return (key is None, -people[key], (category.order, category.name) if category else (0, ""))

    return [
        CategoryTally(
            category=objects[key], people=people[key], suggestions=counts[key], share=people[key] / total
        )
        for key in sorted(people, key=order)
    ]


def session_topic_board(session: Session) -> list[OrganisationTopics]:
    """Every reporter in speaking order with its live suggestions (most raised first, the merged ones hung
    under their target), ranked categories; then the whole-session suggestions. Two queries.
    """
    reports = list(session.reports.select_related("organisation", "secretary").order_by("order"))
    rows = list(
        TopicSuggestion.objects.filter(session=session)
        .select_related("category")
        .order_by("-supporters", "created_at", "pk")
    )
    merged: dict[int, list[TopicSuggestion]] = defaultdict(list)
    live: dict[int | None, list[TopicSuggestion]] = defaultdict(list)
    for row in rows:
        if row.merged_into_id is not None:
            merged[row.merged_into_id].append(row)
        else:
            live[row.organisation_id].append(row)
    for row in rows:
        row.merged_list = merged.get(row.pk, [])
    board = []
    for report in reports:
        suggestions = live.get(report.organisation_id, [])
        board.append(OrganisationTopics(report, suggestions, _rank_categories(suggestions)))
    if live.get(None):
        board.append(OrganisationTopics(None, live[None], _rank_categories(live[None])))
    return board


def suggestions_of_session(session: Session, ids) -> QuerySet:
    """The given suggestion ids, kept to this session (what a staff form may act on)."""
    return TopicSuggestion.objects.filter(Q(session=session), pk__in=ids)
