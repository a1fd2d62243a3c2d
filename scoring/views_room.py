"""The meeting room: the host console (staff) and the big screen (an unguessable URL, no login).

The screen polls a small partial every second (htmx). Polling, not server-sent events: it needs no
long-lived worker per projector under gunicorn's sync/threaded workers, and it recovers by itself after a
server restart or a dropped network — the next poll simply succeeds.
"""

import functools
import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from reviews import services as review_services
from reviews.models import Report, ReportStage, ScreenMode, Session
from reviews.scope import get_visible_or_404

from . import selectors, services, tally
from .documents import qr_svg
from .models import Ballot, Scheme, ScoringStatus

RANKING_CACHE_SECONDS = 30


def _session(request: HttpRequest, session_id: int) -> Session:
    return get_visible_or_404(
        Session.objects.select_related("host", "current_report__organisation"),
        request.user,
        "host",
        pk=session_id,
    )


def _timer(session: Session) -> dict | None:
    """What a timer needs: when the stage started and its limit, against the server's clock."""
    report = session.current_report
    if report is None or report.stage not in (ReportStage.REPORTING, ReportStage.QUESTIONING):
        return None
    minutes = session.report_minutes if report.stage == ReportStage.REPORTING else session.question_minutes
    return {
        "started_ms": int(report.stage_started_at.timestamp() * 1000),
        "limit_seconds": minutes * 60,
        "server_now_ms": int(timezone.now().timestamp() * 1000),
    }


def _room_context(session: Session) -> dict:
    reports = list(
        Report.objects.filter(session=session).select_related("organisation", "secretary").order_by("order")
    )
    upcoming = [r for r in reports if r.stage == ReportStage.PENDING]
    scheme = Scheme.objects.filter(session=session).first()
    rows = selectors.turnout(session) if scheme else []
    for row in rows:
        row["received"] = row["electronic"] + row["paper"] + row["paper_invalid"]
        row["total"] = row["issued"] + row["paper_issued"]
        row["percent"] = round(100 * row["received"] / row["total"]) if row["total"] else 0
    return {
        "session": session,
        "reports": reports,
        "current": session.current_report,
        "next_report": upcoming[0] if upcoming else None,
        "scheme": scheme,
        "turnout": rows,
        "timer": _timer(session),
    }


# ---------------------------------------------------------------------------------------------------
# Host console


@login_required
@require_GET
def console(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    context = _room_context(session) | {
        "screen_url": request.build_absolute_uri(reverse("room:screen", args=[session.screen_token])),
    }
    template = "scoring/room/_console_body.html" if request.htmx else "scoring/room/console.html"
    return render(request, template, context)


ACTIONS = {
    "questions": lambda actor, session, version, _: review_services.meeting_start_questions(
        actor=actor, session=session, version=version
    ),
    "end": lambda actor, session, version, _: review_services.meeting_end_report(
        actor=actor, session=session, version=version
    ),
    "next": lambda actor, session, version, _: review_services.meeting_next(
        actor=actor, session=session, version=version
    ),
    "show_order": lambda actor, session, version, _: review_services.meeting_show(
        actor=actor, session=session, mode=ScreenMode.ORDER, version=version
    ),
    "show_report": lambda actor, session, version, _: review_services.meeting_show(
        actor=actor, session=session, mode=ScreenMode.REPORT, version=version
    ),
    "blank": lambda actor, session, version, _: review_services.meeting_show(
        actor=actor, session=session, mode=ScreenMode.BLANK, version=version
    ),
    "open": lambda actor, session, version, _: services.scoring_open(actor=actor, session=session),
    "reveal_next": lambda actor, session, version, _: services.results_reveal(
        actor=actor, session=session, version=version
    ),
    "reveal_all": lambda actor, session, version, _: services.results_reveal(
        actor=actor, session=session, everything=True, version=version
    ),
    "rotate": lambda actor, session, version, _: review_services.screen_token_rotate(
        actor=actor, session=session
    ),
}


@login_required
@require_POST
def console_action(request: HttpRequest, session_id: int) -> HttpResponse:
    """Every console button posts here with the meeting version its page showed."""
    session = _session(request, session_id)
    action = request.POST.get("action", "")
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1  # a form without a version is stale by definition
    try:
        if action == "start":
            report = Report.objects.filter(session=session, pk=request.POST.get("report") or 0).first()
            if report is None:
                raise Http404
            review_services.meeting_start_report(
                actor=request.user, session=session, report=report, version=version
            )
        elif action == "close":
            if request.POST.get("confirm") != "yes":
                raise services.ScoringError(_("Tick the box to confirm that scoring should end."))
            services.scoring_close(actor=request.user, session=session)
        elif action in ACTIONS:
            ACTIONS[action](request.user, session, version, request.POST)
        else:
            raise Http404
    except (review_services.MeetingError, services.ScoringError) as error:
        messages.error(request, error.message)
    return redirect("room:console", session_id=session.pk)


# ---------------------------------------------------------------------------------------------------
# Big screen


def _screen_session(token: str) -> Session:
    session = (
        Session.objects.select_related("current_report__organisation", "current_report__secretary")
        .filter(screen_token=token)
        .first()
    )
    if session is None:
        raise Http404
    return session


@functools.lru_cache(maxsize=8)
def _entry_qr(url: str) -> str:
    return qr_svg(url)


def _ranking(session: Session, scheme: Scheme) -> list[dict]:
    """The revealed rows only, lowest rank first revealed; the tally is cached between polls."""
    ballots = Ballot.objects.filter(session=session).count()
    key = f"room-ranking:{session.pk}:{session.meeting_version}:{ballots}"
    rows = cache.get(key)
    if rows is None:
        computed = selectors.session_tally(session)
        reports = {selectors.report_key(r.pk): r for r in computed.reports}
        rows = [
            {
                "rank": result.rank,
                "organisation": reports[result.reporter].organisation.display_name,
                "secretary": str(reports[result.reporter].secretary or ""),
                "composite": tally.fmt(result.composite),
                "percent": float(result.composite or 0),
                "grade": result.grade.value if result.grade else "",
            }
            for result in computed.result.ranking
            if result.rank is not None
        ]
        cache.set(key, rows, RANKING_CACHE_SECONDS)
    shown = rows[len(rows) - session.revealed_rows :] if session.revealed_rows else []
    return shown


def _screen_context(session: Session) -> dict:
    context = _room_context(session)
    scheme = context["scheme"]
    revealing = (
        session.screen_mode == ScreenMode.RESULTS
        and scheme is not None
        and scheme.scoring_status == ScoringStatus.CLOSED
    )
    return context | {
        "ranking": _ranking(session, scheme) if revealing else [],
        "revealing": revealing,
        "qr": _entry_qr(f"{settings.SITE_URL}/vote/"),
        "vote_url": f"{settings.SITE_URL}/vote/",
    }


def _state_digest(context: dict) -> str:
    """What the screen shows, in short: an unchanged state is not re-sent (no flicker, no re-animation)."""
    session, scheme = context["session"], context["scheme"]
    state = (
        session.meeting_version,
        scheme.scoring_status if scheme else "",
        tuple((row["group"].pk, row["received"], row["total"]) for row in context["turnout"]),
        tuple((r.pk, r.stage, r.topic) for r in context["reports"]),
    )
    return hashlib.sha256(repr(state).encode()).hexdigest()[:16]


def _screen_frame(request: HttpRequest, token: str, template: str) -> HttpResponse:
    session = _screen_session(token)
    context = _screen_context(session)
    digest = _state_digest(context)
    if request.GET.get("v") == digest:
        return HttpResponse(status=204)  # htmx leaves the screen as it is
    return render(request, template, context | {"digest": digest})


@never_cache
@require_GET
def screen(request: HttpRequest, token: str) -> HttpResponse:
    return _screen_frame(request, token, "scoring/room/screen.html")


@never_cache
@require_GET
def screen_state(request: HttpRequest, token: str) -> HttpResponse:
    return _screen_frame(request, token, "scoring/room/_screen_frame.html")
