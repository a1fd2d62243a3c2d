"""docs/scoring.md, reproduced: the same session rebuilt by hand, every number on that page asserted."""

from decimal import Decimal
from fractions import Fraction

import pytest

from scoring.tally import (
    BallotData,
    CriterionSpec,
    Grade,
    GradeReason,
    GroupSpec,
    Mode,
    SchemeSpec,
    TallyResult,
    canonical_ballot,
    fmt,
    tally,
)

G, F, A, P = Grade.GOOD, Grade.FAIRLY_GOOD, Grade.AVERAGE, Grade.POOR
REPORTERS = ("zhang", "wang", "li", "zhao")

SCHEME = SchemeSpec(
    mode=Mode.GRADE_PER_REPORTER,
    groups=(
        GroupSpec("leaders", "上级党委委员", Decimal(60), codes_issued=5),
        GroupSpec("delegates", "党员群众代表", Decimal(40), codes_issued=6, paper_issued=3),
    ),
    criteria=(CriterionSpec("overall", "总体评价"),),
)


def ballot(group: str, zhang: Grade, wang: Grade, li: Grade, zhao: Grade, paper: bool = False) -> BallotData:
    grades = dict(zip(REPORTERS, (zhang, wang, li, zhao), strict=True))
    return BallotData(
        group, {(reporter, "overall"): grade for reporter, grade in grades.items()}, paper=paper
    )


L1 = ballot("leaders", G, G, F, G)
L2 = ballot("leaders", G, G, F, G)
L3 = ballot("leaders", G, A, F, P)
L4 = ballot("leaders", F, A, F, P)
D1 = ballot("delegates", G, G, F, G)
D2 = ballot("delegates", G, F, F, F)
D3 = ballot("delegates", F, F, F, P)
D4 = ballot("delegates", F, A, F, P, paper=True)
D5 = ballot("delegates", G, F, F, A, paper=True)
D6 = BallotData("delegates", {}, paper=True, invalid_reason="一票多选")
BALLOTS = (L1, L2, L3, L4, D1, D2, D3, D4, D5, D6)


@pytest.fixture(scope="module")
def result() -> TallyResult:
    return tally(SCHEME, REPORTERS, BALLOTS)


def test_step_1_counts_valid_and_invalid_ballots_and_turnout(result):
    leaders, delegates = result.groups
    assert (leaders.received, leaders.invalid_ballots, leaders.valid_ballots, leaders.issued) == (4, 0, 4, 5)
    assert (delegates.received, delegates.invalid_ballots, delegates.valid_ballots, delegates.issued) == (
        6,
        1,
        5,
        9,
    )
    assert (delegates.paper, delegates.paper_voided) == (3, False)
    assert leaders.share_exact == Fraction(4, 5)
    assert delegates.share_exact == Fraction(6, 9)
    assert fmt(leaders.share * 100) == "80.00"
    assert fmt(delegates.share_exact * 100) == "66.67"


@pytest.mark.parametrize(
    ("reporter", "group", "counts", "score", "shown"),
    [
        ("zhang", "leaders", {G: 3, F: 1, A: 0, P: 0}, Fraction(300 + 80, 4), "95.00"),
        ("zhang", "delegates", {G: 3, F: 2, A: 0, P: 0}, Fraction(300 + 160, 5), "92.00"),
        ("wang", "leaders", {G: 2, F: 0, A: 2, P: 0}, Fraction(200 + 120, 4), "80.00"),
        ("wang", "delegates", {G: 1, F: 3, A: 1, P: 0}, Fraction(100 + 240 + 60, 5), "80.00"),
        ("li", "leaders", {G: 0, F: 4, A: 0, P: 0}, Fraction(320, 4), "80.00"),
        ("li", "delegates", {G: 0, F: 5, A: 0, P: 0}, Fraction(400, 5), "80.00"),
        ("zhao", "leaders", {G: 2, F: 0, A: 0, P: 2}, Fraction(200 + 80, 4), "70.00"),
        ("zhao", "delegates", {G: 1, F: 1, A: 1, P: 2}, Fraction(100 + 80 + 60 + 80, 5), "64.00"),
    ],
)
def test_step_2_scores_each_reporter_in_each_group(result, reporter, group, counts, score, shown):
    group_score = result.reporter(reporter).group_scores[group]
    assert group_score.grade_counts == counts
    assert group_score.score_exact == score
    assert fmt(group_score.score) == shown


@pytest.mark.parametrize(
    ("reporter", "working", "shown"),
    [
        ("zhang", Decimal(57) + Decimal("36.8"), "93.80"),
        ("wang", Decimal(48) + Decimal(32), "80.00"),
        ("li", Decimal(48) + Decimal(32), "80.00"),
        ("zhao", Decimal(42) + Decimal("25.6"), "67.60"),
    ],
)
def test_step_3_weights_the_groups_60_40_into_the_onsite_score_and_composite(
    result, reporter, working, shown
):
    reporter_result = result.reporter(reporter)
    leaders = reporter_result.group_scores["leaders"].score
    delegates = reporter_result.group_scores["delegates"].score
    assert leaders * Decimal("0.6") + delegates * Decimal("0.4") == working
    assert reporter_result.onsite == reporter_result.composite == working
    assert fmt(reporter_result.composite) == shown
    assert reporter_result.missing_groups == ()


@pytest.mark.parametrize(
    ("reporter", "poor", "good_or_fairly_good", "grade", "reasons", "talk"),
    [
        ("zhang", 0, 9, G, (GradeReason.THRESHOLD,), False),
        ("wang", 0, 6, F, (GradeReason.THRESHOLD,), False),
        ("li", 0, 9, F, (GradeReason.THRESHOLD,), False),
        ("zhao", 4, 4, P, (GradeReason.THRESHOLD, GradeReason.POOR_OVERRIDE), True),
    ],
)
def test_step_4_grades_by_thresholds_then_by_votes(
    result, reporter, poor, good_or_fairly_good, grade, reasons, talk
):
    reporter_result = result.reporter(reporter)
    counts = reporter_result.grade_counts
    assert reporter_result.valid_votes == 9
    assert counts[P] == poor
    assert counts[G] + counts[F] == good_or_fairly_good
    assert (reporter_result.grade, reporter_result.grade_reasons) == (grade, reasons)
    assert reporter_result.needs_talk is talk


def test_step_5_ranks_wang_ahead_of_li_on_the_share_of_good_votes(result):
    assert [(r.reporter, r.rank, fmt(r.composite)) for r in result.ranking] == [
        ("zhang", 1, "93.80"),
        ("wang", 2, "80.00"),
        ("li", 3, "80.00"),
        ("zhao", 4, "67.60"),
    ]
    assert [r.good_share_exact for r in result.ranking] == [
        Fraction(6, 9),
        Fraction(3, 9),
        Fraction(0, 9),
        Fraction(3, 9),
    ]
    assert [r.grade for r in result.ranking] == [G, F, F, P]


def test_step_6_hides_the_leaders_breakdown_and_meets_the_quorum(result):
    leaders, delegates = result.groups
    assert (leaders.valid_ballots, leaders.breakdown_visible) == (4, False)
    assert (delegates.valid_ballots, delegates.breakdown_visible) == (5, True)
    # Per reporter, the delegates' mean is withheld too: with the on-site score it would reveal the leaders'.
    assert not any(score.breakdown_visible for r in result.reporters for score in r.group_scores.values())
    assert (result.ballots_received, result.ballots_counted, result.codes_issued) == (10, 10, 14)
    assert sum(g.valid_ballots for g in result.groups) == 9
    assert 10 > 14 * Fraction(1, 2) == 7
    assert result.quorum_met


def test_step_7_writes_canonical_lines_and_the_digest(result):
    assert canonical_ballot(L1) == (
        '{"group":"leaders","invalid_reason":"","marks":[["li","overall","fairly_good"],'
        '["wang","overall","good"],["zhang","overall","good"],["zhao","overall","good"]],"paper":false}'
    )
    assert canonical_ballot(D6) == '{"group":"delegates","invalid_reason":"一票多选","marks":[],"paper":true}'
    assert result.digest == "8b5ce67e1bca18d6749120d3f60dc5f6d2d53a4f3577728b35b00ff707adae32"
