"""The ranking rows and notes shared by the results workbook and the bulletin."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from reviews.cycles.models import Report, Session
from reviews.orgs.models import secretary_on
from scoring import selectors, tally
from scoring.schemes.models import GRADE_LABELS, EvaluatorGroup

# ---------------------------------------------------------------------------------------------------
# Rows shared by the workbook and the bulletin


def secretary_name(report: Report, session: Session) -> str:
    """The report's secretary, or whoever held the post on the session date."""
    person = report.secretary or secretary_on(report.organisation, session.date)
    return person.name if person else ""


def grade_label(grade: tally.Grade | None) -> str:
    return "" if grade is None else str(GRADE_LABELS[grade])


@dataclass(frozen=True)
class RankingRow:
    report: Report
    result: tally.ReporterResult
    secretary: str

    @property
    def organisation(self) -> str:
        return self.report.organisation.name


def ranking_rows(data: selectors.SessionTally) -> list[RankingRow]:
    """One row per reporter in rank order; reporters without a composite come last."""
    return [
        RankingRow(
            report=data.report_for(result.reporter),
            result=result,
            secretary=secretary_name(data.report_for(result.reporter), data.session),
        )
        for result in data.result.ranking
    ]


def scheme_groups(data: selectors.SessionTally) -> list[EvaluatorGroup]:
    return list(data.scheme.groups.all())


def hidden_note(data: selectors.SessionTally) -> str:
    return _("Fewer than %(count)s ballots: not published") % {"count": data.scheme.breakdown_min_ballots}


def group_score_note(data: selectors.SessionTally, score: tally.GroupScore) -> str:
    """Why a group's mean is left out ('' when it is shown)."""
    if not score.breakdown_visible:
        return hidden_note(data)
    if score.score_exact is None:
        return _("No valid vote")
    return ""


def hidden_groups(data: selectors.SessionTally) -> list[EvaluatorGroup]:
    """Groups whose mean is hidden for at least one reporter."""
    return [
        group
        for group in scheme_groups(data)
        if any(
            not result.group_scores[selectors.group_key(group.pk)].breakdown_visible
            for result in data.result.reporters
        )
    ]


def hidden_scores_note(data: selectors.SessionTally) -> str | None:
    """One sentence naming the groups whose scores are withheld for some reporters, or None."""
    groups = hidden_groups(data)
    if not groups:
        return None
    return _(
        "%(groups)s: some scores are not published, because a group gave fewer than %(count)s ballots and "
        "the other groups' scores would give it away (they still count in the on-site score)."
    ) % {"groups": "、".join(group.name for group in groups), "count": data.scheme.breakdown_min_ballots}


def quorum_sentence(data: selectors.SessionTally) -> str:
    result = data.result
    values = {
        "counted": result.ballots_counted,
        "issued": result.codes_issued,
        "quorum": data.scheme.quorum_fraction,
    }
    if result.quorum_met:
        return (
            _(
                "%(counted)s ballots counted of %(issued)s issued, more than %(quorum)s: "
                "the result of the meeting is valid."
            )
            % values
        )
    return (
        _(
            "%(counted)s ballots counted of %(issued)s issued, not more than %(quorum)s: "
            "the result of the meeting is not valid."
        )
        % values
    )


def reporter_notes(data: selectors.SessionTally, result: tally.ReporterResult) -> list[str]:
    """What a reader must know about a reporter's line besides the numbers."""
    names = {selectors.group_key(g.pk): g.name for g in scheme_groups(data)}
    components = {selectors.component_key(c.pk): c.name for c in data.scheme.components.all()}
    notes = []
    if result.missing_components:
        notes.append(
            _("Missing %(components)s: no composite score, grade or rank")
            % {"components": "、".join(components[key] for key in result.missing_components)}
        )
    if result.renormalised:
        notes.append(
            _("No valid vote from %(groups)s: weights renormalised over the other groups")
            % {"groups": "、".join(names[key] for key in result.missing_groups)}
        )
    reasons = {
        tally.GradeReason.POOR_OVERRIDE: _("Poor votes over the limit: graded Poor"),
        tally.GradeReason.GOOD_MIN: _("Too few Good and Fairly good votes: at most Average"),
        tally.GradeReason.GOOD_CAP: _("Over the cap on Good: graded Fairly good"),
    }
    notes += [reasons[reason] for reason in result.grade_reasons if reason in reasons]
    if result.needs_talk:
        notes.append(_("Talk required"))
    return notes
