"""The meeting room: the host console (/manage/meeting/<id>/) and the big screen (/screen/<token>/).

Console — staff only, scoped like every /manage/ page. Each button is a plain POST form calling one
service with the ``meeting_version`` the page was rendered with: when another console acted meanwhile the
service refuses ("stale") and the host sees its message and the fresh state, never a double action.
Without JavaScript a POST redirects back to the console; with htmx it answers with the fresh console body.
A small live partial (timer, turnout) is polled every 2 s; when the meeting changed under it (another
console, or scoring opened elsewhere) it answers with the whole fresh body instead.

Screen — no login: the unguessable token in the address is the key, and a rotated token is a 404. The
page polls its state partial every second.

Polling, not server-sent events: a poll is an ordinary short request, so it needs no long-lived worker per
projector under gunicorn's sync workers, passes every proxy of a county intranet, and recovers by itself
after a server restart or a dropped network (the next poll simply succeeds; screen.js shows a
"reconnecting" badge meanwhile). One request per second from one projector is nothing for the server:
the state endpoint issues a bounded number of small queries, and in results mode reads the ranking from
the cache.

The ranking never leaves the server before it is revealed: the state partial gets only the revealed rows
(counted from the last place up) and no score at all in any other mode.
"""

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import segno
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db.models import Count, OuterRef, Subquery, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from reviews.cycles.models import Report, ReportStage, ScreenMode, Session
from reviews.meeting import services as review_services
from reviews.scope import get_visible_or_404, staff_required
from scoring import selectors, tally
from scoring.ballots import services as ballots_services
from scoring.ballots.models import Ballot
from scoring.errors import ScoringError
from scoring.meeting import services as meeting_services
from scoring.preflight import services as preflight_services
from scoring.results.models import ComponentScore, ResultSnapshot
from scoring.results.rows import tie_texts
from scoring.schemes.models import GRADE_LABELS, Scheme, ScoringStatus

RANKING_CACHE_SECONDS = 600
WARN_SECONDS = 60  # the timer turns amber in the last minute
BAR_FULL_SCORE = 100
TWO_COLUMNS_FROM = 11  # more rows than this: the screen lists them in two columns

# ---------------------------------------------------------------------------------------------------
# Shared: the clock, the timer, turnout


def _iso(moment: datetime.datetime) -> str:
    """UTC, milliseconds, "Z": the one ISO form every browser's Date.parse reads (ES5 included)."""
    return moment.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _clock(seconds_left: int) -> str:
    """4:05 while time is left; +0:35 once it is over (overtime counts up)."""
    sign, seconds = ("+", -seconds_left) if seconds_left < 0 else ("", seconds_left)
    return f"{sign}{seconds // 60}:{seconds % 60:02d}"


@dataclass(frozen=True)
class Timer:
    """The current stage's clock; the browser recomputes it every 250 ms from `started` and `limit`."""

    started: str  # ISO
    limit: int  # seconds
    text: str
    state: str  # ok / warn / over


def _timer(session: Session, report: Report | None, now: datetime.datetime) -> Timer | None:
    limits = {
        ReportStage.REPORTING: session.report_minutes,
        ReportStage.QUESTIONING: session.question_minutes,
    }
    if report is None or report.stage not in limits or report.stage_started_at is None:
        return None
    limit = limits[report.stage] * 60
    left = limit - max(0, int((now - report.stage_started_at).total_seconds()))
    state = "over" if left < 0 else "warn" if left <= WARN_SECONDS else "ok"
    return Timer(started=_iso(report.stage_started_at), limit=limit, text=_clock(left), state=state)


@dataclass(frozen=True)
class TurnoutLine:
    """One evaluator group's codes and ballots (counts only, never scores)."""

    name: str
    issued: int  # codes not revoked + paper forms
    used: int
    electronic: int
    paper: int  # paper ballots counted
    paper_invalid: int  # 废票
    paper_waiting: int
    paper_mismatch: int

    @property
    def received(self) -> int:
        return self.electronic + self.paper + self.paper_invalid

    @property
    def bar(self) -> int:
        return min(100, round(self.received * 100 / self.issued)) if self.issued else 0


def _turnout(session: Session) -> list[TurnoutLine]:
    return [
        TurnoutLine(
            name=row["group"].name,
            issued=row["issued"] + row["paper_issued"],
            used=row["used"],
            electronic=row["electronic"],
            paper=row["paper"],
            paper_invalid=row["paper_invalid"],
            paper_waiting=row["paper_waiting"],
            paper_mismatch=row["paper_mismatch"],
        )
        for row in selectors.turnout(session)
    ]


@functools.lru_cache(maxsize=64)
def _qr_svg(url: str) -> str:
    # As scoring.documents.qr_svg, without importing the PDF stack into the meeting room's hot path.
    return segno.make(url, error="m").svg_inline(border=0, omitsize=True, svgclass="qr-code")


def _with_clock(response: HttpResponse) -> HttpResponse:
    """Every live answer carries the server's time: the browser's clock may be minutes off."""
    response["X-Server-Time"] = _iso(timezone.now())
    return response


def _scheme_of(session: Session) -> Scheme | None:
    return getattr(session, "scheme", None)  # select_related("scheme"); None when there is none


# ---------------------------------------------------------------------------------------------------
# The host console


def _session(request: HttpRequest, session_id: int) -> Session:
    return get_visible_or_404(
        Session.objects.select_related(
            "host", "cycle", "scheme", "current_report__organisation", "current_report__secretary"
        ),
        request.user,
        via="host",
        pk=session_id,
    )


def _state_key(session: Session) -> str:
    """Changes whenever the console body would: a meeting action, or scoring opened or closed."""
    scheme = _scheme_of(session)
    return f"{session.meeting_version}-{scheme.scoring_status if scheme else ''}"


def screen_url(session: Session) -> str:
    return settings.SITE_URL + reverse("screen:show", args=[session.screen_token])


def _live_context(session: Session, secretaries: dict[int, str] | None = None) -> dict:
    now = timezone.now()
    current = session.current_report
    if current is not None and secretaries is None:
        secretaries = selectors.secretary_names(session, [current])
    return {
        "session": session,
        "current": current,
        "current_secretary": secretaries.get(current.pk, "") if current else "",
        "timer": _timer(session, current, now),
        "turnout": _turnout(session) if _scheme_of(session) else [],
        "state_key": _state_key(session),
        "server_time": _iso(now),
    }


def _console_context(session: Session) -> dict:
    reports = selectors.session_reports(session)
    names = selectors.secretary_names(session, reports)
    for report in reports:
        report.secretary_name = names.get(report.pk, "")
    following = next((r for r in reports if r.stage == ReportStage.PENDING), None)
    current = session.current_report
    under_way = current is not None and current.stage in (ReportStage.REPORTING, ReportStage.QUESTIONING)
    scheme = _scheme_of(session)
    if scheme is not None:
        scheme.session = session
    restore = ScreenMode.REPORT if under_way else ScreenMode.ORDER
    address = screen_url(session)
    return _live_context(session, names) | {
        "scheme": scheme,
        "tab": "meeting",
        "reports": reports,
        "following": following,
        "under_way": under_way,
        "unrevealed": len(reports) - session.revealed_rows,
        "blank_toggle": restore if session.screen_mode == ScreenMode.BLANK else ScreenMode.BLANK,
        "screen_modes": [
            (ScreenMode.ORDER, _("Show the order")),
            (ScreenMode.REPORT, _("Show the current reporter")),
            (ScreenMode.BLANK, _("Blank the screen")),
        ],
        "screen_url": address,
        "screen_qr": _qr_svg(address),
    }


def _console_body(request: HttpRequest, session: Session, **headers: str) -> HttpResponse:
    context = _console_context(session) | {"show_messages": True}
    response = render(request, "scoring/meeting/_console_body.html", context)
    for name, value in headers.items():
        response[name] = value
    return _with_clock(response)


@staff_required
@require_GET
@never_cache
def console(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    return render(request, "scoring/meeting/console.html", _console_context(session))


@staff_required
@require_GET
@never_cache
def console_live(request: HttpRequest, session_id: int) -> HttpResponse:
    """The polled partial; the whole fresh body (retargeted) when the page's state key is out of date."""
    session = _session(request, session_id)
    if request.htmx and request.GET.get("key") != _state_key(session):
        return _console_body(request, session, **{"HX-Retarget": "#console-body", "HX-Reswap": "outerHTML"})
    return _with_clock(render(request, "scoring/meeting/_console_live.html", _live_context(session)))


def _version(request: HttpRequest) -> int:
    """The meeting_version the console page was rendered with; a missing one counts as stale."""
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return -1


def _act(
    request: HttpRequest, session: Session, action: Callable[[int], object], done: str = ""
) -> HttpResponse:
    """Run one console action; a refusal becomes a message; answer with the fresh console."""
    try:
        action(_version(request))
    except (review_services.MeetingError, ScoringError) as error:
        messages.error(request, error.message)
    except Scheme.DoesNotExist:
        messages.error(request, _("This session has no scoring scheme yet. Set one up first."))
    else:
        if done:
            messages.success(request, done)
    if request.htmx:
        return _console_body(request, _session(request, session.pk))  # the state after the action
    return redirect("meeting:console", session.pk)


@staff_required
@require_POST
def report_start(request: HttpRequest, session_id: int, report_id: int) -> HttpResponse:
    session = _session(request, session_id)
    report = get_object_or_404(Report, pk=report_id, session=session)
    return _act(
        request,
        session,
        lambda v: review_services.meeting_start_report(
            actor=request.user, session=session, report=report, version=v
        ),
    )


@staff_required
@require_POST
def questions_start(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    return _act(
        request,
        session,
        lambda v: review_services.meeting_start_questions(actor=request.user, session=session, version=v),
    )


@staff_required
@require_POST
def report_end(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    return _act(
        request,
        session,
        lambda v: review_services.meeting_end_report(actor=request.user, session=session, version=v),
    )


@staff_required
@require_POST
def next_reporter(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    return _act(
        request,
        session,
        lambda v: review_services.meeting_next(actor=request.user, session=session, version=v),
    )


@staff_required
@require_POST
def screen_show(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    mode = request.POST.get("mode", "")
    return _act(
        request,
        session,
        lambda v: review_services.meeting_show(actor=request.user, session=session, mode=mode, version=v),
    )


@staff_required
@require_POST
def screen_rotate(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)

    def rotate(version: int) -> None:
        # screen_token_rotate takes no version: refuse a stale page here, so two consoles do not rotate twice.
        if version != session.meeting_version:
            raise review_services.MeetingError(
                _("Another console changed the meeting meanwhile. Check the page and try again."),
                code="stale",
            )
        review_services.screen_token_rotate(actor=request.user, session=session)

    return _act(
        request,
        session,
        rotate,
        _("The big-screen address has changed: open the new address on the projector."),
    )


@staff_required
@require_POST
def scoring_open(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    return _act(
        request,
        session,
        lambda _v: ballots_services.scoring_open(actor=request.user, session=session),
        _("Scoring has started. The scoring scheme is now locked."),
    )


@staff_required
@require_POST
def scoring_close(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)

    def close(_version: int) -> None:
        if request.POST.get("confirm") != "yes":
            raise ScoringError(_("Tick the box to confirm that scoring should end."), code="confirm")
        ballots_services.scoring_close(actor=request.user, session=session)

    return _act(request, session, close, _("Scoring has ended. No more ballots are accepted."))


@staff_required
@require_POST
def reveal(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    everything = request.POST.get("everything") == "yes"
    return _act(
        request,
        session,
        lambda v: meeting_services.results_reveal(
            actor=request.user, session=session, everything=everything, version=v
        ),
    )


# ---------------------------------------------------------------------------------------------------
# The big screen


@dataclass(frozen=True)
class RankingRow:
    """One ranking line as the screen shows it; cached, so plain values only (the grade label is not)."""

    rank: int | None
    organisation: str
    secretary: str
    composite: str
    grade: str  # tally.Grade value, "" when there is none
    bar: int  # percent of the full score
    reporter: str = ""  # the tally's reporter key
    ties: tuple[tally.TieNote, ...] = ()  # against neighbours with the same displayed score
    first_group: str = ""  # the first group's name, for the tie-break in words

    @property
    def grade_label(self) -> str:
        return str(GRADE_LABELS[tally.Grade(self.grade)]) if self.grade else ""

    def tie_texts(self, shown: set[str]) -> list[str]:
        """The tie notes against neighbours already revealed (a hidden row gives nothing away)."""
        return tie_texts(tuple(note for note in self.ties if note.other in shown), self.first_group)


def _screen_session(token: str) -> Session:
    session = (
        Session.objects.select_related(
            "host", "scheme", "current_report__organisation", "current_report__secretary"
        )
        .filter(screen_token=token)
        .first()
    )
    if session is None:
        raise Http404(_("Not found, or outside your scope."))
    return session


def _bar(composite: object) -> int:
    return 0 if composite is None else max(0, min(100, round(float(composite) * 100 / BAR_FULL_SCORE)))


def _first_group(scheme: Scheme) -> tuple[str, str]:
    """The first group's tally key and name ('' when the scheme has none)."""
    first = scheme.groups.order_by("order", "pk").first()
    return (selectors.group_key(first.pk), first.name) if first else ("", "")


def _rows_from_tally(session: Session) -> list[RankingRow]:
    data = selectors.session_tally(session)
    names = selectors.secretary_names(session, data.reports)
    groups = list(data.scheme.groups.all())
    first_key, first_name = (selectors.group_key(groups[0].pk), groups[0].name) if groups else ("", "")
    ties = tally.tie_notes(tally.ranked_lines(data.result.ranking, first_key)) if groups else {}
    rows = []
    for result in data.result.ranking:
        report = data.report_for(result.reporter)
        rows.append(
            RankingRow(
                rank=result.rank,
                organisation=report.organisation.display_name,
                secretary=names.get(report.pk, ""),
                composite=tally.fmt(result.composite_exact),
                grade=str(result.grade) if result.grade else "",
                bar=_bar(result.composite_exact),
                reporter=result.reporter,
                ties=ties.get(result.reporter, ()),
                first_group=first_name,
            )
        )
    return rows


def _rows_from_snapshot(session: Session, snapshot: ResultSnapshot) -> list[RankingRow]:
    """The frozen published results: what was announced stays what the screen shows."""
    reports = {selectors.report_key(r.pk): r for r in selectors.session_reports(session)}
    names = selectors.secretary_names(session, list(reports.values()))
    results = {entry["reporter"]: entry for entry in snapshot.data["reporters"]}
    first_key, first_name = _first_group(session.scheme)
    ties = tally.tie_notes([_snapshot_line(results[key], first_key) for key in snapshot.data["ranking"]])
    rows = []
    for key in snapshot.data["ranking"]:
        entry, report = results[key], reports.get(key)
        composite = None if entry["composite"] is None else Decimal(entry["composite"])
        rows.append(
            RankingRow(
                rank=entry["rank"],
                organisation=report.organisation.display_name if report else "",
                secretary=names.get(report.pk, "") if report else "",
                composite=tally.fmt(composite),
                grade=entry["grade"] or "",
                bar=_bar(composite),
                reporter=key,
                ties=ties.get(key, ()),
                first_group=first_name,
            )
        )
    return rows


def _snapshot_line(entry: dict, first_key: str) -> tally.RankedLine:
    """The tie-break inputs of one published reporter (the snapshot keeps 28 significant digits)."""
    first = entry["group_scores"].get(first_key, {})

    def exact(value: str | None) -> Fraction | None:
        return None if value is None else Fraction(Decimal(value))

    return tally.RankedLine(
        reporter=entry["reporter"],
        rank=entry["rank"],
        composite=exact(entry["composite"]),
        good_share=exact(entry.get("good_share")) or Fraction(0),
        first_group=exact(first.get("score")),
        first_group_visible=bool(first.get("breakdown_visible")),
    )


def _aggregate(queryset, group: str, expression) -> Subquery:
    """A scalar subquery: one aggregate over `queryset` (filtered to the outer session); None if empty."""
    return Subquery(queryset.order_by().values(group).annotate(value=expression).values("value")[:1])


def _ranking_key(session: Session) -> str:
    """What the ranking depends on, in one query: the snapshot, else the ballots, reporters, components.

    Not the meeting_version (every reveal bumps it, and the ranking does not depend on it); the sum of the
    component scores too, so an edited daily-assessment score is not hidden behind an unchanged count.
    """
    outer = OuterRef("pk")
    scores = ComponentScore.objects.filter(report__session=outer)
    stats = (
        Session.objects.filter(pk=session.pk)
        .annotate(
            snapshot_id=Subquery(ResultSnapshot.objects.filter(session=outer).values("pk")[:1]),
            n_ballots=_aggregate(Ballot.objects.filter(session=outer), "session", Count("pk")),
            n_reporters=_aggregate(Report.objects.filter(session=outer), "session", Count("pk")),
            n_components=_aggregate(scores, "report__session", Count("pk")),
            component_sum=_aggregate(scores, "report__session", Sum("value")),
        )
        .values("snapshot_id", "n_ballots", "n_reporters", "n_components", "component_sum")
        .get()
    )
    if stats["snapshot_id"]:
        return f"screen-ranking:{session.pk}:{session.screen_token}:snapshot:{stats['snapshot_id']}"
    return (
        f"screen-ranking:{session.pk}:{session.screen_token}:{stats['n_ballots']}:{stats['n_reporters']}"
        f":{stats['n_components']}:{stats['component_sum']}"
    )


def _ranking(session: Session) -> list[RankingRow]:
    """Every ranking row, best first (cached: a poll every second must not re-tally 72,000 marks)."""
    key = _ranking_key(session)
    rows = cache.get(key)
    if rows is None:
        snapshot = ResultSnapshot.objects.filter(session=session).first() if ":snapshot:" in key else None
        rows = _rows_from_snapshot(session, snapshot) if snapshot else _rows_from_tally(session)
        cache.set(key, rows, RANKING_CACHE_SECONDS)
    return rows


def _columns(count: int) -> dict:
    """Long lists go in two columns on the screen; `rows_per_column` sizes the rows to fit."""
    two = count >= TWO_COLUMNS_FROM
    return {"two_columns": two, "rows_per_column": max(1, (count + 1) // 2 if two else count)}


def _results_context(session: Session, scheme: Scheme | None) -> dict:
    if scheme is None or scheme.scoring_status != ScoringStatus.CLOSED or session.revealed_rows == 0:
        # Nothing revealed: not even the number of rows needs the tally.
        total = session.reports.count()
        return {"revealed": [], "hidden": range(total), "total": total} | _columns(total)
    rows = _ranking(session)
    shown = rows[len(rows) - min(session.revealed_rows, len(rows)) :]
    keys = {row.reporter for row in shown}
    shown = [(row, row.tie_texts(keys)) for row in shown]
    return {"revealed": shown, "hidden": range(len(rows) - len(shown)), "total": len(rows)} | _columns(
        len(rows)
    )


def _screen_context(session: Session) -> dict:
    mode = session.screen_mode
    context = {"session": session, "mode": mode}
    if mode == ScreenMode.BLANK:
        return context
    scheme = _scheme_of(session)
    if mode == ScreenMode.RESULTS:
        return context | _results_context(session, scheme)
    current = session.current_report
    context |= {
        "turnout": _turnout(session) if scheme else [],
        "scoring_open": scheme is not None and scheme.scoring_status == ScoringStatus.OPEN,
        "vote_url": settings.SITE_URL + reverse("vote:entry"),
    }
    if context["scoring_open"]:
        context["vote_qr"] = _qr_svg(context["vote_url"])
    if mode == ScreenMode.REPORT and current is not None:
        context |= {
            "current": current,
            "current_secretary": selectors.secretary_names(session, [current]).get(current.pk, ""),
            "timer": _timer(session, current, timezone.now()),
        }
        return context
    # The speaking order (also what "report" falls back to before anyone has spoken).
    reports = selectors.session_reports(session)
    names = selectors.secretary_names(session, reports)
    for report in reports:
        report.secretary_name = names.get(report.pk, "")
    context |= {
        "mode": ScreenMode.ORDER,
        "reports": reports,
        "following": next((r for r in reports if r.stage == ReportStage.PENDING), None),
    } | _columns(len(reports))
    return context


@require_GET
@never_cache
def screen(request: HttpRequest, token: str) -> HttpResponse:
    session = _screen_session(token)
    context = _screen_context(session) | {"server_time": _iso(timezone.now())}
    return render(request, "scoring/meeting/screen.html", context)


@require_GET
@never_cache
def screen_state(request: HttpRequest, token: str) -> HttpResponse:
    """The inner HTML of the screen, polled every second; the pre-flight check sees when it last asked."""
    session = _screen_session(token)
    preflight_services.screen_poll_record(session_id=session.pk)
    return _with_clock(render(request, "scoring/meeting/_screen_state.html", _screen_context(session)))
