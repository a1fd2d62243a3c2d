"""The ranking rows and notes shared by the results workbook and the bulletin."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

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
    if score.score_exact is None:
        return _("No valid vote")
    if not score.breakdown_visible:
        return hidden_note(data)
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


# ---------------------------------------------------------------------------------------------------
# Ties explained (the tally decides; these words say it)


def tie_rule() -> str:
    """The ranking rule, in one sentence for under a ranking table."""
    return _(
        "Ranked by composite score; equal scores are separated by the share of Good votes, then by the "
        "first evaluator group's score; reporters equal on all three share a rank."
    )


def _differing(mine: Fraction, theirs: Fraction, places: int, scale: int = 1) -> tuple[str, str]:
    """The two values with as many decimals as it takes to tell them apart (up to 6)."""
    while places < 6 and tally.fmt(mine * scale, places) == tally.fmt(theirs * scale, places):
        places += 1
    return tally.fmt(mine * scale, places), tally.fmt(theirs * scale, places)


def tie_text(note: tally.TieNote, first_group_name: str) -> str:
    """One tie note in words, from the reporter's side ("mine vs theirs")."""
    if note.by is tally.TieBreak.EXACT:
        return _("Tied")
    if note.mine is None or note.theirs is None:
        return _("Separated by the score from %(group)s (not published)") % {"group": first_group_name}
    if note.by is tally.TieBreak.GOOD_SHARE:
        mine, theirs = _differing(note.mine, note.theirs, 1, 100)
        return _("Share of Good votes %(mine)s%% vs %(theirs)s%%") % {"mine": mine, "theirs": theirs}
    if note.by is tally.TieBreak.FIRST_GROUP:
        mine, theirs = _differing(note.mine, note.theirs, 2)
        return _("Score from %(group)s %(mine)s vs %(theirs)s") % {
            "group": first_group_name,
            "mine": mine,
            "theirs": theirs,
        }
    mine, theirs = _differing(note.mine, note.theirs, 3)
    return _("Composite score %(mine)s vs %(theirs)s") % {"mine": mine, "theirs": theirs}


def tie_texts(notes: tuple[tally.TieNote, ...], first_group_name: str) -> list[str]:
    """A reporter's tie notes in words, each said once (a reporter tied with both neighbours: "Tied")."""
    return list(dict.fromkeys(tie_text(note, first_group_name) for note in notes))


def session_tie_notes(data: selectors.SessionTally) -> dict[str, list[str]]:
    """Per reporter key: the tie notes of a session's tally, in words."""
    groups = scheme_groups(data)
    if not groups:
        return {}
    first = groups[0]
    lines = tally.ranked_lines(data.result.ranking, selectors.group_key(first.pk))
    return {key: tie_texts(notes, first.name) for key, notes in tally.tie_notes(lines).items()}
