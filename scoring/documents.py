"""Printed documents of scoring, as PDF: code slips, paper ballots (测评表), the results bulletin (结果通报).

HTML templates under ``templates/scoring/documents/`` rendered by WeasyPrint. Every text is set in a CJK
font (``FONTS``, also in the page-number boxes), QR codes are inline SVG paths (vector, fast to render),
and nothing is fetched from outside: meeting rooms are often offline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from reviews.models import Comment as MeetingComment
from reviews.models import Question, Session
from scoring import selectors, tally
from scoring.exports import (
    grade_label,
    hidden_scores_note,
    quorum_sentence,
    ranking_rows,
    scheme_groups,
    secretary_name,
)
from scoring.models import EvaluatorGroup, ModeChoice, Scheme, ScoringStatus
from scoring.services import IssuedCode

FONTS = '"Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Micro Hei", sans-serif'
MONO_FONTS = '"Noto Sans Mono CJK SC", "DejaVu Sans Mono", "Liberation Mono", monospace'
SLIPS_PER_ROW = 2
SLIP_ROWS = 5
SLIPS_PER_PAGE = SLIPS_PER_ROW * SLIP_ROWS


# ---------------------------------------------------------------------------------------------------
# Rendering


def render_pdf(html: str) -> bytes:
    """HTML → PDF bytes; only data: URLs may be fetched (no network, no files)."""
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=fetcher).write_pdf()


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def page_counter_css() -> SafeString:
    """The CSS ``content`` of the page-number box, from the translated 'Page %(page)s of %(pages)s'."""
    text = _("Page %(page)s of %(pages)s")
    parts = []
    for part in re.split(r"(%\(pages?\)s)", text):
        if part == "%(page)s":
            parts.append("counter(page)")
        elif part == "%(pages)s":
            parts.append("counter(pages)")
        elif part:
            parts.append(_css_string(part))
    return mark_safe(" ".join(parts))


def _context(**extra) -> dict:
    return {
        "fonts": mark_safe(FONTS),
        "mono_fonts": mark_safe(MONO_FONTS),
        "page_counter": page_counter_css(),
        "lang": translation.get_language() or settings.LANGUAGE_CODE,
        **extra,
    }


def _session_date(session: Session) -> str:
    return date_format(session.date, "DATE_FORMAT")


# ---------------------------------------------------------------------------------------------------
# Code slips


def site_url(base_url: str | None = None) -> str:
    return (base_url or settings.SITE_URL).rstrip("/")


def vote_url(token: str, base_url: str | None = None) -> str:
    """What the QR code holds: the delegate's private link."""
    return f"{site_url(base_url)}/vote/{token}/"


def qr_svg(url: str) -> str:
    """A vector QR code: one SVG path, no quiet zone (the slip's white padding is the quiet zone)."""
    return segno.make(url, error="m").svg_inline(border=0, omitsize=True, svgclass="qr-code")


@dataclass(frozen=True)
class Slip:
    code: IssuedCode
    url: str
    svg: SafeString

    @property
    def serial(self) -> str:
        return _("No. %(serial)s") % {"serial": f"{self.code.serial:04d}"}


def code_slips_html(session: Session, issued: list[IssuedCode], base_url: str | None = None) -> str:
    slips = [
        Slip(code=code, url=(url := vote_url(code.token, base_url)), svg=mark_safe(qr_svg(url)))
        for code in issued
    ]
    pages = [slips[start : start + SLIPS_PER_PAGE] for start in range(0, len(slips), SLIPS_PER_PAGE)]
    entry = f"{site_url(base_url)}/vote/"
    return render_to_string(
        "scoring/documents/code_slips.html",
        _context(
            session=session,
            pages=pages,
            doc_title=_("Scoring codes: %(title)s") % {"title": session.title},
            instruction=_("Scan the QR code, or enter the code at %(url)s") % {"url": entry},
        ),
    )


def code_slips_pdf(session: Session, issued: list[IssuedCode], base_url: str | None = None) -> bytes:
    """A4 sheets of 2 × 5 slips with dashed cut lines; each slip: QR link, typeable code, serial."""
    return render_pdf(code_slips_html(session, issued, base_url))


# ---------------------------------------------------------------------------------------------------
# Results bulletin


def _reporters_per_grade(data: selectors.SessionTally) -> list[tuple[str, int]]:
    grades = [result.grade for result in data.result.reporters if result.grade is not None]
    return [(grade_label(grade), grades.count(grade)) for grade in tally.GRADES]


def _weights_text(groups: list[EvaluatorGroup]) -> str:
    return "，".join(f"{g.name} {_points(g.weight)}%" for g in groups)


def results_bulletin_html(data: selectors.SessionTally) -> str:
    session = data.session
    result = data.result
    groups = scheme_groups(data)
    rows = [
        {
            "rank": "" if line.result.rank is None else line.result.rank,
            "organisation": line.organisation,
            "secretary": line.secretary,
            "onsite": tally.fmt(line.result.onsite_exact),
            "composite": tally.fmt(line.result.composite_exact),
            "grade": grade_label(line.result.grade) or "—",
        }
        for line in ranking_rows(data)
    ]
    facts = [
        (_("Host"), session.host.name),
        (_("Date"), _session_date(session)),
        (_("Venue"), session.venue or "—"),
        (_("Reporters"), str(len(data.reports))),
        (_("Evaluator groups and weights"), _weights_text(groups)),
        (_("Codes and paper forms issued"), str(result.codes_issued)),
        (_("Ballots received"), str(result.ballots_received)),
        (_("Validity"), quorum_sentence(data)),
    ]
    hidden = [note] if (note := hidden_scores_note(data)) else []
    return render_to_string(
        "scoring/documents/results_bulletin.html",
        _context(
            session=session,
            doc_title=_("Results of %(title)s") % {"title": session.title},
            provisional=data.scheme.scoring_status != ScoringStatus.CLOSED,
            facts=facts,
            rows=rows,
            grade_counts=_reporters_per_grade(data),
            said=_said_on_the_spot(data),
            hidden=hidden,
            digest=_("Ballot digest: %(digest)s (the results can be recomputed from the ballots and checked)")
            % {"digest": result.digest[:16]},
        ),
    )


def _said_on_the_spot(data: selectors.SessionTally) -> list[dict]:
    """Per reporter in speaking order: its questions (with answers) and comments, for the bulletin."""
    questions = Question.objects.filter(report__session=data.session).order_by("report__order", "order")
    comments = MeetingComment.objects.filter(report__session=data.session).order_by("report__order", "id")
    by_report: dict[int, dict] = {
        report.pk: {"report": report, "questions": [], "comments": []} for report in data.reports
    }
    for question in questions:
        by_report[question.report_id]["questions"].append(question)
    for comment in comments:
        by_report[comment.report_id]["comments"].append(comment)
    return [entry for entry in by_report.values() if entry["questions"] or entry["comments"]]


def results_bulletin_pdf(data: selectors.SessionTally) -> bytes:
    """结果通报: facts of the session, the ranking, the grade counts, hidden breakdowns and the digest."""
    return render_pdf(results_bulletin_html(data))


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
    if scheme.allow_abstention:
        result.append(_("A blank item counts as an abstention."))
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


def _points(value) -> str:
    return tally.fmt(value, 0) if value == int(value) else tally.fmt(value)


def paper_ballot_html(session: Session, group: EvaluatorGroup) -> str:
    scheme = Scheme.objects.prefetch_related("criteria").get(session=session)
    if group.scheme_id != scheme.pk:
        raise ValueError("the evaluator group belongs to another session")
    mode = ModeChoice(scheme.mode)
    criteria = [
        {"name": c.name, "max": _("max %(points)s") % {"points": _points(c.max_points)}}
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
        "scoring/documents/paper_ballot.html",
        _context(
            session=session,
            group=group,
            session_date=_session_date(session),
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
