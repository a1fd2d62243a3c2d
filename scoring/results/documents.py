"""The results bulletin (结果通报) as PDF."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from reviews.meeting.models import Comment as MeetingComment
from reviews.meeting.models import Question
from scoring import selectors, tally
from scoring.documents import document_context, render_pdf, session_date
from scoring.paper.documents import points_text
from scoring.results.rows import (
    grade_label,
    hidden_scores_note,
    quorum_sentence,
    ranking_rows,
    scheme_groups,
    session_tie_notes,
    tie_rule,
)
from scoring.schemes.models import EvaluatorGroup, ScoringStatus

# ---------------------------------------------------------------------------------------------------
# Results bulletin


def _reporters_per_grade(data: selectors.SessionTally) -> list[tuple[str, int]]:
    grades = [result.grade for result in data.result.reporters if result.grade is not None]
    return [(grade_label(grade), grades.count(grade)) for grade in tally.GRADES]


def _weights_text(groups: list[EvaluatorGroup]) -> str:
    return "，".join(f"{g.name} {points_text(g.weight)}%" for g in groups)


def results_bulletin_html(data: selectors.SessionTally) -> str:
    session = data.session
    result = data.result
    groups = scheme_groups(data)
    ties = session_tie_notes(data)
    rows = [
        {
            "rank": "" if line.result.rank is None else line.result.rank,
            "organisation": line.organisation,
            "secretary": line.secretary,
            "onsite": tally.fmt(line.result.onsite_exact),
            "composite": tally.fmt(line.result.composite_exact),
            "grade": grade_label(line.result.grade) or "—",
            "ties": ties.get(line.result.reporter, []),
        }
        for line in ranking_rows(data)
    ]
    facts = [
        (_("Host"), session.host.name),
        (_("Date"), session_date(session)),
        (_("Venue"), session.venue or "—"),
        (_("Reporters"), str(len(data.reports))),
        (_("Evaluator groups and weights"), _weights_text(groups)),
        (_("Codes and paper forms issued"), str(result.codes_issued)),
        (_("Ballots received"), str(result.ballots_received)),
        (_("Validity"), quorum_sentence(data)),
    ]
    hidden = [note] if (note := hidden_scores_note(data)) else []
    return render_to_string(
        "scoring/results/bulletin_pdf.html",
        document_context(
            session=session,
            doc_title=(
                _("[Rehearsal, not real results] %(title)s")
                % {"title": _("Results of %(title)s") % {"title": session.title}}
                if session.rehearsal
                else _("Results of %(title)s") % {"title": session.title}
            ),
            provisional=data.scheme.scoring_status != ScoringStatus.CLOSED,
            facts=facts,
            rows=rows,
            grade_counts=_reporters_per_grade(data),
            said=_said_on_the_spot(data),
            hidden=hidden,
            tie_rule=tie_rule(),
            digest=_("Ballot digest: %(digest)s (the results can be recomputed from the ballots and checked)")
            % {"digest": result.digest[:16]},
        ),
    )


def _said_on_the_spot(data: selectors.SessionTally) -> list[dict]:
    """Per reporter in rank order (as the table above): its questions (with answers) and comments."""
    questions = Question.objects.filter(report__session=data.session).order_by("report__order", "order")
    comments = MeetingComment.objects.filter(report__session=data.session).order_by("report__order", "id")
    by_report: dict[int, dict] = {}
    for result in data.result.ranking:
        report = data.report_for(result.reporter)
        by_report[report.pk] = {"report": report, "rank": result.rank, "questions": [], "comments": []}
    for question in questions:
        by_report[question.report_id]["questions"].append(question)
    for comment in comments:
        by_report[comment.report_id]["comments"].append(comment)
    return [entry for entry in by_report.values() if entry["questions"] or entry["comments"]]


def results_bulletin_pdf(data: selectors.SessionTally) -> bytes:
    """结果通报: facts of the session, the ranking, the grade counts, hidden breakdowns and the digest."""
    return render_pdf(results_bulletin_html(data))
