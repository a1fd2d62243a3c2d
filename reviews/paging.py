"""Pages of long lists whose count is already known, read without sorting every joined row.

A list page shows counts (by status, by source) that an aggregate query computes anyway, so the
paginator need not count again; and the page's rows are chosen by a narrow query (ids only, in the
list's order, with only the joins the order and the filters need) before their related rows are read
for those ids alone. At 450,000 items that keeps the sort from carrying every joined column.
"""

from __future__ import annotations

from django.db.models import QuerySet


def page_rows(items: QuerySet, start: int, stop: int) -> list:
    """items[start:stop] in one query: the ids chosen in a subquery, then the full rows for them."""
    if stop <= start:
        return []
    ids = items.select_related(None).values("pk")[start:stop]
    return list(items.filter(pk__in=ids))


class CountedList:
    """A queryset and its known count, for `django.core.paginator.Paginator` (no COUNT query)."""

    def __init__(self, items: QuerySet, total: int) -> None:
        self.items, self.total = items, total

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def bounds(self, index: slice) -> tuple[int, int]:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("A counted list is read a page (a slice) at a time.")
        return index.start or 0, min(index.stop if index.stop is not None else self.total, self.total)

    def __getitem__(self, index: slice) -> list:
        return page_rows(self.items, *self.bounds(index))
