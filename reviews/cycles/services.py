"""Writes to cycles, sessions and their reports, each audited."""

from __future__ import annotations

from django.db import transaction

from reviews.audit import services as audit
from reviews.audit.services import save_audited
from reviews.cycles.models import (
    Cycle,
    Report,
    Session,
)
from reviews.orgs.models import secretary_on
from reviews.scope import ensure_can_manage


@transaction.atomic
def cycle_save(*, actor, cycle: Cycle) -> Cycle:
    return save_audited(actor=actor, instance=cycle, organisation=None, action_prefix="cycle")


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
