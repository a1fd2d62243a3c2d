"""Paper ballots: typed in twice by two staff members, counted when both agree."""

from collections.abc import Mapping
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from reviews.audit import services as audit
from reviews.cycles.models import Report, Session
from reviews.scope import ensure_can_manage
from scoring.ballots.models import Ballot, Channel
from scoring.ballots.services import clean_marks, lock_scheme_for_submit, store_marks
from scoring.errors import ScoringError
from scoring.paper.models import PaperBallot, PaperEntry, PaperStatus
from scoring.schemes.models import EvaluatorGroup, Scheme, ScoringStatus

# ---------------------------------------------------------------------------------------------------
# Paper ballots: typed in twice by two staff members, counted when both agree


def _marks_document(cleaned: dict) -> dict[str, str]:
    """Marks as stored on a paper entry: {"<report>-<criterion>": value}, comparable across entries."""
    # Points as their plain value ("90", never "90.0"), so two clerks typing one number agree.
    return {
        f"{r}-{c}": format(v.normalize(), "f") if isinstance(v, Decimal) else v
        for (r, c), v in sorted(cleaned.items())
    }


def _marks_from_document(document: Mapping[str, str]) -> dict[tuple[int, int], str]:
    return {tuple(int(part) for part in key.split("-")): value for key, value in document.items()}


def _paper_scheme(actor, session: Session) -> Scheme:
    ensure_can_manage(actor, session.host)
    scheme = lock_scheme_for_submit(session.pk)
    if scheme.scoring_status != ScoringStatus.OPEN:
        raise ScoringError(_("Paper ballots can be entered only while scoring is open."), code="not_open")
    return scheme


def _session_reports(session: Session) -> dict[int, str]:
    return {
        pk: f"{order}. {name}"
        for pk, order, name in Report.objects.filter(session=session).values_list(
            "pk", "order", "organisation__name"
        )
    }


def _count_paper(paper: PaperBallot, document: Mapping[str, str], invalid_reason: str) -> None:
    """Turn an agreed paper ballot into a counted ballot (a 废票 is counted as invalid, with its reason)."""
    ballot = Ballot.objects.create(
        session_id=paper.session_id,
        group_id=paper.group_id,
        channel=Channel.PAPER,
        receipt=f"P{paper.serial:06d}",
        invalid_reason=invalid_reason,
    )
    if not invalid_reason:
        cleaned = {
            key: Decimal(value) if value[0].isdigit() else value
            for key, value in _marks_from_document(document).items()
        }
        store_marks(ballot, cleaned)
    paper.ballot = ballot
    paper.status = PaperStatus.INVALID if invalid_reason else PaperStatus.COUNTED


@transaction.atomic
def paper_entry_submit(
    *,
    actor,
    session: Session,
    group: EvaluatorGroup,
    serial: int,
    marks: Mapping[tuple[int, int], str],
    invalid_reason: str = "",
) -> PaperBallot:
    """One staff member's entry of a paper form; the second entry by someone else counts it or flags it."""
    scheme = _paper_scheme(actor, session)
    if group.scheme_id != scheme.pk:
        raise ScoringError(_("This evaluator group belongs to another session."), code="group")
    if not 1 <= serial <= 99999:
        raise ScoringError(_("Enter the form number printed on the paper ballot."), code="serial")
    invalid_reason = invalid_reason.strip()
    document = (
        {} if invalid_reason else _marks_document(clean_marks(scheme, _session_reports(session), marks))
    )
    paper, _created = PaperBallot.objects.select_for_update().get_or_create(
        session=session, serial=serial, defaults={"group": group}
    )
    if paper.group_id != group.pk:
        raise ScoringError(
            _("Form No. %(serial)s was entered for the group %(group)s.")
            % {"serial": serial, "group": paper.group},
            code="group_mismatch",
        )
    if paper.status != PaperStatus.WAITING:
        raise ScoringError(
            _("Form No. %(serial)s has been entered twice already.") % {"serial": serial}, code="complete"
        )
    if paper.entries.filter(clerk=actor).exists():
        raise ScoringError(
            _("You have entered form No. %(serial)s already; another staff member types the second entry.")
            % {"serial": serial},
            code="same_clerk",
        )
    PaperEntry.objects.create(paper_ballot=paper, clerk=actor, marks=document, invalid_reason=invalid_reason)
    entries = list(paper.entries.all())
    if len(entries) == 2:
        first, second = entries
        agree = first.marks == second.marks and bool(first.invalid_reason) == bool(second.invalid_reason)
        if agree:
            _count_paper(paper, first.marks, first.invalid_reason)
        else:
            paper.status = PaperStatus.MISMATCH
        paper.save(update_fields=["status", "ballot"])
    audit.record(
        actor=actor,
        action="paper.entry",
        obj=session,
        organisation=session.host,
        changes={"form": serial, "status": paper.status},
    )
    return paper


@transaction.atomic
def paper_resolve(
    *, actor, paper: PaperBallot, marks: Mapping[tuple[int, int], str], invalid_reason: str = ""
) -> PaperBallot:
    """A third staff member settles two differing entries by reading the form again."""
    scheme = _paper_scheme(actor, paper.session)
    paper = PaperBallot.objects.select_for_update().get(pk=paper.pk)
    if paper.status != PaperStatus.MISMATCH:
        raise ScoringError(_("Only a form whose two entries differ needs resolving."), code="not_mismatch")
    if paper.entries.filter(clerk=actor).exists():
        raise ScoringError(
            _("A form is resolved by a third staff member, not by one who typed it."), code="same_clerk"
        )
    invalid_reason = invalid_reason.strip()
    document = (
        {} if invalid_reason else _marks_document(clean_marks(scheme, _session_reports(paper.session), marks))
    )
    _count_paper(paper, document, invalid_reason)
    paper.resolved_by = actor
    paper.save(update_fields=["status", "ballot", "resolved_by"])
    audit.record(
        actor=actor,
        action="paper.resolve",
        obj=paper.session,
        organisation=paper.session.host,
        changes={"form": paper.serial, "status": paper.status},
    )
    return paper
