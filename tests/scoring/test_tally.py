"""Unit tests for scoring.tally, one rule (and its boundary) per test, on tiny hand-built sessions."""

import json
from decimal import Decimal
from fractions import Fraction

import pytest

from scoring.tally import (
    BallotData,
    ComponentSpec,
    CriterionSpec,
    Grade,
    GradeReason,
    GroupSpec,
    Mode,
    ProblemCode,
    SchemeError,
    SchemeSpec,
    as_decimal,
    ballots_digest,
    fmt,
    tally,
    validate_scheme,
)

G, F, A, P = Grade.GOOD, Grade.FAIRLY_GOOD, Grade.AVERAGE, Grade.POOR
D = Decimal

ONE_GROUP = (GroupSpec("g", "党员群众代表", D(100), codes_issued=20),)
TWO_GROUPS = (
    GroupSpec("leaders", "上级党委委员", D(60), codes_issued=10),
    GroupSpec("delegates", "党员群众代表", D(40), codes_issued=10),
)
HALVES = (
    GroupSpec("first", "第一组", D(50), codes_issued=10),
    GroupSpec("second", "第二组", D(50), codes_issued=10),
)
OVERALL = (CriterionSpec("c", "总体评价"),)
ITEMS = tuple(CriterionSpec(f"i{n}", f"评价要素{n}") for n in range(1, 7))
POINTS_CRITERIA = (CriterionSpec("p1", "履职", D(60)), CriterionSpec("p2", "成效", D(40)))
WHOLE = (CriterionSpec("total", "总分", D(100)),)


def grade_scheme(**settings) -> SchemeSpec:
    settings.setdefault("groups", ONE_GROUP)
    settings.setdefault("criteria", OVERALL)
    return SchemeSpec(mode=Mode.GRADE_PER_REPORTER, **settings)


def points_scheme(**settings) -> SchemeSpec:
    settings.setdefault("groups", ONE_GROUP)
    settings.setdefault("criteria", WHOLE)
    return SchemeSpec(mode=Mode.POINTS, **settings)


def vote(group: str = "g", criterion: str = "c", paper: bool = False, **grades) -> BallotData:
    """One ballot giving each named reporter one mark on ``criterion``."""
    return BallotData(group, {(r, criterion): g for r, g in grades.items()}, paper=paper)


def votes(group: str, reporter: str, *grades, criterion: str = "c") -> list[BallotData]:
    """One ballot per grade, each marking only ``reporter``."""
    return [BallotData(group, {(reporter, criterion): grade}) for grade in grades]


def totals(reporter: str, *values, group: str = "g") -> list[BallotData]:
    """Points ballots on the single 100-point criterion."""
    return [BallotData(group, {(reporter, "total"): D(value)}) for value in values]


def problem_codes(scheme: SchemeSpec) -> list[ProblemCode]:
    return [problem.code for problem in validate_scheme(scheme)]


# --- scheme validation ------------------------------------------------------------------------------


def test_a_default_scheme_has_no_problems():
    assert validate_scheme(grade_scheme()) == []
    assert validate_scheme(points_scheme(criteria=POINTS_CRITERIA)) == []
    assert validate_scheme(SchemeSpec(mode=Mode.GRADE_PER_ITEM, groups=TWO_GROUPS, criteria=ITEMS)) == []


def test_it_reports_group_weights_not_summing_to_100():
    groups = (GroupSpec("a", "甲", D(60)), GroupSpec("b", "乙", D(30)))
    problems = validate_scheme(grade_scheme(groups=groups))
    assert [(p.code, dict(p.params)) for p in problems] == [(ProblemCode.GROUP_WEIGHTS_SUM, {"total": "90"})]


def test_it_accepts_decimal_weights_summing_exactly_to_100():
    groups = (GroupSpec("a", "甲", D("33.34")), GroupSpec("b", "乙", D("66.66")))
    assert validate_scheme(grade_scheme(groups=groups)) == []


def test_it_reports_a_group_without_positive_weight():
    groups = (GroupSpec("a", "甲", D(100)), GroupSpec("b", "乙", D(0)))
    assert problem_codes(grade_scheme(groups=groups)) == [ProblemCode.GROUP_WEIGHT_NOT_POSITIVE]


def test_it_reports_duplicate_group_keys():
    groups = (GroupSpec("a", "甲", D(50)), GroupSpec("a", "乙", D(50)))
    assert problem_codes(grade_scheme(groups=groups)) == [ProblemCode.DUPLICATE_GROUP]


def test_it_reports_a_scheme_without_groups():
    assert problem_codes(grade_scheme(groups=())) == [ProblemCode.NO_GROUPS]


def test_it_reports_negative_codes_issued():
    groups = (GroupSpec("a", "甲", D(100), codes_issued=-1),)
    assert problem_codes(grade_scheme(groups=groups)) == [ProblemCode.ISSUED_NEGATIVE]


def test_it_reports_onsite_and_component_shares_not_summing_to_100():
    scheme = grade_scheme(onsite_share=D(40), components=(ComponentSpec("daily", "日常考核", D(30)),))
    problems = validate_scheme(scheme)
    assert [(p.code, dict(p.params)) for p in problems] == [(ProblemCode.SHARES_SUM, {"total": "70"})]


def test_it_accepts_onsite_and_components_summing_to_100():
    components = (ComponentSpec("daily", "日常考核", D(30)), ComponentSpec("annual", "年度考核", D(30)))
    assert validate_scheme(grade_scheme(onsite_share=D(40), components=components)) == []


def test_it_reports_a_share_outside_0_to_100():
    components = (ComponentSpec("daily", "日常考核", D(-10)),)
    codes = problem_codes(grade_scheme(onsite_share=D(110), components=components))
    assert codes == [ProblemCode.SHARE_OUT_OF_RANGE, ProblemCode.SHARE_OUT_OF_RANGE]


def test_it_reports_duplicate_component_keys():
    components = (ComponentSpec("daily", "日常考核", D(30)), ComponentSpec("daily", "年度考核", D(30)))
    codes = problem_codes(grade_scheme(onsite_share=D(40), components=components))
    assert codes == [ProblemCode.DUPLICATE_COMPONENT]


def test_it_reports_criterion_max_not_summing_to_100_in_points_mode():
    criteria = (CriterionSpec("p1", "履职", D(60)), CriterionSpec("p2", "成效", D(30)))
    problems = validate_scheme(points_scheme(criteria=criteria))
    assert [(p.code, dict(p.params)) for p in problems] == [(ProblemCode.CRITERION_MAX_SUM, {"total": "90"})]


def test_it_reports_a_criterion_without_positive_max_in_points_mode():
    criteria = (CriterionSpec("p1", "履职", D(100)), CriterionSpec("p2", "成效", D(0)))
    assert problem_codes(points_scheme(criteria=criteria)) == [ProblemCode.CRITERION_MAX_NOT_POSITIVE]


def test_it_ignores_criterion_max_in_grade_modes():
    items = (CriterionSpec("i1", "认识", D(7)), CriterionSpec("i2", "责任", D(7)))
    assert validate_scheme(SchemeSpec(mode=Mode.GRADE_PER_ITEM, groups=ONE_GROUP, criteria=items)) == []


def test_it_requires_exactly_one_criterion_in_grade_mode():
    problems = validate_scheme(grade_scheme(criteria=ITEMS[:2]))
    assert [(p.code, p.params["count"]) for p in problems] == [(ProblemCode.CRITERION_COUNT, "2")]


@pytest.mark.parametrize("mode", [Mode.GRADE_PER_REPORTER, Mode.GRADE_PER_ITEM, Mode.POINTS])
def test_it_requires_at_least_one_criterion_in_every_mode(mode):
    assert problem_codes(SchemeSpec(mode=mode, groups=ONE_GROUP, criteria=())) == [
        ProblemCode.CRITERION_COUNT
    ]


def test_it_reports_duplicate_criterion_keys():
    items = (CriterionSpec("i1", "认识"), CriterionSpec("i1", "责任"))
    scheme = SchemeSpec(mode=Mode.GRADE_PER_ITEM, groups=ONE_GROUP, criteria=items)
    assert problem_codes(scheme) == [ProblemCode.DUPLICATE_CRITERION]


@pytest.mark.parametrize(
    "thresholds",
    [(D(85), D(85), D(60)), (D(60), D(75), D(85)), (D(85), D(75))],
    ids=["equal", "ascending", "two"],
)
def test_it_reports_thresholds_not_strictly_descending(thresholds):
    assert problem_codes(grade_scheme(grade_thresholds=thresholds)) == [ProblemCode.THRESHOLDS_NOT_DESCENDING]


def test_it_reports_missing_grade_points_in_grade_modes():
    scheme = grade_scheme(grade_points={G: D(100), F: D(80), A: D(60)})
    problems = validate_scheme(scheme)
    assert [(p.code, dict(p.params)) for p in problems] == [
        (ProblemCode.GRADE_POINTS_MISSING, {"grade": "poor"})
    ]


def test_points_mode_needs_no_grade_points():
    assert validate_scheme(points_scheme(grade_points={})) == []


@pytest.mark.parametrize(
    "setting", ["poor_override_fraction", "good_min_fraction", "good_cap_fraction", "quorum_fraction"]
)
def test_it_reports_fractions_outside_0_to_1(setting):
    problems = validate_scheme(grade_scheme(**{setting: Fraction(3, 2)}))
    assert [(p.code, p.params["setting"]) for p in problems] == [(ProblemCode.FRACTION_OUT_OF_RANGE, setting)]


def test_it_reports_a_quorum_fraction_of_one():
    assert problem_codes(grade_scheme(quorum_fraction=Fraction(1))) == [ProblemCode.FRACTION_OUT_OF_RANGE]


def test_it_reports_a_trim_minimum_below_two_when_trimming():
    assert problem_codes(points_scheme(trim_extremes=True, trim_min_ballots=1)) == [
        ProblemCode.TRIM_MIN_TOO_SMALL
    ]
    assert validate_scheme(points_scheme(trim_extremes=False, trim_min_ballots=1)) == []


def test_it_reports_a_negative_breakdown_minimum():
    assert problem_codes(grade_scheme(breakdown_min_ballots=-1)) == [ProblemCode.BREAKDOWN_MIN_NEGATIVE]


def test_a_scheme_problem_reads_as_its_code_and_params():
    problem = validate_scheme(grade_scheme(groups=(GroupSpec("a", "甲", D(90)),)))[0]
    assert str(problem) == "group_weights_sum(total=90)"


def test_tally_refuses_a_scheme_with_problems():
    with pytest.raises(SchemeError) as raised:
        tally(grade_scheme(groups=(GroupSpec("a", "甲", D(90)),)), ["r"], [])
    assert isinstance(raised.value, ValueError)
    assert [p.code for p in raised.value.problems] == [ProblemCode.GROUP_WEIGHTS_SUM]


# --- input checks -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ballot", "message"),
    [
        (BallotData("nobody", {("r", "c"): G}), "unknown group"),
        (BallotData("g", {("stranger", "c"): G}), "unknown reporter"),
        (BallotData("g", {("r", "other"): G}), "unknown criterion"),
        (BallotData("g", {("r", "c"): "good"}), "expected a Grade"),
        (BallotData("g", {("r", "c"): D(80)}), "expected a Grade"),
        (BallotData("g", {"r": G}), "mark key"),
    ],
    ids=["group", "reporter", "criterion", "plain-string", "points", "key"],
)
def test_tally_refuses_a_ballot_the_grade_scheme_cannot_read(ballot, message):
    with pytest.raises(ValueError, match=message):
        tally(grade_scheme(), ["r"], [ballot])


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (D("100.01"), "outside"),
        (D(-1), "outside"),
        (80.0, "expected a Decimal"),
        (True, "expected a Decimal"),
        (D("NaN"), "finite"),
        (G, "expected points"),
    ],
    ids=["above-max", "negative", "float", "bool", "nan", "grade"],
)
def test_tally_refuses_points_out_of_range_or_of_the_wrong_type(value, message):
    with pytest.raises(ValueError, match=message):
        tally(points_scheme(), ["r"], [BallotData("g", {("r", "total"): value})])


def test_tally_accepts_points_at_zero_and_at_the_maximum():
    result = tally(points_scheme(), ["r"], totals("r", 0, 100))
    assert result.reporter("r").composite == D(50)


def test_tally_checks_points_against_each_criterions_own_maximum():
    ballot = BallotData("g", {("r", "p1"): D(50), ("r", "p2"): D(45)})
    with pytest.raises(ValueError, match="p2"):
        tally(points_scheme(criteria=POINTS_CRITERIA), ["r"], [ballot])


def test_tally_refuses_a_reporter_listed_twice():
    with pytest.raises(ValueError, match="twice"):
        tally(grade_scheme(), ["r", "r"], [])


def test_tally_refuses_component_scores_for_an_unknown_reporter_or_component():
    scheme = grade_scheme(onsite_share=D(70), components=(ComponentSpec("daily", "日常考核", D(30)),))
    with pytest.raises(ValueError, match="unknown reporter"):
        tally(scheme, ["r"], [], component_scores={"stranger": {"daily": D(90)}})
    with pytest.raises(ValueError, match="unknown components"):
        tally(scheme, ["r"], [], component_scores={"r": {"weekly": D(90)}})


def test_it_does_not_check_the_marks_of_a_ballot_entered_as_invalid_against_the_scheme():
    scrawl = BallotData("g", {("stranger", "c"): G, ("r", "c"): D(80)}, paper=True, invalid_reason="一票多选")
    result = tally(grade_scheme(groups=(GroupSpec("g", "代表", D(100), paper_issued=1),)), ["r"], [scrawl])
    assert result.groups[0].invalid_ballots == 1


def test_marks_on_a_ballot_entered_as_invalid_must_still_be_grades_or_numbers():
    scrawl = BallotData("g", {("r", "c"): "两个都勾了"}, paper=True, invalid_reason="一票多选")
    with pytest.raises(ValueError, match="invalid ballot"):
        tally(grade_scheme(groups=(GroupSpec("g", "代表", D(100), paper_issued=1),)), ["r"], [scrawl])


# --- grade per reporter -----------------------------------------------------------------------------


def test_it_scores_a_reporter_by_the_average_of_grade_points():
    result = tally(grade_scheme(), ["r"], votes("g", "r", G, G, F, A))
    score = result.reporter("r").group_scores["g"]
    assert score.score_exact == Fraction(340, 4)
    assert score.score == D(85)
    assert score.valid_votes == 4


def test_it_counts_each_grade_per_group_and_overall():
    ballots = votes("leaders", "r", G, G, P) + votes("delegates", "r", F, A, P, P)
    reporter = tally(grade_scheme(groups=TWO_GROUPS), ["r"], ballots).reporter("r")
    assert reporter.group_scores["leaders"].grade_counts == {G: 2, F: 0, A: 0, P: 1}
    assert reporter.group_scores["delegates"].grade_counts == {G: 0, F: 1, A: 1, P: 2}
    assert reporter.grade_counts == {G: 2, F: 1, A: 1, P: 3}
    assert reporter.valid_votes == 7


def test_it_uses_the_schemes_grade_points():
    scheme = grade_scheme(grade_points={G: D(95), F: D(85), A: D(70), P: D(50)})
    result = tally(scheme, ["r"], votes("g", "r", G, P))
    assert result.reporter("r").composite == D("72.5")


def test_it_treats_a_blank_or_missing_mark_as_an_abstention():
    ballots = [vote(r=G, s=F), vote(r=None, s=F), vote(s=A)]
    result = tally(grade_scheme(), ["r", "s"], ballots)
    r = result.reporter("r").group_scores["g"]
    assert (r.valid_votes, r.ballots, r.score) == (1, 1, D(100))
    assert result.reporter("s").group_scores["g"].valid_votes == 3
    assert result.groups[0].valid_ballots == 3


def test_a_ballot_left_entirely_blank_is_valid_but_gives_no_vote():
    result = tally(grade_scheme(), ["r"], [vote(r=G), BallotData("g", {})])
    assert result.groups[0].valid_ballots == 2
    assert result.reporter("r").valid_votes == 1


def test_allowing_abstention_changes_nothing_in_the_tally():
    ballots = [vote(r=G, s=F), vote(s=A)]
    assert tally(grade_scheme(allow_abstention=True), ["r", "s"], ballots) == tally(
        grade_scheme(allow_abstention=False), ["r", "s"], ballots
    )


# --- grade per item ---------------------------------------------------------------------------------


def item_scheme(**settings) -> SchemeSpec:
    settings.setdefault("groups", ONE_GROUP)
    return SchemeSpec(mode=Mode.GRADE_PER_ITEM, criteria=ITEMS, **settings)


def item_ballot(reporter: str, *grades, group: str = "g") -> BallotData:
    return BallotData(
        group, {(reporter, item.key): grade for item, grade in zip(ITEMS, grades, strict=False)}
    )


def test_it_counts_every_item_mark_as_one_vote_in_item_mode():
    ballots = [item_ballot("r", G, G, G, F, F, A) for _ in range(10)]
    score = tally(item_scheme(), ["r"], ballots).reporter("r").group_scores["g"]
    assert score.valid_votes == 60
    assert score.ballots == 10
    assert score.grade_counts == {G: 30, F: 20, A: 10, P: 0}
    assert score.score_exact == Fraction(100 * 30 + 80 * 20 + 60 * 10, 60)


def test_it_gives_the_mean_of_each_item_in_item_mode():
    ballots = [item_ballot("r", G, F, A, P, G, G), item_ballot("r", F, F, P, P, G, A)]
    means = tally(item_scheme(), ["r"], ballots).reporter("r").group_scores["g"].criterion_means
    assert means == {"i1": D(90), "i2": D(80), "i3": D(50), "i4": D(40), "i5": D(100), "i6": D(80)}


def test_an_item_left_blank_still_counts_the_other_items():
    ballots = [item_ballot("r", G, G, None, None, None, None), item_ballot("r", F, F, F, F, F, F)]
    score = tally(item_scheme(), ["r"], ballots).reporter("r").group_scores["g"]
    assert score.valid_votes == 8
    assert score.score == D(85)
    assert score.criterion_means["i3"] == D(80)


def test_an_item_nobody_marked_has_no_mean():
    ballots = [item_ballot("r", G, G, G, G, G, None)]
    means = tally(item_scheme(), ["r"], ballots).reporter("r").group_scores["g"].criterion_means
    assert means["i6"] is None


# --- points -----------------------------------------------------------------------------------------


def points_ballot(reporter: str, p1, p2, group: str = "g") -> BallotData:
    marks = {(reporter, "p1"): None if p1 is None else D(p1), (reporter, "p2"): None if p2 is None else D(p2)}
    return BallotData(group, marks)


def test_it_scores_a_reporter_by_the_mean_ballot_total_in_points_mode():
    ballots = [points_ballot("r", 50, 40), points_ballot("r", "45.5", 30)]
    score = tally(points_scheme(criteria=POINTS_CRITERIA), ["r"], ballots).reporter("r").group_scores["g"]
    assert score.score == D("82.75")
    assert score.criterion_means == {"p1": D("47.75"), "p2": D(35)}
    assert (score.valid_votes, score.ballots) == (2, 2)


def test_it_ignores_a_points_ballot_missing_any_criterion_for_that_reporter():
    ballots = [points_ballot("r", 50, 40), points_ballot("r", 10, None)]
    score = tally(points_scheme(criteria=POINTS_CRITERIA), ["r"], ballots).reporter("r").group_scores["g"]
    assert score.score == D(90)
    assert score.valid_votes == 1
    assert score.criterion_means == {"p1": D(50), "p2": D(40)}


def test_it_drops_one_highest_and_lowest_when_more_than_five_ballots():
    ballots = totals("r", 10, 70, 80, 80, 90, 100)
    score = tally(points_scheme(trim_extremes=True), ["r"], ballots).reporter("r").group_scores["g"]
    assert score.trimmed
    assert score.score == D(80)
    assert score.valid_votes == 6


def test_it_does_not_trim_five_ballots():
    ballots = totals("r", 10, 70, 80, 90, 100)
    score = tally(points_scheme(trim_extremes=True), ["r"], ballots).reporter("r").group_scores["g"]
    assert not score.trimmed
    assert score.score == D(70)


def test_it_drops_only_one_of_several_equal_extremes():
    ballots = totals("r", 0, 0, 50, 50, 100, 100)
    score = tally(points_scheme(trim_extremes=True), ["r"], ballots).reporter("r").group_scores["g"]
    assert score.score == D(50)
    ballots = totals("r", 0, 0, 0, 60, 60, 100)
    score = tally(points_scheme(trim_extremes=True), ["r"], ballots).reporter("r").group_scores["g"]
    assert score.score == D(30)


def test_it_does_not_trim_when_trimming_is_off():
    ballots = totals("r", 10, 70, 80, 80, 90, 100)
    score = tally(points_scheme(), ["r"], ballots).reporter("r").group_scores["g"]
    assert not score.trimmed
    assert score.score_exact == Fraction(430, 6)


def test_trimming_counts_only_complete_ballots_for_that_reporter():
    ballots = [points_ballot("r", 60, 40)] * 5 + [points_ballot("r", 0, None)]
    scheme = points_scheme(criteria=POINTS_CRITERIA, trim_extremes=True)
    assert not tally(scheme, ["r"], ballots).reporter("r").group_scores["g"].trimmed


def test_the_trim_minimum_is_a_setting():
    ballots = totals("r", 0, 50, 100)
    score = tally(points_scheme(trim_extremes=True, trim_min_ballots=2), ["r"], ballots).reporter("r")
    assert score.group_scores["g"].score == D(50)
    assert score.group_scores["g"].trimmed


def test_criterion_means_are_untrimmed():
    ballots = [points_ballot("r", p1, 0) for p1 in (0, 10, 20, 30, 40, 60)]
    scheme = points_scheme(criteria=POINTS_CRITERIA, trim_extremes=True)
    score = tally(scheme, ["r"], ballots).reporter("r").group_scores["g"]
    assert score.score == D(25)
    assert score.criterion_means["p1"] == D(160) / 6


def test_trimming_is_ignored_in_grade_modes():
    ballots = votes("g", "r", G, G, G, G, G, P)
    score = tally(grade_scheme(trim_extremes=True), ["r"], ballots).reporter("r").group_scores["g"]
    assert not score.trimmed
    assert score.score == D(90)


def test_points_mode_has_no_grade_counts_and_zero_good_share():
    reporter = tally(points_scheme(), ["r"], totals("r", 90)).reporter("r")
    assert reporter.grade_counts == {}
    assert reporter.group_scores["g"].grade_counts == {}
    assert reporter.good_share == 0


def test_vote_share_rules_do_not_apply_in_points_mode():
    reporter = tally(points_scheme(), ["r"], totals("r", 90, 90, 90)).reporter("r")
    assert reporter.grade == G
    assert reporter.grade_reasons == (GradeReason.THRESHOLD,)


# --- invalid and voided ballots ---------------------------------------------------------------------


def paper_groups(paper_issued: int) -> tuple[GroupSpec, ...]:
    return (GroupSpec("g", "党员群众代表", D(100), codes_issued=4, paper_issued=paper_issued),)


def test_a_paper_ballot_entered_as_invalid_counts_only_as_invalid():
    ballots = [
        vote(r=G),
        vote(r=F, paper=True),
        BallotData("g", {("r", "c"): P}, paper=True, invalid_reason="涂改"),
    ]
    result = tally(grade_scheme(groups=paper_groups(2)), ["r"], ballots)
    turnout = result.groups[0]
    assert (turnout.received, turnout.invalid_ballots, turnout.valid_ballots) == (3, 1, 2)
    assert result.reporter("r").composite == D(90)


def test_a_reason_of_only_spaces_does_not_make_a_ballot_invalid():
    ballot = BallotData("g", {("r", "c"): G}, paper=True, invalid_reason="  ")
    assert tally(grade_scheme(groups=paper_groups(1)), ["r"], [ballot]).groups[0].valid_ballots == 1


def test_it_voids_all_paper_ballots_of_a_group_that_returned_more_than_were_issued():
    ballots = [vote(r=G), vote(r=P, paper=True), vote(r=P, paper=True), vote(r=P, paper=True)]
    result = tally(grade_scheme(groups=paper_groups(2)), ["r"], ballots)
    turnout = result.groups[0]
    assert turnout.paper_voided
    assert (turnout.received, turnout.paper, turnout.voided, turnout.counted) == (4, 3, 3, 1)
    assert (turnout.valid_ballots, turnout.invalid_ballots) == (1, 0)
    assert result.reporter("r").composite == D(100)


def test_invalid_paper_ballots_count_toward_the_paper_issued():
    spoilt = BallotData("g", {}, paper=True, invalid_reason="空白")
    result = tally(grade_scheme(groups=paper_groups(1)), ["r"], [vote(r=G, paper=True), spoilt])
    assert result.groups[0].paper_voided
    assert result.groups[0].invalid_ballots == 0


def test_it_keeps_paper_ballots_when_exactly_as_many_as_issued():
    ballots = [vote(r=G), vote(r=P, paper=True), vote(r=P, paper=True)]
    result = tally(grade_scheme(groups=paper_groups(2)), ["r"], ballots)
    assert not result.groups[0].paper_voided
    assert result.reporter("r").valid_votes == 3


def test_paper_over_issue_in_one_group_leaves_the_other_group_alone():
    ballots = [vote("leaders", r=P, paper=True), vote("delegates", r=G, paper=True)]
    groups = (
        GroupSpec("leaders", "上级党委委员", D(60), paper_issued=0),
        GroupSpec("delegates", "党员群众代表", D(40), paper_issued=1),
    )
    result = tally(grade_scheme(groups=groups), ["r"], ballots)
    assert [g.paper_voided for g in result.groups] == [True, False]
    assert result.reporter("r").missing_groups == ("leaders",)


def test_it_invalidates_a_ballot_giving_everyone_the_same_grade_when_asked():
    ballots = [vote(r=G, s=G, t=G), vote(r=G, s=F, t=G)]
    result = tally(grade_scheme(same_grade_invalid=True), ["r", "s", "t"], ballots)
    assert (result.groups[0].invalid_ballots, result.groups[0].valid_ballots) == (1, 1)
    assert result.reporter("s").composite == D(80)


def test_a_same_grade_ballot_is_valid_by_default():
    result = tally(grade_scheme(), ["r", "s"], [vote(r=G, s=G)])
    assert result.groups[0].valid_ballots == 1


def test_the_same_grade_rule_needs_more_than_one_reporter():
    result = tally(grade_scheme(same_grade_invalid=True), ["r"], [vote(r=G)])
    assert result.groups[0].valid_ballots == 1


def test_abstaining_on_a_reporter_does_not_dodge_the_same_grade_rule():
    result = tally(grade_scheme(same_grade_invalid=True), ["r", "s", "t"], [vote(r=P, s=P)])
    assert result.groups[0].invalid_ballots == 1


def test_in_item_mode_the_same_grade_rule_looks_at_every_item():
    varied = BallotData("g", {("r", "i1"): G, ("r", "i2"): F, ("s", "i1"): G, ("s", "i2"): G})
    uniform = BallotData("g", {("r", "i1"): G, ("r", "i2"): G, ("s", "i1"): G, ("s", "i2"): G})
    scheme = SchemeSpec(
        mode=Mode.GRADE_PER_ITEM, groups=ONE_GROUP, criteria=ITEMS[:2], same_grade_invalid=True
    )
    result = tally(scheme, ["r", "s"], [varied, uniform])
    assert (result.groups[0].valid_ballots, result.groups[0].invalid_ballots) == (1, 1)


def test_the_same_grade_rule_is_ignored_in_points_mode():
    ballot = BallotData("g", {("r", "total"): D(90), ("s", "total"): D(90)})
    result = tally(points_scheme(same_grade_invalid=True), ["r", "s"], [ballot])
    assert result.groups[0].valid_ballots == 1


# --- on-site score ----------------------------------------------------------------------------------


def test_it_weights_group_scores_by_group_weight():
    ballots = votes("leaders", "r", G, F) + votes("delegates", "r", A)
    reporter = tally(grade_scheme(groups=TWO_GROUPS), ["r"], ballots).reporter("r")
    assert reporter.onsite == D(78)  # 90 × 60 % + 60 × 40 %
    assert not reporter.renormalised
    assert reporter.missing_groups == ()


def test_the_onsite_score_is_a_weighted_mean_of_groups_not_of_ballots():
    ballots = votes("leaders", "r", G) + votes("delegates", "r", *[A] * 9)
    assert tally(grade_scheme(groups=TWO_GROUPS), ["r"], ballots).reporter("r").onsite == D(84)


def test_a_group_with_no_valid_vote_is_reported_and_the_weights_renormalised():
    groups = (
        *TWO_GROUPS[:1],
        GroupSpec("delegates", "党员群众代表", D(20)),
        GroupSpec("public", "群众", D(20)),
    )
    ballots = votes("leaders", "r", G) + votes("public", "r", A)
    reporter = tally(grade_scheme(groups=groups), ["r"], ballots).reporter("r")
    assert reporter.missing_groups == ("delegates",)
    assert reporter.renormalised
    assert reporter.onsite == D(90)  # (100 × 60 + 60 × 20) ÷ 80
    assert reporter.group_scores["delegates"].score is None
    assert reporter.group_scores["delegates"].valid_votes == 0


def test_a_group_whose_only_ballots_are_invalid_counts_as_missing():
    ballots = [*votes("leaders", "r", G), BallotData("delegates", {}, paper=True, invalid_reason="空白")]
    groups = (TWO_GROUPS[0], GroupSpec("delegates", "党员群众代表", D(40), paper_issued=1))
    reporter = tally(grade_scheme(groups=groups), ["r"], ballots).reporter("r")
    assert reporter.missing_groups == ("delegates",)
    assert reporter.onsite == D(100)


def test_with_no_vote_in_any_group_the_reporter_has_no_score_and_no_rank():
    result = tally(grade_scheme(groups=TWO_GROUPS), ["r", "s"], votes("leaders", "s", G))
    reporter = result.reporter("r")
    assert reporter.missing_groups == ("leaders", "delegates")
    assert (reporter.onsite, reporter.composite, reporter.grade, reporter.rank) == (None, None, None, None)
    assert not reporter.renormalised
    assert not reporter.needs_talk
    assert [r.reporter for r in result.ranking] == ["s", "r"]


# --- composite --------------------------------------------------------------------------------------

DAILY_ANNUAL = (ComponentSpec("daily", "日常考核", D(30)), ComponentSpec("annual", "年度考核", D(30)))


def test_the_composite_equals_the_onsite_score_by_default():
    reporter = tally(grade_scheme(), ["r"], votes("g", "r", G, F, F)).reporter("r")
    assert reporter.composite_exact == reporter.onsite_exact == Fraction(260, 3)


def test_the_composite_mixes_onsite_and_components_by_share():
    scheme = grade_scheme(onsite_share=D(40), components=DAILY_ANNUAL)
    scores = {"r": {"daily": D(90), "annual": D("70.5")}}
    reporter = tally(scheme, ["r"], votes("g", "r", F), component_scores=scores).reporter("r")
    assert reporter.composite == D("80.15")  # 80 × 40 % + 90 × 30 % + 70.5 × 30 %


def test_a_missing_component_leaves_the_reporter_ungraded_and_ranked_after_all_others():
    scheme = grade_scheme(onsite_share=D(40), components=DAILY_ANNUAL)
    scores = {"r": {"daily": D(90)}, "s": {"daily": D(10), "annual": D(10)}}
    result = tally(scheme, ["r", "s"], [vote(r=G, s=P)], component_scores=scores)
    r = result.reporter("r")
    assert r.missing_components == ("annual",)
    assert (r.composite, r.grade, r.rank) == (None, None, None)
    assert r.onsite == D(100)
    assert result.reporter("s").rank == 1
    assert [x.reporter for x in result.ranking] == ["s", "r"]


def test_a_component_with_no_share_is_not_required():
    components = (ComponentSpec("daily", "日常考核", D(0)),)
    reporter = tally(grade_scheme(components=components), ["r"], votes("g", "r", G)).reporter("r")
    assert reporter.missing_components == ()
    assert reporter.composite == D(100)


def test_without_an_onsite_share_the_composite_needs_no_vote():
    scheme = grade_scheme(onsite_share=D(0), components=(ComponentSpec("annual", "年度考核", D(100)),))
    reporter = tally(scheme, ["r"], [], component_scores={"r": {"annual": D(88)}}).reporter("r")
    assert reporter.onsite is None
    assert reporter.composite == D(88)
    assert reporter.rank == 1


# --- grade ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("composite", "grade"),
    [("100", G), ("85", G), ("84.99", F), ("75", F), ("74.99", A), ("60", A), ("59.99", P), ("0", P)],
)
def test_it_grades_by_composite_thresholds(composite, grade):
    reporter = tally(points_scheme(), ["r"], totals("r", composite)).reporter("r")
    assert reporter.grade == grade
    assert reporter.grade_reasons == (GradeReason.THRESHOLD,)


def test_the_thresholds_are_a_setting():
    scheme = points_scheme(grade_thresholds=(D(90), D(80), D(70)))
    assert tally(scheme, ["r"], totals("r", 85)).reporter("r").grade == F


def test_exactly_one_third_poor_votes_is_not_overridden():
    reporter = tally(grade_scheme(), ["r"], votes("g", "r", P, G, G)).reporter("r")
    assert reporter.composite == D(80)
    assert reporter.grade == F
    assert reporter.grade_reasons == (GradeReason.THRESHOLD,)


def test_just_over_one_third_poor_votes_overrides_to_poor():
    reporter = tally(grade_scheme(), ["r"], votes("g", "r", P, P, P, P, G, G, G, G, G, G, G)).reporter("r")
    assert reporter.composite_exact == Fraction(860, 11)  # 78.18: 较好 by the thresholds
    assert reporter.grade == P
    assert reporter.grade_reasons == (GradeReason.THRESHOLD, GradeReason.POOR_OVERRIDE)
    assert reporter.needs_talk


def test_the_poor_override_counts_votes_over_all_groups_unweighted():
    # 2 差 of 8 votes is not over 1/3, though weighting the leaders' 2 of 3 at 60 % would be (0.4).
    ballots = votes("leaders", "r", P, P, G) + votes("delegates", "r", G, G, G, G, G)
    reporter = tally(grade_scheme(groups=TWO_GROUPS), ["r"], ballots).reporter("r")
    assert reporter.composite == D(76)
    assert reporter.grade == F


def test_exactly_two_thirds_good_and_fairly_good_is_not_capped():
    reporter = tally(grade_scheme(), ["r"], votes("g", "r", G, G, A)).reporter("r")
    assert reporter.grade == G


def test_under_two_thirds_good_and_fairly_good_caps_at_average():
    reporter = tally(grade_scheme(), ["r"], votes("g", "r", G, G, G, A, A)).reporter("r")
    assert reporter.composite == D(84)
    assert reporter.grade == A
    assert reporter.grade_reasons == (GradeReason.THRESHOLD, GradeReason.GOOD_MIN)
    assert reporter.needs_talk


def test_too_few_good_votes_never_raises_a_grade():
    reporter = tally(grade_scheme(), ["r"], votes("g", "r", A, A, A, P)).reporter("r")
    assert reporter.grade == P
    assert reporter.grade_reasons == (GradeReason.THRESHOLD,)


def test_the_vote_share_rules_can_be_switched_off():
    scheme = grade_scheme(poor_override_fraction=None, good_min_fraction=None)
    reporter = tally(scheme, ["r"], votes("g", "r", P, P, P, P, G, G, G, G, G, G, G)).reporter("r")
    assert reporter.grade == F


def test_a_reporter_graded_poor_by_both_thresholds_and_votes_has_only_the_threshold_reason():
    reporter = tally(grade_scheme(), ["r"], votes("g", "r", P, P, A)).reporter("r")
    assert reporter.grade == P
    assert reporter.grade_reasons == (GradeReason.THRESHOLD,)


@pytest.mark.parametrize(("grade", "talk"), [(G, False), (F, False), (A, True), (P, True)])
def test_a_low_grade_needs_a_talk(grade, talk):
    assert tally(grade_scheme(), ["r"], votes("g", "r", grade)).reporter("r").needs_talk is talk


def four_good_reporters() -> list[BallotData]:
    return [*totals("a", 99), *totals("b", 95), *totals("c", 90), *totals("d", 86)]


def test_the_good_cap_keeps_good_for_the_best_ranked_only():
    result = tally(points_scheme(good_cap_fraction=Fraction(1, 3)), "abcd", four_good_reporters())
    assert [r.grade for r in result.reporters] == [G, F, F, F]  # floor(4 / 3) = 1
    assert result.reporter("b").grade_reasons == (GradeReason.THRESHOLD, GradeReason.GOOD_CAP)
    assert result.reporter("a").grade_reasons == (GradeReason.THRESHOLD,)


def test_the_good_cap_is_off_by_default():
    assert [r.grade for r in tally(points_scheme(), "abcd", four_good_reporters()).reporters] == [G, G, G, G]


def test_the_good_cap_counts_every_graded_reporter_not_only_the_good_ones():
    ballots = [*totals("a", 99), *totals("b", 95), *totals("c", 70), *totals("d", 50)]
    result = tally(points_scheme(good_cap_fraction=Fraction(1, 2)), "abcd", ballots)
    assert [r.grade for r in result.reporters] == [G, G, A, P]


def test_the_good_cap_ignores_reporters_without_a_composite():
    result = tally(
        points_scheme(good_cap_fraction=Fraction(1, 2)), "abcd", [*totals("a", 99), *totals("b", 95)]
    )
    assert [r.grade for r in result.reporters] == [G, F, None, None]


def test_the_good_cap_never_splits_a_tie():
    ballots = [*totals("a", 99), *totals("b", 90), *totals("c", 90), *totals("d", 86), *totals("e", 70)]
    result = tally(points_scheme(good_cap_fraction=Fraction(1, 2)), "abcde", ballots)  # floor(5 / 2) = 2
    assert [r.grade for r in result.reporters] == [G, F, F, F, A]


def test_the_good_cap_applies_to_good_after_the_vote_share_rules():
    # a ranks first (89.33) on the leaders' votes but has only 4 of 8 好 + 较好 votes, so it drops to
    # 一般 and the two places under the cap (floor(2/3 × 3) = 2) go to b (88.67) and c (87.33).
    ballots = [vote("leaders", a=G, b=G, c=G), vote("leaders", a=G, b=F, c=F)]
    ballots += [vote("delegates", a=G, b=G, c=G), vote("delegates", a=G, b=G, c=F)]
    ballots += [vote("delegates", a=A, b=F, c=F)] * 4
    result = tally(grade_scheme(groups=TWO_GROUPS, good_cap_fraction=Fraction(2, 3)), "abc", ballots)
    assert [r.composite_exact for r in result.reporters] == [
        Fraction(268, 3),
        Fraction(266, 3),
        Fraction(262, 3),
    ]
    assert [r.grade for r in result.reporters] == [A, G, G]
    assert result.reporter("a").grade_reasons == (GradeReason.THRESHOLD, GradeReason.GOOD_MIN)


# --- rank -------------------------------------------------------------------------------------------


def test_it_ranks_by_composite_descending():
    result = tally(points_scheme(), "abc", [*totals("a", 70), *totals("b", 90), *totals("c", 80)])
    assert [r.rank for r in result.reporters] == [3, 1, 2]
    assert [r.reporter for r in result.ranking] == ["b", "c", "a"]


def test_exact_ties_share_a_rank_competition_style():
    ballots = [*totals("a", 90), *totals("b", 80), *totals("c", 80), *totals("d", 70)]
    result = tally(points_scheme(), "abcd", ballots)
    assert [r.rank for r in result.ranking] == [1, 2, 2, 4]


def test_ties_are_exact_not_rounded():
    ballots = [*totals("a", "80.001"), *totals("b", 80)]
    result = tally(points_scheme(), "ab", ballots)
    assert [r.rank for r in result.reporters] == [1, 2]
    assert fmt(result.reporter("a").composite) == fmt(result.reporter("b").composite) == "80.00"


def test_a_tie_on_composite_is_broken_by_the_share_of_good_votes():
    # Both average 80; r has one 好 of three votes, s has none.
    result = tally(grade_scheme(), ["s", "r"], [vote(r=G, s=F), vote(r=A, s=F), vote(r=F, s=F)])
    assert result.reporter("r").good_share_exact == Fraction(1, 3)
    assert [(r.reporter, r.rank) for r in result.ranking] == [("r", 1), ("s", 2)]


def test_a_tie_on_composite_and_good_share_is_broken_by_the_first_groups_score():
    # r: first 90, second 70; s: first 70, second 90. Both 80 with one 好 of four.
    ballots = [
        vote("first", r=G, s=F),
        vote("first", r=F, s=A),
        vote("second", r=F, s=G),
        vote("second", r=A, s=F),
    ]
    result = tally(grade_scheme(groups=HALVES), ["s", "r"], ballots)
    assert result.reporter("r").composite == result.reporter("s").composite == D(80)
    assert [(r.reporter, r.rank) for r in result.ranking] == [("r", 1), ("s", 2)]


def test_a_missing_first_group_score_ranks_lowest_in_a_tie():
    ballots = [vote("first", s=F), vote("second", r=F, s=F)]
    result = tally(grade_scheme(groups=HALVES), ["r", "s"], ballots)
    assert result.reporter("r").composite == result.reporter("s").composite == D(80)
    assert [(r.reporter, r.rank) for r in result.ranking] == [("s", 1), ("r", 2)]


def test_reporters_equal_on_all_three_keys_share_a_rank_in_speaking_order():
    result = tally(grade_scheme(), ["s", "r", "t"], [vote(r=G, s=G, t=F), vote(r=F, s=F, t=F)])
    assert [(r.reporter, r.rank) for r in result.ranking] == [("s", 1), ("r", 1), ("t", 3)]


def test_reporters_come_in_speaking_order_and_the_ranking_in_rank_order():
    result = tally(points_scheme(), ["z", "y", "x"], [*totals("z", 60), *totals("y", 90)])
    assert [r.reporter for r in result.reporters] == ["z", "y", "x"]
    assert [r.reporter for r in result.ranking] == ["y", "z", "x"]
    assert [r.rank for r in result.ranking] == [1, 2, None]


# --- quorum, turnout and breakdown ------------------------------------------------------------------


def quorum_groups(codes: int = 6, paper: int = 0) -> tuple[GroupSpec, ...]:
    return (GroupSpec("g", "代表", D(100), codes_issued=codes, paper_issued=paper),)


def test_quorum_is_met_when_more_than_half_of_the_codes_issued_are_received():
    result = tally(grade_scheme(groups=quorum_groups()), ["r"], votes("g", "r", G, G, G, G))
    assert result.quorum_met
    assert (result.ballots_received, result.codes_issued) == (4, 6)


def test_exactly_half_is_not_a_quorum():
    result = tally(grade_scheme(groups=quorum_groups()), ["r"], votes("g", "r", G, G, G))
    assert not result.quorum_met


def test_quorum_counts_invalid_ballots_and_paper_slips_issued():
    spoilt = [BallotData("g", {}, paper=True, invalid_reason="空白")] * 2
    result = tally(
        grade_scheme(groups=quorum_groups(codes=4, paper=2)), ["r"], [*votes("g", "r", G, G), *spoilt]
    )
    assert (result.ballots_counted, result.codes_issued) == (4, 6)
    assert result.quorum_met


def test_voided_paper_ballots_do_not_count_toward_the_quorum():
    paper = [vote(r=G, paper=True)] * 3
    result = tally(grade_scheme(groups=quorum_groups(codes=4, paper=2)), ["r"], [*votes("g", "r", G), *paper])
    assert (result.ballots_received, result.ballots_counted) == (4, 1)
    assert not result.quorum_met


def test_quorum_spans_all_groups():
    groups = (GroupSpec("a", "甲", D(50), codes_issued=2), GroupSpec("b", "乙", D(50), codes_issued=8))
    result = tally(grade_scheme(groups=groups), ["r"], votes("a", "r", G, G) + votes("b", "r", G, G, G, G))
    assert result.quorum_met  # 6 of 10, though group b alone has only half


def test_the_quorum_fraction_is_a_setting():
    scheme = grade_scheme(groups=quorum_groups(), quorum_fraction=Fraction(2, 3))
    assert not tally(scheme, ["r"], votes("g", "r", G, G, G, G)).quorum_met
    assert tally(scheme, ["r"], votes("g", "r", G, G, G, G, G)).quorum_met


def test_a_session_with_no_ballots_has_no_quorum_and_no_ranking():
    result = tally(grade_scheme(), ["r", "s"], [])
    assert not result.quorum_met
    assert [r.rank for r in result.ranking] == [None, None]


def test_turnout_per_group_reports_received_issued_and_share():
    groups = (GroupSpec("a", "甲", D(50), codes_issued=8, paper_issued=2), GroupSpec("b", "乙", D(50)))
    ballots = [*votes("a", "r", G, G, G), vote("a", r=F, paper=True)]
    a, b = tally(grade_scheme(groups=groups), ["r"], ballots).groups
    assert (a.group, a.received, a.issued, a.paper, a.share) == ("a", 4, 10, 1, D("0.4"))
    assert (b.received, b.issued, b.share) == (0, 0, None)


def test_a_group_breakdown_is_hidden_below_five_valid_ballots():
    four = tally(grade_scheme(), ["r"], votes("g", "r", G, G, G, G))
    five = tally(grade_scheme(), ["r"], votes("g", "r", G, G, G, G, G))
    assert not four.groups[0].breakdown_visible
    assert not four.reporter("r").group_scores["g"].breakdown_visible
    assert five.groups[0].breakdown_visible
    assert five.reporter("r").group_scores["g"].breakdown_visible


def test_invalid_ballots_do_not_count_toward_the_breakdown():
    spoilt = BallotData("g", {}, paper=True, invalid_reason="空白")
    result = tally(grade_scheme(groups=quorum_groups(paper=1)), ["r"], [*votes("g", "r", G, G, G, G), spoilt])
    assert not result.groups[0].breakdown_visible


def test_a_mean_over_fewer_ballots_is_hidden_even_in_a_large_enough_group():
    ballots = [vote(r=G, s=G), *[vote(s=F)] * 4]
    result = tally(grade_scheme(), ["r", "s"], ballots)
    assert result.groups[0].breakdown_visible
    assert not result.reporter("r").group_scores["g"].breakdown_visible
    assert result.reporter("s").group_scores["g"].breakdown_visible


def test_one_hidden_group_hides_every_group_mean_of_that_reporter():
    # With the on-site score public, one visible mean would give the hidden one away.
    ballots = [*votes("leaders", "r", G, G, G), *votes("delegates", "r", F, F, F, F, F)]
    result = tally(grade_scheme(groups=TWO_GROUPS), ["r"], ballots)
    reporter = result.reporter("r")
    assert not reporter.group_scores["leaders"].breakdown_visible
    assert not reporter.group_scores["delegates"].breakdown_visible
    assert reporter.onsite is not None


def test_the_breakdown_minimum_is_a_setting():
    result = tally(grade_scheme(breakdown_min_ballots=2), ["r"], votes("g", "r", G, G))
    assert result.groups[0].breakdown_visible


# --- digest -----------------------------------------------------------------------------------------

SAMPLE = [vote(r=G, s=F), vote(r=A, s=P, paper=True), BallotData("g", {}, paper=True, invalid_reason="空白")]


def test_the_digest_ignores_ballot_order():
    assert ballots_digest(SAMPLE) == ballots_digest(reversed(SAMPLE))


def test_the_digest_ignores_the_order_of_marks_and_treats_none_as_missing():
    one = BallotData("g", {("r", "c"): G, ("s", "c"): F, ("t", "c"): None})
    other = BallotData("g", {("s", "c"): F, ("r", "c"): G})
    assert ballots_digest([one]) == ballots_digest([other])


def test_the_digest_treats_equal_numbers_alike():
    assert ballots_digest(totals("r", "80")) == ballots_digest(totals("r", "80.00"))
    assert ballots_digest(totals("r", "80")) == ballots_digest([BallotData("g", {("r", "total"): 80})])


@pytest.mark.parametrize(
    "changed",
    [
        BallotData("g", {("r", "c"): F, ("s", "c"): F}),
        BallotData("g", {("r", "c"): G}),
        BallotData("h", {("r", "c"): G, ("s", "c"): F}),
        BallotData("g", {("r", "c"): G, ("s", "c"): F}, paper=True),
        BallotData("g", {("r", "c"): G, ("s", "c"): F}, invalid_reason="涂改"),
    ],
    ids=["mark", "blanked", "group", "paper", "invalid"],
)
def test_the_digest_changes_when_anything_on_a_ballot_changes(changed):
    assert ballots_digest([changed, *SAMPLE[1:]]) != ballots_digest(SAMPLE)


def test_the_digest_counts_duplicate_ballots():
    assert ballots_digest(SAMPLE) != ballots_digest([*SAMPLE, SAMPLE[0]])


def test_the_tally_carries_the_digest_of_its_ballots():
    scheme = grade_scheme(groups=(GroupSpec("g", "代表", D(100), paper_issued=2),))
    assert tally(scheme, ["r", "s"], SAMPLE).digest == ballots_digest(SAMPLE)


# --- numbers and snapshots --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (D("87.5"), "87.50"),
        (D("87.125"), "87.13"),
        (D("87.135"), "87.14"),
        (D("87.1249999"), "87.12"),
        (Fraction(175, 2), "87.50"),
        (Fraction(260, 3), "86.67"),
        (Fraction(200, 3), "66.67"),
        (100, "100.00"),
        (D(0), "0.00"),
        (D("-0.005"), "-0.01"),
        (D("-0.004"), "0.00"),
    ],
)
def test_fmt_shows_two_decimals_rounding_half_up(value, shown):
    assert fmt(value) == shown


def test_fmt_rounds_the_exact_fraction_once():
    just_under = Fraction(87125, 1000) - Fraction(1, 10**40)
    assert as_decimal(just_under) == D("87.125")  # 28 digits cannot tell
    assert fmt(just_under) == "87.12"


def test_fmt_shows_a_dash_for_a_missing_value_and_takes_other_places():
    assert fmt(None) == "—"
    assert fmt(Fraction(1, 3), places=4) == "0.3333"
    assert fmt(D("2.5"), places=0) == "3"


def test_decimals_are_exposed_with_28_significant_digits():
    assert as_decimal(Fraction(1, 3)) == D("0.3333333333333333333333333333")
    assert as_decimal(Fraction(175, 2)) == D("87.5")


def test_to_dict_is_json_serialisable_with_decimals_as_strings():
    ballots = [*votes("leaders", "r", G, F), *votes("delegates", "r", A)]
    snapshot = tally(grade_scheme(groups=TWO_GROUPS), ["r", "s"], ballots).to_dict()
    assert json.loads(json.dumps(snapshot)) == snapshot
    r, s = snapshot["reporters"]
    assert (r["onsite"], r["composite"], r["grade"], r["rank"]) == ("78", "78", "fairly_good", 1)
    assert r["group_scores"]["leaders"]["score"] == "90"
    assert r["grade_counts"] == {"good": 1, "fairly_good": 1, "average": 1, "poor": 0}
    assert (s["composite"], s["rank"], s["missing_groups"]) == (None, None, ["leaders", "delegates"])
    assert snapshot["ranking"] == ["r", "s"]
    assert snapshot["groups"][0]["share"] == "0.2"


def test_a_recomputation_from_the_same_ballots_gives_the_same_snapshot():
    ballots = [*votes("leaders", "r", G, F), *votes("delegates", "r", A)]
    first = tally(grade_scheme(groups=TWO_GROUPS), ["r"], ballots)
    again = tally(grade_scheme(groups=TWO_GROUPS), ["r"], list(reversed(ballots)))
    assert first == again
    assert first.to_dict() == again.to_dict()


def test_looking_up_an_unknown_reporter_raises_key_error():
    with pytest.raises(KeyError):
        tally(grade_scheme(), ["r"], []).reporter("s")
