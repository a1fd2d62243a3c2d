"""Opening and closing scoring, and the delegate's submit (ballot_submit)."""

import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial

from django.db import connection, transaction
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _

from reviews.audit import services as audit
from reviews.cycles.models import Report, Session, SessionStatus
from reviews.meeting.models import Satisfaction
from reviews.scope import ensure_can_manage
from scoring.ballots.models import Ballot, Channel, PendingBallot, SatisfactionMark, Score
from scoring.codes import tokens as codes
from scoring.codes.models import Credential
from scoring.codes.services import credential_lookup, slips_files_delete
from scoring.errors import ScoringError
from scoring.schemes.models import GradeChoice, ModeChoice, Scheme, ScoringStatus
from scoring.schemes.services import scheme_problems

# ---------------------------------------------------------------------------------------------------
# Opening and closing


def lock_scheme(session: Session) -> Scheme:
    # Lock only the scheme row, and not its key: ballots inserted meanwhile key-share the session row.
    return (
        Scheme.objects.select_for_update(of=("self",), no_key=True)
        .select_related("session")
        .get(session=session)
    )


@transaction.atomic
def scoring_open(*, actor, session: Session) -> Scheme:
    ensure_can_manage(actor, session.host)
    scheme = lock_scheme(session)
    if scheme.scoring_status == ScoringStatus.OPEN:
        return scheme
    if scheme.scoring_status == ScoringStatus.CLOSED:
        raise ScoringError(_("Scoring has closed and cannot be opened again."), code="closed")
    problems = scheme_problems(scheme)
    if problems:
        raise ScoringError(" ".join(problems), code="scheme")
    if not session.reports.exists():
        raise ScoringError(_("The session has no reporters to score."), code="no_reporters")
    scheme.scoring_status = ScoringStatus.OPEN
    scheme.save(update_fields=["scoring_status"])
    if session.status in (SessionStatus.DRAFT, SessionStatus.PREPARING):
        session.status = SessionStatus.IN_PROGRESS
        session.save(update_fields=["status"])
    audit.record(actor=actor, action="scoring.open", obj=session, organisation=session.host)
    return scheme


@transaction.atomic
def scoring_close(*, actor, session: Session) -> Scheme:
    """Close scoring. The scheme row lock waits for submits in flight and turns later ones away."""
    ensure_can_manage(actor, session.host)
    scheme = lock_scheme(session)
    if scheme.scoring_status != ScoringStatus.OPEN:
        raise ScoringError(_("Scoring is not open."), code="not_open")
    scheme.scoring_status = ScoringStatus.CLOSED
    scheme.save(update_fields=["scoring_status"])
    ballots_release(session=session, scheme=scheme)
    audit.record(
        actor=actor,
        action="scoring.close",
        obj=session,
        organisation=session.host,
        changes={"ballots": Ballot.objects.filter(session=session).count()},
    )
    # The slips PDFs hold the codes' secrets: no longer needed once scoring has closed.
    transaction.on_commit(partial(slips_files_delete, session_id=session.pk))
    return scheme


def ballots_release(*, session: Session, scheme: Scheme) -> int:
    """Move every held ballot of the session into the counted tables, in random order under random keys.

    Called by the close, under its lock on the scheme: no submit is in flight, so none is left behind.
    The counted rows share this transaction with each other and with none of the codes; the held rows
    are deleted (and, on PostgreSQL, vacuumed away after the commit).
    """
    held = list(PendingBallot.objects.select_for_update().filter(session=session))
    if not held:
        return 0
    rng = random.SystemRandom()
    rng.shuffle(held)
    ballots, scores, opinions = [], [], []
    for pending in held:
        ballot = Ballot(
            id=uuid.uuid4(),
            session_id=session.pk,
            group_id=pending.group_id,
            channel=Channel.ELECTRONIC,
            receipt=pending.receipt,
            delegate_name=pending.delegate_name,
        )
        ballots.append(ballot)
        cleaned, satisfaction = _content_marks(scheme, pending.content)
        scores += _scores(ballot, cleaned)
        opinions += _opinions(ballot, satisfaction)
    rng.shuffle(scores)
    rng.shuffle(opinions)
    Ballot.objects.bulk_create(ballots, batch_size=1000)
    Score.objects.bulk_create(scores, batch_size=2000)
    SatisfactionMark.objects.bulk_create(opinions, batch_size=2000)
    PendingBallot.objects.filter(session=session).delete()
    transaction.on_commit(_vacuum_held_ballots)
    return len(held)


def _vacuum_held_ballots() -> None:
    # Deleted rows stay in PostgreSQL's pages until vacuumed; a dump never holds them, a raw disk would.
    # (SQLite zeroes deleted content: PRAGMA secure_delete in the settings.)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM {PendingBallot._meta.db_table}")


def _content_marks(scheme: Scheme, content: str) -> tuple[dict, dict[int, str]]:
    """The canonical text of a held ballot (see _canonical) → its marks and satisfaction."""
    cleaned: dict = {}
    satisfaction: dict[int, str] = {}
    for line in content.splitlines():
        if line.startswith("s:"):
            _, report_id, value = line.split(":")
            satisfaction[int(report_id)] = value
        elif line:
            report_id, criterion_id, value = line.split(":")
            cleaned[(int(report_id), int(criterion_id))] = (
                Decimal(value) if scheme.mode == ModeChoice.POINTS else value
            )
    return cleaned, satisfaction


# ---------------------------------------------------------------------------------------------------
# Ballots


@dataclass(frozen=True)
class Receipt:
    receipt: str
    replayed: bool = False  # the same submission arrived again (e.g. after a dropped connection)

    @property
    def display(self) -> str:
        return codes.format_short(self.receipt)


def lock_scheme_for_submit(session_id: int) -> Scheme:
    """Share-lock the scheme row: a concurrent close waits for this submit, or this submit sees it closed."""
    # Django has no FOR SHARE; SQLite's IMMEDIATE transactions already serialise every writer.
    lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
    table = Scheme._meta.db_table
    scheme = Scheme.objects.raw(f"SELECT * FROM {table} WHERE session_id = %s{lock}", [session_id])[0]
    prefetch_related_objects([scheme], "criteria")
    return scheme


def clean_marks(scheme: Scheme, reports: dict[int, str], raw: Mapping[tuple[int, int], str]) -> dict:
    """Validate submitted marks against the scheme → {(report_id, criterion_id): grade | Decimal}."""
    criteria = {c.pk: c for c in scheme.criteria.all()}
    grades = {choice.value for choice in GradeChoice}
    cleaned: dict[tuple[int, int], str | Decimal] = {}
    for (report_id, criterion_id), value in raw.items():
        if report_id not in reports or criterion_id not in criteria:
            raise ScoringError(
                _("This ballot does not match the session. Reload the page and score again."), code="tampered"
            )
        value = (value or "").strip()
        if not value:
            continue
        if scheme.mode == ModeChoice.POINTS:
            criterion = criteria[criterion_id]
            try:
                points = Decimal(value)
            except InvalidOperation:
                points = None
            if points is None or not points.is_finite() or not 0 <= points <= criterion.max_points:
                raise ScoringError(
                    _("%(reporter)s, %(criterion)s: %(value)s is not between 0 and %(max)s.")
                    % {
                        "reporter": reports[report_id],
                        "criterion": criterion.name,
                        "value": value,
                        "max": criterion.max_points.normalize(),
                    },
                    code="range",
                )
            if points != points.quantize(Decimal("0.01")):
                raise ScoringError(
                    _("%(reporter)s, %(criterion)s: use at most two decimals.")
                    % {"reporter": reports[report_id], "criterion": criterion.name},
                    code="range",
                )
            cleaned[(report_id, criterion_id)] = points
        else:
            if value not in grades:
                raise ScoringError(
                    _("This ballot does not match the session. Reload the page and score again."),
                    code="tampered",
                )
            cleaned[(report_id, criterion_id)] = value
    _check_complete(scheme, reports, criteria, cleaned)
    return cleaned


def _check_complete(scheme, reports, criteria, cleaned) -> None:
    """The blank-item rule, the same on the page, on paper entry, on the paper form and in docs/scoring.md.

    Without 允许弃权 every item of every reporter must be marked. With it, in the grade modes a blank
    item is an abstention for that item (the tally leaves it out of the valid votes); in points mode a
    reporter's total needs every criterion, so a reporter is scored fully or left fully blank.
    """
    incomplete = []
    for report_id, label in reports.items():
        marked = sum((report_id, c) in cleaned for c in criteria)
        if marked == len(criteria):
            continue
        if scheme.allow_abstention and (marked == 0 or scheme.mode != ModeChoice.POINTS):
            continue
        if marked and scheme.mode == ModeChoice.POINTS and scheme.allow_abstention:
            raise ScoringError(
                _("%(reporter)s: give points for every criterion, or leave all of them blank to abstain.")
                % {"reporter": label},
                code="incomplete",
            )
        incomplete.append(label)
    if incomplete:
        raise ScoringError(
            _("Please score every reporter before submitting. Not yet scored: %(reporters)s.")
            % {"reporters": "、".join(incomplete)},
            code="incomplete",
        )


def _replayed_receipt(
    scheme, reports, content: dict, short: str, submission_key: str, session_id: int
) -> str | None:
    """Same code, submission key and marks as a stored ballot: the delegate's retry, not a second vote."""
    try:
        _, _, canonical = _clean_content(scheme, reports, **content)
    except ScoringError:
        return None
    receipt = codes.receipt_for(short, submission_key, canonical)
    held = PendingBallot.objects.filter(session_id=session_id, receipt=receipt)
    counted = Ballot.objects.filter(session_id=session_id, receipt=receipt)
    return receipt if held.exists() or counted.exists() else None


def _clean_satisfaction(
    scheme: Scheme, reports: dict[int, str], raw: Mapping[int, str] | None
) -> dict[int, str]:
    """Satisfaction with each reporter's answers: optional per reporter, only when the scheme asks."""
    raw = {r: (v or "").strip() for r, v in (raw or {}).items() if (v or "").strip()}
    if raw and not scheme.collect_satisfaction:
        raise ScoringError(
            _("This ballot does not match the session. Reload the page and score again."), code="tampered"
        )
    allowed = set(Satisfaction.values)
    if any(r not in reports or v not in allowed for r, v in raw.items()):
        raise ScoringError(
            _("This ballot does not match the session. Reload the page and score again."), code="tampered"
        )
    return raw


def _clean_content(scheme, reports, *, marks, satisfaction=None) -> tuple[dict, dict, str]:
    cleaned = clean_marks(scheme, reports, marks)
    opinions = _clean_satisfaction(scheme, reports, satisfaction)
    canonical = _canonical(cleaned)
    if opinions:
        canonical += "\n" + "\n".join(f"s:{r}:{v}" for r, v in sorted(opinions.items()))
    return cleaned, opinions, canonical


def _scores(ballot: Ballot, cleaned: dict) -> list[Score]:
    return [
        Score(
            id=uuid.uuid4(),
            session_id=ballot.session_id,
            ballot=ballot,
            report_id=report_id,
            criterion_id=criterion_id,
            grade=value if isinstance(value, str) else "",
            points=value if isinstance(value, Decimal) else None,
        )
        for (report_id, criterion_id), value in cleaned.items()
    ]


def _opinions(ballot: Ballot, opinions: Mapping[int, str] | None) -> list[SatisfactionMark]:
    return [
        SatisfactionMark(id=uuid.uuid4(), ballot=ballot, report_id=r, value=v)
        for r, v in (opinions or {}).items()
    ]


def store_marks(ballot: Ballot, cleaned: dict, opinions: Mapping[int, str] | None = None) -> None:
    """A paper ballot's marks, counted at once (staff type paper forms; no code is involved)."""
    Score.objects.bulk_create(_scores(ballot, cleaned))
    if opinions:
        SatisfactionMark.objects.bulk_create(_opinions(ballot, opinions))


def _canonical(cleaned: dict) -> str:
    return "\n".join(f"{r}:{c}:{v}" for (r, c), v in sorted(cleaned.items()))


@transaction.atomic
def ballot_submit(
    *,
    code: str,
    marks: Mapping[tuple[int, int], str],
    submission_key: str,
    satisfaction: Mapping[int, str] | None = None,
) -> Receipt:
    """Receive one delegate's ballot: once per code, all or nothing, nothing after scoring closes.

    The ballot is held (PendingBallot) until the close counts every held ballot at once, in random order
    (ballots_release): this transaction, which marks the code used, writes no counted row.
    """
    # Found and locked in one query: a second submit with this code waits here until this one commits.
    found = credential_lookup(
        code, Credential.objects.select_for_update(of=("self",)).select_related("group", "session")
    )
    if found is None:
        raise ScoringError(_("This code is not valid. Check it and try again."), code="unknown")
    credential, short = found
    scheme = lock_scheme_for_submit(credential.session_id)
    reports = {
        pk: f"{order}. {name}"
        for pk, order, name in Report.objects.filter(session_id=credential.session_id).values_list(
            "pk", "order", "organisation__name"
        )
    }
    if credential.used:
        content = {"marks": marks, "satisfaction": satisfaction}
        replayed = _replayed_receipt(scheme, reports, content, short, submission_key, credential.session_id)
        if replayed:
            return Receipt(replayed, replayed=True)
        raise ScoringError(_("This code has already been used to submit a ballot."), code="used")
    if credential.rehearsal != credential.session.rehearsal:
        if credential.rehearsal:
            raise ScoringError(
                _("This is a rehearsal code; the rehearsal is over. Use your real scoring code."),
                code="rehearsal_over",
            )
        raise ScoringError(
            _("A rehearsal (模拟演练) is under way: real scoring codes can be used once it is cleared."),
            code="rehearsal",
        )
    if credential.revoked:
        raise ScoringError(
            _("This code has been revoked. Ask the meeting staff for a new one."), code="revoked"
        )
    if scheme.scoring_status == ScoringStatus.NOT_OPEN:
        raise ScoringError(_("Scoring for this session has not opened yet."), code="not_open")
    if scheme.scoring_status == ScoringStatus.CLOSED:
        raise ScoringError(
            _("Scoring for this session has closed; no more ballots are accepted."), code="closed"
        )
    canonical = _clean_content(scheme, reports, marks=marks, satisfaction=satisfaction)[2]
    receipt = codes.receipt_for(short, submission_key, canonical)
    PendingBallot.objects.create(
        session_id=credential.session_id,
        group=credential.group,
        receipt=receipt,
        delegate_name="" if credential.group.anonymous else credential.delegate_name,
        content=canonical,
    )
    credential.used = True
    credential.save(update_fields=["used"])
    return Receipt(receipt)
