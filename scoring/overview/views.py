"""The staff overview of a session's scoring (测评概况): turnout, open and close."""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from reviews.cycles.models import Session
from reviews.scope import staff_required
from scoring import selectors, tally
from scoring.ballots import services as ballots_services
from scoring.errors import ScoringError
from scoring.results.models import ResultSnapshot
from scoring.schemes import services as schemes_services
from scoring.schemes.forms import SchemeCopyForm
from scoring.schemes.models import Scheme
from scoring.schemes.views import copy_sources
from scoring.staff import no_scheme, scheme_of, session_in_scope, to_session

logger = logging.getLogger(__name__)


def percent(part: int, whole: int) -> Decimal | None:
    return Decimal(part * 100) / whole if whole else None


# ---------------------------------------------------------------------------------------------------
# 1. Overview


@dataclass(frozen=True)
class TurnoutRow:
    """One group's codes and ballots while scoring runs (counts only, never scores)."""

    name: str
    issued: int  # codes not revoked + paper forms
    used: int
    electronic: int
    paper: int
    paper_issued: int = 0

    @property
    def received(self) -> int:
        return self.electronic + self.paper

    @property
    def share(self) -> Decimal | None:
        return percent(self.received, self.issued)

    @property
    def share_text(self) -> str:
        return tally.fmt(self.share, 1) + "%" if self.share is not None else "—"

    @property
    def bar(self) -> int:
        return min(100, round(self.share or 0))


def turnout_rows(session: Session) -> tuple[list[TurnoutRow], TurnoutRow]:
    rows = [
        TurnoutRow(
            name=row["group"].name,
            issued=row["issued"] + row["group"].paper_issued,
            used=row["used"],
            electronic=row["electronic"],
            paper=row["paper"],
            paper_issued=row["group"].paper_issued,
        )
        for row in selectors.turnout(session)
    ]
    total = TurnoutRow(
        name=_("Total"),
        issued=sum(r.issued for r in rows),
        used=sum(r.used for r in rows),
        electronic=sum(r.electronic for r in rows),
        paper=sum(r.paper for r in rows),
        paper_issued=sum(r.paper_issued for r in rows),
    )
    return rows, total


@staff_required
@require_GET
def session_overview(request: HttpRequest, session_id: int) -> HttpResponse:
    session = session_in_scope(request, session_id)
    scheme = scheme_of(session)
    context = {"session": session, "scheme": scheme, "tab": "session"}
    if scheme is None:
        sources = copy_sources(request, session)
        context["copy_form"] = SchemeCopyForm(sessions=sources) if sources.exists() else None
    else:
        turnout, total = turnout_rows(session)
        context |= {
            "problems": schemes_services.scheme_problems(scheme),
            "turnout": turnout,
            "turnout_total": total,
            "reporter_count": session.reports.count(),
            "snapshot": ResultSnapshot.objects.filter(session=session).first(),
        }
    return render(request, "scoring/overview/session.html", context)


@staff_required
@require_POST
def scoring_open(request: HttpRequest, session_id: int) -> HttpResponse:
    session = session_in_scope(request, session_id)
    try:
        ballots_services.scoring_open(actor=request.user, session=session)
    except Scheme.DoesNotExist:
        return no_scheme(request, session)
    except ScoringError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Scoring has started. The scoring scheme is now locked."))
    return to_session(session)


@staff_required
@require_POST
def scoring_close(request: HttpRequest, session_id: int) -> HttpResponse:
    session = session_in_scope(request, session_id)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that scoring should end."))
        return to_session(session)
    try:
        ballots_services.scoring_close(actor=request.user, session=session)
    except Scheme.DoesNotExist:
        return no_scheme(request, session)
    except ScoringError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Scoring has ended. No more ballots are accepted."))
        return redirect("scoring:results", session.pk)
    return to_session(session)
