"""The paper scoring form (纸质测评表) as PDF."""

from __future__ import annotations

from fractions import Fraction

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from reviews.cycles.models import Session
from scoring import selectors, tally
from scoring.documents import document_context, render_pdf, session_date
from scoring.results.rows import (
    grade_label,
    secretary_name,
)
from scoring.schemes.models import EvaluatorGroup, ModeChoice, Scheme

# ---------------------------------------------------------------------------------------------------
# Paper ballot


def _instructions(scheme: Scheme, group: EvaluatorGroup) -> list[str]:
    mode = scheme.mode
    lines = {
        ModeChoice.GRADE: _("Mark one grade with a tick (✓) for each reporter."),
        ModeChoice.ITEM_GRADE: _("Mark one grade with a tick (✓) for each evaluation item of each reporter."),
        ModeChoice.POINTS: _(
            "Write the points for each criterion of each reporter, no more than its maximum."
        ),
    }
    result = [lines[ModeChoice(mode)]]
    if scheme.allow_abstention and mode == ModeChoice.POINTS:
        result.append(
            _(
                "To abstain on a reporter, leave all of their criteria blank; a reporter with only some "
                "criteria filled in makes the form invalid."
            )
        )
    elif scheme.allow_abstention:
        result.append(
            _("A blank item counts as an abstention for that item only; the other items still count.")
        )
    elif mode == ModeChoice.POINTS:
        result.append(_("Every item must be filled in; a form with a blank item is invalid."))
    else:
        result.append(
            _(
                "Every item must be filled in; a form with a blank item or more than one tick in a row "
                "is invalid."
            )
        )
    if group.anonymous:
        result.append(_("This form is anonymous: do not sign it."))
    result.append(_("Hand the form to the meeting staff when you have finished."))
    return result


def points_text(value) -> str:
    return tally.fmt(value, 0) if value == int(value) else tally.fmt(value)


def paper_ballot_html(session: Session, group: EvaluatorGroup) -> str:
    scheme = Scheme.objects.prefetch_related("criteria").get(session=session)
    if group.scheme_id != scheme.pk:
        raise ValueError("the evaluator group belongs to another session")
    mode = ModeChoice(scheme.mode)
    criteria = [
        {"name": c.name, "max": _("max %(points)s") % {"points": points_text(c.max_points)}}
        for c in scheme.criteria.all()
    ]
    reports = [
        {"order": r.order, "organisation": r.organisation.name, "secretary": secretary_name(r, session)}
        for r in selectors.session_reports(session)
    ]
    grades = [grade_label(grade) for grade in tally.GRADES]
    item_mode = mode == ModeChoice.ITEM_GRADE
    landscape = item_mode or (mode == ModeChoice.POINTS and len(criteria) > 3)
    return render_to_string(
        "scoring/paper/form_pdf.html",
        document_context(
            session=session,
            group=group,
            session_date=session_date(session),
            doc_title=_("Evaluation form: %(title)s") % {"title": session.title},
            mode=mode.value,
            criteria=criteria,
            reports=reports,
            grades=grades,
            landscape=landscape,
            instructions=_instructions(scheme, group),
            # In item mode the grade cells share what is left of the width after the fixed columns.
            grade_cell_mm=float(Fraction(277 - 78, max(1, len(criteria) * len(grades)))) if item_mode else 0,
        ),
    )


def paper_ballot_pdf(session: Session, group: EvaluatorGroup) -> bytes:
    """The paper 测评表 of one group: one row per reporter, a box per grade (per item) or per criterion."""
    return render_pdf(paper_ballot_html(session, group))
