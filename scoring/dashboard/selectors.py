"""Scoring-side aggregation for the cycle dashboard and an organisation's record across cycles.

Turnout and published rankings for every session of a cycle in a fixed number of queries (never one
query per session): the sessions with their reporter counts, codes issued, paper forms issued, ballots
received, the published snapshots, and the names of the few reporters shown. The ranking comes from the
frozen ResultSnapshot (what was published), never from a fresh tally.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.db.models import Count, QuerySet, Sum
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from reviews.cycles.models import Cycle, Report, Session
from reviews.orgs.models import Organisation
from reviews.rectification import selectors as review_selectors
from scoring import tally
from scoring.ballots.models import Ballot
from scoring.codes.models import Credential
from scoring.results.models import ResultSnapshot
from scoring.schemes.models import GRADE_LABELS, EvaluatorGroup
from scoring.selectors import report_key

COUNTY, TOWNSHIP, VILLAGE = 0, 1, 2
LEVEL_LABELS = {
    COUNTY: _("County level"),  # 县级
    TOWNSHIP: _("Township level"),  # 乡镇级
    VILLAGE: _("Village level and other"),  # 村级/其他
}
TOP = 3


def level_of(host_depth: int) -> int:
    """The level of a session by its host's depth in the tree: 0 county, 1 township, deeper village/other."""
    return min(max(host_depth, 0), VILLAGE)


def _composite_text(value: str | None) -> str:
    if value is None:
        return "—"
    try:
        return tally.fmt(Decimal(value))
    except InvalidOperation:
        return str(value)


def _grade_label(grade: str | None) -> str:
    if not grade:
        return ""
    try:
        return str(GRADE_LABELS[tally.Grade(grade)])
    except ValueError:
        return grade


def _report_id(key: str) -> int | None:
    """ "r17" → 17 (the reporter keys of a snapshot, see selectors.report_key)."""
    try:
        return int(key[1:]) if key.startswith("r") else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Ranked:
    """One row of a published ranking as the dashboard shows it."""

    rank: int | None
    name: str
    composite: str
    grade: str
    grade_label: str


@dataclass(frozen=True)
class SessionRow:
    session: Session
    level: int
    reporters: int
    issued: int  # codes not revoked + paper forms issued
    received: int  # valid ballots received, electronic and paper (as the host console counts them)
    published: bool
    top: list[Ranked] = field(default_factory=list)
    grade_counts: dict[str, int] = field(default_factory=dict)  # from the published snapshot
    ungraded: int = 0
    quorum_met: bool | None = None
    results_url: str = ""

    @property
    def share(self) -> Fraction | None:
        return Fraction(self.received, self.issued) if self.issued else None

    @property
    def share_text(self) -> str:
        return review_selectors.percent_text(self.share)

    @property
    def bar(self) -> int:
        return min(100, round((self.share or 0) * 100))


@dataclass(frozen=True)
class Level:
    level: int
    label: str
    sessions: list[SessionRow]


def _snapshot_reporters(data: dict) -> tuple[list[dict], dict[str, dict]]:
    """The snapshot's reporters in rank order, and all of them by key."""
    reporters = {r.get("reporter"): r for r in data.get("reporters", []) if isinstance(r, dict)}
    ranking = [reporters[key] for key in data.get("ranking", []) if key in reporters]
    return ranking, reporters


def results_url(session: Session) -> str:
    try:
        return reverse("scoring:results", args=[session.pk])
    except NoReverseMatch:
        return ""


def _top(ranking: list[dict], top: int) -> list[dict]:
    """The first ``top`` ranks, with everyone sharing the last of them (1, 2, 2, 2 are a top three)."""
    ranked = [r for r in ranking if r.get("rank") is not None]
    return [r for r in ranked if r["rank"] <= top]


def session_rows(sessions: QuerySet, top: int = TOP) -> list[SessionRow]:
    """Every session of the queryset with turnout and its published ranking: six queries whatever the
    number of sessions, reporters or ballots."""
    sessions = list(
        sessions.select_related("host")
        .annotate(n_reporters=Count("reports"))
        .order_by("host__depth", "host__path", "date", "pk")
    )
    if not sessions:
        return []
    ids = [s.pk for s in sessions]
    codes = dict(
        Credential.objects.filter(session_id__in=ids, revoked=False)
        .order_by()
        .values("session_id")
        .annotate(n=Count("id"))
        .values_list("session_id", "n")
    )
    paper = dict(
        EvaluatorGroup.objects.filter(scheme__session_id__in=ids)
        .order_by()
        .values("scheme__session_id")
        .annotate(n=Sum("paper_issued"))
        .values_list("scheme__session_id", "n")
    )
    received = dict(
        Ballot.objects.filter(session_id__in=ids, invalid_reason="")
        .order_by()
        .values("session_id")
        .annotate(n=Count("id"))
        .values_list("session_id", "n")
    )
    snapshots = dict(ResultSnapshot.objects.filter(session_id__in=ids).values_list("session_id", "data"))
    tops: dict[int, list[dict]] = {}
    wanted: set[int] = set()
    for session_id, data in snapshots.items():
        ranking, _all = _snapshot_reporters(data or {})
        tops[session_id] = _top(ranking, top)
        wanted.update(_report_id(r["reporter"]) for r in tops[session_id])
    wanted.discard(None)
    names = {
        pk: short or name
        for pk, name, short in Report.objects.filter(pk__in=wanted).values_list(
            "pk", "organisation__name", "organisation__short_name"
        )
    }
    rows = []
    for session in sessions:
        data = snapshots.get(session.pk)
        grade_counts: Counter = Counter()
        ungraded = 0
        if data is not None:
            for reporter in data.get("reporters", []):
                if reporter.get("grade"):
                    grade_counts[reporter["grade"]] += 1
                else:
                    ungraded += 1
        rows.append(
            SessionRow(
                session=session,
                level=level_of(session.host.depth),
                reporters=session.n_reporters,
                issued=codes.get(session.pk, 0) + (paper.get(session.pk) or 0),
                received=received.get(session.pk, 0),
                published=data is not None,
                top=[
                    Ranked(
                        rank=r.get("rank"),
                        name=names.get(_report_id(r["reporter"]), r["reporter"]),
                        composite=_composite_text(r.get("composite")),
                        grade=r.get("grade") or "",
                        grade_label=_grade_label(r.get("grade")),
                    )
                    for r in tops.get(session.pk, [])
                ],
                grade_counts=dict(grade_counts),
                ungraded=ungraded,
                quorum_met=data.get("quorum_met") if data is not None else None,
                results_url=results_url(session) if data is not None else "",
            )
        )
    return rows


def by_level(rows: list[SessionRow]) -> list[Level]:
    """Sessions grouped 县级 / 乡镇级 / 村级及其他, levels without a session left out."""
    return [
        Level(level=level, label=str(label), sessions=[r for r in rows if r.level == level])
        for level, label in LEVEL_LABELS.items()
        if any(r.level == level for r in rows)
    ]


@dataclass(frozen=True)
class GradeBar:
    grade: str
    label: str
    count: int
    width: int  # % of the level's graded reporters


@dataclass(frozen=True)
class GradeDistribution:
    level: int
    label: str
    sessions: int  # published sessions counted
    graded: int
    ungraded: int
    bars: list[GradeBar]

    def count(self, grade: str) -> int:
        return next((b.count for b in self.bars if b.grade == grade), 0)


def grade_distribution(rows: list[SessionRow]) -> list[GradeDistribution]:
    """好/较好/一般/差 counts of the published rankings, by level (no query: from the snapshots read)."""
    result = []
    for level, label in LEVEL_LABELS.items():
        published = [r for r in rows if r.level == level and r.published]
        if not published:
            continue
        counts: Counter = Counter()
        for row in published:
            counts.update(row.grade_counts)
        graded = sum(counts[g] for g in tally.GRADES)
        result.append(
            GradeDistribution(
                level=level,
                label=str(label),
                sessions=len(published),
                graded=graded,
                ungraded=sum(r.ungraded for r in published),
                bars=[
                    GradeBar(
                        grade=str(g),
                        label=str(GRADE_LABELS[g]),
                        count=counts[g],
                        width=round(counts[g] * 100 / graded) if graded else 0,
                    )
                    for g in tally.GRADES
                ],
            )
        )
    return result


# ---------------------------------------------------------------------------------------------------
# One organisation, year over year


@dataclass(frozen=True)
class ReportedIn:
    """The organisation's place in one session: its rank among the reporters, from the published snapshot."""

    session: Session
    published: bool
    rank: int | None
    reporters: int
    composite: str
    grade: str
    grade_label: str
    results_url: str = ""


@dataclass(frozen=True)
class Year:
    cycle: Cycle
    sessions: list[ReportedIn]
    record: review_selectors.RectificationRecord | None


def organisation_years(
    organisation: Organisation, today: datetime.date, *, may_open: Callable[[Session], bool] | None = None
) -> list[Year]:
    """For each cycle (latest first) the sessions where the organisation reported and its rectification
    record: four queries at most whatever the number of cycles. `may_open(session)` says whether to link
    the session's results page."""
    reports = list(
        Report.objects.filter(organisation=organisation)
        .select_related("session__cycle", "session__host")
        .annotate(n_reporters=Count("session__reports"))
        .order_by("session__date", "session_id")
    )
    snapshots = dict(
        ResultSnapshot.objects.filter(session_id__in=[r.session_id for r in reports]).values_list(
            "session_id", "data"
        )
    )
    records = review_selectors.organisation_record(organisation, today)
    cycles = {r.session.cycle_id: r.session.cycle for r in reports}
    missing = set(records) - set(cycles)
    if missing:
        cycles.update({c.pk: c for c in Cycle.objects.filter(pk__in=missing)})
    entries: dict[int, list[ReportedIn]] = {pk: [] for pk in cycles}
    for report in reports:
        data = snapshots.get(report.session_id)
        if data is None:
            entry = ReportedIn(
                session=report.session,
                published=False,
                rank=None,
                reporters=report.n_reporters,
                composite="—",
                grade="",
                grade_label="",
            )
        else:
            _ranking, reporters = _snapshot_reporters(data)
            mine = reporters.get(report_key(report.pk), {})
            entry = ReportedIn(
                session=report.session,
                published=True,
                rank=mine.get("rank"),
                reporters=len(reporters),
                composite=_composite_text(mine.get("composite")),
                grade=mine.get("grade") or "",
                grade_label=_grade_label(mine.get("grade")),
                results_url=results_url(report.session) if may_open and may_open(report.session) else "",
            )
        entries[report.session.cycle_id].append(entry)
    ordered = sorted(cycles.values(), key=lambda c: (-c.year, c.name))
    return [Year(cycle=c, sessions=entries[c.pk], record=records.get(c.pk)) for c in ordered]
