"""The tally of a 述职评议 session: ballots → group scores → on-site score → composite → grade and rank.

Kept whole (~1,000 lines): one pure pipeline read top to bottom, one module to its property tests.

Pure functions over plain frozen data (no Django, no ORM) so every rule in DESIGN.md "Scoring rules"
can be tested on tiny hand-built cases and any published result can be recomputed from its ballots.

Arithmetic is exact: everything is a ``fractions.Fraction`` until it leaves this module. Results keep
the exact value (``*_exact`` fields, used for ranking so ties are exact) and expose ``Decimal`` views
(28 significant digits) under the names the rest of the app uses; ``fmt`` rounds for display only.

Interpretations this module commits to (see docs/scoring.md):

- A blank mark (missing key or ``None``) is always an abstention: it is left out of the valid votes.
  Schemes that forbid abstention are enforced when a ballot is submitted (the service refuses it),
  so ``allow_abstention`` changes nothing here.
- A ballot with an ``invalid_reason`` (a paper 废票) is counted as invalid and never read: its marks
  are not checked against the scheme (they must still be a Grade, a number or None, for the digest).
- ``same_grade_invalid``: a ballot is invalid when all its marks are one and the same grade and they
  cover at least two reporters (abstaining on someone does not dodge the rule).
- Paper over-issue: when a group has more paper ballots than paper slips issued, every paper ballot of
  that group is voided; voided ballots count neither as valid nor as invalid, nor toward the quorum.
- Points mode: a ballot counts for a reporter only when every criterion is marked; per-criterion means
  are over those same ballots, untrimmed, while the group score is the trimmed mean when trimming applies.
- The good cap never splits a tie: reporters sharing a rank keep 好 together or lose it together, and
  once the cap is reached no lower-ranked reporter keeps 好.
- Settings that do not apply to a mode are ignored, not rejected (trimming in grade modes, vote-share
  rules and same-grade invalidity in points mode).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Context, Decimal
from enum import StrEnum
from fractions import Fraction

# ---------------------------------------------------------------------------------------------------
# Inputs


class Mode(StrEnum):
    GRADE_PER_REPORTER = "grade"
    GRADE_PER_ITEM = "item_grade"
    POINTS = "points"

    @property
    def uses_grades(self) -> bool:
        return self is not Mode.POINTS


class Grade(StrEnum):
    """等次, best first: 好, 较好, 一般, 差."""

    GOOD = "good"
    FAIRLY_GOOD = "fairly_good"
    AVERAGE = "average"
    POOR = "poor"


GRADES: tuple[Grade, ...] = tuple(Grade)
LOW_GRADES = frozenset({Grade.AVERAGE, Grade.POOR})  # flagged for a talk (约谈)

DEFAULT_GRADE_POINTS: Mapping[Grade, Decimal] = {
    Grade.GOOD: Decimal(100),
    Grade.FAIRLY_GOOD: Decimal(80),
    Grade.AVERAGE: Decimal(60),
    Grade.POOR: Decimal(40),
}


@dataclass(frozen=True)
class GroupSpec:
    """测评主体. ``weight`` is a percent; the weights of a scheme sum to 100."""

    key: str
    name: str
    weight: Decimal
    codes_issued: int = 0
    paper_issued: int = 0


@dataclass(frozen=True)
class CriterionSpec:
    """测评指标. ``max_points`` only matters in points mode."""

    key: str
    name: str
    max_points: Decimal = Decimal(100)


@dataclass(frozen=True)
class ComponentSpec:
    """A score typed or imported by staff (日常考核, 年度考核 …); ``share`` is a percent of the composite."""

    key: str
    name: str
    share: Decimal


@dataclass(frozen=True)
class SchemeSpec:
    mode: Mode
    groups: tuple[GroupSpec, ...]  # ordered; groups[0] breaks ties
    criteria: tuple[CriterionSpec, ...]
    grade_points: Mapping[Grade, Decimal] = field(default_factory=lambda: dict(DEFAULT_GRADE_POINTS))
    trim_extremes: bool = False
    trim_min_ballots: int = 5
    onsite_share: Decimal = Decimal(100)
    components: tuple[ComponentSpec, ...] = ()
    grade_thresholds: tuple[Decimal, Decimal, Decimal] = (Decimal(85), Decimal(75), Decimal(60))
    poor_override_fraction: Fraction | None = Fraction(1, 3)
    good_min_fraction: Fraction | None = Fraction(2, 3)
    good_cap_fraction: Fraction | None = None
    breakdown_min_ballots: int = 5
    allow_abstention: bool = False
    quorum_fraction: Fraction = Fraction(1, 2)
    same_grade_invalid: bool = False


Mark = Grade | Decimal | int | None


@dataclass(frozen=True)
class BallotData:
    """One 测评票: ``marks[(reporter_key, criterion_key)]``; a missing key or ``None`` is a blank."""

    group: str
    marks: Mapping[tuple[str, str], Mark]
    paper: bool = False
    invalid_reason: str = ""  # a paper ballot entered as 废票

    @property
    def is_marked_invalid(self) -> bool:
        return bool(self.invalid_reason.strip())


# ---------------------------------------------------------------------------------------------------
# Scheme validation


class ProblemCode(StrEnum):
    NO_GROUPS = "no_groups"
    DUPLICATE_GROUP = "duplicate_group"
    GROUP_WEIGHT_NOT_POSITIVE = "group_weight_not_positive"
    GROUP_WEIGHTS_SUM = "group_weights_sum"
    ISSUED_NEGATIVE = "issued_negative"
    CRITERION_COUNT = "criterion_count"
    DUPLICATE_CRITERION = "duplicate_criterion"
    CRITERION_MAX_NOT_POSITIVE = "criterion_max_not_positive"
    CRITERION_MAX_SUM = "criterion_max_sum"
    GRADE_POINTS_MISSING = "grade_points_missing"
    DUPLICATE_COMPONENT = "duplicate_component"
    SHARE_OUT_OF_RANGE = "share_out_of_range"
    SHARES_SUM = "shares_sum"
    THRESHOLDS_NOT_DESCENDING = "thresholds_not_descending"
    FRACTION_OUT_OF_RANGE = "fraction_out_of_range"
    TRIM_MIN_TOO_SMALL = "trim_min_ballots_too_small"
    BREAKDOWN_MIN_NEGATIVE = "breakdown_min_ballots_negative"


@dataclass(frozen=True)
class SchemeProblem:
    """One thing wrong with a scheme; the Django layer maps ``code`` to a translated message."""

    code: ProblemCode
    params: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        details = ", ".join(f"{key}={value}" for key, value in self.params.items())
        return f"{self.code}({details})" if details else str(self.code)


class SchemeError(ValueError):
    def __init__(self, problems: Sequence[SchemeProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid scheme: " + "; ".join(str(p) for p in self.problems))


def validate_scheme(scheme: SchemeSpec) -> list[SchemeProblem]:
    """Every problem with ``scheme``, in a stable order; an empty list means it can be tallied."""
    return [
        *_group_problems(scheme),
        *_criterion_problems(scheme),
        *_share_problems(scheme),
        *_grading_problems(scheme),
        *_count_setting_problems(scheme),
    ]


def _duplicates(keys: Iterable[str]) -> list[str]:
    counts = Counter(keys)
    return [key for key, n in counts.items() if n > 1]


def _group_problems(scheme: SchemeSpec) -> list[SchemeProblem]:
    if not scheme.groups:
        return [SchemeProblem(ProblemCode.NO_GROUPS)]
    problems = [
        SchemeProblem(ProblemCode.DUPLICATE_GROUP, {"group": key})
        for key in _duplicates(g.key for g in scheme.groups)
    ]
    for group in scheme.groups:
        if group.weight <= 0:
            problems.append(
                SchemeProblem(
                    ProblemCode.GROUP_WEIGHT_NOT_POSITIVE, {"group": group.key, "weight": str(group.weight)}
                )
            )
        if group.codes_issued < 0 or group.paper_issued < 0:
            problems.append(SchemeProblem(ProblemCode.ISSUED_NEGATIVE, {"group": group.key}))
    total = sum((_exact(g.weight) for g in scheme.groups), Fraction(0))
    if total != 100:
        problems.append(SchemeProblem(ProblemCode.GROUP_WEIGHTS_SUM, {"total": str(as_decimal(total))}))
    return problems


def _criterion_problems(scheme: SchemeSpec) -> list[SchemeProblem]:
    count = len(scheme.criteria)
    expected_one = scheme.mode is Mode.GRADE_PER_REPORTER
    if (expected_one and count != 1) or count == 0:
        return [
            SchemeProblem(
                ProblemCode.CRITERION_COUNT,
                {"mode": str(scheme.mode), "count": str(count), "expected": "1" if expected_one else "1+"},
            )
        ]
    problems = [
        SchemeProblem(ProblemCode.DUPLICATE_CRITERION, {"criterion": key})
        for key in _duplicates(c.key for c in scheme.criteria)
    ]
    if scheme.mode is Mode.POINTS:
        problems += [
            SchemeProblem(
                ProblemCode.CRITERION_MAX_NOT_POSITIVE,
                {"criterion": c.key, "max_points": str(c.max_points)},
            )
            for c in scheme.criteria
            if c.max_points <= 0
        ]
        total = sum((_exact(c.max_points) for c in scheme.criteria), Fraction(0))
        if total != 100:
            problems.append(SchemeProblem(ProblemCode.CRITERION_MAX_SUM, {"total": str(as_decimal(total))}))
    return problems


def _share_problems(scheme: SchemeSpec) -> list[SchemeProblem]:
    problems = [
        SchemeProblem(ProblemCode.DUPLICATE_COMPONENT, {"component": key})
        for key in _duplicates(c.key for c in scheme.components)
    ]
    shares = {"onsite": scheme.onsite_share} | {c.key: c.share for c in scheme.components}
    problems += [
        SchemeProblem(ProblemCode.SHARE_OUT_OF_RANGE, {"part": part, "share": str(share)})
        for part, share in shares.items()
        if not 0 <= share <= 100
    ]
    total = _exact(scheme.onsite_share) + sum((_exact(c.share) for c in scheme.components), Fraction(0))
    if total != 100:
        problems.append(SchemeProblem(ProblemCode.SHARES_SUM, {"total": str(as_decimal(total))}))
    return problems


def _grading_problems(scheme: SchemeSpec) -> list[SchemeProblem]:
    problems = []
    if scheme.mode.uses_grades:
        problems += [
            SchemeProblem(ProblemCode.GRADE_POINTS_MISSING, {"grade": str(grade)})
            for grade in GRADES
            if grade not in scheme.grade_points
        ]
    thresholds = tuple(scheme.grade_thresholds)
    if len(thresholds) != 3 or not all(a > b for a, b in itertools.pairwise(thresholds)):
        problems.append(
            SchemeProblem(
                ProblemCode.THRESHOLDS_NOT_DESCENDING, {"thresholds": ",".join(str(t) for t in thresholds)}
            )
        )
    fractions = {
        "poor_override_fraction": scheme.poor_override_fraction,
        "good_min_fraction": scheme.good_min_fraction,
        "good_cap_fraction": scheme.good_cap_fraction,
    }
    problems += [
        SchemeProblem(ProblemCode.FRACTION_OUT_OF_RANGE, {"setting": name, "value": str(value)})
        for name, value in fractions.items()
        if value is not None and not 0 <= value <= 1
    ]
    return problems


def _count_setting_problems(scheme: SchemeSpec) -> list[SchemeProblem]:
    problems = []
    if not 0 <= scheme.quorum_fraction < 1:
        problems.append(
            SchemeProblem(
                ProblemCode.FRACTION_OUT_OF_RANGE,
                {"setting": "quorum_fraction", "value": str(scheme.quorum_fraction)},
            )
        )
    # Dropping one highest and one lowest needs at least one total left over.
    if scheme.mode is Mode.POINTS and scheme.trim_extremes and scheme.trim_min_ballots < 2:
        problems.append(
            SchemeProblem(ProblemCode.TRIM_MIN_TOO_SMALL, {"value": str(scheme.trim_min_ballots)})
        )
    if scheme.breakdown_min_ballots < 0:
        problems.append(
            SchemeProblem(ProblemCode.BREAKDOWN_MIN_NEGATIVE, {"value": str(scheme.breakdown_min_ballots)})
        )
    return problems


# ---------------------------------------------------------------------------------------------------
# Numbers

_DECIMAL = Context(prec=28)


def _exact(value: object) -> Fraction:
    """A scheme or ballot number as an exact Fraction; floats are refused (they are not exact)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | Fraction):
        raise TypeError(f"expected a Decimal, int or Fraction, got {type(value).__name__}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"expected a finite number, got {value}")
    return Fraction(value)


def as_decimal(value: Fraction) -> Decimal:
    """The Decimal shown outside this module: 28 significant digits (exact for terminating values)."""
    return _DECIMAL.divide(Decimal(value.numerator), Decimal(value.denominator))


def _optional_decimal(value: Fraction | None) -> Decimal | None:
    return None if value is None else as_decimal(value)


def fmt(value: Decimal | Fraction | int | None, places: int = 2) -> str:
    """Display form: ``places`` decimals, half up ("87.50"); "—" for a missing value.

    Rounds the exact value once, so a Fraction never suffers double rounding.
    """
    if value is None:
        return "—"
    exact = _exact(value)
    scaled = abs(exact) * 10**places
    whole, remainder = divmod(scaled.numerator, scaled.denominator)
    if 2 * remainder >= scaled.denominator:
        whole += 1
    sign = "-" if exact < 0 and whole else ""
    if places == 0:
        return f"{sign}{whole}"
    integer, decimals = divmod(whole, 10**places)
    return f"{sign}{integer}.{decimals:0{places}d}"


def _dec_str(value: Fraction | None) -> str | None:
    return None if value is None else str(as_decimal(value))


# ---------------------------------------------------------------------------------------------------
# Results


class GradeReason(StrEnum):
    THRESHOLD = "threshold"  # the grade the composite earns by the thresholds
    POOR_OVERRIDE = "poor_override"  # 差 votes over the fraction → 差
    GOOD_MIN = "good_min"  # 好 + 较好 votes under the fraction → at most 一般
    GOOD_CAP = "good_cap"  # over the cap on 好 → 较好


@dataclass(frozen=True)
class GroupScore:
    """One reporter in one group. ``score`` is None when the group gave the reporter no valid vote."""

    group: str
    score_exact: Fraction | None
    valid_votes: int  # grade marks (item mode: one per item) or complete points ballots
    ballots: int  # valid ballots that voted for this reporter
    grade_counts: Mapping[Grade, int]  # empty in points mode
    criterion_means_exact: Mapping[str, Fraction | None]
    trimmed: bool = False  # points mode: one highest and one lowest total dropped
    breakdown_visible: bool = False  # the group's breakdown is shown and this mean rests on enough ballots

    @property
    def score(self) -> Decimal | None:
        return _optional_decimal(self.score_exact)

    @property
    def criterion_means(self) -> Mapping[str, Decimal | None]:
        return {key: _optional_decimal(mean) for key, mean in self.criterion_means_exact.items()}

    def to_dict(self) -> dict[str, object]:
        return {
            "group": self.group,
            "score": _dec_str(self.score_exact),
            "valid_votes": self.valid_votes,
            "ballots": self.ballots,
            "grade_counts": {str(grade): n for grade, n in self.grade_counts.items()},
            "criterion_means": {key: _dec_str(mean) for key, mean in self.criterion_means_exact.items()},
            "trimmed": self.trimmed,
            "breakdown_visible": self.breakdown_visible,
        }


@dataclass(frozen=True)
class ReporterResult:
    reporter: str
    group_scores: Mapping[str, GroupScore]  # every group of the scheme, in scheme order
    onsite_exact: Fraction | None
    composite_exact: Fraction | None
    grade: Grade | None
    grade_reasons: tuple[GradeReason, ...]
    rank: int | None
    good_share_exact: Fraction  # 好 votes ÷ valid votes over all groups; 0 in points mode
    missing_groups: tuple[str, ...]  # groups with no valid vote for this reporter
    missing_components: tuple[str, ...]  # components with a share that staff have not entered
    grade_counts: Mapping[Grade, int]  # over all groups; empty in points mode
    valid_votes: int

    @property
    def onsite(self) -> Decimal | None:
        return _optional_decimal(self.onsite_exact)

    @property
    def composite(self) -> Decimal | None:
        return _optional_decimal(self.composite_exact)

    @property
    def good_share(self) -> Decimal:
        return as_decimal(self.good_share_exact)

    @property
    def needs_talk(self) -> bool:
        return self.grade in LOW_GRADES

    @property
    def renormalised(self) -> bool:
        """The on-site score was reweighted over the groups present."""
        return self.onsite_exact is not None and bool(self.missing_groups)

    def to_dict(self) -> dict[str, object]:
        return {
            "reporter": self.reporter,
            "group_scores": {key: score.to_dict() for key, score in self.group_scores.items()},
            "onsite": _dec_str(self.onsite_exact),
            "composite": _dec_str(self.composite_exact),
            "grade": None if self.grade is None else str(self.grade),
            "grade_reasons": [str(reason) for reason in self.grade_reasons],
            "rank": self.rank,
            "good_share": str(self.good_share),
            "missing_groups": list(self.missing_groups),
            "missing_components": list(self.missing_components),
            "grade_counts": {str(grade): n for grade, n in self.grade_counts.items()},
            "valid_votes": self.valid_votes,
            "needs_talk": self.needs_talk,
            "renormalised": self.renormalised,
        }


@dataclass(frozen=True)
class GroupTurnout:
    group: str
    issued: int  # codes + paper slips
    received: int  # every ballot that arrived, paper and 废票 included
    paper: int
    voided: int  # paper ballots voided because more came back than were issued
    invalid_ballots: int
    valid_ballots: int
    paper_voided: bool
    breakdown_visible: bool

    @property
    def counted(self) -> int:
        """Ballots that count toward turnout and quorum: valid + invalid."""
        return self.received - self.voided

    @property
    def share_exact(self) -> Fraction | None:
        return Fraction(self.counted, self.issued) if self.issued else None

    @property
    def share(self) -> Decimal | None:
        return _optional_decimal(self.share_exact)

    def to_dict(self) -> dict[str, object]:
        return {
            "group": self.group,
            "issued": self.issued,
            "received": self.received,
            "paper": self.paper,
            "voided": self.voided,
            "invalid_ballots": self.invalid_ballots,
            "valid_ballots": self.valid_ballots,
            "counted": self.counted,
            "share": _dec_str(self.share_exact),
            "paper_voided": self.paper_voided,
            "breakdown_visible": self.breakdown_visible,
        }


@dataclass(frozen=True)
class TallyResult:
    reporters: tuple[ReporterResult, ...]  # speaking order
    ranking: tuple[ReporterResult, ...]  # rank order; unranked reporters last, in speaking order
    groups: tuple[GroupTurnout, ...]
    quorum_met: bool
    ballots_received: int  # every ballot, voided paper included
    ballots_counted: int  # valid + invalid: what the quorum is measured on
    codes_issued: int  # codes + paper slips, all groups
    digest: str

    def reporter(self, key: str) -> ReporterResult:
        for result in self.reporters:
            if result.reporter == key:
                return result
        raise KeyError(key)

    def to_dict(self) -> dict[str, object]:
        return {
            "reporters": [result.to_dict() for result in self.reporters],
            "ranking": [result.reporter for result in self.ranking],
            "groups": [group.to_dict() for group in self.groups],
            "quorum_met": self.quorum_met,
            "ballots_received": self.ballots_received,
            "ballots_counted": self.ballots_counted,
            "codes_issued": self.codes_issued,
            "digest": self.digest,
        }


# ---------------------------------------------------------------------------------------------------
# Digest


def _canonical_mark(value: Mark) -> str:
    # Numbers by exact value ("175/2"), so Decimal("80"), Decimal("80.00") and 80 digest alike.
    return str(value) if isinstance(value, Grade) else str(_exact(value))


def canonical_ballot(ballot: BallotData) -> str:
    """One ballot as compact JSON with sorted keys; blanks are left out so None and missing agree."""
    marks = sorted(
        [reporter, criterion, _canonical_mark(value)]
        for (reporter, criterion), value in ballot.marks.items()
        if value is not None
    )
    document = {
        "group": ballot.group,
        "invalid_reason": ballot.invalid_reason,
        "marks": marks,
        "paper": ballot.paper,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def ballots_digest(ballots: Iterable[BallotData]) -> str:
    """sha256 hex of the canonical ballots as UTF-8 JSON Lines, lines sorted (so order never matters)."""
    lines = sorted(canonical_ballot(ballot) for ballot in ballots)
    payload = "".join(line + "\n" for line in lines)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------------
# Input checks


def _check_reporters(reporters: Sequence[str]) -> None:
    duplicates = _duplicates(reporters)
    if duplicates:
        raise ValueError(f"reporters listed twice: {', '.join(duplicates)}")


def _check_ballots(scheme: SchemeSpec, reporters: frozenset[str], ballots: Iterable[BallotData]) -> None:
    groups = {g.key for g in scheme.groups}
    criteria = {c.key: c for c in scheme.criteria}
    for ballot in ballots:
        if ballot.group not in groups:
            raise ValueError(f"ballot for unknown group {ballot.group!r}")
        if ballot.is_marked_invalid:  # a 废票 is counted, never read: its marks need only be digestible
            _check_mark_types(ballot)
        else:
            _check_marks(scheme.mode, reporters, criteria, ballot)


def _check_mark_types(ballot: BallotData) -> None:
    for value in ballot.marks.values():
        if value is not None and not isinstance(value, Grade):
            try:
                _exact(value)
            except TypeError as error:
                raise ValueError(f"mark on an invalid ballot: {error}") from error


def _check_marks(
    mode: Mode, reporters: frozenset[str], criteria: Mapping[str, CriterionSpec], ballot: BallotData
) -> None:
    for key, value in ballot.marks.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise ValueError(f"mark key must be (reporter, criterion), got {key!r}")
        reporter, criterion = key
        if reporter not in reporters:
            raise ValueError(f"mark for unknown reporter {reporter!r}")
        if criterion not in criteria:
            raise ValueError(f"mark for unknown criterion {criterion!r}")
        if value is not None:
            _check_mark(mode, criteria[criterion], value)


def _check_mark(mode: Mode, criterion: CriterionSpec, value: object) -> None:
    if mode.uses_grades:
        if not isinstance(value, Grade):
            raise ValueError(f"{criterion.key}: expected a Grade, got {value!r}")
        return
    if isinstance(value, Grade):
        raise ValueError(f"{criterion.key}: expected points, got the grade {value}")
    try:
        points = _exact(value)
    except TypeError as error:
        raise ValueError(f"{criterion.key}: {error}") from error
    if not 0 <= points <= _exact(criterion.max_points):
        raise ValueError(f"{criterion.key}: {value} is outside 0..{criterion.max_points}")


def _check_components(
    scheme: SchemeSpec, reporters: frozenset[str], component_scores: Mapping[str, Mapping[str, Decimal]]
) -> dict[str, dict[str, Fraction]]:
    known = {c.key for c in scheme.components}
    checked: dict[str, dict[str, Fraction]] = {}
    for reporter, scores in component_scores.items():
        if reporter not in reporters:
            raise ValueError(f"component score for unknown reporter {reporter!r}")
        unknown = set(scores) - known
        if unknown:
            raise ValueError(f"unknown components for {reporter!r}: {', '.join(sorted(unknown))}")
        checked[reporter] = {key: _exact(value) for key, value in scores.items() if value is not None}
    return checked


# ---------------------------------------------------------------------------------------------------
# Ballots → valid ballots and turnout per group


def _gives_everyone_same_grade(ballot: BallotData) -> bool:
    given = [(reporter, value) for (reporter, _), value in ballot.marks.items() if value is not None]
    return len({reporter for reporter, _ in given}) > 1 and len({value for _, value in given}) == 1


def _is_invalid(scheme: SchemeSpec, ballot: BallotData) -> bool:
    if ballot.is_marked_invalid:
        return True
    return scheme.same_grade_invalid and scheme.mode.uses_grades and _gives_everyone_same_grade(ballot)


def _sort_group_ballots(
    scheme: SchemeSpec, group: GroupSpec, ballots: Sequence[BallotData]
) -> tuple[list[BallotData], GroupTurnout]:
    received = [b for b in ballots if b.group == group.key]
    paper = [b for b in received if b.paper]
    paper_voided = len(paper) > group.paper_issued
    counted = [b for b in received if not (paper_voided and b.paper)]
    valid = [b for b in counted if not _is_invalid(scheme, b)]
    turnout = GroupTurnout(
        group=group.key,
        issued=group.codes_issued + group.paper_issued,
        received=len(received),
        paper=len(paper),
        voided=len(paper) if paper_voided else 0,
        invalid_ballots=len(counted) - len(valid),
        valid_ballots=len(valid),
        paper_voided=paper_voided,
        breakdown_visible=len(valid) >= scheme.breakdown_min_ballots,
    )
    return valid, turnout


# ---------------------------------------------------------------------------------------------------
# Valid ballots → one reporter's score in one group


def _mean(values: Sequence[Fraction]) -> Fraction | None:
    return sum(values, Fraction(0)) / len(values) if values else None


def _grade_group_score(
    scheme: SchemeSpec, reporter: str, group: str, ballots: Sequence[BallotData]
) -> GroupScore:
    """Σ(votes × points) ÷ valid votes; in item mode every item mark is one vote.

    Counted per grade, then weighted once: exact, and linear in the number of marks.
    """
    points = {grade: _exact(value) for grade, value in scheme.grade_points.items()}
    per_criterion: dict[str, Counter[Grade]] = {c.key: Counter() for c in scheme.criteria}
    voting_ballots = 0
    for ballot in ballots:
        voted = False
        for criterion in scheme.criteria:
            grade = ballot.marks.get((reporter, criterion.key))
            if grade is not None:
                per_criterion[criterion.key][grade] += 1
                voted = True
        voting_ballots += voted
    counts: Counter[Grade] = sum(per_criterion.values(), Counter())
    return GroupScore(
        group=group,
        score_exact=_weighted_mean(counts, points),
        valid_votes=sum(counts.values()),
        ballots=voting_ballots,
        grade_counts={grade: counts[grade] for grade in GRADES},
        criterion_means_exact={key: _weighted_mean(c, points) for key, c in per_criterion.items()},
    )


def _weighted_mean(counts: Mapping[Grade, int], points: Mapping[Grade, Fraction]) -> Fraction | None:
    votes = sum(counts.values())
    if not votes:
        return None
    return sum((points[grade] * n for grade, n in counts.items()), Fraction(0)) / votes


def _points_group_score(
    scheme: SchemeSpec, reporter: str, group: str, ballots: Sequence[BallotData]
) -> GroupScore:
    """Mean of complete ballot totals, optionally dropping one highest and one lowest."""
    totals: list[Fraction] = []
    by_criterion: dict[str, list[Fraction]] = {c.key: [] for c in scheme.criteria}
    for ballot in ballots:
        marks = [ballot.marks.get((reporter, c.key)) for c in scheme.criteria]
        if any(mark is None for mark in marks):
            continue  # an incomplete ballot is an abstention for this reporter
        values = [_exact(mark) for mark in marks]
        totals.append(sum(values, Fraction(0)))
        for criterion, value in zip(scheme.criteria, values, strict=True):
            by_criterion[criterion.key].append(value)
    trimmed = scheme.trim_extremes and len(totals) > scheme.trim_min_ballots
    kept = sorted(totals)[1:-1] if trimmed else totals
    return GroupScore(
        group=group,
        score_exact=_mean(kept),
        valid_votes=len(totals),
        ballots=len(totals),
        grade_counts={},
        criterion_means_exact={key: _mean(values) for key, values in by_criterion.items()},
        trimmed=trimmed,
    )


def _group_score(
    scheme: SchemeSpec, reporter: str, group: GroupTurnout, ballots: Sequence[BallotData]
) -> GroupScore:
    score_of = _grade_group_score if scheme.mode.uses_grades else _points_group_score
    score = score_of(scheme, reporter, group.group, ballots)
    # A mean over few ballots reveals them even when the group as a whole is large enough.
    visible = group.breakdown_visible and score.ballots >= scheme.breakdown_min_ballots
    return replace(score, breakdown_visible=visible)


# ---------------------------------------------------------------------------------------------------
# Group scores → on-site score → composite


def _onsite(scheme: SchemeSpec, scores: Mapping[str, GroupScore]) -> tuple[Fraction | None, tuple[str, ...]]:
    """Weighted mean of the group scores, reweighted over the groups that voted; and who did not."""
    missing = tuple(g.key for g in scheme.groups if scores[g.key].score_exact is None)
    weighted = [
        (score, _exact(g.weight)) for g in scheme.groups if (score := scores[g.key].score_exact) is not None
    ]
    if not weighted:
        return None, missing
    total_weight = sum((weight for _, weight in weighted), Fraction(0))
    return sum((score * weight for score, weight in weighted), Fraction(0)) / total_weight, missing


def _composite(
    scheme: SchemeSpec, onsite: Fraction | None, components: Mapping[str, Fraction]
) -> tuple[Fraction | None, tuple[str, ...]]:
    missing = tuple(c.key for c in scheme.components if c.share > 0 and c.key not in components)
    onsite_share = _exact(scheme.onsite_share)
    if missing or (onsite is None and onsite_share > 0):
        return None, missing
    total = (onsite or Fraction(0)) * onsite_share / 100
    for component in scheme.components:
        total += components.get(component.key, Fraction(0)) * _exact(component.share) / 100
    return total, missing


# ---------------------------------------------------------------------------------------------------
# Rank


@dataclass(frozen=True)
class _Draft:
    """A reporter's numbers before rank and grade."""

    reporter: str
    group_scores: Mapping[str, GroupScore]
    onsite: Fraction | None
    composite: Fraction | None
    good_share: Fraction
    grade_counts: Mapping[Grade, int]
    valid_votes: int
    missing_groups: tuple[str, ...]
    missing_components: tuple[str, ...]


def _rank_key(draft: _Draft, first_group: str) -> tuple[Fraction, Fraction, bool, Fraction]:
    """Composite, then share of 好 votes, then the first group's score (a missing score is lowest)."""
    assert draft.composite is not None
    first = draft.group_scores[first_group].score_exact
    return (draft.composite, draft.good_share, first is not None, first or Fraction(0))


def _ranked(drafts: Sequence[_Draft], first_group: str) -> tuple[list[_Draft], dict[str, int | None]]:
    """Rank order and competition ranks (1, 2, 2, 4); reporters without a composite are unranked."""
    scored = [d for d in drafts if d.composite is not None]
    order = sorted(scored, key=lambda d: _rank_key(d, first_group), reverse=True)  # stable: speaking order
    ranks: dict[str, int | None] = {d.reporter: None for d in drafts}
    previous_key = None
    for position, draft in enumerate(order, start=1):
        key = _rank_key(draft, first_group)
        ranks[draft.reporter] = ranks[order[position - 2].reporter] if key == previous_key else position
        previous_key = key
    unranked = [d for d in drafts if d.composite is None]
    return order + unranked, ranks


# ---------------------------------------------------------------------------------------------------
# Ties explained


class TieBreak(StrEnum):
    """What separated two neighbours whose displayed composite scores are equal."""

    EXACT = "exact"  # nothing: they share a rank (并列)
    COMPOSITE = "composite"  # the composite itself, beyond the displayed decimals
    GOOD_SHARE = "good_share"  # the share of 好 votes
    FIRST_GROUP = "first_group"  # the first group's score


@dataclass(frozen=True)
class RankedLine:
    """What the tie-break reads of one ranked reporter (from a tally or from a published snapshot)."""

    reporter: str
    rank: int | None
    composite: Fraction | None
    good_share: Fraction
    first_group: Fraction | None  # the first group's score; None when it gave no valid vote
    first_group_visible: bool = True  # that score may be shown (its breakdown is not hidden)

    @property
    def key(self) -> tuple[Fraction, Fraction, bool, Fraction]:
        assert self.composite is not None
        first = self.first_group
        return (self.composite, self.good_share, first is not None, first or Fraction(0))


@dataclass(frozen=True)
class TieNote:
    """One reporter against one neighbour with the same displayed composite: what separated them.

    ``mine`` and ``theirs`` are the values compared (None for EXACT, and for FIRST_GROUP when either
    score may not be shown).
    """

    reporter: str
    other: str
    above: bool  # the other reporter is ranked above this one (or tied and listed above)
    by: TieBreak
    mine: Fraction | None = None
    theirs: Fraction | None = None


def ranked_lines(ranking: Sequence[ReporterResult], first_group: str) -> list[RankedLine]:
    """The tie-break inputs of a tally's ranking, in rank order."""
    return [
        RankedLine(
            reporter=result.reporter,
            rank=result.rank,
            composite=result.composite_exact,
            good_share=result.good_share_exact,
            first_group=result.group_scores[first_group].score_exact,
            first_group_visible=result.group_scores[first_group].breakdown_visible,
        )
        for result in ranking
    ]


def _separation(mine: RankedLine, theirs: RankedLine, above: bool) -> TieNote:
    note = functools.partial(TieNote, reporter=mine.reporter, other=theirs.reporter, above=above)
    if mine.composite != theirs.composite:
        return note(by=TieBreak.COMPOSITE, mine=mine.composite, theirs=theirs.composite)
    if mine.good_share != theirs.good_share:
        return note(by=TieBreak.GOOD_SHARE, mine=mine.good_share, theirs=theirs.good_share)
    if mine.key != theirs.key:
        # Numbers only when both are shown and both exist (a group may have no valid vote for one).
        shown = mine.first_group_visible and theirs.first_group_visible
        if shown and mine.first_group is not None and theirs.first_group is not None:
            return note(by=TieBreak.FIRST_GROUP, mine=mine.first_group, theirs=theirs.first_group)
        return note(by=TieBreak.FIRST_GROUP)
    return note(by=TieBreak.EXACT)


def tie_notes(lines: Sequence[RankedLine], places: int = 2) -> dict[str, tuple[TieNote, ...]]:
    """For every ranked reporter whose composite, shown with ``places`` decimals, equals a neighbour's:
    what separated them (or that nothing did). Reporters without such a neighbour are left out.

    ``lines`` is in rank order (as ``TallyResult.ranking``); unranked lines are ignored.
    """
    ranked = [line for line in lines if line.rank is not None and line.composite is not None]
    notes: dict[str, list[TieNote]] = {}
    for upper, lower in itertools.pairwise(ranked):
        if fmt(upper.composite, places) != fmt(lower.composite, places):
            continue
        notes.setdefault(upper.reporter, []).append(_separation(upper, lower, above=False))
        notes.setdefault(lower.reporter, []).append(_separation(lower, upper, above=True))
    return {reporter: tuple(found) for reporter, found in notes.items()}


# ---------------------------------------------------------------------------------------------------
# Grade


def _threshold_grade(scheme: SchemeSpec, composite: Fraction) -> Grade:
    good, fairly_good, average = (_exact(t) for t in scheme.grade_thresholds)
    if composite >= good:
        return Grade.GOOD
    if composite >= fairly_good:
        return Grade.FAIRLY_GOOD
    if composite >= average:
        return Grade.AVERAGE
    return Grade.POOR


def _too_many_poor(scheme: SchemeSpec, draft: _Draft) -> bool:
    limit = scheme.poor_override_fraction
    return limit is not None and draft.grade_counts[Grade.POOR] > limit * draft.valid_votes


def _too_few_good(scheme: SchemeSpec, draft: _Draft) -> bool:
    minimum = scheme.good_min_fraction
    good = draft.grade_counts[Grade.GOOD] + draft.grade_counts[Grade.FAIRLY_GOOD]
    return minimum is not None and good < minimum * draft.valid_votes


def _grade_from_votes(scheme: SchemeSpec, draft: _Draft) -> tuple[Grade | None, tuple[GradeReason, ...]]:
    """Thresholds, then the vote-share rules of grade modes; a reason is kept only when it bites."""
    if draft.composite is None:
        return None, ()
    grade = _threshold_grade(scheme, draft.composite)
    reasons = [GradeReason.THRESHOLD]
    if not scheme.mode.uses_grades:
        return grade, tuple(reasons)
    if grade is not Grade.POOR and _too_many_poor(scheme, draft):
        grade = Grade.POOR
        reasons.append(GradeReason.POOR_OVERRIDE)
    if grade in (Grade.GOOD, Grade.FAIRLY_GOOD) and _too_few_good(scheme, draft):
        grade = Grade.AVERAGE
        reasons.append(GradeReason.GOOD_MIN)
    return grade, tuple(reasons)


def _cap_good(
    scheme: SchemeSpec,
    order: Sequence[_Draft],
    ranks: Mapping[str, int | None],
    grades: dict[str, tuple[Grade | None, tuple[GradeReason, ...]]],
) -> None:
    """Keep 好 for at most floor(cap × graded reporters), in rank order, never splitting a tie."""
    cap = scheme.good_cap_fraction
    if cap is None:
        return
    graded = [d.reporter for d in order if grades[d.reporter][0] is not None]
    allowed = math.floor(cap * len(graded))
    kept = 0
    full = False
    for rank in dict.fromkeys(ranks[r] for r in graded):  # distinct ranks, best first
        tied_good = [r for r in graded if ranks[r] == rank and grades[r][0] is Grade.GOOD]
        full = full or kept + len(tied_good) > allowed
        if not full:
            kept += len(tied_good)
            continue
        for reporter in tied_good:
            grades[reporter] = (Grade.FAIRLY_GOOD, (*grades[reporter][1], GradeReason.GOOD_CAP))


# ---------------------------------------------------------------------------------------------------
# Entry point


def _draft(
    scheme: SchemeSpec,
    reporter: str,
    valid_by_group: Mapping[str, Sequence[BallotData]],
    turnouts: Mapping[str, GroupTurnout],
    components: Mapping[str, Fraction],
) -> _Draft:
    scores = {
        g.key: _group_score(scheme, reporter, turnouts[g.key], valid_by_group[g.key]) for g in scheme.groups
    }
    if any(score.score_exact is not None and not score.breakdown_visible for score in scores.values()):
        # The on-site score and one visible group mean would give the hidden mean away: hide them all.
        scores = {key: replace(score, breakdown_visible=False) for key, score in scores.items()}
    onsite, missing_groups = _onsite(scheme, scores)
    composite, missing_components = _composite(scheme, onsite, components)
    counts: Counter[Grade] = Counter()
    for score in scores.values():
        counts.update(score.grade_counts)
    grade_counts = {grade: counts[grade] for grade in GRADES} if scheme.mode.uses_grades else {}
    votes = sum(score.valid_votes for score in scores.values())
    good_votes = grade_counts.get(Grade.GOOD, 0)
    return _Draft(
        reporter=reporter,
        group_scores=scores,
        onsite=onsite,
        composite=composite,
        good_share=Fraction(good_votes, votes) if votes else Fraction(0),
        grade_counts=grade_counts,
        valid_votes=votes,
        missing_groups=missing_groups,
        missing_components=missing_components,
    )


def tally(
    scheme: SchemeSpec,
    reporters: Sequence[str],
    ballots: Iterable[BallotData],
    component_scores: Mapping[str, Mapping[str, Decimal]] | None = None,
) -> TallyResult:
    """Tally a session. Raises SchemeError (a ValueError) for a broken scheme and ValueError for a
    ballot or component score the scheme cannot read."""
    problems = validate_scheme(scheme)
    if problems:
        raise SchemeError(problems)
    reporters = tuple(reporters)
    ballots = tuple(ballots)
    _check_reporters(reporters)
    known_reporters = frozenset(reporters)
    _check_ballots(scheme, known_reporters, ballots)
    components = _check_components(scheme, known_reporters, component_scores or {})

    valid_by_group: dict[str, list[BallotData]] = {}
    turnouts: dict[str, GroupTurnout] = {}
    for group in scheme.groups:
        valid_by_group[group.key], turnouts[group.key] = _sort_group_ballots(scheme, group, ballots)

    drafts = [
        _draft(scheme, reporter, valid_by_group, turnouts, components.get(reporter, {}))
        for reporter in reporters
    ]
    order, ranks = _ranked(drafts, scheme.groups[0].key)
    grades = {draft.reporter: _grade_from_votes(scheme, draft) for draft in drafts}
    _cap_good(scheme, order, ranks, grades)

    results = {
        draft.reporter: ReporterResult(
            reporter=draft.reporter,
            group_scores=draft.group_scores,
            onsite_exact=draft.onsite,
            composite_exact=draft.composite,
            grade=grades[draft.reporter][0],
            grade_reasons=grades[draft.reporter][1],
            rank=ranks[draft.reporter],
            good_share_exact=draft.good_share,
            missing_groups=draft.missing_groups,
            missing_components=draft.missing_components,
            grade_counts=draft.grade_counts,
            valid_votes=draft.valid_votes,
        )
        for draft in drafts
    }
    groups = tuple(turnouts[g.key] for g in scheme.groups)
    counted = sum(g.counted for g in groups)
    issued = sum(g.issued for g in groups)
    return TallyResult(
        reporters=tuple(results[r] for r in reporters),
        ranking=tuple(results[d.reporter] for d in order),
        groups=groups,
        quorum_met=counted > scheme.quorum_fraction * issued,
        ballots_received=sum(g.received for g in groups),
        ballots_counted=counted,
        codes_issued=issued,
        digest=ballots_digest(ballots),
    )
