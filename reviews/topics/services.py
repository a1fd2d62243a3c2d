"""State-changing operations of the reviews app: one function each, atomic and audited."""

from __future__ import annotations

import datetime
import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from reviews.audit import services as audit
from reviews.audit.services import save_audited
from reviews.cycles.models import (
    Report,
    Session,
    SessionStatus,
)
from reviews.orgs.models import Organisation
from reviews.scope import county_organisation, ensure_can_manage, scope_root
from reviews.topics.models import SuggestionSource, TopicCall, TopicCategory, TopicSuggestion

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
    return save_audited(
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
    return save_audited(
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
    return save_audited(
        actor=actor,
        instance=category,
        organisation=county_organisation(actor),
        action_prefix="topic_category",
    )


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
    audit.record(
        actor=actor, action="topic_category.delete", obj=category, organisation=county_organisation(actor)
    )
    category.delete()


# ---------------------------------------------------------------------------------------------------
# Personal data: proposers' phone numbers are kept only as long as they are needed to call back


@transaction.atomic
def suggestion_phones_purge(*, now=None) -> int:
    """Clear the phone numbers past settings.TOPIC_PHONE_RETENTION_DAYS, or whose session's meeting is over.

    The staff call a proposer back while the topics are being settled; after that the number has no use, so
    it is not kept (a number stored encrypted beside its key would still be readable by whoever reads the
    server). One audit record per session says how many were cleared, never which numbers.
    """
    from django.conf import settings
    from django.db.models import Count, Q
    from django.utils import timezone

    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.TOPIC_PHONE_RETENTION_DAYS)
    due = TopicSuggestion.objects.exclude(phone="").filter(
        Q(created_at__lt=cutoff) | Q(session__status__in=CLOSED_STATUSES)
    )
    per_session = list(due.values("session").annotate(count=Count("pk")).order_by("session"))
    sessions = {s.pk: s for s in Session.objects.filter(pk__in=[row["session"] for row in per_session])}
    cleared = due.update(phone="")
    for row in per_session:
        session = sessions[row["session"]]
        audit.record(
            actor=None,
            action="topic_suggestion.phones_purge",
            obj=session,
            organisation=session.host,
            changes={"phones_cleared": [None, row["count"]]},
        )
    return cleared
