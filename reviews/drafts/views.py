"""Report drafts: the secretary writes and submits, reviewers approve or return, staff follow each session.

Secretaries reach only their own reports, reviewers only drafts waiting at their step or reports they have
decided on, staff only their subtree; anything else is a 404, as if it did not exist.
"""

from __future__ import annotations

import datetime
import difflib
from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reviews import uploads
from reviews.cycles.models import Cycle, CycleItem, CycleItemKind, Report, Session, SessionStatus
from reviews.downloads import pdf_inline_response
from reviews.drafts import documents as documents_drafts
from reviews.drafts import services as services_drafts
from reviews.drafts.forms import DraftForm, ReviewForm
from reviews.drafts.models import Draft, DraftReview, DraftStatus, ReviewStep
from reviews.drafts.services import DraftError
from reviews.orgs.models import Appointment
from reviews.scope import get_visible_or_404

DEADLINE_DAYS_BEFORE = 3
DIFF_CONTEXT = 2
QUEUE_HISTORY = 50


def deadline_of(session: Session) -> datetime.date:
    """The default deadline for drafts: three days before the session (no field for it yet)."""
    return session.date - datetime.timedelta(days=DEADLINE_DAYS_BEFORE)


def user_name(user) -> str:
    return user.get_full_name() or user.get_username()


def _report_or_404(request: HttpRequest, report_id: int, *, secretary_only: bool = False) -> Report:
    report = (
        Report.objects.select_related("session__cycle", "session__host", "organisation", "secretary")
        .filter(pk=report_id)
        .first()
    )
    if report is None:
        raise Http404
    allowed = (
        services_drafts.is_secretary_of(request.user, report)
        if secretary_only
        else services_drafts.can_read_report_drafts(request.user, report)
    )
    if not allowed:
        raise Http404
    return report


def _draft_or_404(request: HttpRequest, draft_id: int) -> Draft:
    draft = (
        Draft.objects.select_related(
            "report__session__cycle",
            "report__session__host",
            "report__organisation",
            "report__secretary",
            "current_step",
        )
        .filter(pk=draft_id)
        .first()
    )
    if draft is None or not services_drafts.can_read_report_drafts(request.user, draft.report):
        raise Http404
    return draft


def _latest_drafts(reports) -> dict[int, Draft]:
    """The latest version of each report's draft, in one query."""
    latest: dict[int, Draft] = {}
    drafts = (
        Draft.objects.filter(report__in=reports)
        .select_related("current_step")
        .order_by("report_id", "-version")
    )
    for draft in drafts.only(
        "id",
        "report_id",
        "version",
        "status",
        "current_step__title",
        "current_step__order",
        "submitted_at",
        "file",
    ):
        latest.setdefault(draft.report_id, draft)
    return latest


def _approved_versions(reports) -> set[int]:
    return set(
        Draft.objects.filter(report__in=reports, status=DraftStatus.APPROVED).values_list(
            "report_id", flat=True
        )
    )


def _step_reviewers(step_ids) -> dict[int, list[str]]:
    """Reviewer names per step, in one query."""
    names: dict[int, list[str]] = defaultdict(list)
    through = ReviewStep.reviewers.through.objects.filter(reviewstep_id__in=set(step_ids)).select_related(
        "user"
    )
    for row in through.order_by("user__username"):
        names[row.reviewstep_id].append(user_name(row.user))
    return names


def _holder(draft: Draft | None, reviewers: dict[int, list[str]], secretary_name: str) -> str:
    """Who has the draft: the secretary while it is written or returned, the step's reviewers in review."""
    if draft is None or draft.status in (DraftStatus.WRITING, DraftStatus.RETURNED):
        return secretary_name
    if draft.status == DraftStatus.IN_REVIEW and draft.current_step_id:
        names = "、".join(reviewers.get(draft.current_step_id, [])) or _("no reviewer assigned")
        return f"{draft.current_step.title}（{names}）"
    return ""


def _secretaries(reports, day: datetime.date) -> dict[int, str]:
    """Each report's secretary name; empty slots resolved from appointments on the day, in one query."""
    names = {r.pk: r.secretary.name for r in reports if r.secretary_id}
    open_orgs = {r.organisation_id: r.pk for r in reports if not r.secretary_id}
    if open_orgs:
        appointments = (
            Appointment.objects.secretaries()
            .on(day)
            .filter(organisation_id__in=open_orgs)
            .select_related("person")
            .order_by("organisation_id", "-start_date")
        )
        for appointment in appointments:
            names.setdefault(open_orgs[appointment.organisation_id], appointment.person.name)
    return names


def _items_by_cycle(cycle_ids) -> dict[int, list[CycleItem]]:
    items: dict[int, list[CycleItem]] = defaultdict(list)
    for item in CycleItem.objects.filter(cycle_id__in=set(cycle_ids)).order_by("order", "pk"):
        items[item.cycle_id].append(item)
    return items


def _split_items(items: list[CycleItem]) -> tuple[list[CycleItem], list[CycleItem]]:
    return (
        [i for i in items if i.kind == CycleItemKind.MUST_ANSWER],
        [i for i in items if i.kind == CycleItemKind.BONUS],
    )


# ---------------------------------------------------------------------------------------------------
# The secretary


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    reports = list(
        services_drafts.secretary_reports(request.user)
        .select_related("session__cycle", "organisation")
        .order_by("-session__date", "session_id", "order")
    )
    latest = _latest_drafts(reports)
    reviewers = _step_reviewers(d.current_step_id for d in latest.values() if d.current_step_id)
    items = _items_by_cycle(r.session.cycle_id for r in reports)
    me = getattr(request.user, "person", None)
    rows = []
    for report in reports:
        must, bonus = _split_items(items[report.session.cycle_id])
        draft = latest.get(report.pk)
        rows.append(
            {
                "report": report,
                "deadline": deadline_of(report.session),
                "must": must,
                "bonus": bonus,
                "draft": draft,
                "holder": _holder(draft, reviewers, me.name if me else user_name(request.user)),
            }
        )
    return render(
        request, "reviews/drafts/mine.html", {"rows": rows, "person": me, "today": timezone.localdate()}
    )


def _edit_context(report: Report, form: DraftForm, latest: Draft | None) -> dict:
    session_over = report.session.status in (SessionStatus.FINISHED, SessionStatus.PUBLISHED)
    returned = []
    if latest is not None and latest.status == DraftStatus.RETURNED:
        returned = list(latest.reviews.filter(decision="return").select_related("step", "reviewer"))
    return {
        "report": report,
        "session": report.session,
        "form": form,
        "latest": latest,
        "editable": not session_over and (latest is None or latest.status != DraftStatus.IN_REVIEW),
        "new_version": latest is not None and latest.status != DraftStatus.WRITING,
        "next_version": (latest.version + 1) if latest else 1,
        "session_over": session_over,
        "returned": returned,
        "deadline": deadline_of(report.session),
        "file_name": uploads.original_name(latest.file) if latest and latest.file else "",
        "accept": uploads.ACCEPT,
    }


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report_or_404(request, report_id, secretary_only=True)
    items = services_drafts.ordered_items(report.session.cycle_id)
    latest = report.drafts.order_by("-version").first()
    if request.method == "POST":
        form = DraftForm(request.POST, request.FILES, items=items)
        if form.is_valid():
            try:
                draft = services_drafts.draft_save(
                    actor=request.user,
                    report=report,
                    text=form.cleaned_data["text"],
                    item_answers=form.answers(),
                    file=form.cleaned_data["file"] or None,
                    remove_file=form.cleaned_data["remove_file"],
                )
            except DraftError as error:
                form.add_error(None, error.message)
            else:
                if request.POST.get("action") == "submit":
                    _submit(request, draft)
                else:
                    messages.success(request, _("Saved as version %(version)s.") % {"version": draft.version})
                return redirect("drafts:edit", report.pk)
        return render(request, "reviews/drafts/edit.html", _edit_context(report, form, latest), status=400)
    form = DraftForm(
        items=items,
        answers=latest.item_answers if latest else {},
        initial={"text": latest.text if latest else ""},
    )
    return render(request, "reviews/drafts/edit.html", _edit_context(report, form, latest))


def _submit(request: HttpRequest, draft: Draft) -> None:
    try:
        draft = services_drafts.draft_submit(actor=request.user, draft=draft)
    except DraftError as error:
        messages.error(
            request,
            _("Saved as version %(version)s, but not submitted: %(reason)s")
            % {"version": draft.version, "reason": error.message},
        )
    else:
        messages.success(
            request,
            _("Version %(version)s submitted; it is now with %(step)s.")
            % {"version": draft.version, "step": draft.current_step.title},
        )


def _line_diff(old: str, new: str) -> list[tuple[str, str]]:
    """(kind, line) rows: 'same', 'added', 'removed', or 'skip' for a run of unchanged lines left out."""
    a, b = old.splitlines(), new.splitlines()
    rows: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            same = a[i1:i2]
            if len(same) > 2 * DIFF_CONTEXT + 1:
                rows += [("same", line) for line in same[:DIFF_CONTEXT]]
                rows.append(("skip", str(len(same) - 2 * DIFF_CONTEXT)))
                rows += [("same", line) for line in same[-DIFF_CONTEXT:]]
            else:
                rows += [("same", line) for line in same]
            continue
        rows += [("removed", line) for line in a[i1:i2]]
        rows += [("added", line) for line in b[j1:j2]]
    return rows


def _version_param(request: HttpRequest, name: str, by_version: dict[int, Draft]) -> Draft | None:
    try:
        return by_version.get(int(request.GET.get(name, "")))
    except ValueError:
        return None


@login_required
@require_GET
def versions(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report_or_404(request, report_id)
    drafts = list(report.drafts.select_related("current_step").order_by("-version"))
    by_version = {d.version: d for d in drafts}
    new = _version_param(request, "b", by_version) or (drafts[0] if drafts else None)
    old = _version_param(request, "a", by_version) or next(
        (d for d in drafts if new and d.version < new.version), None
    )
    history = list(
        DraftReview.objects.filter(draft__report=report)
        .select_related("step", "reviewer", "draft")
        .order_by("at", "pk")
    )
    context = {
        "report": report,
        "session": report.session,
        "drafts": drafts,
        "old": old,
        "new": new,
        "diff": _line_diff(old.text, new.text) if old and new else [],
        "history": history,
        "is_secretary": services_drafts.is_secretary_of(request.user, report),
    }
    return render(request, "reviews/drafts/versions.html", context)


# ---------------------------------------------------------------------------------------------------
# Reviewers


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    waiting = list(
        Draft.objects.filter(status=DraftStatus.IN_REVIEW, current_step__reviewers=request.user)
        .select_related("report__organisation", "report__session", "current_step")
        .order_by("submitted_at", "pk")
    )
    decided = list(
        DraftReview.objects.filter(reviewer=request.user)
        .select_related("draft__report__organisation", "draft__report__session", "step")
        .order_by("-at", "-pk")[:QUEUE_HISTORY]
    )
    return render(request, "reviews/drafts/queue.html", {"waiting": waiting, "decided": decided})


def _review_context(request: HttpRequest, draft: Draft, form: ReviewForm | None) -> dict:
    report = draft.report
    items = services_drafts.ordered_items(report.session.cycle_id)
    answers = draft.item_answers or {}
    missing = services_drafts.missing_must_items(draft, items)
    steps = list(ReviewStep.objects.filter(cycle_id=report.session.cycle_id).order_by("order"))
    history = list(
        DraftReview.objects.filter(draft__report=report)
        .select_related("step", "reviewer", "draft")
        .order_by("at", "pk")
    )
    secretary = services_drafts.report_secretary(report)
    return {
        "draft": draft,
        "report": report,
        "session": report.session,
        "secretary": secretary,
        "items": [(item, answers.get(str(item.pk), "")) for item in items],
        "missing": missing,
        "steps": steps,
        "history": history,
        "form": form,
        "file_name": uploads.original_name(draft.file) if draft.file else "",
        "is_latest": not report.drafts.filter(version__gt=draft.version).exists(),
        "approved": draft.status == DraftStatus.APPROVED,
    }


@login_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, draft_id: int) -> HttpResponse:
    draft = _draft_or_404(request, draft_id)
    deciding = services_drafts.can_decide(request.user, draft)
    if request.method == "POST":
        form = ReviewForm(request.POST)
        if form.is_valid():
            step = ReviewStep.objects.filter(pk=form.cleaned_data["step"]).first()
            try:
                services_drafts.draft_review(
                    actor=request.user,
                    draft=draft,
                    decision=form.cleaned_data["decision"],
                    comment=form.cleaned_data["comment"],
                    step=step,
                )
            except DraftError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Your decision on %(draft)s is recorded.") % {"draft": draft})
                return redirect("drafts:queue")
        draft.refresh_from_db()
        return render(
            request, "reviews/drafts/review.html", _review_context(request, draft, form), status=400
        )
    form = ReviewForm(initial={"step": draft.current_step_id}) if deciding else None
    return render(request, "reviews/drafts/review.html", _review_context(request, draft, form))


@login_required
@require_GET
def draft_file(request: HttpRequest, draft_id: int) -> HttpResponse:
    draft = _draft_or_404(request, draft_id)
    if not draft.file:
        raise Http404
    return uploads.serve(draft.file)


# ---------------------------------------------------------------------------------------------------
# Staff


@login_required
@require_GET
def session_overview(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_visible_or_404(
        Session.objects.select_related("cycle", "host"), request.user, via="host", pk=session_id
    )
    reports = list(session.reports.select_related("organisation", "secretary").order_by("order"))
    latest = _latest_drafts(reports)
    steps = list(ReviewStep.objects.filter(cycle_id=session.cycle_id).order_by("order"))
    reviewers = _step_reviewers(s.pk for s in steps)
    secretaries = _secretaries(reports, session.date)
    approved = _approved_versions(reports)
    rows = [
        {
            "report": report,
            "secretary": secretaries.get(report.pk, ""),
            "draft": latest.get(report.pk),
            "holder": _holder(latest.get(report.pk), reviewers, secretaries.get(report.pk, "")),
            "printable": report.pk in approved,
        }
        for report in reports
    ]
    counts = defaultdict(int)
    for row in rows:
        counts[row["draft"].status if row["draft"] else "none"] += 1
    context = {
        "session": session,
        "rows": rows,
        "steps": [(step, reviewers.get(step.pk, [])) for step in steps],
        "deadline": deadline_of(session),
        "counts": counts,
        "can_set_up_chain": services_drafts.can_set_up_chain(request.user),
        "default_chain": " → ".join(services_drafts.DEFAULT_REVIEW_CHAIN),
    }
    return render(request, "reviews/drafts/session.html", context)


@login_required
@require_POST
def chain_default(request: HttpRequest, cycle_id: int) -> HttpResponse:
    cycle = get_object_or_404(Cycle, pk=cycle_id)
    steps = services_drafts.review_chain_default(actor=request.user, cycle=cycle)
    messages.success(
        request,
        _("The review chain has %(n)s steps. Assign the reviewers of each step in the admin.")
        % {"n": len(steps)},
    )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("home")
    return redirect(back)


@login_required
@require_GET
def draft_pdf(request: HttpRequest, report_id: int) -> HttpResponse:
    """The latest approved version, to print."""
    report = _report_or_404(request, report_id)
    draft = (
        Draft.objects.filter(report=report, status=DraftStatus.APPROVED)
        .select_related("report__session", "report__organisation", "report__secretary")
        .order_by("-version")
        .first()
    )
    if draft is None:
        raise Http404(_("No approved draft yet."))
    filename = f"{report.organisation.name}-{_('Duty report')}-v{draft.version}.pdf"
    return pdf_inline_response(documents_drafts.draft_pdf(draft), filename)
