"""State-changing operations of scoring: one function each, atomic; staff actions are audited.

Ballot contents never reach the audit log.
"""

from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reviews.audit import services as audit
from reviews.cycles.models import Session
from reviews.scope import ensure_can_manage
from scoring import selectors, tally
from scoring.codes.models import Credential
from scoring.errors import ScoringError
from scoring.schemes.models import (
    Component,
    Criterion,
    EvaluatorGroup,
    Scheme,
    ScoringStatus,
)

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
    EvaluatorGroup: ["name", "weight", "anonymous", "order", "paper_issued", "expected_delegates"],
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
