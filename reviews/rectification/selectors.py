"""Read-only rectification statistics for dashboards: a few aggregated queries, plain data out.

Every function takes a queryset of rectification items (already restricted to what the user may see, e.g.
``restrict(RectificationItem.objects.filter(cycle=cycle), user, via="organisation")``) and the day that
counts as today (``services_rectification.today()``, Asia/Shanghai). Overdue = still owed (待整改, 整改中,
退回) and past the deadline. Nothing here loops over organisations with a query per organisation.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from reviews.orgs.models import Organisation, Sector
from reviews.paging import CountedList, page_rows
from reviews.rectification.models import (
    OWING_STATUSES,
    FollowUpOutcome,
    RectificationItem,
    RectificationStatus,
)
from reviews.rectification.services import today as local_today

SHARED_PROBLEM_MIN_ORGANISATIONS = 3
SHARED_PROBLEM_NAMES = 5


def percent_text(rate: Fraction | None, places: int = 1) -> str:
    """2/3 → "66.7%" (half up); "—" when there is nothing to divide."""
    if rate is None:
        return "—"
    scaled = rate * 100 * 10**places
    whole, remainder = divmod(scaled.numerator, scaled.denominator)
    if 2 * remainder >= scaled.denominator:
        whole += 1
    integer, decimals = divmod(whole, 10**places)
    return f"{integer}.{decimals:0{places}d}%" if places else f"{integer}%"


def _bar(part: int, whole: int) -> int:
    """A bar's width in whole percent (0..100), never rounding a non-zero part away to nothing."""
    if not whole or not part:
        return 0
    return max(1, min(100, round(part * 100 / whole)))


@dataclass(frozen=True)
class Completion:
    """How far one organisation (or subtree, or sector, or everything) has got with its items."""

    key: object = None  # organisation id, subtree root id, sector value …
    label: str = ""
    items: int = 0
    pending: int = 0  # 待整改
    in_progress: int = 0  # 整改中
    submitted: int = 0  # 待销号
    returned: int = 0  # 退回
    verified: int = 0  # 已销号
    overdue: int = 0  # owed and past the deadline (a subset of pending + in progress + returned)
    path: str = ""  # the organisation's path, for organisation and subtree rows
    sector: str = ""

    @property
    def owing(self) -> int:
        """Still owed by the organisation: 待整改 + 整改中 + 退回."""
        return self.pending + self.in_progress + self.returned

    @property
    def rate(self) -> Fraction | None:
        """Completion rate = verified ÷ items (exact); None without items."""
        return Fraction(self.verified, self.items) if self.items else None

    @property
    def rate_text(self) -> str:
        return percent_text(self.rate)

    # Widths (in %) of a stacked bar: verified | awaiting verification | owed, on time | overdue.
    @property
    def bar_verified(self) -> int:
        return _bar(self.verified, self.items)

    @property
    def bar_submitted(self) -> int:
        return _bar(self.submitted, self.items)

    @property
    def bar_owing(self) -> int:
        return _bar(self.owing - self.overdue, self.items)

    @property
    def bar_overdue(self) -> int:
        return _bar(self.overdue, self.items)

    def __add__(self, other: Completion) -> Completion:
        return replace(
            self,
            items=self.items + other.items,
            pending=self.pending + other.pending,
            in_progress=self.in_progress + other.in_progress,
            submitted=self.submitted + other.submitted,
            returned=self.returned + other.returned,
            verified=self.verified + other.verified,
            overdue=self.overdue + other.overdue,
        )


def _counts(today: datetime.date) -> dict:
    def status(value: str) -> Count:
        return Count("id", filter=Q(status=value))

    return {
        "n_items": Count("id"),
        "n_pending": status(RectificationStatus.PENDING),
        "n_in_progress": status(RectificationStatus.IN_PROGRESS),
        "n_submitted": status(RectificationStatus.SUBMITTED),
        "n_returned": status(RectificationStatus.RETURNED),
        "n_verified": status(RectificationStatus.VERIFIED),
        "n_overdue": Count("id", filter=Q(status__in=OWING_STATUSES, deadline__lt=today)),
    }


def _completion(row: dict, **fields) -> Completion:
    return Completion(
        items=row["n_items"],
        pending=row["n_pending"],
        in_progress=row["n_in_progress"],
        submitted=row["n_submitted"],
        returned=row["n_returned"],
        verified=row["n_verified"],
        overdue=row["n_overdue"],
        **fields,
    )


def completion_total(items: QuerySet, today: datetime.date, label: str = "") -> Completion:
    """Everything in the queryset as one row (one query)."""
    return _completion(items.order_by().aggregate(**_counts(today)), label=label)


def total_of(rows: Iterable[Completion], label: str = "") -> Completion:
    """The sum of rows already read (no query): the dashboard's overall figure from its organisation rows."""
    total = Completion(label=label)
    for row in rows:
        total = total + row
    return total


def completion_by_organisation(items: QuerySet, today: datetime.date) -> list[Completion]:
    """One row per organisation with items (one query): overdue ones first (most overdue items first),
    then the lowest completion rate, then the tree order."""
    rows = (
        items.order_by()
        .values(
            "organisation_id",
            "organisation__name",
            "organisation__short_name",
            "organisation__path",
            "organisation__sector",
        )
        .annotate(**_counts(today))
    )
    result = [
        _completion(
            row,
            key=row["organisation_id"],
            label=row["organisation__name"],
            path=row["organisation__path"],
            sector=row["organisation__sector"],
        )
        for row in rows
    ]
    result.sort(key=lambda r: (-r.overdue, r.rate if r.rate is not None else 1, r.path))
    return result


def subtree_rollup(
    rows: Iterable[Completion], roots: Sequence[Organisation], *, parent: Organisation | None = None
) -> list[Completion]:
    """Organisation rows summed per subtree (no query): one row per root, in the order given, zero rows
    included; with `parent`, a last row for the parent's own items (本级) when it has any.
    Items of organisations under none of the roots (nor the parent itself) are left out."""
    by_path = {root.path: root for root in roots}
    sums = {root.pk: Completion(key=root.pk, label=root.name, path=root.path) for root in roots}
    own = Completion(
        key=parent.pk if parent else None,
        label=_("%(name)s itself") % {"name": parent.name} if parent else "",
        path=parent.path if parent else "",
    )
    separator = Organisation.PATH_SEPARATOR
    for row in rows:
        if parent is not None and row.path == parent.path:
            own = own + row
            continue
        # "/1/5/17/" → try "/1/", "/1/5/", "/1/5/17/": a root is one of the row's ancestors or itself.
        parts = row.path.strip(separator).split(separator)
        for depth in range(1, len(parts) + 1):
            root = by_path.get(separator + separator.join(parts[:depth]) + separator)
            if root is not None:
                sums[root.pk] = sums[root.pk] + row
                break
    result = [sums[root.pk] for root in roots]
    if parent is not None and own.items:
        result.append(own)
    return result


def completion_by_subtree(
    items: QuerySet,
    roots: Sequence[Organisation],
    today: datetime.date,
    *,
    parent: Organisation | None = None,
) -> list[Completion]:
    """Each root with everything under it aggregated (one query), e.g. each township of a county."""
    return subtree_rollup(completion_by_organisation(items, today), roots, parent=parent)


def sector_label(value: str) -> str:
    return str(Sector(value).label) if value in Sector.values else _("Sector not set")


def completion_by_sector(items: QuerySet, today: datetime.date) -> list[Completion]:
    """One row per sector (农村, 社区 …) of the organisations, in the sector choices' order (one query)."""
    rows = items.order_by().values("organisation__sector").annotate(**_counts(today))
    order = {value: i for i, value in enumerate(Sector.values)}
    result = [
        _completion(
            row,
            key=row["organisation__sector"],
            label=sector_label(row["organisation__sector"]),
            sector=row["organisation__sector"],
        )
        for row in rows
    ]
    result.sort(key=lambda r: order.get(r.key, len(order)))
    return result


@dataclass(frozen=True)
class OverdueItem:
    pk: int
    organisation_id: int
    organisation: str
    problem: str
    category: str
    status: str
    status_label: str
    deadline: datetime.date
    days_overdue: int


def overdue_items(items: QuerySet, today: datetime.date, limit: int = 50) -> list[OverdueItem]:
    """The overdue items, most overdue first (one query, at most `limit` rows)."""
    labels = dict(RectificationStatus.choices)
    rows = (
        items.overdue(today)
        .order_by("deadline", "organisation__path", "notice_id", "number")
        .values(
            "pk", "organisation_id", "organisation__name", "problem", "category__name", "status", "deadline"
        )[: max(0, limit)]
    )
    return [
        OverdueItem(
            pk=row["pk"],
            organisation_id=row["organisation_id"],
            organisation=row["organisation__name"],
            problem=row["problem"],
            category=row["category__name"] or "",
            status=row["status"],
            status_label=str(labels.get(row["status"], row["status"])),
            deadline=row["deadline"],
            days_overdue=(today - row["deadline"]).days,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class SharedProblem:
    """共性问题: one problem category raised in many organisations."""

    category_id: int
    category: str
    organisations: int
    items: int
    organisation_names: list[str] = field(default_factory=list)  # the first few, in tree order

    @property
    def more(self) -> int:
        return self.organisations - len(self.organisation_names)


def shared_problems(
    items: QuerySet,
    min_organisations: int = SHARED_PROBLEM_MIN_ORGANISATIONS,
    names: int = SHARED_PROBLEM_NAMES,
) -> list[SharedProblem]:
    """Problem categories raised in at least `min_organisations` organisations, most widespread first
    (two queries). Items without a category are not counted."""
    heads = list(
        items.filter(category__isnull=False)
        .order_by()
        .values("category_id", "category__name", "category__order")
        .annotate(n_organisations=Count("organisation_id", distinct=True), n_items=Count("id"))
        .filter(n_organisations__gte=max(1, min_organisations))
    )
    if not heads:
        return []
    heads.sort(
        key=lambda h: (-h["n_organisations"], -h["n_items"], h["category__order"], h["category__name"])
    )
    listed: dict[int, list[str]] = defaultdict(list)
    pairs = (
        items.filter(category_id__in=[h["category_id"] for h in heads])
        .order_by("category_id", "organisation__path")
        .values_list("category_id", "organisation__path", "organisation__name")
        .distinct()
    )
    for category_id, _path, name in pairs:
        if len(listed[category_id]) < names:
            listed[category_id].append(name)
    return [
        SharedProblem(
            category_id=h["category_id"],
            category=h["category__name"],
            organisations=h["n_organisations"],
            items=h["n_items"],
            organisation_names=listed[h["category_id"]],
        )
        for h in heads
    ]


@dataclass(frozen=True)
class RectificationRecord:
    """One organisation's rectification in one cycle."""

    cycle_id: int
    items: int = 0
    verified: int = 0
    overdue: int = 0
    relapsed: int = 0  # items marked 问题反弹 at a follow-up review (回头看)

    @property
    def rate(self) -> Fraction | None:
        return Fraction(self.verified, self.items) if self.items else None

    @property
    def rate_text(self) -> str:
        return percent_text(self.rate)


def organisation_record(
    organisation: Organisation, today: datetime.date | None = None
) -> dict[int, RectificationRecord]:
    """Cycle id → the organisation's items in that cycle: items, verified, overdue, relapsed (one query)."""
    if today is None:
        today = local_today()
    rows = (
        RectificationItem.objects.filter(organisation=organisation)
        .order_by()
        .values("cycle_id")
        .annotate(
            n_items=Count("id", distinct=True),
            n_verified=Count("id", filter=Q(status=RectificationStatus.VERIFIED), distinct=True),
            n_overdue=Count("id", filter=Q(status__in=OWING_STATUSES, deadline__lt=today), distinct=True),
            n_relapsed=Count(
                "id", filter=Q(follow_up_marks__outcome=FollowUpOutcome.RELAPSED), distinct=True
            ),
        )
    )
    return {
        row["cycle_id"]: RectificationRecord(
            cycle_id=row["cycle_id"],
            items=row["n_items"],
            verified=row["n_verified"],
            overdue=row["n_overdue"],
            relapsed=row["n_relapsed"],
        )
        for row in rows
    }


# ---------------------------------------------------------------------------------------------------
# The staff's list of a cycle's items, at province scale: counts in one query, a page in one or two.


@dataclass(frozen=True)
class ItemCounts:
    """The items of a filtered list by status, and how many of each are overdue (one query)."""

    by_status: dict[str, int]
    overdue_by_status: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def overdue(self) -> int:
        return sum(self.overdue_by_status.values())

    def of(self, status: str = "") -> tuple[int, int]:
        """(items, overdue items) with the status filter `status` ('' = every status)."""
        if not status:
            return self.total, self.overdue
        return self.by_status.get(status, 0), self.overdue_by_status.get(status, 0)


def item_counts(items: QuerySet, today: datetime.date) -> ItemCounts:
    aggregates = {}
    for value in RectificationStatus.values:
        aggregates[f"n_{value}"] = Count("id", filter=Q(status=value))
        if value in OWING_STATUSES:
            aggregates[f"o_{value}"] = Count("id", filter=Q(status=value, deadline__lt=today))
    row = items.order_by().aggregate(**aggregates)
    return ItemCounts(
        by_status={value: row[f"n_{value}"] for value in RectificationStatus.values},
        overdue_by_status={value: row[f"o_{value}"] for value in OWING_STATUSES},
    )


ITEM_ORDER = ("deadline", "organisation__path", "notice_id", "number")


class OverdueFirst(CountedList):
    """The items, overdue ones first, then by deadline, tree and notice: what `Paginator` needs (a known
    count and slicing), without sorting every item by a computed rank. Each part is read in the index's
    deadline order and only as far as the page: at most two queries a page, none for the count."""

    def __init__(self, items: QuerySet, today: datetime.date, *, total: int, overdue: int) -> None:
        super().__init__(items, total)
        self.overdue_part = items.overdue(today).order_by(*ITEM_ORDER)
        self.rest = items.not_overdue(today).order_by(*ITEM_ORDER)
        self.overdue_count = overdue

    def __getitem__(self, index: slice) -> list:
        start, stop = self.bounds(index)
        rows: list = []
        if start < self.overdue_count:
            rows += page_rows(self.overdue_part, start, min(stop, self.overdue_count))
        if stop > self.overdue_count:
            rows += page_rows(self.rest, max(0, start - self.overdue_count), stop - self.overdue_count)
        return rows
