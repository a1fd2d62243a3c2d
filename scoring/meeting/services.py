"""The big screen's ranking: revealing places from the last up."""

from django.db import transaction
from django.utils.translation import gettext as _

from reviews.cycles.models import Report, Session
from reviews.meeting import services as review_services
from scoring.ballots.services import lock_scheme
from scoring.errors import ScoringError
from scoring.schemes.models import ScoringStatus

# ---------------------------------------------------------------------------------------------------
# The big screen's ranking


@transaction.atomic
def results_reveal(*, actor, session: Session, everything: bool = False, version: int | None) -> Session:
    """揭晓: show one more ranking row (from the last place up), or the whole ranking at once."""
    scheme = lock_scheme(session)
    if scheme.scoring_status != ScoringStatus.CLOSED:
        raise ScoringError(_("Close scoring before revealing the results."), code="not_closed")
    total = Report.objects.filter(session=session).count()
    current = Session.objects.get(pk=session.pk)
    stepwise = current.reveal_one_by_one and not everything
    rows = min(total, current.revealed_rows + 1) if stepwise else total
    try:
        return review_services.meeting_reveal(actor=actor, session=session, rows=rows, version=version)
    except review_services.MeetingError as error:
        raise ScoringError(error.message, code=error.code) from error
