"""After the meeting: hand-over (问题交办), rectification (整改) and follow-up (回头看).

One function per operation, keyword-only, atomic and audited. Who may act:
- staff of the session's host (the committee that issued the notice) issue, verify (销号), return and extend;
- the organisation's current secretary, or the person named responsible, reports progress and submits.
Township staff therefore see their own township's items from the county meeting but cannot close them.
A refusal the user can act on raises RectificationError with a translated message; acting outside one's
role raises PermissionDenied.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from reviews import uploads
from reviews.audit import services as audit
from reviews.cycles.models import Cycle
from reviews.orgs.models import Appointment, Organisation, secretary_on
from reviews.rectification.models import (
    FollowUpMark,
    FollowUpOutcome,
    FollowUpReview,
    ProblemCategory,
    RectificationEvent,
    RectificationEventKind,
    RectificationItem,
    RectificationStatus,
)
from reviews.scope import can_manage, county_organisation, ensure_can_manage, ensure_county_level


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


def user_name(user) -> str:
    if user is None or not user.is_authenticated:
        return ""
    return (user.get_full_name() or user.get_username())[:60]


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
    event = RectificationEvent(item=item, kind=kind, text=text, actor=actor, actor_name=user_name(actor))
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
        organisation__path__subtree=review.scope.path,
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


# ---------------------------------------------------------------------------------------------------
# Problem categories: one list for the whole county, kept by the county office


@transaction.atomic
def problem_category_save(*, actor, category: ProblemCategory) -> ProblemCategory:
    ensure_county_level(actor)
    return audit.save_audited(
        actor=actor,
        instance=category,
        organisation=county_organisation(actor),
        action_prefix="problem_category",
    )


@transaction.atomic
def problem_category_delete(*, actor, category: ProblemCategory) -> None:
    """Remove a category no item uses; one in use is renamed instead, so the common problems stay grouped."""
    ensure_county_level(actor)
    used = RectificationItem.objects.filter(category=category).count()
    if used:
        raise RectificationError(
            _("%(count)s rectification items are in this category; rename it instead.") % {"count": used},
            code="in_use",
        )
    audit.record(
        actor=actor, action="problem_category.delete", obj=category, organisation=county_organisation(actor)
    )
    category.delete()
