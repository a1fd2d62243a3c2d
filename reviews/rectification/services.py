"""After the meeting: hand-over (问题交办), rectification (整改) and follow-up (回头看).

One function per operation, keyword-only, atomic and audited. Who may act:
- staff of the session's host (the committee that issued the notice) issue, verify (销号), return and extend;
- the organisation's current secretary, or the person named responsible, reports progress and submits.
Township staff therefore see their own township's items from the county meeting but cannot close them.
A refusal the user can act on raises RectificationError with a translated message; acting outside one's
role raises PermissionDenied.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from reviews import audit, uploads
from reviews.models import (
    Appointment,
    Cycle,
    Finding,
    FindingSource,
    FollowUpMark,
    FollowUpOutcome,
    FollowUpReview,
    Organisation,
    Person,
    ProblemCategory,
    RectificationEvent,
    RectificationEventKind,
    RectificationItem,
    RectificationNotice,
    RectificationStatus,
    Session,
    secretary_on,
)
from reviews.scope import can_manage, ensure_can_manage

MAX_ITEMS_PER_NOTICE = 200


class RectificationError(Exception):
    """A hand-over or rectification step refused, with a message for the user (translated when raised)."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# ---------------------------------------------------------------------------------------------------
# Dates and who may act


def today() -> datetime.date:
    """Today in the project's time zone (Asia/Shanghai): deadlines and overdue are counted in local days."""
    return timezone.localdate()


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, clipped to the month's end (30 Nov + 3 months = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def default_deadline(issued_on: datetime.date) -> datetime.date:
    return add_months(issued_on, settings.RECTIFICATION_MONTHS)


def default_issuer(session: Session) -> str:
    return session.host.name


def is_responsible(user, item: RectificationItem, on: datetime.date | None = None) -> bool:
    """The organisation's secretary today, or the person the item names as responsible."""
    if not user.is_authenticated:
        return False
    if item.responsible_person_id and item.responsible_person.user_id == user.pk:
        return True
    secretary = secretary_on(item.organisation, on or today())
    return secretary is not None and secretary.user_id == user.pk


def can_verify(user, item: RectificationItem) -> bool:
    """Staff of the committee that issued the notice (or above it)."""
    return user.is_authenticated and user.is_staff and can_manage(user, item.notice.session.host)


def can_read(user, item: RectificationItem) -> bool:
    if user.is_authenticated and user.is_staff and can_manage(user, item.organisation):
        return True
    return can_verify(user, item) or is_responsible(user, item)


def secretary_items(user, on: datetime.date | None = None) -> QuerySet:
    """Items the user answers for: their organisations (as secretary today) or naming them responsible."""
    if not user.is_authenticated:
        return RectificationItem.objects.none()
    day = on or today()
    organisations = (
        Appointment.objects.secretaries().on(day).filter(person__user=user).values("organisation_id")
    )
    return RectificationItem.objects.filter(
        Q(organisation_id__in=organisations) | Q(responsible_person__user=user)
    )


def _ensure_responsible(actor, item: RectificationItem) -> None:
    if not is_responsible(actor, item):
        raise PermissionDenied(_("Only the organisation's secretary or the person responsible can do this."))


def _ensure_verifier(actor, item: RectificationItem) -> None:
    if not can_verify(actor, item):
        raise PermissionDenied(_("Only staff of the committee that issued the notice can do this."))


def _user_name(user) -> str:
    if user is None or not user.is_authenticated:
        return ""
    return (user.get_full_name() or user.get_username())[:60]


# ---------------------------------------------------------------------------------------------------
# Hand-over (问题交办)


def handover_findings(session: Session, organisation: Organisation) -> QuerySet:
    """The organisation's problems of the session's cycle that are not yet rectification items."""
    return Finding.objects.filter(
        cycle_id=session.cycle_id, organisation=organisation, rectification_item__isnull=True
    ).order_by("created_at", "pk")


@dataclass
class ItemDraft:
    """One item as staff review it before issuing: from a finding, or a problem typed on the spot."""

    problem: str
    measures: str
    responsible: str
    deadline: datetime.date
    finding: Finding | None = None
    source: str = ""
    category: ProblemCategory | None = None
    responsible_person: Person | None = None
    commit_analyse: str = ""
    commit_correct: str = ""
    commit_establish: str = ""


def _check_draft(number: int, draft: ItemDraft, issued_on: datetime.date) -> None:
    prefix = _("Item %(number)s: ") % {"number": number}
    if not draft.problem.strip():
        raise RectificationError(prefix + _("describe the problem."), code="problem")
    if not draft.measures.strip():
        raise RectificationError(prefix + _("write the rectification measures."), code="measures")
    if not draft.responsible.strip():
        raise RectificationError(prefix + _("name the person responsible."), code="responsible")
    if len(draft.responsible.strip()) > RectificationItem._meta.get_field("responsible").max_length:
        raise RectificationError(
            prefix + _("the name of the person responsible is too long."), code="responsible"
        )
    if draft.deadline is None or draft.deadline < issued_on:
        raise RectificationError(
            prefix
            + _("the deadline cannot be before the date of the notice (%(day)s).") % {"day": issued_on},
            code="deadline",
        )
    if draft.finding is None and draft.source not in FindingSource.values:
        raise RectificationError(prefix + _("choose where the problem comes from."), code="source")


@transaction.atomic
def notice_issue(
    *,
    actor,
    session: Session,
    organisation: Organisation,
    items: list[ItemDraft],
    issuer: str = "",
    issued_on: datetime.date | None = None,
) -> RectificationNotice:
    """交办: turn reviewed problems into rectification items on one notice (整改通知单), all or nothing."""
    session = (
        Session.objects.select_for_update(of=("self",)).select_related("host", "cycle").get(pk=session.pk)
    )
    ensure_can_manage(actor, session.host)
    if not session.reports.filter(organisation=organisation).exists():
        raise RectificationError(
            _("%(organisation)s did not report in this session.") % {"organisation": organisation},
            code="not_reporter",
        )
    if not items:
        raise RectificationError(_("Choose at least one problem to hand over."), code="empty")
    if len(items) > MAX_ITEMS_PER_NOTICE:
        raise RectificationError(
            _("A notice holds at most %(count)s items.") % {"count": MAX_ITEMS_PER_NOTICE}, code="too_many"
        )
    issued_on = issued_on or today()
    finding_ids = [d.finding.pk for d in items if d.finding is not None]
    if len(set(finding_ids)) != len(finding_ids):
        raise RectificationError(_("The same problem is listed twice."), code="duplicate")
    locked = {
        f.pk: f
        for f in Finding.objects.select_for_update(of=("self",))
        .filter(pk__in=finding_ids)
        .select_related("organisation")
    }
    taken = set(
        RectificationItem.objects.filter(finding_id__in=finding_ids).values_list("finding_id", flat=True)
    )
    for number, draft in enumerate(items, start=1):
        _check_draft(number, draft, issued_on)
        if draft.finding is None:
            continue
        finding = locked.get(draft.finding.pk)
        if (
            finding is None
            or finding.organisation_id != organisation.pk
            or finding.cycle_id != session.cycle_id
        ):
            raise RectificationError(
                _("Item %(number)s: this problem is not one of %(organisation)s in this cycle.")
                % {"number": number, "organisation": organisation},
                code="foreign_finding",
            )
        if finding.pk in taken:
            raise RectificationError(
                _("Item %(number)s has already been handed over (another notice was issued meanwhile).")
                % {"number": number},
                code="already_issued",
            )

    issuer = (issuer or "").strip() or default_issuer(session)
    if len(issuer) > RectificationNotice._meta.get_field("issuer").max_length:
        raise RectificationError(_("The issuing committee's name is too long."), code="issuer")
    # Numbered per issuing committee and year (〔2026〕3号), like its other documents: lock the host row.
    Organisation.objects.select_for_update().filter(pk=session.host_id).first()
    last = (
        RectificationNotice.objects.filter(
            session__host_id=session.host_id, issued_on__year=issued_on.year
        ).aggregate(n=Max("number"))["n"]
        or 0
    )
    notice = RectificationNotice(
        session=session,
        organisation=organisation,
        host_id=session.host_id,
        year=issued_on.year,
        number=last + 1,
        issuer=issuer,
        issued_on=issued_on,
        issued_by=actor if actor is not None and actor.is_authenticated else None,
    )
    notice.full_clean()
    notice.save()
    audit.record(
        actor=actor,
        action="rectification_notice.issue",
        obj=notice,
        changes={"items": [None, len(items)]},
        organisation=organisation,
    )
    for number, draft in enumerate(items, start=1):
        finding = locked.get(draft.finding.pk) if draft.finding is not None else None
        if finding is None:
            finding = Finding(
                cycle=session.cycle,
                organisation=organisation,
                source=draft.source,
                description=draft.problem.strip(),
                report=session.reports.filter(organisation=organisation).first(),
                created_by=notice.issued_by,
            )
            finding.full_clean()
            finding.save()
        item = RectificationItem(
            notice=notice,
            cycle=session.cycle,
            organisation=organisation,
            finding=finding,
            number=number,
            source=finding.source,
            category=draft.category,
            problem=draft.problem.strip(),
            measures=draft.measures.strip(),
            responsible=draft.responsible.strip(),
            responsible_person=draft.responsible_person,
            commit_analyse=draft.commit_analyse.strip(),
            commit_correct=draft.commit_correct.strip(),
            commit_establish=draft.commit_establish.strip(),
            deadline=draft.deadline,
            original_deadline=draft.deadline,
            status=RectificationStatus.PENDING,
            status_changed_at=timezone.now(),
        )
        item.full_clean()
        item.save()
        RectificationEvent.objects.create(
            item=item,
            kind=RectificationEventKind.ISSUED,
            actor=notice.issued_by,
            actor_name=_user_name(actor),
        )
        audit.record(
            actor=actor,
            action="rectification_item.issue",
            obj=item,
            changes=audit.diff(None, item),
            organisation=organisation,
        )
    return notice


# ---------------------------------------------------------------------------------------------------
# Rectification (整改)


def _lock(item: RectificationItem) -> RectificationItem:
    return (
        RectificationItem.objects.select_for_update(of=("self",))
        .select_related("organisation", "notice__session__host", "responsible_person")
        .get(pk=item.pk)
    )


def _transition(
    actor,
    item: RectificationItem,
    *,
    to: str,
    kind: str,
    text: str = "",
    evidence: UploadedFile | None = None,
    **fields,
) -> RectificationEvent:
    if evidence is not None:
        try:
            uploads.check_upload(evidence)
        except uploads.UploadRefused as refused:
            raise RectificationError(refused.message, code=f"upload_{refused.code}") from refused
    before, old_deadline = item.status, item.deadline
    now = timezone.now()
    item.status = to
    if before != to:
        item.status_changed_at = now
    for name, value in fields.items():
        setattr(item, name, value)
    item.full_clean()
    item.save()
    event = RectificationEvent(item=item, kind=kind, text=text, actor=actor, actor_name=_user_name(actor))
    if "deadline" in fields:
        event.old_deadline, event.new_deadline = old_deadline, fields["deadline"]
    if evidence is not None:
        event.evidence.save(uploads.stored_name(evidence.name), evidence, save=False)
    event.save()
    changes = {"status": [before, to]} if before != to else {}
    if "deadline" in fields:
        changes["deadline"] = [old_deadline.isoformat(), fields["deadline"].isoformat()]
    if text:
        changes["text"] = [None, text[:200]]
    audit.record(
        actor=actor,
        action=f"rectification_item.{kind}",
        obj=item,
        changes=changes,
        organisation=item.organisation,
    )
    return event


def _refuse_state(item: RectificationItem, message: str) -> RectificationError:
    """`message` names the item's status as %(status)s."""
    return RectificationError(message % {"status": item.get_status_display()}, code="state")


@transaction.atomic
def item_progress(
    *, actor, item: RectificationItem, text: str, evidence: UploadedFile | None = None
) -> RectificationEvent:
    """报告进展: the secretary reports what has been done; the item is then being rectified (整改中)."""
    item = _lock(item)
    _ensure_responsible(actor, item)
    if item.status not in (
        RectificationStatus.PENDING,
        RectificationStatus.IN_PROGRESS,
        RectificationStatus.RETURNED,
    ):
        raise _refuse_state(item, _("The item is “%(status)s”: progress can no longer be reported."))
    text = (text or "").strip()
    if not text:
        raise RectificationError(_("Write what has been done."), code="empty")
    return _transition(
        actor,
        item,
        to=RectificationStatus.IN_PROGRESS,
        kind=RectificationEventKind.PROGRESS,
        text=text,
        evidence=evidence,
        last_update_at=timezone.now(),
        return_reason="",  # the reason stays in the item's record (the returned event)
    )


@transaction.atomic
def item_submit(
    *, actor, item: RectificationItem, text: str, evidence: UploadedFile | None = None
) -> RectificationEvent:
    """申请销号: the secretary says the item is done and asks the issuing committee to verify it."""
    item = _lock(item)
    _ensure_responsible(actor, item)
    if item.status == RectificationStatus.PENDING:
        raise RectificationError(
            _("Report the progress made before asking for verification."), code="no_progress"
        )
    if item.status == RectificationStatus.RETURNED:
        raise RectificationError(
            _("The item was returned: report the further work done before asking again."), code="returned"
        )
    if item.status != RectificationStatus.IN_PROGRESS:
        raise _refuse_state(item, _("The item is “%(status)s”: it cannot be submitted for verification."))
    text = (text or "").strip()
    if not text:
        raise RectificationError(_("Sum up how the problem was rectified."), code="empty")
    return _transition(
        actor,
        item,
        to=RectificationStatus.SUBMITTED,
        kind=RectificationEventKind.SUBMITTED,
        text=text,
        evidence=evidence,
        last_update_at=timezone.now(),
        return_reason="",
    )


@transaction.atomic
def item_verify(*, actor, item: RectificationItem, text: str = "") -> RectificationEvent:
    """销号: staff of the issuing committee confirm the item is rectified."""
    item = _lock(item)
    _ensure_verifier(actor, item)
    if item.status != RectificationStatus.SUBMITTED:
        raise _refuse_state(
            item, _("The item is “%(status)s”: only an item awaiting verification can be verified.")
        )
    return _transition(
        actor,
        item,
        to=RectificationStatus.VERIFIED,
        kind=RectificationEventKind.VERIFIED,
        text=(text or "").strip(),
        verified_by=actor,
        verified_at=timezone.now(),
    )


@transaction.atomic
def item_return(*, actor, item: RectificationItem, reason: str) -> RectificationEvent:
    """退回: staff find the rectification not done; the secretary works on and submits again."""
    item = _lock(item)
    _ensure_verifier(actor, item)
    if item.status != RectificationStatus.SUBMITTED:
        raise _refuse_state(
            item, _("The item is “%(status)s”: only an item awaiting verification can be returned.")
        )
    reason = (reason or "").strip()
    if not reason:
        raise RectificationError(_("Give the reason for returning the item."), code="no_reason")
    return _transition(
        actor,
        item,
        to=RectificationStatus.RETURNED,
        kind=RectificationEventKind.RETURNED,
        text=reason,
        return_reason=reason,
    )


@transaction.atomic
def item_extend(
    *, actor, item: RectificationItem, new_deadline: datetime.date, reason: str
) -> RectificationEvent:
    """延期: a later deadline, with the reason; the original deadline stays on the item."""
    item = _lock(item)
    _ensure_verifier(actor, item)
    if item.status == RectificationStatus.VERIFIED:
        raise _refuse_state(item, _("The item is “%(status)s”: its deadline can no longer be extended."))
    reason = (reason or "").strip()
    if not reason:
        raise RectificationError(_("Give the reason for the extension."), code="no_reason")
    if new_deadline is None or new_deadline <= item.deadline:
        raise RectificationError(
            _("The new deadline must be later than the current one (%(day)s).") % {"day": item.deadline},
            code="deadline",
        )
    return _transition(
        actor,
        item,
        to=item.status,
        kind=RectificationEventKind.EXTENDED,
        text=reason,
        deadline=new_deadline,
    )


# ---------------------------------------------------------------------------------------------------
# Follow-up (回头看)


@transaction.atomic
def follow_up_start(
    *, actor, cycle: Cycle, scope: Organisation, title: str = "", started_on: datetime.date | None = None
) -> FollowUpReview:
    ensure_can_manage(actor, scope)
    if not actor.is_staff:
        raise PermissionDenied
    title = (title or "").strip() or _("Follow-up of %(cycle)s rectification") % {"cycle": cycle}
    review = FollowUpReview(
        cycle=cycle,
        scope=scope,
        title=title,
        started_on=started_on or today(),
        started_by=actor if actor.is_authenticated else None,
    )
    review.full_clean()
    review.save()
    audit.record(actor=actor, action="follow_up.start", obj=review, organisation=scope)
    return review


def follow_up_items(review: FollowUpReview) -> QuerySet:
    """The cycle's verified items in the review's scope: what a follow-up looks at again."""
    return RectificationItem.objects.filter(
        cycle_id=review.cycle_id,
        status=RectificationStatus.VERIFIED,
        organisation__path__startswith=review.scope.path,
    )


@transaction.atomic
def follow_up_mark(
    *, actor, review: FollowUpReview, item: RectificationItem, outcome: str, note: str = ""
) -> FollowUpMark:
    ensure_can_manage(actor, review.scope)
    if not actor.is_staff:
        raise PermissionDenied
    if outcome not in FollowUpOutcome.values:
        raise RectificationError(_("Choose held or relapsed."), code="outcome")
    if not follow_up_items(review).filter(pk=item.pk).exists():
        raise RectificationError(
            _("Only items verified closed in this cycle and scope are looked at again."), code="not_in_review"
        )
    note = (note or "").strip()
    if outcome == FollowUpOutcome.RELAPSED and not note:
        raise RectificationError(_("Say how the problem came back."), code="no_note")
    mark, created = FollowUpMark.objects.select_for_update().get_or_create(
        review=review,
        item=item,
        defaults={"outcome": outcome, "note": note, "marked_by": actor},
    )
    before = None if created else mark.outcome
    if not created:
        mark.outcome, mark.note, mark.marked_by = outcome, note, actor
        mark.save()
    audit.record(
        actor=actor,
        action="follow_up.mark",
        obj=item,
        changes={"outcome": [before, outcome]},
        organisation=item.organisation,
    )
    return mark
