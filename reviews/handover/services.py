"""Hand-over (问题交办): the problems of a reporting organisation become a numbered notice and its items."""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from reviews.audit import services as audit
from reviews.audit.models import AuditEvent
from reviews.cycles.models import Session
from reviews.findings.models import Finding, FindingSource
from reviews.orgs.models import Organisation, Person
from reviews.rectification import services as rectification_services
from reviews.rectification.models import (
    ProblemCategory,
    RectificationEvent,
    RectificationEventKind,
    RectificationItem,
    RectificationNotice,
    RectificationStatus,
)
from reviews.rectification.services import RectificationError, user_name
from reviews.scope import ensure_can_manage

MAX_ITEMS_PER_NOTICE = 200


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, clipped to the month's end (30 Nov + 3 months = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def default_deadline(issued_on: datetime.date) -> datetime.date:
    return add_months(issued_on, settings.RECTIFICATION_MONTHS)


def default_issuer(session: Session) -> str:
    return session.host.name


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
    issued_on = issued_on or rectification_services.today()
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
    # Set-based from here: every row is checked in Python, then each table written with one bulk insert.
    report = (
        session.reports.filter(organisation=organisation).first()
        if any(draft.finding is None for draft in items)
        else None
    )
    findings, typed = [], []
    for draft in items:
        finding = locked.get(draft.finding.pk) if draft.finding is not None else None
        if finding is None:
            finding = Finding(
                cycle=session.cycle,
                organisation=organisation,
                source=draft.source,
                description=draft.problem.strip(),
                report=report,
                created_by=notice.issued_by,
            )
            finding.full_clean(exclude=_RELATIONS)
            typed.append(finding)
        findings.append(finding)
    Finding.objects.bulk_create(typed)
    now = timezone.now()
    rows = []
    for number, (draft, finding) in enumerate(zip(items, findings, strict=True), start=1):
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
            status_changed_at=now,
        )
        # The relations are the notice's and checked above; the constraints hold by construction.
        item.full_clean(exclude=_RELATIONS, validate_unique=False, validate_constraints=False)
        rows.append(item)
    RectificationItem.objects.bulk_create(rows)
    RectificationEvent.objects.bulk_create(
        RectificationEvent(
            item=item,
            kind=RectificationEventKind.ISSUED,
            actor=notice.issued_by,
            actor_name=user_name(actor),
        )
        for item in rows
    )
    AuditEvent.objects.bulk_create(
        audit.event(
            actor=actor,
            action="rectification_item.issue",
            obj=item,
            changes=audit.diff(None, item),
            organisation=organisation,
        )
        for item in rows
    )
    return notice


# Foreign keys full_clean would check with a query each; notice_issue has them in hand.
_RELATIONS = [
    "notice",
    "cycle",
    "organisation",
    "finding",
    "category",
    "responsible_person",
    "report",
    "created_by",
    "verified_by",
    "question",
    "comment",
]
