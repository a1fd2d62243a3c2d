"""Staff pages for a session's scoring (/manage/scoring/…): overview, scheme, codes, components, results.

Thin function views. Every object is fetched through ``reviews.scope.get_visible_or_404`` (township staff
get a 404 outside their subtree); every write is a POST calling one service; a service's refusal
(ScoringError) becomes a page message. Scores are never shown while scoring is open.

Documents and exports are imported inside the views that send them (``scoring.documents``,
``scoring.exports``), so these pages work whatever the state of the PDF and Excel stack.
"""

from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reviews.cycles.models import Report, Session
from reviews.downloads import attachment_response
from reviews.meeting.models import Comment as MeetingComment
from reviews.meeting.models import Question, Satisfaction
from reviews.scope import staff_required
from scoring import selectors, tally
from scoring.codes.models import Credential
from scoring.errors import ScoringError
from scoring.exports import PDF
from scoring.overview.views import percent, turnout_rows
from scoring.results import documents, services
from scoring.results.exports import ResultsWorkbook
from scoring.results.forms import ComponentScoresForm
from scoring.results.models import ComponentScore, ResultSnapshot
from scoring.results.rows import quorum_sentence, session_tie_notes, tie_rule
from scoring.schemes.models import GRADE_LABELS, EvaluatorGroup, Scheme, ScoringStatus
from scoring.staff import no_scheme, scheme_of, session_in_scope

GRADE_BADGES = {
    tally.Grade.GOOD: "sz-badge-good",
    tally.Grade.FAIRLY_GOOD: "sz-badge-fairly-good",
    tally.Grade.AVERAGE: "sz-badge-average",
    tally.Grade.POOR: "sz-badge-poor",
}


# ---------------------------------------------------------------------------------------------------
# 4. Component scores


@staff_required
@require_http_methods(["GET", "POST"])
def component_scores(request: HttpRequest, session_id: int) -> HttpResponse:
    session = session_in_scope(request, session_id)
    scheme = scheme_of(session)
    if scheme is None:
        return no_scheme(request, session)
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
    return render(request, "scoring/results/components.html", context)


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
        if self.score.score_exact is None:
            return _("No valid vote")  # not "fewer than 5 ballots": there is nothing to hide
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
    ties: list[str]

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


def _result_rows(data: selectors.SessionTally) -> list[ResultRow]:
    scheme = data.scheme
    groups = list(scheme.groups.all())
    criteria = list(scheme.criteria.all())
    components = list(scheme.components.all())
    group_names = {selectors.group_key(g.pk): g.name for g in groups}
    component_names = {selectors.component_key(c.pk): c.name for c in components}
    values = selectors.component_scores(scheme)
    secretaries = selectors.secretary_names(data.session, data.reports)
    hidden = _("Fewer than %(count)s ballots, not shown") % {"count": scheme.breakdown_min_ballots}
    ties = session_tie_notes(data)
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
                ties=ties.get(result.reporter, []),
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
    session = session_in_scope(request, session_id)
    scheme = Scheme.objects.filter(session=session).first()
    if scheme is None:
        return no_scheme(request, session)
    context = {"session": session, "scheme": scheme, "tab": "results"}
    if scheme.scoring_status != ScoringStatus.CLOSED:
        turnout, total = turnout_rows(session)
        context |= {"closed": False, "turnout": turnout, "turnout_total": total}
        return render(request, "scoring/results/results.html", context)
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
        "quorum_share": tally.fmt(percent(quorum.ballots_counted, quorum.codes_issued), 1),
        "snapshot": snapshot,
        "snapshot_matches": services.snapshot_matches(snapshot) if snapshot else None,
        "uses_grades": tally.Mode(scheme.mode).uses_grades,
        "tie_rule": tie_rule(),
        "unused_codes": Credential.objects.filter(session=session, used=False, revoked=False).count(),
    }
    context["breakdowns"] = _with_meeting_record(session, scheme, context["rows"])
    return render(request, "scoring/results/results.html", context)


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
@require_GET
def results_publish_confirm(request: HttpRequest, session_id: int) -> HttpResponse:
    """发布结果, step one: what publishing will freeze (every rank, score and grade; the digest)."""
    session = session_in_scope(request, session_id)
    status = Scheme.objects.filter(session=session).values_list("scoring_status", flat=True).first()
    if status != ScoringStatus.CLOSED:
        messages.error(request, _("Close scoring before publishing the results."))
        return redirect("scoring:results", session.pk)
    if ResultSnapshot.objects.filter(session=session).exists():
        messages.info(request, _("The results of this session are already published."))
        return redirect("scoring:results", session.pk)
    data = selectors.session_tally(session)
    context = {
        "session": session,
        "scheme": data.scheme,
        "tab": "results",
        "data": data,
        "rows": _result_rows(data),
        "quorum": quorum_sentence(data),
        "tie_rule": tie_rule(),
    }
    return render(request, "scoring/results/publish_confirm.html", context)


@staff_required
@require_POST
def results_publish(request: HttpRequest, session_id: int) -> HttpResponse:
    session = session_in_scope(request, session_id)
    if request.POST.get("confirm") != "yes":
        return redirect("scoring:publish_confirm", session.pk)  # publishing is always confirmed first
    try:
        snapshot = services.results_publish(actor=request.user, session=session)
    except Scheme.DoesNotExist:
        return no_scheme(request, session)
    except ScoringError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The results have been published (digest %(digest)s).") % {"digest": snapshot.digest[:16]},
        )
    return redirect("scoring:results", session.pk)


def _closed_or_refuse(request: HttpRequest, session_id: int) -> tuple[Session, HttpResponse | None]:
    session = session_in_scope(request, session_id)
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
    return attachment_response(*ResultsWorkbook().render(session))


@staff_required
@require_GET
def results_bulletin(request: HttpRequest, session_id: int) -> HttpResponse:
    session, refused = _closed_or_refuse(request, session_id)
    if refused:
        return refused
    pdf = documents.results_bulletin_pdf(selectors.session_tally(session))
    return attachment_response(_("%(title)s results bulletin.pdf") % {"title": session.title}, PDF, pdf)
