"""纸质票录入: two staff members type every paper form blind; a third settles a mismatch.

The grid mirrors the printed 测评表 (rows: reporters; columns: items). With JavaScript, digits 1–4 pick
好/较好/一般/差 and move on, so a practised clerk types a form without the mouse; without it, it is a
plain form of radio buttons.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from reviews.models import Report, Session
from reviews.scope import get_visible_or_404

from . import selectors, services
from .models import GradeChoice, ModeChoice, PaperBallot, PaperStatus, Scheme

OUTCOMES = {
    PaperStatus.WAITING: gettext_lazy("First entry saved; waiting for the second staff member."),
    PaperStatus.COUNTED: gettext_lazy("Both entries agree: the ballot is counted."),
    PaperStatus.MISMATCH: gettext_lazy("The two entries differ: the form waits to be checked."),
    PaperStatus.INVALID: gettext_lazy("Recorded as an invalid ballot."),
}
INVALID_REASONS = [gettext_lazy("Blank"), gettext_lazy("Several marks in a row"), gettext_lazy("Unreadable")]


def _session(request: HttpRequest, session_id: int) -> Session:
    return get_visible_or_404(Session.objects.select_related("host"), request.user, "host", pk=session_id)


def _grid(session: Session, scheme: Scheme, values: dict | None = None) -> dict:
    reports = list(Report.objects.filter(session=session).select_related("organisation").order_by("order"))
    criteria = list(scheme.criteria.all())
    values = values or {}
    rows = [
        {
            "report": report,
            "cells": [
                {"name": f"m-{report.pk}-{c.pk}", "value": values.get(f"m-{report.pk}-{c.pk}", "")}
                for c in criteria
            ],
        }
        for report in reports
    ]
    return {
        "rows": rows,
        "criteria": criteria,
        "grades": GradeChoice.choices,
        "points": scheme.mode == ModeChoice.POINTS,
    }


def _posted_marks(post) -> dict[tuple[int, int], str]:
    marks = {}
    for name, value in post.items():
        if name.startswith("m-") and value.strip():
            try:
                _, report_id, criterion_id = name.split("-")
                marks[(int(report_id), int(criterion_id))] = value.strip()
            except ValueError:
                continue
    return marks


def _invalid_reason(post) -> str:
    if post.get("invalid") != "yes":
        return ""
    return (post.get("reason_text") or post.get("reason") or _("invalid")).strip()[:100]


@login_required
@require_http_methods(["GET", "POST"])
def entry(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    scheme = Scheme.objects.filter(session=session).prefetch_related("criteria", "groups").first()
    if scheme is None:
        raise Http404
    groups = list(scheme.groups.all())
    posted = request.POST if request.method == "POST" else None
    if posted is not None:
        group = next((g for g in groups if str(g.pk) == posted.get("group")), None)
        try:
            serial = int(posted.get("serial", ""))
        except ValueError:
            serial = 0
        try:
            if group is None:
                raise services.ScoringError(_("Choose the evaluator group printed on the form."))
            paper = services.paper_entry_submit(
                actor=request.user,
                session=session,
                group=group,
                serial=serial,
                marks=_posted_marks(posted),
                invalid_reason=_invalid_reason(posted),
            )
        except services.ScoringError as error:
            messages.error(request, error.message)
            context = _grid(session, scheme, posted) | {
                "session": session,
                "groups": groups,
                "posted": posted,
            }
            return render(request, "scoring/paper_entry/entry.html", context, status=400)
        messages.success(
            request,
            _("Form No. %(serial)s: %(outcome)s")
            % {"serial": paper.serial, "outcome": OUTCOMES[paper.status]},
        )
        return redirect(f"{request.path}?group={group.pk}")
    context = _grid(session, scheme) | {
        "session": session,
        "groups": groups,
        "posted": {"group": request.GET.get("group", "")},
        "turnout": selectors.turnout(session),
        "mismatched": PaperBallot.objects.filter(session=session, status=PaperStatus.MISMATCH).order_by(
            "serial"
        ),
        "reasons": INVALID_REASONS,
    }
    return render(request, "scoring/paper_entry/entry.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def resolve(request: HttpRequest, paper_id: int) -> HttpResponse:
    paper = get_visible_or_404(
        PaperBallot.objects.select_related("session", "group"), request.user, "session__host", pk=paper_id
    )
    scheme = Scheme.objects.prefetch_related("criteria").get(session=paper.session)
    entries = list(paper.entries.select_related("clerk").order_by("entered_at"))
    if request.method == "POST":
        try:
            services.paper_resolve(
                actor=request.user,
                paper=paper,
                marks=_posted_marks(request.POST),
                invalid_reason=_invalid_reason(request.POST),
            )
        except services.ScoringError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("Form No. %(serial)s has been checked and counted.") % {"serial": paper.serial}
            )
            return redirect("paper_entry:entry", session_id=paper.session_id)
    agreed = {}
    if len(entries) == 2:
        first, second = (e.marks for e in entries)
        agreed = {f"m-{key}": value for key, value in first.items() if second.get(key) == value}
    grid = _grid(paper.session, scheme, agreed)
    for row in grid["rows"]:
        for cell in row["cells"]:
            key = cell["name"][2:]
            cell["entries"] = [e.marks.get(key, "") or (e.invalid_reason and "—") for e in entries]
            cell["differs"] = len({str(v) for v in cell["entries"]}) > 1
    context = grid | {
        "paper": paper,
        "session": paper.session,
        "entries": entries,
        "reasons": INVALID_REASONS,
    }
    return render(request, "scoring/paper_entry/resolve.html", context)
