"""Findings (问题) of a cycle, per organisation, for staff of the subtree: the list, a new one, its evidence.

Problems found before the meeting are added here (上级找, 自己查, 群众提, 巡视巡察); the questions and
comments handed over in the meeting appear beside them.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from reviews import uploads
from reviews.cycles.models import Cycle
from reviews.drafts import services as services_drafts
from reviews.drafts.services import DraftError
from reviews.findings.forms import FindingForm
from reviews.findings.models import Finding, FindingSource
from reviews.paging import CountedList
from reviews.scope import restrict, visible_organisations

PER_PAGE = 50


def _staff_only(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise PermissionDenied(_("This page is for organisation-department staff."))


def _list_page(request: HttpRequest, cycle: Cycle, form: FindingForm, status: int = 200) -> HttpResponse:
    findings = restrict(Finding.objects.filter(cycle=cycle), request.user, via="organisation")
    counts = dict(findings.order_by().values_list("source").annotate(n=Count("pk")))
    source = request.GET.get("source", "")
    if source in FindingSource.values:
        findings = findings.filter(source=source)
    else:
        source = ""
    findings = findings.select_related("organisation", "report__session", "created_by").order_by(
        "organisation__path", "-created_at", "-pk"
    )
    total = counts.get(source, 0) if source else sum(counts.values())
    page = Paginator(CountedList(findings, total), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "cycle": cycle,
        "page": page,
        "source": source,
        "sources": [(value, label, counts.get(value, 0)) for value, label in FindingSource.choices],
        "total": sum(counts.values()),
        "form": form,
        "accept": uploads.ACCEPT,
    }
    return render(request, "reviews/findings/list.html", context, status=status)


@login_required
@require_GET
def finding_list(request: HttpRequest, cycle_id: int) -> HttpResponse:
    _staff_only(request)
    cycle = get_object_or_404(Cycle, pk=cycle_id)
    return _list_page(request, cycle, FindingForm(organisations=visible_organisations(request.user)))


@login_required
@require_POST
def finding_add(request: HttpRequest, cycle_id: int) -> HttpResponse:
    _staff_only(request)
    cycle = get_object_or_404(Cycle, pk=cycle_id)
    form = FindingForm(request.POST, request.FILES, organisations=visible_organisations(request.user))
    if form.is_valid():
        try:
            finding = services_drafts.finding_record(
                actor=request.user,
                cycle=cycle,
                organisation=form.cleaned_data["organisation"],
                source=form.cleaned_data["source"],
                description=form.cleaned_data["description"],
                evidence=form.cleaned_data["evidence"] or None,
            )
        except DraftError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("Problem recorded for %(organisation)s.") % {"organisation": finding.organisation}
            )
            return redirect(reverse("findings:list", args=[cycle.pk]) + f"?source={finding.source}")
    return _list_page(request, cycle, form, status=400)


@login_required
@require_GET
def evidence(request: HttpRequest, finding_id: int) -> HttpResponse:
    finding = (
        restrict(Finding.objects.all(), request.user, via="organisation").filter(pk=finding_id).first()
        if request.user.is_staff
        else None
    )
    if finding is None or not finding.evidence:
        raise Http404
    return uploads.serve(finding.evidence)
