"""Staff pages for a session's scoring (/manage/scoring/…): overview, scheme, codes, components, results.

Thin function views. Every object is fetched through ``reviews.scope.get_visible_or_404`` (township staff
get a 404 outside their subtree); every write is a POST calling one service; a service's refusal
(ScoringError) becomes a page message. Scores are never shown while scoring is open.

Documents and exports are imported inside the views that send them (``scoring.documents``,
``scoring.exports``), so these pages work whatever the state of the PDF and Excel stack.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reviews.models import Appointment, Question, Report, Satisfaction, Session
from reviews.models import Comment as MeetingComment
from reviews.scope import get_visible_or_404, restrict, staff_required
from scoring import selectors, services, tally
from scoring.forms import ComponentScoresForm, IssueCodesForm, SchemeCopyForm, scheme_forms
from scoring.models import (
    GRADE_LABELS,
    ComponentScore,
    Credential,
    EvaluatorGroup,
    ResultSnapshot,
    Scheme,
    ScoringStatus,
)
from scoring.services import ScoringError

logger = logging.getLogger(__name__)

PDF = "application/pdf"
CODES_PER_PAGE = 200
GRADE_BADGES = {
    tally.Grade.GOOD: "sz-badge-good",
    tally.Grade.FAIRLY_GOOD: "sz-badge-fairly-good",
    tally.Grade.AVERAGE: "sz-badge-average",
    tally.Grade.POOR: "sz-badge-poor",
}


def _session(request: HttpRequest, session_id: int) -> Session:
    return get_visible_or_404(
        Session.objects.select_related("host", "cycle"), request.user, via="host", pk=session_id
    )


def _scheme(session: Session) -> Scheme | None:
    scheme = (
        Scheme.objects.filter(session=session).prefetch_related("groups", "criteria", "components").first()
    )
    if scheme is not None:
        scheme.session = session
    return scheme


def _to_session(session: Session) -> HttpResponse:
    return redirect("scoring:session", session.pk)


def _no_scheme(request: HttpRequest, session: Session) -> HttpResponse:
    messages.info(request, _("This session has no scoring scheme yet. Set one up first."))
    return _to_session(session)


def _attachment(filename: str, content_type: str, content: bytes) -> HttpResponse:
    from scoring.exports import attachment_response

    return attachment_response(filename, content_type, content)


def _percent(part: int, whole: int) -> Decimal | None:
    return Decimal(part * 100) / whole if whole else None


# ---------------------------------------------------------------------------------------------------
# 1. Overview


@dataclass(frozen=True)
class TurnoutRow:
    """One group's codes and ballots while scoring runs (counts only, never scores)."""

    name: str
    issued: int  # codes not revoked + paper forms
    used: int
    electronic: int
    paper: int
    paper_issued: int = 0

    @property
    def received(self) -> int:
        return self.electronic + self.paper

    @property
    def share(self) -> Decimal | None:
        return _percent(self.received, self.issued)

    @property
    def share_text(self) -> str:
        return tally.fmt(self.share, 1) + "%" if self.share is not None else "—"

    @property
    def bar(self) -> int:
        return min(100, round(self.share or 0))


def _turnout(session: Session) -> tuple[list[TurnoutRow], TurnoutRow]:
    rows = [
        TurnoutRow(
            name=row["group"].name,
            issued=row["issued"] + row["group"].paper_issued,
            used=row["used"],
            electronic=row["electronic"],
            paper=row["paper"],
            paper_issued=row["group"].paper_issued,
        )
        for row in selectors.turnout(session)
    ]
    total = TurnoutRow(
        name=_("Total"),
        issued=sum(r.issued for r in rows),
        used=sum(r.used for r in rows),
        electronic=sum(r.electronic for r in rows),
        paper=sum(r.paper for r in rows),
        paper_issued=sum(r.paper_issued for r in rows),
    )
    return rows, total


def _copy_sources(request: HttpRequest, session: Session):
    return (
        restrict(Session.objects.filter(scheme__isnull=False), request.user, via="host")
        .exclude(pk=session.pk)
        .order_by("-date", "title")
    )


@staff_required
@require_GET
def session_overview(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    scheme = _scheme(session)
    context = {"session": session, "scheme": scheme, "tab": "session"}
    if scheme is None:
        sources = _copy_sources(request, session)
        context["copy_form"] = SchemeCopyForm(sessions=sources) if sources.exists() else None
    else:
        turnout, total = _turnout(session)
        context |= {
            "problems": services.scheme_problems(scheme),
            "turnout": turnout,
            "turnout_total": total,
            "reporter_count": session.reports.count(),
            "snapshot": ResultSnapshot.objects.filter(session=session).first(),
        }
    return render(request, "scoring/manage/session.html", context)


@staff_required
@require_POST
def scheme_default(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    if Scheme.objects.filter(session=session).exists():
        messages.error(request, _("This session already has a scoring scheme."))
    else:
        services.scheme_create_default(actor=request.user, session=session)
        messages.success(request, _("The default scoring scheme has been set up. Check it before scoring."))
    return _to_session(session)


@staff_required
@require_POST
def scheme_copy(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    form = SchemeCopyForm(request.POST, sessions=_copy_sources(request, session))
    if not form.is_valid():
        messages.error(request, _("Choose a session whose scoring scheme to copy."))
        return _to_session(session)
    source = form.cleaned_data["source"]
    try:
        services.scheme_copy(actor=request.user, source=source.scheme, session=session)
    except ScoringError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("The scoring scheme of %(title)s has been copied.") % {"title": source.title}
        )
    return _to_session(session)


@staff_required
@require_POST
def scoring_open(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    try:
        services.scoring_open(actor=request.user, session=session)
    except Scheme.DoesNotExist:
        return _no_scheme(request, session)
    except ScoringError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Scoring has started. The scoring scheme is now locked."))
    return _to_session(session)


@staff_required
@require_POST
def scoring_close(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that scoring should end."))
        return _to_session(session)
    try:
        services.scoring_close(actor=request.user, session=session)
    except Scheme.DoesNotExist:
        return _no_scheme(request, session)
    except ScoringError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Scoring has ended. No more ballots are accepted."))
        return redirect("scoring:results", session.pk)
    return _to_session(session)


# ---------------------------------------------------------------------------------------------------
# 2. Scheme


@staff_required
@require_http_methods(["GET", "POST"])
def scheme_edit(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    scheme = Scheme.objects.filter(session=session).first()
    if scheme is None:
        return _no_scheme(request, session)
    scheme.session = session
    refusal = ""
    if request.method == "POST" and scheme.is_locked:
        messages.error(request, _locked_message())
        return redirect("scoring:scheme", session.pk)
    if request.method == "POST":
        settings, groups, criteria, components = scheme_forms(scheme, request.POST)
        if all(f.is_valid() for f in (settings, groups, criteria, components)):
            try:
                services.scheme_update(
                    actor=request.user,
                    scheme=settings.instance,
                    groups=groups.rows(),
                    criteria=criteria.rows(),
                    components=components.rows(),
                )
            except ScoringError as error:
                refusal = error.message
            else:
                messages.success(request, _("The scoring scheme has been saved."))
                return redirect("scoring:scheme", session.pk)
        else:
            refusal = _("Please correct the errors below; nothing has been saved.")
    else:
        settings, groups, criteria, components = scheme_forms(scheme, read_only=scheme.is_locked)
    context = {
        "session": session,
        "scheme": scheme,
        "tab": "scheme",
        "settings_form": settings,
        "formsets": [
            (_("Evaluator groups"), groups),
            (_("Evaluation items"), criteria),
            (_("Composite components"), components),
        ],
        "refusal": refusal,
        "locked_message": _locked_message() if scheme.is_locked else "",
    }
    return render(request, "scoring/manage/scheme.html", context)


def _locked_message() -> str:
    # The service's own sentence (scheme_ensure_editable), so the page and the refusal agree.
    return _("The scoring scheme is locked once scoring opens; it can no longer be changed.")


# ---------------------------------------------------------------------------------------------------
# 3. Codes


def _codes_page(request: HttpRequest, session: Session, scheme: Scheme, form: IssueCodesForm) -> HttpResponse:
    credentials = Credential.objects.filter(session=session).select_related("group").order_by("serial")
    page = Paginator(credentials, CODES_PER_PAGE).get_page(request.GET.get("page"))
    counts = EvaluatorGroup.objects.filter(scheme=scheme).annotate(
        total=Count("credentials"),
        used=Count("credentials", filter=Q(credentials__used=True)),
        revoked=Count("credentials", filter=Q(credentials__revoked=True)),
    )
    context = {
        "session": session,
        "scheme": scheme,
        "tab": "codes",
        "page": page,
        "group_counts": [
            {
                "group": g,
                "total": g.total,
                "used": g.used,
                "revoked": g.revoked,
                "unused": g.total - g.used - g.revoked,
            }
            for g in counts
        ],
        "form": form,
    }
    return render(request, "scoring/manage/codes.html", context)


@staff_required
@require_GET
def codes(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    scheme = _scheme(session)
    if scheme is None:
        return _no_scheme(request, session)
    return _codes_page(request, session, scheme, IssueCodesForm(scheme=scheme))


@staff_required
@require_POST
@never_cache
def codes_issue(request: HttpRequest, session_id: int) -> HttpResponse:
    """Issue codes and answer with their slips: the only time the codes exist outside the hashes."""
    session = _session(request, session_id)
    scheme = _scheme(session)
    if scheme is None:
        return _no_scheme(request, session)
    form = IssueCodesForm(request.POST, scheme=scheme)
    if not form.is_valid():
        return _codes_page(request, session, scheme, form)
    from scoring import documents

    group = form.cleaned_data["group"]
    try:
        issued = services.credentials_issue(
            actor=request.user,
            session=session,
            group=group,
            count=form.cleaned_data["count"] or 0,
            names=form.cleaned_data["names"],
        )
    except ScoringError as error:
        messages.error(request, error.message)
        return redirect("scoring:codes", session.pk)
    # Rendered after the codes are committed: a long render must not hold the database (SQLite would
    # turn delegates' submits away). Slips that cannot be printed must not leave live codes behind.
    try:
        pdf = documents.code_slips_pdf(session, issued)
    except Exception:
        logger.exception("code slips of session %s could not be rendered", session.pk)
        _revoke_unprinted(request, session, issued)
        messages.error(
            request,
            _(
                "The slips could not be printed, so the %(count)s codes just issued have been revoked. "
                "Try again."
            )
            % {"count": len(issued)},
        )
        return redirect("scoring:codes", session.pk)
    filename = _("Scoring codes %(group)s No. %(first)s-%(last)s.pdf") % {
        "group": group.name,
        "first": issued[0].serial,
        "last": issued[-1].serial,
    }
    return _attachment(filename, PDF, pdf)


def _revoke_unprinted(request: HttpRequest, session: Session, issued: list[services.IssuedCode]) -> None:
    serials = [code.serial for code in issued]
    for credential in Credential.objects.filter(session=session, serial__in=serials).select_related(
        "session__host"
    ):
        services.credential_revoke(actor=request.user, credential=credential)


@staff_required
@require_POST
def code_revoke(request: HttpRequest, session_id: int, credential_id: int) -> HttpResponse:
    session = _session(request, session_id)
    credential = get_visible_or_404(
        Credential.objects.select_related("session__host"),
        request.user,
        via="session__host",
        pk=credential_id,
        session=session,
    )
    try:
        services.credential_revoke(actor=request.user, credential=credential)
    except ScoringError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Code No. %(serial)s has been revoked.") % {"serial": credential.serial})
    url = reverse("scoring:codes", args=[session.pk])
    page = request.POST.get("page", "")
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


@staff_required
@require_GET
def paper_ballot(request: HttpRequest, session_id: int, group_id: int) -> HttpResponse:
    session = _session(request, session_id)
    group = get_visible_or_404(
        EvaluatorGroup.objects.all(),
        request.user,
        via="scheme__session__host",
        pk=group_id,
        scheme__session=session,
    )
    from scoring import documents

    pdf = documents.paper_ballot_pdf(session, group)
    filename = _("Evaluation form %(group)s.pdf") % {"group": group.name}
    return _attachment(filename, PDF, pdf)


# ---------------------------------------------------------------------------------------------------
# 4. Component scores


@staff_required
@require_http_methods(["GET", "POST"])
def component_scores(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    scheme = _scheme(session)
    if scheme is None:
        return _no_scheme(request, session)
    components = list(scheme.components.all())
    reports = selectors.session_reports(session)
    for report in reports:
        report.session = session
    for component in components:
        component.scheme = scheme
    stored = ComponentScore.objects.filter(component__scheme=scheme).values_list(
        "report_id", "component_id", "value"
    )
    form = ComponentScoresForm(
        request.POST if request.method == "POST" else None,
        reports=reports,
        components=components,
        scores={(r, c): value for r, c, value in stored},
    )
    published = ResultSnapshot.objects.filter(session=session).exists()
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        try:
            with transaction.atomic():
                for report, component, value in changes:
                    services.component_score_set(
                        actor=request.user, report=report, component=component, value=value
                    )
        except ScoringError as error:
            messages.error(request, error.message)
        else:
            if changes:
                messages.success(request, _("%(count)s component score(s) saved.") % {"count": len(changes)})
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("scoring:components", session.pk)
    if published:
        for field in form.fields.values():
            field.disabled = True
    context = {
        "session": session,
        "scheme": scheme,
        "tab": "components",
        "form": form,
        "components": components,
        "published": published,
    }
    return render(request, "scoring/manage/components.html", context)


# ---------------------------------------------------------------------------------------------------
# 5. Results


@dataclass(frozen=True)
class GroupCell:
    """One reporter's score in one group, as the page may show it."""

    group: EvaluatorGroup
    score: tally.GroupScore
    criteria: list  # [(criterion name, mean text)]
    hidden_text: str

    @property
    def visible(self) -> bool:
        return self.score.breakdown_visible

    @property
    def text(self) -> str:
        return tally.fmt(self.score.score_exact) if self.visible else self.hidden_text

    @property
    def grade_counts(self) -> list[tuple[str, int]]:
        return [(str(GRADE_LABELS[g]), self.score.grade_counts.get(g, 0)) for g in tally.GRADES]


@dataclass(frozen=True)
class ResultRow:
    report: Report
    secretary: str
    result: tally.ReporterResult
    groups: list[GroupCell]
    components: list[str]
    missing_groups: list[str]
    missing_components: list[str]

    @property
    def onsite(self) -> str:
        return tally.fmt(self.result.onsite_exact)

    @property
    def composite(self) -> str:
        return tally.fmt(self.result.composite_exact)

    @property
    def grade(self) -> str:
        return str(GRADE_LABELS[self.result.grade]) if self.result.grade else ""

    @property
    def badge(self) -> str:
        return GRADE_BADGES.get(self.result.grade, "")

    @property
    def grade_counts(self) -> list[int]:
        return [self.result.grade_counts.get(g, 0) for g in tally.GRADES]


def _secretaries(session: Session, reports: list[Report]) -> dict[int, str]:
    """Report id → secretary's name, else the post holder on the session date (one query)."""
    names = {r.pk: r.secretary.name for r in reports if r.secretary}
    open_orgs = {r.organisation_id: r.pk for r in reports if not r.secretary}
    if open_orgs:
        holders = (
            Appointment.objects.secretaries()
            .on(session.date)
            .filter(organisation_id__in=open_orgs)
            .select_related("person")
            .order_by("organisation_id", "-start_date")
        )
        for appointment in holders:
            names.setdefault(open_orgs[appointment.organisation_id], appointment.person.name)
    return names


def _result_rows(data: selectors.SessionTally) -> list[ResultRow]:
    scheme = data.scheme
    groups = list(scheme.groups.all())
    criteria = list(scheme.criteria.all())
    components = list(scheme.components.all())
    group_names = {selectors.group_key(g.pk): g.name for g in groups}
    component_names = {selectors.component_key(c.pk): c.name for c in components}
    values = selectors.component_scores(scheme)
    secretaries = _secretaries(data.session, data.reports)
    hidden = _("Fewer than %(count)s ballots, not shown") % {"count": scheme.breakdown_min_ballots}
    rows = []
    for result in data.result.ranking:
        report = data.report_for(result.reporter)
        cells = []
        for group in groups:
            score = result.group_scores[selectors.group_key(group.pk)]
            means = score.criterion_means_exact
            cells.append(
                GroupCell(
                    group=group,
                    score=score,
                    criteria=[
                        (c.name, tally.fmt(means.get(selectors.criterion_key(c.pk)))) for c in criteria
                    ],
                    hidden_text=hidden,
                )
            )
        entered = values.get(result.reporter, {})
        rows.append(
            ResultRow(
                report=report,
                secretary=secretaries.get(report.pk, ""),
                result=result,
                groups=cells,
                components=[tally.fmt(entered.get(selectors.component_key(c.pk))) for c in components],
                missing_groups=[group_names[key] for key in result.missing_groups],
                missing_components=[component_names[key] for key in result.missing_components],
            )
        )
    return rows


def _group_turnout(data: selectors.SessionTally) -> list[dict]:
    names = {selectors.group_key(g.pk): g.name for g in data.scheme.groups.all()}
    return [
        {
            "name": names[group.group],
            "turnout": group,
            "share": tally.fmt(group.share_exact * 100, 1) + "%" if group.share_exact is not None else "—",
            "bar": min(100, round((group.share_exact or Fraction(0)) * 100)),
        }
        for group in data.result.groups
    ]


@staff_required
@require_GET
def results(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    scheme = Scheme.objects.filter(session=session).first()
    if scheme is None:
        return _no_scheme(request, session)
    context = {"session": session, "scheme": scheme, "tab": "results"}
    if scheme.scoring_status != ScoringStatus.CLOSED:
        turnout, total = _turnout(session)
        context |= {"closed": False, "turnout": turnout, "turnout_total": total}
        return render(request, "scoring/manage/results.html", context)
    data = selectors.session_tally(session)
    scheme = data.scheme  # with its groups, items and components
    snapshot = ResultSnapshot.objects.filter(session=session).select_related("published_by").first()
    if snapshot is not None:
        snapshot.session = session
    quorum = data.result
    context |= {
        "closed": True,
        "scheme": scheme,
        "data": data,
        "rows": _result_rows(data),
        "groups": list(scheme.groups.all()),
        "components": list(scheme.components.all()),
        "grade_labels": [GRADE_LABELS[g] for g in tally.GRADES],
        "group_turnout": _group_turnout(data),
        "quorum_share": tally.fmt(_percent(quorum.ballots_counted, quorum.codes_issued), 1),
        "snapshot": snapshot,
        "snapshot_matches": services.snapshot_matches(snapshot) if snapshot else None,
        "uses_grades": tally.Mode(scheme.mode).uses_grades,
    }
    context["breakdowns"] = _with_meeting_record(session, scheme, context["rows"])
    return render(request, "scoring/manage/results.html", context)


def _with_meeting_record(session: Session, scheme: Scheme, rows: list) -> list[tuple]:
    """Each result row with what was said on the spot: questions, comments, satisfaction (3 queries)."""
    questions, comments = defaultdict(list), defaultdict(list)
    for question in Question.objects.filter(report__session=session).order_by("order"):
        questions[question.report_id].append(question)
    for comment in MeetingComment.objects.filter(report__session=session).order_by("id"):
        comments[comment.report_id].append(comment)
    opinions = selectors.satisfaction_counts(session) if scheme.collect_satisfaction else {}
    labels = dict(Satisfaction.choices)
    return [
        (
            row,
            {
                "questions": questions[row.report.pk],
                "comments": comments[row.report.pk],
                "satisfaction": [(labels[v], n) for v, n in opinions.get(row.report.pk, {}).items()],
            },
        )
        for row in rows
    ]


@staff_required
@require_POST
def results_publish(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    try:
        snapshot = services.results_publish(actor=request.user, session=session)
    except Scheme.DoesNotExist:
        return _no_scheme(request, session)
    except ScoringError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The results have been published (digest %(digest)s).") % {"digest": snapshot.digest[:16]},
        )
    return redirect("scoring:results", session.pk)


def _closed_or_refuse(request: HttpRequest, session_id: int) -> tuple[Session, HttpResponse | None]:
    session = _session(request, session_id)
    status = Scheme.objects.filter(session=session).values_list("scoring_status", flat=True).first()
    if status != ScoringStatus.CLOSED:
        messages.error(request, _("The results can be downloaded once scoring has ended."))
        return session, redirect("scoring:results", session.pk)
    return session, None


@staff_required
@require_GET
def results_workbook(request: HttpRequest, session_id: int) -> HttpResponse:
    session, refused = _closed_or_refuse(request, session_id)
    if refused:
        return refused
    from scoring.exports import ResultsWorkbook

    return _attachment(*ResultsWorkbook().render(session))


@staff_required
@require_GET
def results_bulletin(request: HttpRequest, session_id: int) -> HttpResponse:
    session, refused = _closed_or_refuse(request, session_id)
    if refused:
        return refused
    from scoring import documents

    pdf = documents.results_bulletin_pdf(selectors.session_tally(session))
    return _attachment(_("%(title)s results bulletin.pdf") % {"title": session.title}, PDF, pdf)
