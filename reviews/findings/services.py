"""Writes to findings (问题)."""

from __future__ import annotations

from django.db import transaction

from reviews.audit.services import save_audited
from reviews.findings.models import Finding
from reviews.scope import ensure_can_manage


@transaction.atomic
def finding_save(*, actor, finding: Finding) -> Finding:
    ensure_can_manage(actor, finding.organisation)
    if finding.pk is None and finding.created_by_id is None and actor is not None and actor.is_authenticated:
        finding.created_by = actor
    return save_audited(
        actor=actor, instance=finding, organisation=finding.organisation, action_prefix="finding"
    )
