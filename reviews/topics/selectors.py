"""Reads of the call for topics: counters and the per-organisation board."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum

from reviews.cycles.models import (
    Report,
    Session,
)
from reviews.scope import restrict
from reviews.topics.models import TopicCategory, TopicSuggestion

# ---------------------------------------------------------------------------------------------------
# Reads: the counters and the per-organisation board of the staff page


@dataclass(frozen=True)
class TopicCounts:
    """What the collection reached: sessions, organisations covered, people consulted, suggestions."""

    suggestions: int = 0  # 收集建议 (merged ones counted once, in their target)
    people: int = 0  # 征求意见人次: everyone who raised a suggestion, Σ supporters
    organisations: int = 0  # 覆盖党组织: reporters with at least one suggestion
    sessions: int = 0  # 召开点题述职: sessions with at least one suggestion


def _counts(suggestions: QuerySet) -> TopicCounts:
    row = suggestions.filter(merged_into__isnull=True).aggregate(
        suggestions=Count("id"),
        people=Sum("supporters"),
        organisations=Count("organisation", distinct=True),
        sessions=Count("session", distinct=True),
    )
    return TopicCounts(**{key: value or 0 for key, value in row.items()})


def session_topic_counts(session: Session) -> TopicCounts:
    """One query."""
    return _counts(TopicSuggestion.objects.filter(session=session))


def cycle_topic_counts(cycle, user) -> TopicCounts:
    """Across the sessions of the cycle the user can see; one query."""
    sessions = restrict(Session.objects.filter(cycle=cycle), user, via="host")
    return _counts(TopicSuggestion.objects.filter(session__in=sessions.values("pk")))


@dataclass
class CategoryTally:
    category: TopicCategory | None  # None: not classified yet
    people: int
    suggestions: int
    share: float  # of the organisation's people


@dataclass
class OrganisationTopics:
    """One reporter's line on the staff page: its suggestions and how opinion gathers."""

    report: Report | None  # None: suggestions for the whole session
    suggestions: list[TopicSuggestion] = field(default_factory=list)
    categories: list[CategoryTally] = field(default_factory=list)

    @property
    def people(self) -> int:
        return sum(s.supporters for s in self.suggestions)

    @property
    def top(self) -> TopicSuggestion | None:
        return self.suggestions[0] if self.suggestions else None

    @property
    def concentration(self) -> float | None:
        """意见集中度: the share of people whose suggestion falls in the most-raised category."""
        classified = [c for c in self.categories if c.category is not None]
        return classified[0].share if classified else None

    @property
    def adopted_id(self) -> int | None:
        """The suggestion whose wording is the current topic, if any."""
        if self.report is None or not self.report.topic:
            return None
        return next((s.pk for s in self.suggestions if " ".join(s.text.split()) == self.report.topic), None)


def _rank_categories(suggestions: list[TopicSuggestion]) -> list[CategoryTally]:
    people: dict[int | None, int] = defaultdict(int)
    counts: dict[int | None, int] = defaultdict(int)
    objects: dict[int | None, TopicCategory | None] = {None: None}
    for suggestion in suggestions:
        people[suggestion.category_id] += suggestion.supporters
        counts[suggestion.category_id] += 1
        objects[suggestion.category_id] = suggestion.category
    total = sum(people.values()) or 1

    def order(key):  # most people first; unclassified last; ties in the list's own order
        category = objects[key]
        return (key is None, -people[key], (category.order, category.name) if category else (0, ""))

    return [
        CategoryTally(
            category=objects[key], people=people[key], suggestions=counts[key], share=people[key] / total
        )
        for key in sorted(people, key=order)
    ]


def session_topic_board(session: Session) -> list[OrganisationTopics]:
    """Every reporter in speaking order with its live suggestions (most raised first, the merged ones hung
    under their target), ranked categories; then the whole-session suggestions. Two queries.
    """
    reports = list(session.reports.select_related("organisation", "secretary").order_by("order"))
    rows = list(
        TopicSuggestion.objects.filter(session=session)
        .select_related("category")
        .order_by("-supporters", "created_at", "pk")
    )
    merged: dict[int, list[TopicSuggestion]] = defaultdict(list)
    live: dict[int | None, list[TopicSuggestion]] = defaultdict(list)
    for row in rows:
        if row.merged_into_id is not None:
            merged[row.merged_into_id].append(row)
        else:
            live[row.organisation_id].append(row)
    for row in rows:
        row.merged_list = merged.get(row.pk, [])
    board = []
    for report in reports:
        suggestions = live.get(report.organisation_id, [])
        board.append(OrganisationTopics(report, suggestions, _rank_categories(suggestions)))
    if live.get(None):
        board.append(OrganisationTopics(None, live[None], _rank_categories(live[None])))
    return board


def suggestions_of_session(session: Session, ids) -> QuerySet:
    """The given suggestion ids, kept to this session (what a staff form may act on)."""
    return TopicSuggestion.objects.filter(Q(session=session), pk__in=ids)
