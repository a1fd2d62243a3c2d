"""State-changing operations of scoring: one function each, atomic; staff actions are audited.

Ballot contents never reach the audit log.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Model, prefetch_related_objects
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reviews import audit
from reviews import services as review_services
from reviews.models import Report, Satisfaction, Session, SessionStatus
from reviews.scope import ensure_can_manage
from scoring import codes, selectors, tally
from scoring.models import (
    Ballot,
    Channel,
    Component,
    ComponentScore,
    Credential,
    Criterion,
    EvaluatorGroup,
    GradeChoice,
    ModeChoice,
    PaperBallot,
    PaperEntry,
    PaperStatus,
    ResultSnapshot,
    SatisfactionMark,
    Scheme,
    Score,
    ScoringStatus,
)


class ScoringError(Exception):
    """A refusal with a message for the user (already translated when raised)."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


DEFAULT_ITEMS = [
    gettext_lazy("Overall evaluation"),
    gettext_lazy("Understanding of grassroots party-building work"),
    gettext_lazy("Fulfilment of the party-building responsibility"),
    gettext_lazy("Progress and results on key tasks"),
    gettext_lazy("Problems found in grassroots party-building work"),
    gettext_lazy("Ideas and measures for the next step"),
]
DEFAULT_GROUPS = [
    (gettext_lazy("Members of the superior party committee"), Decimal(60)),
    (gettext_lazy("Party-member and public representatives"), Decimal(40)),
]


# ---------------------------------------------------------------------------------------------------
# Scheme


def scheme_problems(scheme: Scheme) -> list[str]:
    """What is wrong with a scheme, as translated sentences; empty when it can be used."""
    return [problem_message(p) for p in tally.validate_scheme(selectors.scheme_spec(scheme))]


def problem_message(problem: tally.SchemeProblem) -> str:
    code, params = tally.ProblemCode, problem.params
    messages = {
        code.NO_GROUPS: _("Add at least one evaluator group."),
        code.DUPLICATE_GROUP: _("Two evaluator groups have the same name."),
        code.GROUP_WEIGHT_NOT_POSITIVE: _("Every evaluator group needs a weight above 0."),
        code.GROUP_WEIGHTS_SUM: _(
            "The evaluator groups' weights add up to %(total)s%%; they must add up to 100%%."
        ),
        code.ISSUED_NEGATIVE: _("Issued counts cannot be negative."),
        code.CRITERION_COUNT: _(
            "This scoring mode needs %(expected)s evaluation item(s); the scheme has %(count)s."
        ),
        code.DUPLICATE_CRITERION: _("Two evaluation items are the same."),
        code.CRITERION_MAX_NOT_POSITIVE: _("Every criterion needs maximum points above 0."),
        code.CRITERION_MAX_SUM: _(
            "The criteria's maximum points add up to %(total)s; they must add up to 100."
        ),
        code.GRADE_POINTS_MISSING: _("Points are missing for a grade."),
        code.DUPLICATE_COMPONENT: _("Two composite components are the same."),
        code.SHARE_OUT_OF_RANGE: _("A share must lie between 0%% and 100%%."),
        code.SHARES_SUM: _(
            "The on-site share and the components' shares add up to %(total)s%%; they must add up to 100%%."
        ),
        code.THRESHOLDS_NOT_DESCENDING: _("Grade thresholds must descend: Good > Fairly good > Average."),
        code.FRACTION_OUT_OF_RANGE: _("A fraction setting lies outside 0 to 1."),
        code.TRIM_MIN_TOO_SMALL: _("Trimming needs a minimum of at least 2 ballots."),
        code.BREAKDOWN_MIN_NEGATIVE: _("The breakdown minimum cannot be negative."),
    }
    expected = params.get("expected", "")
    values = {
        "total": _trim_zeros(params.get("total", "")),
        "count": params.get("count", ""),
        "expected": _("one") if expected == "1" else _("at least one"),
    }
    return messages[problem.code] % values


def _trim_zeros(number: str) -> str:
    return number.rstrip("0").rstrip(".") if "." in number else number


def scheme_ensure_editable(scheme: Scheme) -> None:
    if scheme.is_locked:
        raise ScoringError(
            _("The scoring scheme is locked once scoring opens; it can no longer be changed."), code="locked"
        )


@transaction.atomic
def scheme_create_default(*, actor, session: Session) -> Scheme:
    """The common scheme: 6 evaluation items graded 好/较好/一般/差, two groups 60 % / 40 %."""
    ensure_can_manage(actor, session.host)
    scheme = Scheme.objects.create(session=session)
    Criterion.objects.bulk_create(
        Criterion(scheme=scheme, name=str(name), order=i) for i, name in enumerate(DEFAULT_ITEMS, start=1)
    )
    EvaluatorGroup.objects.bulk_create(
        EvaluatorGroup(scheme=scheme, name=str(name), weight=weight, order=i)
        for i, (name, weight) in enumerate(DEFAULT_GROUPS, start=1)
    )
    audit.record(actor=actor, action="scheme.create", obj=scheme, organisation=session.host)
    return scheme


@transaction.atomic
def scheme_copy(*, actor, source: Scheme, session: Session) -> Scheme:
    """A new scheme for `session` with the settings, groups, items and components of `source`."""
    ensure_can_manage(actor, session.host)
    if Scheme.objects.filter(session=session).exists():
        raise ScoringError(_("This session already has a scoring scheme."), code="exists")
    copy = Scheme.objects.get(pk=source.pk)
    copy.pk = copy.id = None
    copy.session = session
    copy.scoring_status = ScoringStatus.NOT_OPEN
    copy.save()
    for model in (EvaluatorGroup, Criterion, Component):
        rows = list(model.objects.filter(scheme=source))
        for row in rows:
            row.pk = row.id = None
            row.scheme = copy
        model.objects.bulk_create(rows)
    audit.record(
        actor=actor, action="scheme.copy", obj=copy, organisation=session.host, changes={"from": str(source)}
    )
    return copy


@transaction.atomic
def scheme_save(*, actor, scheme: Scheme) -> Scheme:
    ensure_can_manage(actor, scheme.session.host)
    stored = Scheme.objects.select_for_update().get(pk=scheme.pk) if scheme.pk else None
    if stored is not None:
        scheme_ensure_editable(stored)
        scheme.scoring_status = stored.scoring_status
    scheme.full_clean()
    scheme.save()
    changes = audit.diff(stored, scheme)
    if changes:
        audit.record(
            actor=actor, action="scheme.update", obj=scheme, changes=changes, organisation=scheme.session.host
        )
    return scheme


# Editing a whole scheme at once: settings, groups, items and components; all or nothing.

ROW_FIELDS = {
    EvaluatorGroup: ["name", "weight", "anonymous", "order", "paper_issued"],
    Criterion: ["name", "description", "max_points", "order"],
    Component: ["name", "share", "order"],
}


@transaction.atomic
def scheme_update(
    *,
    actor,
    scheme: Scheme,
    groups: Sequence[EvaluatorGroup],
    criteria: Sequence[Criterion],
    components: Sequence[Component],
) -> Scheme:
    """Save the settings of `scheme` and make its rows exactly `groups`, `criteria`, `components`.

    Each sequence is the complete new set: rows with a primary key are updated, rows without one are
    created, stored rows missing from the sequence are deleted. Refused (ScoringError, nothing saved)
    when the scheme is locked, when a group that already has codes would be removed, or when the
    resulting scheme has problems.
    """
    ensure_can_manage(actor, scheme.session.host)
    # scheme_save locks the stored scheme and refuses when it is locked (scheme_ensure_editable).
    try:
        scheme = scheme_save(actor=actor, scheme=scheme)
    except ValidationError as error:
        raise ScoringError(" ".join(error.messages), code="invalid") from error
    changes = {}
    for model, rows in ((EvaluatorGroup, groups), (Criterion, criteria), (Component, components)):
        change = _rows_replace(scheme, model, list(rows))
        if change:
            changes[model._meta.model_name] = change
    problems = scheme_problems(
        Scheme.objects.prefetch_related("groups", "criteria", "components").get(pk=scheme.pk)
    )
    if problems:
        raise ScoringError(" ".join(problems), code="scheme")
    if changes:
        audit.record(
            actor=actor,
            action="scheme.rows",
            obj=scheme,
            changes=changes,
            organisation=scheme.session.host,
        )
    return scheme


def _rows_replace(scheme: Scheme, model: type[Model], rows: list) -> dict[str, list[str]]:
    """Make the scheme's rows of `model` exactly `rows`; what changed, by name, for the audit log."""
    stored = {row.pk: row for row in model.objects.filter(scheme=scheme)}
    kept = {row.pk for row in rows if row.pk}
    if kept - stored.keys():
        raise ScoringError(
            _("The scheme changed meanwhile. Reload the page and edit it again."), code="tampered"
        )
    names = [row.name.strip() for row in rows]
    if len(set(names)) != len(names):
        raise ScoringError(_duplicate_message(model), code="duplicate")
    removed = [row for pk, row in stored.items() if pk not in kept]
    if model is EvaluatorGroup:
        _ensure_removable(removed)
    model.objects.filter(pk__in=[row.pk for row in removed]).delete()

    # Renamed rows first take a placeholder name, so swapping two names never trips a unique constraint.
    renamed = [row for row in rows if row.pk and row.name.strip() != stored[row.pk].name]
    for row in renamed:
        model.objects.filter(pk=row.pk).update(name=f"~{row.pk}~")

    added, changed = [], []
    fields = ROW_FIELDS[model]
    for row in rows:
        row.scheme = scheme
        row.name = row.name.strip()
        try:
            row.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            raise ScoringError(
                _("%(row)s: %(errors)s") % {"row": row.name or "—", "errors": " ".join(error.messages)},
                code="row",
            ) from error
        if row.pk is None:
            row.save()
            added.append(row.name)
        elif any(getattr(row, f) != getattr(stored[row.pk], f) for f in fields):
            row.save(update_fields=fields)
            changed.append(row.name)
    change = {"added": added, "changed": changed, "removed": [row.name for row in removed]}
    return {key: value for key, value in change.items() if value}


def _duplicate_message(model: type[Model]) -> str:
    if model is EvaluatorGroup:
        return _("Two evaluator groups have the same name.")
    if model is Criterion:
        return _("Two evaluation items are the same.")
    return _("Two composite components are the same.")


def _ensure_removable(groups: list[EvaluatorGroup]) -> None:
    with_codes = list(
        Credential.objects.filter(group__in=groups).values_list("group__name", flat=True).distinct()
    )
    if with_codes:
        raise ScoringError(
            _("Codes have been issued for %(groups)s; an evaluator group with codes cannot be removed.")
            % {"groups": "、".join(sorted(with_codes))},
            code="group_has_codes",
        )


# ---------------------------------------------------------------------------------------------------
# Opening and closing


def _lock_scheme(session: Session) -> Scheme:
    # Lock only the scheme row, and not its key: ballots inserted meanwhile key-share the session row.
    return (
        Scheme.objects.select_for_update(of=("self",), no_key=True)
        .select_related("session")
        .get(session=session)
    )


@transaction.atomic
def scoring_open(*, actor, session: Session) -> Scheme:
    ensure_can_manage(actor, session.host)
    scheme = _lock_scheme(session)
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
    scheme = _lock_scheme(session)
    if scheme.scoring_status != ScoringStatus.OPEN:
        raise ScoringError(_("Scoring is not open."), code="not_open")
    scheme.scoring_status = ScoringStatus.CLOSED
    scheme.save(update_fields=["scoring_status"])
    audit.record(
        actor=actor,
        action="scoring.close",
        obj=session,
        organisation=session.host,
        changes={"ballots": Ballot.objects.filter(session=session).count()},
    )
    return scheme


# ---------------------------------------------------------------------------------------------------
# Codes


@dataclass(frozen=True)
class IssuedCode:
    serial: int
    token: str
    short_code: str
    group: EvaluatorGroup
    delegate_name: str = ""

    @property
    def short_display(self) -> str:
        return codes.format_short(self.short_code)


@transaction.atomic
def credentials_issue(
    *, actor, session: Session, group: EvaluatorGroup, count: int, names: list[str] | None = None
) -> list[IssuedCode]:
    """Issue `count` codes for a group. The secrets are returned once, for the slips, and never stored."""
    ensure_can_manage(actor, session.host)
    names = [n.strip() for n in (names or []) if n.strip()]
    if names:
        count = len(names)
    if group.scheme.session_id != session.pk:
        raise ScoringError(_("This evaluator group belongs to another session."), code="group")
    if not 1 <= count <= 2000:
        raise ScoringError(_("Issue between 1 and 2000 codes at a time."), code="count")
    if names and group.anonymous:
        raise ScoringError(_("Names can only be printed on the codes of a named group."), code="names")
    Session.objects.select_for_update(no_key=True).filter(pk=session.pk).first()  # serials stay unique
    start = (
        Credential.objects.filter(session=session)
        .order_by("-serial")
        .values_list("serial", flat=True)
        .first()
        or 0
    ) + 1
    issued = []
    for serial in range(start, start + count):
        token = codes.new_token()
        short = codes.short_code_for(token)
        name = names[serial - start] if names else ""
        issued.append(
            IssuedCode(serial=serial, token=token, short_code=short, group=group, delegate_name=name)
        )
    Credential.objects.bulk_create(
        Credential(
            session=session,
            group=group,
            serial=code.serial,
            token_hash=codes.token_hash(code.token),
            short_hash=codes.short_hash(code.short_code),
            delegate_name=code.delegate_name,
        )
        for code in issued
    )
    audit.record(
        actor=actor,
        action="credentials.issue",
        obj=session,
        organisation=session.host,
        changes={"group": group.name, "count": count, "serials": [start, start + count - 1]},
    )
    return issued


@transaction.atomic
def credential_revoke(*, actor, credential: Credential) -> Credential:
    ensure_can_manage(actor, credential.session.host)
    credential = Credential.objects.select_for_update().get(pk=credential.pk)
    if credential.used:
        raise ScoringError(_("This code has already been used; its ballot stays counted."), code="used")
    if not credential.revoked:
        credential.revoked = True
        credential.save(update_fields=["revoked"])
        audit.record(
            actor=actor,
            action="credential.revoke",
            obj=credential,
            organisation=credential.session.host,
            changes={"serial": credential.serial},
        )
    return credential


def credential_lookup(code_text: str, queryset=None) -> tuple[Credential, str] | None:
    """The credential a typed or scanned code belongs to, with its short code; None if unknown."""
    queryset = Credential.objects.all() if queryset is None else queryset
    text = (code_text or "").strip()
    if codes.looks_like_token(text):
        found = queryset.filter(token_hash=codes.token_hash(text)).first()
        return (found, codes.short_code_for(text)) if found else None
    short = codes.normalise_short(text)
    if len(short) != codes.SHORT_LENGTH:
        return None
    found = queryset.filter(short_hash=codes.short_hash(short)).first()
    return (found, short) if found else None


# ---------------------------------------------------------------------------------------------------
# Ballots


@dataclass(frozen=True)
class Receipt:
    receipt: str
    replayed: bool = False  # the same submission arrived again (e.g. after a dropped connection)

    @property
    def display(self) -> str:
        return codes.format_short(self.receipt)


def _lock_scheme_for_submit(session_id: int) -> Scheme:
    """Share-lock the scheme row: a concurrent close waits for this submit, or this submit sees it closed."""
    # Django has no FOR SHARE; SQLite's IMMEDIATE transactions already serialise every writer.
    lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
    table = Scheme._meta.db_table
    scheme = Scheme.objects.raw(f"SELECT * FROM {table} WHERE session_id = %s{lock}", [session_id])[0]
    prefetch_related_objects([scheme], "criteria")
    return scheme


def _clean_marks(scheme: Scheme, reports: dict[int, str], raw: Mapping[tuple[int, int], str]) -> dict:
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
    incomplete = []
    for report_id, label in reports.items():
        marked = sum((report_id, c) in cleaned for c in criteria)
        if marked == len(criteria):
            continue
        if marked == 0 and scheme.allow_abstention:
            continue
        if marked and scheme.mode == ModeChoice.POINTS and scheme.allow_abstention:
            raise ScoringError(
                _("%(reporter)s: give points for every criterion, or leave all of them blank to abstain.")
                % {"reporter": label},
                code="incomplete",
            )
        if not scheme.allow_abstention or marked:
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
    return receipt if Ballot.objects.filter(session_id=session_id, receipt=receipt).exists() else None


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
    cleaned = _clean_marks(scheme, reports, marks)
    opinions = _clean_satisfaction(scheme, reports, satisfaction)
    canonical = _canonical(cleaned)
    if opinions:
        canonical += "\n" + "\n".join(f"s:{r}:{v}" for r, v in sorted(opinions.items()))
    return cleaned, opinions, canonical


def _store_marks(ballot: Ballot, cleaned: dict, opinions: Mapping[int, str] | None = None) -> None:
    Score.objects.bulk_create(
        Score(
            ballot=ballot,
            report_id=report_id,
            criterion_id=criterion_id,
            grade=value if isinstance(value, str) else "",
            points=value if isinstance(value, Decimal) else None,
        )
        for (report_id, criterion_id), value in cleaned.items()
    )
    if opinions:
        SatisfactionMark.objects.bulk_create(
            SatisfactionMark(ballot=ballot, report_id=r, value=v) for r, v in opinions.items()
        )


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
    """Store one delegate's ballot: once per code, all or nothing, nothing after scoring closes.

    The ballot row carries no link to the code: the code is only marked used.
    """
    # Found and locked in one query: a second submit with this code waits here until this one commits.
    found = credential_lookup(
        code, Credential.objects.select_for_update(of=("self",)).select_related("group")
    )
    if found is None:
        raise ScoringError(_("This code is not valid. Check it and try again."), code="unknown")
    credential, short = found
    scheme = _lock_scheme_for_submit(credential.session_id)
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
    cleaned, opinions, canonical = _clean_content(scheme, reports, marks=marks, satisfaction=satisfaction)
    receipt = codes.receipt_for(short, submission_key, canonical)
    ballot = Ballot.objects.create(
        session_id=credential.session_id,
        group=credential.group,
        channel=Channel.ELECTRONIC,
        receipt=receipt,
        delegate_name="" if credential.group.anonymous else credential.delegate_name,
    )
    _store_marks(ballot, cleaned, opinions)
    credential.used = True
    credential.save(update_fields=["used"])
    return Receipt(receipt)


# ---------------------------------------------------------------------------------------------------
# Components and results


@transaction.atomic
def component_score_set(*, actor, report, component: Component, value: Decimal | None) -> None:
    ensure_can_manage(actor, report.session.host)
    if component.scheme.session_id != report.session_id:
        raise ScoringError(_("This component belongs to another session."), code="component")
    if ResultSnapshot.objects.filter(session_id=report.session_id).exists():
        raise ScoringError(
            _("Results are published; component scores can no longer change."), code="published"
        )
    if value is None:
        ComponentScore.objects.filter(report=report, component=component).delete()
        change = None
    else:
        if not 0 <= value <= 100:
            raise ScoringError(_("A component score must lie between 0 and 100."), code="range")
        ComponentScore.objects.update_or_create(report=report, component=component, defaults={"value": value})
        change = str(value)
    audit.record(
        actor=actor,
        action="component_score.set",
        obj=report,
        organisation=report.organisation,
        changes={component.name: change},
    )


@transaction.atomic
def results_publish(*, actor, session: Session) -> ResultSnapshot:
    """Freeze the results with the digest of the ballots; later recomputations must match."""
    ensure_can_manage(actor, session.host)
    scheme = _lock_scheme(session)
    if scheme.scoring_status != ScoringStatus.CLOSED:
        raise ScoringError(_("Close scoring before publishing the results."), code="not_closed")
    if ResultSnapshot.objects.filter(session=session).exists():
        raise ScoringError(_("The results of this session are already published."), code="published")
    computed = selectors.session_tally(session).result
    snapshot = ResultSnapshot.objects.create(
        session=session, published_by=actor, digest=computed.digest, data=computed.to_dict()
    )
    session.status = SessionStatus.PUBLISHED
    session.save(update_fields=["status"])
    audit.record(
        actor=actor,
        action="results.publish",
        obj=session,
        organisation=session.host,
        changes={"digest": computed.digest, "ballots": computed.ballots_received},
    )
    return snapshot


def snapshot_matches(snapshot: ResultSnapshot) -> bool:
    """Recompute from the stored ballots and compare with the frozen snapshot."""
    return selectors.session_tally(snapshot.session).result.to_dict() == snapshot.data


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
    scheme = _lock_scheme_for_submit(session.pk)
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
        _store_marks(ballot, cleaned)
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
        {} if invalid_reason else _marks_document(_clean_marks(scheme, _session_reports(session), marks))
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
        {}
        if invalid_reason
        else _marks_document(_clean_marks(scheme, _session_reports(paper.session), marks))
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


# ---------------------------------------------------------------------------------------------------
# The big screen's ranking


@transaction.atomic
def results_reveal(*, actor, session: Session, everything: bool = False, version: int | None) -> Session:
    """揭晓: show one more ranking row (from the last place up), or the whole ranking at once."""
    scheme = _lock_scheme(session)
    if scheme.scoring_status != ScoringStatus.CLOSED:
        raise ScoringError(_("Close scoring before revealing the results."), code="not_closed")
    total = Report.objects.filter(session=session).count()
    current = Session.objects.get(pk=session.pk)
    stepwise = current.reveal_one_by_one and not everything
    rows = min(total, current.revealed_rows + 1) if stepwise else total
    try:
        return review_services.meeting_reveal(actor=actor, session=session, rows=rows, version=version)
    except review_services.MeetingError as error:
        raise ScoringError(error.message, code=error.code) from error
