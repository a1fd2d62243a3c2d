"""Rectification (整改) pages: the secretary's items, one item's record and steps, staff's list of a cycle,
the ledger, and the follow-up review (回头看).

Who may act is the services' business (reviews.rectification.services); the pages only show what the user
may do in the item's current state. An item the user may not read is a 404, as if it did not exist; a step
outside the user's role is a 403; a step the item's state refuses is a 409 with the service's message.
Every step posts to its own URL and redirects back (post-redirect-get), so a reload does not post twice.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reviews import uploads
from reviews.cycles.models import Cycle
from reviews.jobs.services import job_start
from reviews.paging import CountedList
from reviews.rectification import exports as exports_rectification
from reviews.rectification import jobs as jobs_rectification
from reviews.rectification import selectors as selectors_rectification
from reviews.rectification import services as services_rectification
from reviews.rectification.forms import (
    ExtendForm,
    FollowUpMarkForm,
    FollowUpStartForm,
    ItemFilterForm,
    ProgressForm,
    ReturnForm,
    SubmitForm,
    VerifyForm,
)
from reviews.rectification.models import (
    OWING_STATUSES,
    FollowUpOutcome,
    FollowUpReview,
    RectificationItem,
    RectificationStatus,
)
from reviews.rectification.services import RectificationError
from reviews.scope import get_visible_or_404, restrict, scope_root, visible_organisations

PER_PAGE = 50

# Error codes of RectificationError that mean "not in this state" (409), not "bad input" (400).
STATE_CODES = {"state", "no_progress", "returned", "not_in_review"}

# The forms of the item page, by the name of their step.
FORMS = {
    "progress": ProgressForm,
    "submit": SubmitForm,
    "verify": VerifyForm,
    "return": ReturnForm,
    "extend": ExtendForm,
}
RESPONSIBLE_STEPS = ("progress", "submit")
VERIFIER_STEPS = ("verify", "return", "extend")


def _staff_only(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise PermissionDenied(_("This page is for organisation-department staff."))


def _error_status(error: RectificationError) -> int:
    return 409 if error.code in STATE_CODES else 400


# ---------------------------------------------------------------------------------------------------
# The secretary's items


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    today = services_rectification.today()
    items = (
        services_rectification.secretary_items(request.user)
        .select_related("notice__session", "organisation", "category")
        .order_by("-notice__issued_on", "notice_id", "number")
    )
    notices: dict[int, dict] = {}
    for item in items:
        group = notices.setdefault(item.notice_id, {"notice": item.notice, "rows": []})
        group["rows"].append({"item": item, "overdue": item.is_overdue(today)})
    for group in notices.values():
        group["overdue"] = sum(1 for row in group["rows"] if row["overdue"])
    context = {
        "notices": list(notices.values()),
        "person": getattr(request.user, "person", None),
        "today": today,
    }
    return render(request, "reviews/rectification/mine.html", context)


# ---------------------------------------------------------------------------------------------------
# One item


def _item_or_404(request: HttpRequest, item_id: int) -> RectificationItem:
    item = (
        RectificationItem.objects.select_related(
            "notice__session__host",
            "notice__session__cycle",
            "organisation",
            "category",
            "responsible_person",
            "verified_by",
        )
        .filter(pk=item_id)
        .first()
    )
    if item is None or not services_rectification.can_read(request.user, item):
        raise Http404
    return item


def _allowed_steps(request: HttpRequest, item: RectificationItem) -> dict[str, bool]:
    """Which steps the user may take on the item now: the forms the page shows."""
    responsible = services_rectification.is_responsible(request.user, item)
    verifier = services_rectification.can_verify(request.user, item)
    status = item.status
    return {
        "progress": responsible and status in OWING_STATUSES,
        "submit": responsible and status == RectificationStatus.IN_PROGRESS,
        "verify": verifier and status == RectificationStatus.SUBMITTED,
        "return": verifier and status == RectificationStatus.SUBMITTED,
        "extend": verifier and status != RectificationStatus.VERIFIED,
        "responsible": responsible,
        "verifier": verifier,
    }


def _item_page(
    request: HttpRequest,
    item: RectificationItem,
    *,
    bound: tuple[str, object] | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    today = services_rectification.today()
    allowed = _allowed_steps(request, item)
    forms = {name: form_class(prefix=name) for name, form_class in FORMS.items() if allowed[name]}
    if bound is not None and bound[0] in forms:  # a step the state no longer offers shows only its error
        forms[bound[0]] = bound[1]
    events = list(item.events.select_related("actor").order_by("at", "pk"))
    for event in events:
        event.file_name = uploads.original_name(event.evidence) if event.evidence else ""
    context = {
        "item": item,
        "notice": item.notice,
        "session": item.notice.session,
        "overdue": item.is_overdue(today),
        "events": events,
        "forms": forms,
        "allowed": allowed,
        "errors": errors or [],
        "accept": uploads.ACCEPT,
        "today": today,
    }
    return render(request, "reviews/rectification/item.html", context, status=status)


@login_required
@require_GET
def item_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    return _item_page(request, _item_or_404(request, item_id))


def _form_errors(form) -> list[str]:
    return [str(message) for messages_ in form.errors.values() for message in messages_]


def _step(request: HttpRequest, item_id: int, step: str) -> HttpResponse:
    """Bind the step's form, call its service, redirect back; re-render the page with what went wrong."""
    item = _item_or_404(request, item_id)
    if step in RESPONSIBLE_STEPS and not services_rectification.is_responsible(request.user, item):
        raise PermissionDenied(_("Only the organisation's secretary or the person responsible can do this."))
    if step in VERIFIER_STEPS and not services_rectification.can_verify(request.user, item):
        raise PermissionDenied(_("Only staff of the committee that issued the notice can do this."))
    form = FORMS[step](request.POST, request.FILES, prefix=step)
    if not form.is_valid():
        return _item_page(request, item, bound=(step, form), errors=_form_errors(form), status=400)
    data = form.cleaned_data
    actor = request.user
    try:
        if step == "progress":
            services_rectification.item_progress(
                actor=actor, item=item, text=data["text"], evidence=data["evidence"] or None
            )
            done = _("Progress reported.")
        elif step == "submit":
            services_rectification.item_submit(
                actor=actor, item=item, text=data["text"], evidence=data["evidence"] or None
            )
            done = _("Submitted for verification.")
        elif step == "verify":
            services_rectification.item_verify(actor=actor, item=item, text=data["text"])
            done = _("The item is verified closed.")
        elif step == "return":
            services_rectification.item_return(actor=actor, item=item, reason=data["reason"])
            done = _("The item is returned to the organisation.")
        else:
            event = services_rectification.item_extend(
                actor=actor, item=item, new_deadline=data["new_deadline"], reason=data["reason"]
            )
            done = _("The deadline is now %(day)s.") % {"day": event.new_deadline.isoformat()}
    except RectificationError as error:
        item.refresh_from_db()
        form.add_error(None, error.message)
        return _item_page(
            request, item, bound=(step, form), errors=[error.message], status=_error_status(error)
        )
    messages.success(request, done)
    return redirect("rectification:item", item.pk)


@login_required
@require_POST
def item_progress(request: HttpRequest, item_id: int) -> HttpResponse:
    return _step(request, item_id, "progress")


@login_required
@require_POST
def item_submit(request: HttpRequest, item_id: int) -> HttpResponse:
    return _step(request, item_id, "submit")


@login_required
@require_POST
def item_verify(request: HttpRequest, item_id: int) -> HttpResponse:
    return _step(request, item_id, "verify")


@login_required
@require_POST
def item_return(request: HttpRequest, item_id: int) -> HttpResponse:
    return _step(request, item_id, "return")


@login_required
@require_POST
def item_extend(request: HttpRequest, item_id: int) -> HttpResponse:
    return _step(request, item_id, "extend")


@login_required
@require_GET
def evidence(request: HttpRequest, item_id: int, event_id: int) -> HttpResponse:
    item = _item_or_404(request, item_id)
    event = item.events.filter(pk=event_id).first()
    if event is None or not event.evidence:
        raise Http404
    return uploads.serve(event.evidence)


# ---------------------------------------------------------------------------------------------------
# Staff: a cycle's items and the ledger


def _filtered(request: HttpRequest, cycle: Cycle):
    """(the filter form, the cycle's items in scope without the status filter, today)."""
    return jobs_rectification.filtered(request.user, cycle, request.GET)


@login_required
@require_GET
def cycle_items(request: HttpRequest, cycle_id: int) -> HttpResponse:
    _staff_only(request)
    cycle = get_object_or_404(Cycle, pk=cycle_id)
    form, in_scope, today = _filtered(request, cycle)
    counts = selectors_rectification.item_counts(form.apply(in_scope, today, status=False), today)
    total, overdue = counts.of(form.value("status"))
    items = form.apply(in_scope, today).select_related("organisation", "notice__session", "category")
    ordered = selectors_rectification.OverdueFirst(items, today, total=total, overdue=overdue)
    page = Paginator(ordered, PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    secretaries = exports_rectification.secretary_names({item.organisation_id for item in rows}, today)
    query = form.query_string()
    context = {
        "cycle": cycle,
        "form": form,
        "page": page,
        "rows": [
            {
                "item": item,
                "overdue": item.is_overdue(today),
                "secretary": secretaries.get(item.organisation_id, ""),
            }
            for item in rows
        ],
        "statuses": [
            (value, label, counts.by_status.get(value, 0)) for value, label in RectificationStatus.choices
        ],
        "total": counts.total,
        "overdue_count": counts.overdue,
        "status": form.value("status"),
        "query": query,
        "query_without_status": _without(form, "status"),
        "ledger_url": reverse("rectification:ledger", args=[cycle.pk]) + (f"?{query}" if query else ""),
        "notices_url": reverse("rectification:notices_pdf", args=[cycle.pk]),
        "today": today,
    }
    return render(request, "reviews/rectification/cycle.html", context)


def _without(form: ItemFilterForm, name: str) -> str:
    return urlencode([(key, value) for key, value in parse_qsl(form.query_string()) if key != name])


@login_required
@require_POST
def ledger(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """The ledger of the filtered items, written by the job worker (the filters ride in the query string)."""
    _staff_only(request)
    cycle = get_object_or_404(Cycle, pk=cycle_id)
    job = job_start(
        kind=jobs_rectification.LEDGER,
        actor=request.user,
        organisation=_saved(scope_root(request.user)),
        params={"cycle": cycle.pk, "query": request.GET.urlencode()},
    )
    return redirect("jobs:detail", job.pk)


@login_required
@require_POST
def notices_pdf(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """Every notice in the user's scope as one PDF, drawn by the job worker."""
    _staff_only(request)
    cycle = get_object_or_404(Cycle, pk=cycle_id)
    notices = jobs_rectification.notices_in_scope(request.user, cycle)
    refusal = jobs_rectification.notices_refusal(notices.count())
    if refusal:
        messages.error(request, refusal)
        return redirect("rectification:cycle", cycle.pk)
    job = job_start(
        kind=jobs_rectification.NOTICES,
        actor=request.user,
        organisation=_saved(scope_root(request.user)),
        params={"cycle": cycle.pk},
    )
    return redirect("jobs:detail", job.pk)


def _saved(organisation):
    return organisation if organisation is not None and organisation.pk else None


# ---------------------------------------------------------------------------------------------------
# 回头看


@login_required
@require_http_methods(["GET", "POST"])
def follow_up_list(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    organisations = visible_organisations(request.user)
    if request.method == "POST":
        form = FollowUpStartForm(request.POST, organisations=organisations)
        if form.is_valid():
            try:
                review = services_rectification.follow_up_start(
                    actor=request.user,
                    cycle=form.cleaned_data["cycle"],
                    scope=form.cleaned_data["scope"],
                    title=form.cleaned_data["title"],
                )
            except RectificationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request, _("Follow-up review “%(title)s” started.") % {"title": review.title}
                )
                return redirect("rectification:follow_up", review.pk)
        status = 400
    else:
        form = FollowUpStartForm(organisations=organisations)
        status = 200
    reviews = (
        restrict(FollowUpReview.objects.all(), request.user, via="scope")
        .select_related("cycle", "scope")
        .annotate(
            held=Count("marks", filter=Q(marks__outcome=FollowUpOutcome.HELD)),
            relapsed=Count("marks", filter=Q(marks__outcome=FollowUpOutcome.RELAPSED)),
        )
        .order_by("-started_on", "-pk")
    )
    return render(
        request,
        "reviews/rectification/follow_up_list.html",
        {"reviews": reviews, "form": form},
        status=status,
    )


def _review_or_404(request: HttpRequest, review_id: int) -> FollowUpReview:
    _staff_only(request)
    return get_visible_or_404(
        FollowUpReview.objects.select_related("cycle", "scope"), request.user, via="scope", pk=review_id
    )


def _review_page(
    request: HttpRequest,
    review: FollowUpReview,
    *,
    bound: tuple[int, FollowUpMarkForm] | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    items = restrict(services_rectification.follow_up_items(review), request.user, via="organisation")
    total = items.count()
    ordered = items.select_related("organisation", "notice__session", "verified_by").order_by(
        "organisation__path", "notice_id", "number"
    )
    page = Paginator(CountedList(ordered, total), PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    marks = {
        mark.item_id: mark
        for mark in review.marks.filter(item__in=[item.pk for item in page.object_list]).select_related(
            "marked_by"
        )
    }
    outcomes = review.marks.aggregate(
        held=Count("pk", filter=Q(outcome=FollowUpOutcome.HELD)),
        relapsed=Count("pk", filter=Q(outcome=FollowUpOutcome.RELAPSED)),
    )
    rows = []
    for item in page.object_list:
        mark = marks.get(item.pk)
        if bound is not None and bound[0] == item.pk:
            form = bound[1]
        else:
            initial = {"outcome": mark.outcome, "note": mark.note} if mark else {}
            form = FollowUpMarkForm(prefix=f"item{item.pk}", initial=initial)
        rows.append({"item": item, "mark": mark, "form": form})
    held, relapsed = outcomes["held"], outcomes["relapsed"]
    context = {
        "review": review,
        "page": page,
        "rows": rows,
        "total": total,
        "held": held,
        "relapsed": relapsed,
        "unmarked": max(total - held - relapsed, 0),
        "errors": errors or [],
        "error_item": bound[0] if bound else None,
    }
    return render(request, "reviews/rectification/follow_up.html", context, status=status)


@login_required
@require_GET
def follow_up_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    return _review_page(request, _review_or_404(request, review_id))


@login_required
@require_POST
def follow_up_mark(request: HttpRequest, review_id: int, item_id: int) -> HttpResponse:
    review = _review_or_404(request, review_id)
    item = (
        restrict(RectificationItem.objects.all(), request.user, via="organisation").filter(pk=item_id).first()
    )
    if item is None:
        raise Http404
    form = FollowUpMarkForm(request.POST, prefix=f"item{item.pk}")
    if not form.is_valid():
        return _review_page(request, review, bound=(item.pk, form), errors=_form_errors(form), status=400)
    try:
        mark = services_rectification.follow_up_mark(
            actor=request.user,
            review=review,
            item=item,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
        )
    except RectificationError as error:
        form.add_error(None, error.message)
        return _review_page(
            request, review, bound=(item.pk, form), errors=[error.message], status=_error_status(error)
        )
    messages.success(
        request,
        _("%(item)s: marked “%(outcome)s”.") % {"item": item, "outcome": mark.get_outcome_display()},
    )
    return redirect(reverse("rectification:follow_up", args=[review.pk]) + f"#item-{item.pk}")
