"""Reads of the organisation tree that are more than a filter."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from reviews.orgs.models import Organisation

SEARCH_LIMIT = 20


@dataclass(frozen=True)
class Match:
    pk: int
    name: str
    code: str
    trail: str  # the ancestors' short names, from the top down ("第3县委 › 第2镇党委")


def organisation_search(organisations: QuerySet, text: str, limit: int = SEARCH_LIMIT) -> list[Match]:
    """At most `limit` organisations of `organisations` whose name, short name or code contains `text`;
    exact code or name first, then the higher levels, then the tree order (two queries)."""
    text = text.strip()
    if not text:
        return []
    exact = Q(code__iexact=text) | Q(name=text) | Q(short_name=text)
    found = list(
        organisations.filter(
            Q(name__icontains=text) | Q(short_name__icontains=text) | Q(code__icontains=text)
        )
        .annotate(inexact=Case(When(exact, then=Value(0)), default=Value(1), output_field=IntegerField()))
        .order_by("inexact", "depth", "path")
        .only("pk", "name", "code", "path", "depth")[:limit]
    )
    ancestors = {a for org in found for a in org.ancestor_ids()}
    names = {
        pk: short or name
        for pk, short, name in Organisation.objects.filter(pk__in=ancestors).values_list(
            "pk", "short_name", "name"
        )
    }
    return [
        Match(
            pk=org.pk,
            name=org.name,
            code=org.code,
            trail=" › ".join(names[a] for a in org.ancestor_ids() if a in names),
        )
        for org in found
    ]


def organisation_resolve(organisations: QuerySet, text: str) -> list[Organisation]:
    """What a typed text names exactly, without the list: its code (any case), else its full or short
    name. At most two, enough to tell one from several (one query)."""
    text = text.strip()
    if not text:
        return []
    by_code = list(organisations.filter(code__iexact=text)[:2])
    if by_code:
        return by_code
    return list(organisations.filter(Q(name=text) | Q(short_name=text)).order_by("path")[:2])
