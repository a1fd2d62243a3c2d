"""The home page's work lists: a secretary's own tasks, a staff inbox (a bounded number of queries)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Max
from django.urls import reverse
from django.utils.translation import gettext as _

from reviews.cycles.models import SessionStatus
from reviews.drafts import services as drafts_services
from reviews.drafts.models import Draft, DraftStatus
from reviews.rectification import services as rectification_services
from reviews.rectification.models import OWING_STATUSES, RectificationItem, RectificationStatus
from reviews.scope import restrict

DRAFT_DAYS_BEFORE = 3  # as reviews.drafts.views.deadline_of
INBOX_LIMIT = 50


@dataclass(frozen=True)
class Task:
    """One line of work: what, for which organisation, by when, where to do it; urgent ones come first."""

    kind: str  # draft / item / verify / review
    title: str
    organisation: str
    state: str
    due: datetime.date | None
    url: str
    urgent: bool  # returned or overdue

    @property
    def sort_key(self) -> tuple:
        return (not self.urgent, self.due or datetime.date.max, self.title)


def _draft_tasks(user, today: datetime.date) -> list[Task]:
    reports = list(
        drafts_services.secretary_reports(user)
        .exclude(session__status__in=(SessionStatus.FINISHED, SessionStatus.PUBLISHED))
        .select_related("session", "organisation")
    )
    latest_ids = (
        Draft.objects.filter(report__in=[r.pk for r in reports])
        .values("report_id")
        .annotate(latest=Max("pk"))
        .values_list("latest", flat=True)
    )
    latest = {d.report_id: d for d in Draft.objects.filter(pk__in=list(latest_ids))}
    tasks = []
    for report in reports:
        draft = latest.get(report.pk)
        status = draft.status if draft else DraftStatus.WRITING
        if status in (DraftStatus.IN_REVIEW, DraftStatus.APPROVED):
            continue
        due = report.session.date - datetime.timedelta(days=DRAFT_DAYS_BEFORE)
        returned = status == DraftStatus.RETURNED
        tasks.append(
            Task(
                kind="draft",
                title=_("Report draft for %(session)s") % {"session": report.session.title},
                organisation=report.organisation.name,
                state=_("Returned for changes") if returned else _("Draft due"),
                due=due,
                url=reverse("drafts:edit", args=[report.pk]),
                urgent=returned or due < today,
            )
        )
    return tasks


def _item_tasks(user, today: datetime.date) -> list[Task]:
    items = (
        rectification_services.secretary_items(user)
        .filter(status__in=OWING_STATUSES)
        .select_related("organisation")
        .order_by("deadline", "pk")[:INBOX_LIMIT]
    )
    return [
        Task(
            kind="item",
            title=item.problem,
            organisation=item.organisation.name,
            state=item.get_status_display(),
            due=item.deadline,
            url=reverse("rectification:item", args=[item.pk]),
            urgent=item.status == RectificationStatus.RETURNED or item.is_overdue(today),
        )
        for item in items
    ]


def secretary_tasks(user, today: datetime.date) -> list[Task]:
    """A secretary's own work: drafts to write or rework, rectification items owed; urgent first."""
    return sorted(_draft_tasks(user, today) + _item_tasks(user, today), key=lambda task: task.sort_key)


def staff_inbox(user, today: datetime.date) -> list[Task]:
    """What waits on staff: items 待销号 in their subtree, drafts at a review step they sit on."""
    items = (
        restrict(RectificationItem.objects.all(), user, via="organisation")
        .filter(status=RectificationStatus.SUBMITTED)
        .select_related("organisation")
        .order_by("status_changed_at", "pk")[:INBOX_LIMIT]
    )
    drafts = (
        Draft.objects.filter(status=DraftStatus.IN_REVIEW, current_step__reviewers=user)
        .select_related("report__organisation", "report__session", "current_step")
        .order_by("submitted_at", "pk")[:INBOX_LIMIT]
    )
    tasks = [
        Task(
            kind="verify",
            title=item.problem,
            organisation=item.organisation.name,
            state=_("Awaiting verification"),
            due=item.deadline,
            url=reverse("rectification:item", args=[item.pk]),
            urgent=item.deadline < today,
        )
        for item in items
    ]
    tasks += [
        Task(
            kind="review",
            title=_("Report draft for %(session)s") % {"session": draft.report.session.title},
            organisation=draft.report.organisation.name,
            state=_("Awaiting your review (%(step)s)") % {"step": draft.current_step.title},
            due=None,
            url=reverse("drafts:review", args=[draft.pk]),
            urgent=False,
        )
        for draft in drafts
    ]
    return tasks
