"""Scoring-side aggregation for the cycle dashboard and an organisation's record across cycles.

The cycle dashboard is built to cost the same at a township and at a province (150,000 organisations,
1,500 sessions): a fixed number of queries whatever the size, the counting done by the database
(GROUP BY, conditional aggregates, JSON unnested in SQL), and only one page of each long list read.

- sessions: a summary per level (sessions, published, 好/较好/一般/差 of the published rankings), then one
  page of sessions with their turnout and published top three (three queries for the page);
- rectification: the total and the sectors in one GROUP BY, the roll-up per subtree one GROUP BY over the
  materialised path's prefix, one page of organisations ordered in SQL.

The ranking comes from the frozen ResultSnapshot (what was published), never from a fresh tally.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Substr
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from reviews.cycles.models import Cycle, Report, Session
from reviews.orgs import levels
from reviews.orgs.models import Organisation, Sector
from reviews.rectification import selectors as review_selectors
from reviews.scope import scope_root
from scoring import tally
from scoring.ballots.models import Ballot
from scoring.codes.models import Credential
from scoring.results.models import GRADE_COLUMNS, UNGRADED_COLUMN, ResultSnapshot
from scoring.schemes.models import GRADE_LABELS, EvaluatorGroup
from scoring.selectors import report_key

TOP = 3
PAGE_SIZE = 50


def level_of(host_depth: int) -> int:
    """The level (reviews.orgs.levels.Level) of a session by its host's depth in the tree."""
    return int(levels.level_of_depth(host_depth))


def _composite_text(value) -> str:
    if value is None:
        return "—"
    try:
        return tally.fmt(Decimal(str(value)))
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
        return int(key[1:]) if isinstance(key, str) and key.startswith("r") else None
    except ValueError:
        return None


def _int_or_none(value) -> int | None:
    try:
        return int(Decimal(str(value))) if value is not None else None
    except (InvalidOperation, ValueError):
        return None


@dataclass(frozen=True)
class PageOf:
    """Where one page sits in a long list (1-based `number`, clamped to the pages there are)."""

    number: int
    size: int
    count: int

    @classmethod
    def of(cls, requested: int, size: int, count: int) -> PageOf:
        pages = max(1, -(-count // size))
        return cls(number=min(max(requested, 1), pages), size=size, count=count)

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def previous(self) -> int:
        return self.number - 1

    @property
    def next(self) -> int:
        return self.number + 1

    @property
    def first_shown(self) -> int:
        return self.offset + 1 if self.count else 0

    @property
    def last_shown(self) -> int:
        return min(self.offset + self.size, self.count)


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


def _top(ranking: list[dict], top: int) -> list[dict]:
    """The first ``top`` ranks, with everyone sharing the last of them (1, 2, 2, 2 are a top three): the
    rule _published_tops applies in SQL, kept in Python for the organisation page and the tests."""
    ranked = [r for r in ranking if r.get("rank") is not None]
    return [r for r in ranked if r["rank"] <= top]


def results_url(session: Session) -> str:
    try:
        return reverse("scoring:results", args=[session.pk])
    except NoReverseMatch:
        return ""


def _count_of(queryset: QuerySet, by: str) -> Coalesce:
    """COUNT(*) of `queryset` rows whose `by` is the outer session (a correlated subquery)."""
    counted = (
        queryset.filter(**{by: OuterRef("pk")}).order_by().values(by).annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _sum_of(queryset: QuerySet, by: str, summed: str) -> Coalesce:
    total = queryset.filter(**{by: OuterRef("pk")}).order_by().values(by).annotate(n=Sum(summed)).values("n")
    return Coalesce(Subquery(total, output_field=IntegerField()), 0)


def search_sessions(sessions: QuerySet, text: str) -> QuerySet:
    """Sessions whose title or host's name contains `text` (all of them for blank text)."""
    text = (text or "").strip()
    if not text:
        return sessions
    return sessions.filter(
        Q(title__icontains=text) | Q(host__name__icontains=text) | Q(host__short_name__icontains=text)
    )


SESSION_ORDER = ("host__depth", "host__path", "date", "pk")


def session_rows(
    sessions: QuerySet, top: int = TOP, *, offset: int = 0, limit: int | None = None
) -> list[SessionRow]:
    """The sessions of the queryset from `offset` (at most `limit`), in tree order, with turnout and their
    published top `top`: three queries whatever the number of sessions, reporters or ballots."""
    sessions = (
        sessions.order_by(*SESSION_ORDER)
        .select_related("host")
        .annotate(
            n_reporters=_count_of(Report.objects.all(), "session"),
            n_codes=_count_of(Credential.objects.filter(revoked=False), "session"),
            n_paper=_sum_of(EvaluatorGroup.objects.all(), "scheme__session", "paper_issued"),
            n_received=_count_of(Ballot.objects.filter(invalid_reason=""), "session"),
            snapshot_id=F("result_snapshot__id"),
            quorum=F("result_snapshot__quorum_met"),  # stored at publish: no snapshot JSON read to sort
        )
    )
    sessions = list(sessions[offset : offset + limit] if limit is not None else sessions[offset:])
    if not sessions:
        return []
    tops = _published_tops([s.pk for s in sessions if s.snapshot_id is not None], top)
    wanted = {_report_id(key) for rows in tops.values() for key, *_rest in rows}
    wanted.discard(None)
    names = {
        pk: short or name
        for pk, name, short in Report.objects.filter(pk__in=wanted).values_list(
            "pk", "organisation__name", "organisation__short_name"
        )
    }
    return [
        SessionRow(
            session=session,
            level=level_of(session.host.depth),
            reporters=session.n_reporters,
            issued=session.n_codes + session.n_paper,
            received=session.n_received,
            published=session.snapshot_id is not None,
            top=[
                Ranked(
                    rank=_int_or_none(rank),
                    name=names.get(_report_id(key), key),
                    composite=_composite_text(composite),
                    grade=grade or "",
                    grade_label=_grade_label(grade),
                )
                for key, rank, composite, grade in tops.get(session.pk, [])
            ],
            quorum_met=session.quorum if session.snapshot_id is not None else None,
            results_url=results_url(session) if session.snapshot_id is not None else "",
        )
        for session in sessions
    ]


# The published snapshots' reporters, unnested by the database (json_each / jsonb_array_elements), so a
# province's 1,500 snapshots are counted without decoding one of them in Python.
_REPORTERS = {
    "sqlite": "JOIN json_each(s.data, '$.reporters') r",
    "postgresql": (
        "CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(s.data -> 'reporters') = 'array' "
        "THEN s.data -> 'reporters' ELSE '[]'::jsonb END) r(value)"
    ),
}
_RANKING = {
    "sqlite": "JOIN json_each(s.data, '$.ranking') k",
    "postgresql": (
        "CROSS JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof(s.data -> 'ranking') = 'array' "
        "THEN s.data -> 'ranking' ELSE '[]'::jsonb END) WITH ORDINALITY k(value, key)"
    ),
}


def _field(name: str) -> str:
    """A reporter's field as text (SQLite keeps JSON numbers as numbers, which the caller converts)."""
    if connection.vendor == "postgresql":
        return f"(r.value ->> '{name}')"
    return f"json_extract(r.value, '$.{name}')"


def _vendor(parts: dict[str, str]) -> str:
    try:
        return parts[connection.vendor]
    except KeyError:
        message = f"the dashboard's JSON queries need SQLite or PostgreSQL, not {connection.vendor}"
        raise NotImplementedError(message) from None


def _published_tops(session_ids: list[int], top: int) -> dict[int, list[tuple]]:
    """Session id → (reporter key, rank, composite, grade) of the ranks up to `top`, in ranking order
    (everyone sharing the last of them included: 1, 2, 2, 2 are a top three). One query."""
    if not session_ids:
        return {}
    rank = _field("rank")
    rank_number = f"CAST({rank} AS NUMERIC)" if connection.vendor == "postgresql" else rank
    marks = ", ".join(["%s"] * len(session_ids))
    # The few reporters ranked up to `top` first, then their place in the ranking: a join of every
    # reporter with every ranking entry would cost reporters² per session (100 villages: 10,000).
    materialized = "MATERIALIZED " if connection.vendor == "postgresql" else ""
    sql = (
        f"WITH t AS {materialized}(SELECT s.session_id, s.data, {_field('reporter')} AS reporter, "
        f"{rank} AS rank, {_field('composite')} AS composite, {_field('grade')} AS grade "
        f"FROM {ResultSnapshot._meta.db_table} s {_vendor(_REPORTERS)} "
        f"WHERE s.session_id IN ({marks}) AND {rank} IS NOT NULL AND {rank_number} <= %s) "
        f"SELECT t.session_id, t.reporter, t.rank, t.composite, t.grade FROM t "
        f"{_vendor(_RANKING).replace('s.data', 't.data')} WHERE k.value = t.reporter "
        "ORDER BY t.session_id, k.key"
    )
    result: dict[int, list[tuple]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*session_ids, top])
        for session_id, *row in cursor.fetchall():
            result.setdefault(session_id, []).append(tuple(row))
    return result


def by_level(rows: list[SessionRow]) -> list[Level]:
    """Sessions grouped by level (县级 / 乡镇级 / 村级 …) in the rows' order; levels without one left out."""
    grouped: dict[int, list[SessionRow]] = {}
    for row in rows:
        grouped.setdefault(row.level, []).append(row)
    return [
        Level(level=level, label=str(levels.Level(level).label), sessions=grouped[level])
        for level in sorted(grouped)
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


@dataclass(frozen=True)
class LevelSummary:
    """One level's sessions: how many, how many published, and the grades of the published rankings."""

    level: int
    label: str
    sessions: int
    published: int
    grades: GradeDistribution | None


def _published_grades(sessions: QuerySet) -> dict[int, tuple[int, int, Counter, int]]:
    """Host depth → (sessions, published sessions, reporters per grade, ungraded reporters): one GROUP BY
    host depth summing the figures stored with each snapshot at publish time (no JSON read)."""
    columns = [*GRADE_COLUMNS.values(), UNGRADED_COLUMN]
    sums = {column: Sum(f"result_snapshot__{column}") for column in columns}
    rows = (
        sessions.order_by()
        .values("host__depth")
        .annotate(n=Count("pk"), n_published=Count("result_snapshot"), **sums)
    )
    return {
        row["host__depth"]: (
            row["n"],
            row["n_published"],
            Counter({grade: row[column] or 0 for grade, column in GRADE_COLUMNS.items()}),
            row[UNGRADED_COLUMN] or 0,
        )
        for row in rows
    }


def level_summaries(sessions: QuerySet) -> list[LevelSummary]:
    """Per level (top down): sessions, published sessions, and 好/较好/一般/差 counts of the published
    rankings. One query whatever the number of sessions; levels without a session left out."""
    counts: Counter = Counter()
    published: Counter = Counter()
    grades: dict[int, Counter] = {}
    ungraded: Counter = Counter()
    for depth, (n, n_published, by_grade, n_ungraded) in _published_grades(sessions).items():
        level = level_of(depth)
        counts[level] += n
        published[level] += n_published
        grades.setdefault(level, Counter()).update(by_grade)
        ungraded[level] += n_ungraded
    result = []
    for level in sorted(counts):
        label = str(levels.Level(level).label)
        distribution = None
        if published[level]:
            by_grade = grades.get(level, Counter())
            graded = sum(by_grade[g] for g in tally.GRADES)
            distribution = GradeDistribution(
                level=level,
                label=label,
                sessions=published[level],
                graded=graded,
                ungraded=ungraded[level],
                bars=[
                    GradeBar(
                        grade=str(g),
                        label=str(GRADE_LABELS[g]),
                        count=by_grade[g],
                        width=round(by_grade[g] * 100 / graded) if graded else 0,
                    )
                    for g in tally.GRADES
                ],
            )
        result.append(
            LevelSummary(
                level=level,
                label=label,
                sessions=counts[level],
                published=published[level],
                grades=distribution,
            )
        )
    return result


def grade_distribution(summaries: list[LevelSummary]) -> list[GradeDistribution]:
    """好/较好/一般/差 counts of the published rankings, by level (from the summaries: no query)."""
    return [s.grades for s in summaries if s.grades is not None]


# ---------------------------------------------------------------------------------------------------
# Rectification, aggregated by the database


@dataclass(frozen=True)
class RectificationOverview:
    total: review_selectors.Completion
    sectors: list[review_selectors.Completion]
    subtrees: list[review_selectors.Completion] = field(default_factory=list)
    categories: list[dict] = field(default_factory=list)  # per problem category: organisations, items


def _sum_rows(rows: list[dict]) -> dict:
    keys = list(review_selectors._counts(datetime.date.min))
    return {k: sum(row[k] for row in rows) for k in keys}


def rectification_overview(
    items: QuerySet,
    today: datetime.date,
    label: str = "",
    *,
    roots: list[Organisation] | None = None,
    parent: Organisation | None = None,
) -> RectificationOverview:
    """The total, the sectors, the roll-up per subtree (each root, e.g. a province's counties, with
    everything under it, then the parent's own items when it has any) and the organisations and items
    per problem category (for the shared problems): one GROUP BY sector, path prefix and category, the
    prefix as long as the roots' paths (paths are fixed-width, "/00000001/00000005/"), so the items
    are read once."""
    roots = roots or []
    width = len(roots[0].path) if roots else 1
    # Per organisation and category first, then summed: cheaper than COUNT(DISTINCT organisation_id),
    # which sorts every group (0.18 s against 0.3 s at 45,000 items on PostgreSQL).
    groups = ["organisation__sector", "prefix", "category_id", "category__name", "category__order"]
    counts = list(review_selectors._counts(today))
    inner, params = (
        items.order_by()
        .annotate(prefix=Substr("organisation__path", 1, width))
        .values("organisation_id", *groups)
        .annotate(**review_selectors._counts(today))
        .query.sql_with_params()
    )
    quoted = ", ".join(f'"{name}"' for name in groups)
    sums = ", ".join(f'SUM("{name}")' for name in counts)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quoted}, {sums}, COUNT(*) FROM ({inner}) AS per_organisation GROUP BY {quoted}", params
        )
        rows = [
            dict(
                zip(
                    [*groups, *counts, "n_organisations"], [*row[:5], *(int(n) for n in row[5:])], strict=True
                )
            )
            for row in cursor.fetchall()
        ]
    by_sector: dict[str, list[dict]] = {}
    by_prefix: dict[str, list[dict]] = {}
    by_category: dict[int, list[dict]] = {}
    for row in rows:
        by_sector.setdefault(row["organisation__sector"], []).append(row)
        by_prefix.setdefault(row["prefix"], []).append(row)
        if row["category_id"] is not None:
            by_category.setdefault(row["category_id"], []).append(row)
    order = {value: i for i, value in enumerate(Sector.values)}
    sectors = sorted(
        (
            review_selectors._completion(
                _sum_rows(group), key=sector, label=review_selectors.sector_label(sector), sector=sector
            )
            for sector, group in by_sector.items()
        ),
        key=lambda r: order.get(r.key, len(order)),
    )
    subtrees = []
    for root in roots:
        group = by_prefix.get(root.path)
        completion = (
            review_selectors._completion(_sum_rows(group)) if group else review_selectors.Completion()
        )
        subtrees.append(replace(completion, key=root.pk, label=root.name, path=root.path))
    if roots and parent is not None and (own := by_prefix.get(parent.path)):
        subtrees.append(
            review_selectors._completion(
                _sum_rows(own),
                key=parent.pk,
                label=_("%(name)s itself") % {"name": parent.name},
                path=parent.path,
            )
        )
    # An organisation has one sector and one prefix, so its distinct count adds up across them (not
    # across categories: the number of organisations with items comes with the organisation page).
    categories = [
        {
            "category_id": category_id,
            "category__name": group[0]["category__name"],
            "category__order": group[0]["category__order"],
            "n_organisations": sum(row["n_organisations"] for row in group),
            "n_items": sum(row["n_items"] for row in group),
        }
        for category_id, group in by_category.items()
    ]
    return RectificationOverview(
        total=review_selectors.total_of(sectors, label=label),
        sectors=sectors,
        subtrees=subtrees,
        categories=categories,
    )


def completion_by_subtree(
    items: QuerySet,
    roots: list[Organisation],
    today: datetime.date,
    *,
    parent: Organisation | None = None,
) -> list[review_selectors.Completion]:
    """Each root with everything under it, and the parent's own items (see rectification_overview)."""
    return rectification_overview(items, today, roots=roots, parent=parent).subtrees


def search_organisations(items: QuerySet, text: str) -> QuerySet:
    text = (text or "").strip()
    if not text:
        return items
    return items.filter(Q(organisation__name__icontains=text) | Q(organisation__short_name__icontains=text))


def _organisation_values(items: QuerySet, today: datetime.date) -> QuerySet:
    return (
        items.order_by()
        .values("organisation_id", "organisation__name", "organisation__path", "organisation__sector")
        .annotate(**review_selectors._counts(today))
        .annotate(rate=Cast("n_verified", FloatField()) / Cast("n_items", FloatField()))
        .order_by("-n_overdue", "rate", "organisation__path")
    )


def _organisation_completion(row: dict) -> review_selectors.Completion:
    return review_selectors._completion(
        row,
        key=row["organisation_id"],
        label=row["organisation__name"],
        path=row["organisation__path"],
        sector=row["organisation__sector"],
    )


def completion_by_organisation(
    items: QuerySet, today: datetime.date, *, offset: int = 0, limit: int = PAGE_SIZE
) -> list[review_selectors.Completion]:
    """One page of organisation rows (one query), ordered as reviews.rectification.selectors orders them
    all: overdue ones first (most overdue items first), then the lowest completion rate, then tree order.
    The rate is compared as a float: two different fractions of at most a few thousand items never
    round to the same double, equal ones always do."""
    rows = _organisation_values(items, today)[offset : offset + limit]
    return [_organisation_completion(row) for row in rows]


def iter_organisation_completion(
    items: QuerySet, today: datetime.date, chunk_size: int = 2000
) -> Iterator[review_selectors.Completion]:
    """Every organisation row in the same order, streamed (a server-side cursor on PostgreSQL)."""
    for row in _organisation_values(items, today).iterator(chunk_size=chunk_size):
        yield _organisation_completion(row)


def organisation_page(
    items: QuerySet, today: datetime.date, number: int, size: int = PAGE_SIZE
) -> tuple[list[review_selectors.Completion], PageOf]:
    """One page of organisation rows and where it sits: one query (the number of organisations with
    items is counted by a window over the groups); a page past the end falls back to the last page."""
    number = max(number, 1)
    rows = list(
        _organisation_values(items, today).annotate(n_rows=Window(Count("*")))[
            (number - 1) * size : number * size
        ]
    )
    if rows:
        return [_organisation_completion(row) for row in rows], PageOf.of(number, size, rows[0]["n_rows"])
    count = count_organisations(items)
    if not count or number == 1:
        return [], PageOf.of(1, size, count)
    page = PageOf.of(number, size, count)
    return completion_by_organisation(items, today, offset=page.offset, limit=size), page


def count_organisations(items: QuerySet) -> int:
    return items.order_by().values("organisation_id").distinct().count()


def shared_problems(
    items: QuerySet,
    min_organisations: int = review_selectors.SHARED_PROBLEM_MIN_ORGANISATIONS,
    names: int = review_selectors.SHARED_PROBLEM_NAMES,
    *,
    categories: list[dict] | None = None,
) -> list[review_selectors.SharedProblem]:
    """As reviews.rectification.selectors.shared_problems, but the few names per category are found by
    walking the tree in path order, not by reading every (category, organisation) pair. `categories`:
    the counts per category already read (RectificationOverview.categories), else one more query."""
    if categories is None:
        categories = list(
            items.filter(category__isnull=False)
            .order_by()
            .values("category_id", "category__name", "category__order")
            .annotate(n_organisations=Count("organisation_id", distinct=True), n_items=Count("id"))
        )
    heads = [c for c in categories if c["n_organisations"] >= max(1, min_organisations)]
    if not heads:
        return []
    heads.sort(
        key=lambda h: (-h["n_organisations"], -h["n_items"], h["category__order"], h["category__name"])
    )
    listed: dict[int, list[str]] = {}
    # The first `names` organisations in tree order with an item of each category: walking the path
    # index and stopping early, one limited subquery per category joined by UNION ALL (one query).
    per_category = [
        Organisation.objects.filter(
            Exists(items.filter(organisation=OuterRef("pk"), category_id=head["category_id"]).order_by())
        )
        .annotate(category=Value(head["category_id"], output_field=IntegerField()))
        .order_by("path")
        .values_list("category", "name")[:names]
        for head in heads
    ]
    arms, params = [], []
    for queryset in per_category:
        sql, arm_params = queryset.query.sql_with_params()
        arms.append(f"SELECT * FROM ({sql}) AS arm{len(arms)}")
        params += arm_params
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(arms), params)
        for category_id, name in cursor.fetchall():
            listed.setdefault(category_id, []).append(name)
    return [
        review_selectors.SharedProblem(
            category_id=h["category_id"],
            category=h["category__name"],
            organisations=h["n_organisations"],
            items=h["n_items"],
            organisation_names=listed.get(h["category_id"], []),
        )
        for h in heads
    ]


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


def subtree_roots(user) -> tuple[Organisation | None, list[Organisation]]:
    """The organisation the dashboard is about and the roots of its subtrees (its children)."""
    root = scope_root(user)
    if root is None:
        tops = list(Organisation.objects.filter(parent__isnull=True).order_by("path"))
        if len(tops) != 1:
            return None, tops
        root = tops[0]
    if root.pk is None:  # staff without a scope see nothing
        return None, []
    return root, list(Organisation.objects.filter(parent=root).order_by("path"))
