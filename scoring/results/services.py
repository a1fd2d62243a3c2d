"""Component scores, publishing results, and the recomputation check."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from reviews.audit import services as audit
from reviews.cycles.models import Session, SessionStatus
from reviews.scope import ensure_can_manage
from scoring import selectors
from scoring.ballots.services import lock_scheme
from scoring.errors import ScoringError
from scoring.results.models import ComponentScore, ResultSnapshot
from scoring.schemes.models import Component, ScoringStatus

# ---------------------------------------------------------------------------------------------------
# Components and results


@transaction.atomic
def component_score_set(*, actor, report, component: Component, value: Decimal | None) -> None:
    ensure_can_manage(actor, report.session.host)
    if component.scheme.session_id != report.session_id:
        raise ScoringError(_("This component belongs to another session."), code="component")
    if ResultSnapshot.objects.filter(session_id=report.session_id).exists():
        raise ScoringError(
            _("Results are published; component scores can no longer change."), code="published"
        )
    if value is None:
        ComponentScore.objects.filter(report=report, component=component).delete()
        change = None
    else:
        if not 0 <= value <= 100:
            raise ScoringError(_("A component score must lie between 0 and 100."), code="range")
        ComponentScore.objects.update_or_create(report=report, component=component, defaults={"value": value})
        change = str(value)
    audit.record(
        actor=actor,
        action="component_score.set",
        obj=report,
        organisation=report.organisation,
        changes={component.name: change},
    )


@transaction.atomic
def results_publish(*, actor, session: Session) -> ResultSnapshot:
    """Freeze the results with the digest of the ballots; later recomputations must match."""
    ensure_can_manage(actor, session.host)
    scheme = lock_scheme(session)
    if scheme.scoring_status != ScoringStatus.CLOSED:
        raise ScoringError(_("Close scoring before publishing the results."), code="not_closed")
    if scheme.session.rehearsal:
        raise ScoringError(
            _(
                "These are the results of a rehearsal (模拟演练): they cannot be published. "
                "Clear the rehearsal."
            ),
            code="rehearsal",
        )
    if ResultSnapshot.objects.filter(session=session).exists():
        raise ScoringError(_("The results of this session are already published."), code="published")
    computed = selectors.session_tally(session).result
    snapshot = ResultSnapshot.objects.create(
        session=session, published_by=actor, digest=computed.digest, data=computed.to_dict()
    )
    session.status = SessionStatus.PUBLISHED
    session.save(update_fields=["status"])
    audit.record(
        actor=actor,
        action="results.publish",
        obj=session,
        organisation=session.host,
        changes={"digest": computed.digest, "ballots": computed.ballots_received},
    )
    return snapshot


def snapshot_matches(snapshot: ResultSnapshot) -> bool:
    """Recompute from the stored ballots and compare with the frozen snapshot."""
    return selectors.session_tally(snapshot.session).result.to_dict() == snapshot.data
