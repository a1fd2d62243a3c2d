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
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from reviews.cycles.models import Cycle, Report, Session
from reviews.orgs import levels
from reviews.orgs.models import Organisation, Sector
from reviews.rectification import selectors as review_selectors
from reviews.rectification.models import CategoryTally, ProblemCategory, RectificationItem, RectificationTally
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
# Rectification, counted from the tallies


NOTHING = "-none-"  # a path no organisation has: staff without a scope see nothing (reviews.scope)


@dataclass(frozen=True)
class ItemScope:
    """The rectification items a dashboard counts: one cycle's, under the subtree `path` (None: all), of
    the organisations whose name contains `search`. Counts come from the tallies the database keeps
    (reviews.rectification.tally: a row per organisation, not per item), overdue and the item lists from
    the items themselves."""

    cycle_id: int
    path: str | None = None
    search: str = ""

    @classmethod
    def of(cls, cycle: Cycle, user) -> ItemScope:
        """What `user` may see of the cycle, as reviews.scope.restrict filters it."""
        if not user.is_authenticated:
            return cls(cycle.pk, NOTHING)
        root = scope_root(user)
        return cls(cycle.pk, root.path if root is not None else None)

    def searching(self, text: str) -> ItemScope:
        return replace(self, search=(text or "").strip())

    def _narrow(self, queryset: QuerySet, path: str, organisation: str) -> QuerySet:
        if self.path is not None:
            queryset = queryset.filter(**{f"{path}__subtree": self.path})
        if self.search:
            queryset = queryset.filter(
                Q(**{f"{organisation}__name__icontains": self.search})
                | Q(**{f"{organisation}__short_name__icontains": self.search})
            )
        return queryset

    def items(self) -> QuerySet:
        items = RectificationItem.objects.filter(cycle_id=self.cycle_id)
        return self._narrow(items, "organisation__path", "organisation")

    def tallies(self) -> QuerySet:
        """A row per organisation with items."""
        tallies = RectificationTally.objects.filter(cycle_id=self.cycle_id, items__gt=0)
        return self._narrow(tallies, "path", "organisation")

    def category_tallies(self) -> QuerySet:
        tallies = CategoryTally.objects.filter(cycle_id=self.cycle_id, items__gt=0)
        return self._narrow(tallies, "path", "organisation")


_COUNTS = ("items", "pending", "in_progress", "submitted", "returned", "verified")


@dataclass(frozen=True)
class RectificationOverview:
    total: review_selectors.Completion
    sectors: list[review_selectors.Completion]
    subtrees: list[review_selectors.Completion] = field(default_factory=list)
    categories: list[dict] = field(default_factory=list)  # per problem category: organisations, items
    organisations: int = 0  # with items in the scope


def _tallies_with_overdue(scope: ItemScope, today: datetime.date) -> tuple[str, list]:
    """FROM-clause SQL: the scope's tallies `t`, each with `od.n`, its organisation's overdue items
    (owing and past the deadline: read from the partial index of owing items), NULL when none."""
    tallies, tally_params = (
        scope.tallies()
        .order_by()
        .values("organisation_id", "path", "sector", *_COUNTS)
        .query.sql_with_params()
    )
    # The join to the tallies keeps the scope's organisations only; narrowing the items too (a join to
    # the organisations) pays below the root, where the scope is small, and costs 4 times the plain
    # index read at the root (0.2 s against 0.05 s at a province's 100,000 overdue items).
    below_root = scope.path is not None and scope.path.count("/") > 2
    overdue_items = scope.items() if below_root else RectificationItem.objects.filter(cycle_id=scope.cycle_id)
    overdue, overdue_params = (
        overdue_items.overdue(today)
        .order_by()
        .values("organisation_id")
        .annotate(n=Count("*"))  # not COUNT(id): the partial index answers alone
        .query.sql_with_params()
    )
    sql = f"({tallies}) AS t LEFT JOIN ({overdue}) AS od ON od.organisation_id = t.organisation_id"
    return sql, [*tally_params, *overdue_params]


# The names reviews.rectification.selectors gives the figures, in the order the SQL here selects them.
_FIGURES = list(review_selectors._counts(datetime.date.min))


def _completion(values: list, **fields) -> review_selectors.Completion:
    """A Completion from (items, pending, in_progress, submitted, returned, verified, overdue)."""
    row = dict(zip(_FIGURES, (int(v or 0) for v in values), strict=True))
    return review_selectors._completion(row, **fields)


def _summed(groups: list[list]) -> list[int]:
    return [sum(column) for column in zip(*groups, strict=True)] if groups else [0] * 7


def category_counts(scope: ItemScope) -> list[dict]:
    """Per problem category: the organisations with an item of it and its items (one query)."""
    # Grouped by the id alone, then joined to the few categories: a join first costs one lookup per
    # tally (420,000 at a province).
    grouped, params = (
        scope.category_tallies()
        .order_by()
        .values("category_id")
        .annotate(n_organisations=Count("*"), n_items=Sum("items"))
        .query.sql_with_params()
    )
    columns = ("category_id", "category__name", "category__order", "n_organisations", "n_items")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT g.category_id, c.name, c.{connection.ops.quote_name('order')}, g.n_organisations, "
            f"g.n_items FROM ({grouped}) AS g "
            f"JOIN {ProblemCategory._meta.db_table} c ON c.id = g.category_id",
            params,
        )
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def rectification_overview(
    scope: ItemScope,
    today: datetime.date,
    label: str = "",
    *,
    roots: list[Organisation] | None = None,
    parent: Organisation | None = None,
) -> RectificationOverview:
    """The total, the sectors, the roll-up per subtree (each root, e.g. a province's counties, with
    everything under it, then the parent's own items when it has any), the organisations with items and
    the counts per problem category: one GROUP BY sector and path prefix over the tallies (the prefix
    as long as the roots' paths: paths are fixed-width, "/00000001/00000005/"), one over the category
    tallies."""
    roots = roots or []
    width = len(roots[0].path) if roots else 1
    source, params = _tallies_with_overdue(scope, today)
    sums = ", ".join(f"SUM(t.{name})" for name in _COUNTS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.sector, SUBSTR(t.path, 1, %s) AS prefix, {sums}, SUM(COALESCE(od.n, 0)), COUNT(*) "
            f"FROM {source} GROUP BY t.sector, SUBSTR(t.path, 1, %s)",
            [width, *params, width],
        )
        rows = cursor.fetchall()
    by_sector: dict[str, list[list]] = {}
    by_prefix: dict[str, list[list]] = {}
    for sector, prefix, *figures, _organisations in rows:
        by_sector.setdefault(sector, []).append(figures)
        by_prefix.setdefault(prefix, []).append(figures)
    order = {value: i for i, value in enumerate(Sector.values)}
    sectors = sorted(
        (
            _completion(
                _summed(group), key=sector, label=review_selectors.sector_label(sector), sector=sector
            )
            for sector, group in by_sector.items()
        ),
        key=lambda r: order.get(r.key, len(order)),
    )
    subtrees = [
        _completion(_summed(by_prefix.get(root.path, [])), key=root.pk, label=root.name, path=root.path)
        for root in roots
    ]
    if roots and parent is not None and (own := by_prefix.get(parent.path)):
        subtrees.append(
            _completion(
                _summed(own),
                key=parent.pk,
                label=_("%(name)s itself") % {"name": parent.name},
                path=parent.path,
            )
        )
    return RectificationOverview(
        total=review_selectors.total_of(sectors, label=label),
        sectors=sectors,
        subtrees=subtrees,
        categories=category_counts(scope),
        organisations=sum(row[-1] for row in rows),
    )


def completion_by_subtree(
    scope: ItemScope,
    roots: list[Organisation],
    today: datetime.date,
    *,
    parent: Organisation | None = None,
) -> list[review_selectors.Completion]:
    """Each root with everything under it, and the parent's own items (see rectification_overview)."""
    return rectification_overview(scope, today, roots=roots, parent=parent).subtrees


def _organisations_sql(
    scope: ItemScope, today: datetime.date, limit: int | None = None, offset: int = 0
) -> tuple[str, list]:
    """The organisation rows in the dashboards' order: overdue ones first (most overdue items first),
    then the lowest completion rate, then tree order; the page first, then the names of its rows."""
    source, params = _tallies_with_overdue(scope, today)
    counts = ", ".join(f"t.{name}" for name in _COUNTS)
    page = ""
    if limit is not None:
        page = " LIMIT %s OFFSET %s"
        params = [*params, limit, offset]
    organisations = Organisation._meta.db_table
    sql = (
        "SELECT p.organisation_id, o.name, p.path, p.sector, "
        + ", ".join(f"p.{name}" for name in _COUNTS)
        + ", p.overdue FROM ("
        f"SELECT t.organisation_id, t.path, t.sector, {counts}, COALESCE(od.n, 0) AS overdue, "
        f"CAST(t.verified AS DOUBLE PRECISION) / t.items AS rate FROM {source} "
        f"ORDER BY overdue DESC, rate, t.path{page}) AS p "
        f"JOIN {organisations} o ON o.id = p.organisation_id ORDER BY p.overdue DESC, p.rate, p.path"
    )
    return sql, params


def _organisation_completion(row: tuple) -> review_selectors.Completion:
    organisation_id, name, path, sector, *figures = row
    return _completion(figures, key=organisation_id, label=name, path=path, sector=sector)


def completion_by_organisation(
    scope: ItemScope, today: datetime.date, *, offset: int = 0, limit: int = PAGE_SIZE
) -> list[review_selectors.Completion]:
    """One page of organisation rows (one query), ordered as reviews.rectification.selectors orders them
    all. The rate is compared as a float: two different fractions of at most a few thousand items never
    round to the same double, equal ones always do."""
    sql, params = _organisations_sql(scope, today, limit=limit, offset=offset)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [_organisation_completion(row) for row in cursor.fetchall()]


def iter_organisation_completion(
    scope: ItemScope, today: datetime.date, chunk_size: int = 2000
) -> Iterator[review_selectors.Completion]:
    """Every organisation row in the same order, streamed (a server-side cursor on PostgreSQL)."""
    sql, params = _organisations_sql(scope, today)
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk_size):
            for row in rows:
                yield _organisation_completion(row)


def organisation_page(
    scope: ItemScope, today: datetime.date, number: int, size: int = PAGE_SIZE, *, count: int | None = None
) -> tuple[list[review_selectors.Completion], PageOf]:
    """One page of organisation rows and where it sits; a page past the end falls back to the last
    page. `count`: the organisations with items when already known (the overview's), else counted."""
    if count is None:
        count = count_organisations(scope)
    page = PageOf.of(max(number, 1), size, count)
    if not count:
        return [], page
    return completion_by_organisation(scope, today, offset=page.offset, limit=size), page


def count_organisations(scope: ItemScope) -> int:
    return scope.tallies().count()


def shared_problems(
    scope: ItemScope,
    min_organisations: int = review_selectors.SHARED_PROBLEM_MIN_ORGANISATIONS,
    names: int = review_selectors.SHARED_PROBLEM_NAMES,
    *,
    categories: list[dict] | None = None,
) -> list[review_selectors.SharedProblem]:
    """As reviews.rectification.selectors.shared_problems, but counted from the category tallies, and
    the few names per category found by walking the tree in path order, not by reading every
    (category, organisation) pair. `categories`: the counts already read (the overview's), else one
    more query."""
    if categories is None:
        categories = category_counts(scope)
    items = scope.items()
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
            items=int(h["n_items"]),
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
