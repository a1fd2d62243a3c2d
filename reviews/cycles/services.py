"""Writes to cycles, sessions and their reports, each audited."""

from __future__ import annotations

from django.db import transaction

from reviews.audit import services as audit
from reviews.audit.services import save_audited
from reviews.cycles.models import (
    Cycle,
    CycleItem,
    Report,
    Session,
)
from reviews.orgs.models import secretary_on
from reviews.scope import county_organisation, ensure_can_manage, ensure_county_level


@transaction.atomic
def cycle_save(*, actor, cycle: Cycle) -> Cycle:
    """A cycle belongs to the whole county: only the county office changes it; the county sees the record."""
    ensure_county_level(actor)
    return save_audited(
        actor=actor, instance=cycle, organisation=county_organisation(actor), action_prefix="cycle"
    )


@transaction.atomic
def cycle_item_save(*, actor, item: CycleItem) -> CycleItem:
    """A must-answer or bonus item of the cycle (county-wide, like the cycle)."""
    ensure_county_level(actor)
    return save_audited(
        actor=actor, instance=item, organisation=county_organisation(actor), action_prefix="cycle_item"
    )


@transaction.atomic
def cycle_item_delete(*, actor, item: CycleItem) -> None:
    ensure_county_level(actor)
    audit.record(actor=actor, action="cycle_item.delete", obj=item, organisation=county_organisation(actor))
    item.delete()


@transaction.atomic
def session_save(*, actor, session: Session) -> Session:
    ensure_can_manage(actor, session.host)
    return save_audited(actor=actor, instance=session, organisation=session.host, action_prefix="session")


@transaction.atomic
def report_save(*, actor, report: Report) -> Report:
    """Save a reporter's slot; an empty secretary is resolved from appointments at the session date."""
    ensure_can_manage(actor, report.organisation)
    if report.secretary_id is None and report.organisation_id:
        report.secretary = secretary_on(report.organisation, report.session.date)
    return save_audited(
        actor=actor, instance=report, organisation=report.organisation, action_prefix="report"
    )


@transaction.atomic
def report_delete(*, actor, report: Report) -> None:
    ensure_can_manage(actor, report.organisation)
    audit.record(actor=actor, action="report.delete", obj=report, organisation=report.organisation)
    report.delete()
