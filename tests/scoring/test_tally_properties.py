"""Property tests for scoring.tally: what must hold for any session, not just the hand-built ones."""

import itertools
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.tally import (
    BallotData,
    ComponentSpec,
    CriterionSpec,
    Grade,
    GroupSpec,
    Mode,
    SchemeSpec,
    as_decimal,
    ballots_digest,
    tally,
    validate_scheme,
)

D = Decimal
MODEST = settings(max_examples=100, deadline=None)


# --- strategies -------------------------------------------------------------------------------------


@st.composite
def percents(draw, parts: int) -> list[int]:
    """``parts`` whole percents, each at least 1, summing to 100."""
    cuts = draw(st.lists(st.integers(1, 99), min_size=parts - 1, max_size=parts - 1, unique=True))
    bounds = [0, *sorted(cuts), 100]
    return [b - a for a, b in itertools.pairwise(bounds)]


@st.composite
def schemes(draw, modes: tuple[Mode, ...] = tuple(Mode), groups: int | None = None) -> SchemeSpec:
    mode = draw(st.sampled_from(modes))
    group_count = groups or draw(st.integers(1, 3))
    group_specs = tuple(
        GroupSpec(
            f"g{i}",
            f"组{i}",
            D(weight),
            codes_issued=draw(st.integers(0, 8)),
            paper_issued=draw(st.integers(0, 3)),
        )
        for i, weight in enumerate(draw(percents(group_count)))
    )
    if mode is Mode.GRADE_PER_REPORTER:
        criteria = (CriterionSpec("c", "总体评价"),)
    elif mode is Mode.GRADE_PER_ITEM:
        criteria = tuple(CriterionSpec(f"i{n}", f"要素{n}") for n in range(draw(st.integers(1, 3))))
    else:
        maxima = draw(percents(draw(st.integers(1, 3))))
        criteria = tuple(CriterionSpec(f"p{n}", f"指标{n}", D(m)) for n, m in enumerate(maxima))
    onsite, *component_shares = draw(st.sampled_from([[100], [40, 30, 30], [70, 30]]))
    scheme = SchemeSpec(
        mode=mode,
        groups=group_specs,
        criteria=criteria,
        trim_extremes=draw(st.booleans()),
        onsite_share=D(onsite),
        components=tuple(ComponentSpec(f"k{n}", f"考核{n}", D(s)) for n, s in enumerate(component_shares)),
        good_cap_fraction=draw(st.sampled_from([None, Fraction(1, 3), Fraction(3, 10)])),
        same_grade_invalid=draw(st.booleans()),
        breakdown_min_ballots=draw(st.integers(0, 5)),
    )
    assert validate_scheme(scheme) == []
    return scheme


def marks_for(scheme: SchemeSpec, criterion: CriterionSpec) -> st.SearchStrategy:
    if scheme.mode.uses_grades:
        return st.sampled_from(tuple(Grade))
    top = int(criterion.max_points) * 2
    return st.integers(0, top).map(lambda halves: D(halves) / 2)


@st.composite
def ballots_for(draw, scheme: SchemeSpec, reporters: tuple[str, ...], max_size: int = 10) -> list[BallotData]:
    ballots = []
    for _ in range(draw(st.integers(0, max_size))):
        marks = {
            (reporter, criterion.key): draw(st.none() | marks_for(scheme, criterion))
            for reporter in reporters
            for criterion in scheme.criteria
        }
        ballots.append(
            BallotData(
                group=draw(st.sampled_from([g.key for g in scheme.groups])),
                marks=marks,
                paper=draw(st.booleans()),
                invalid_reason=draw(st.sampled_from(["", "", "", "涂改"])),
            )
        )
    return ballots


@st.composite
def sessions(draw, modes: tuple[Mode, ...] = tuple(Mode), groups: int | None = None):
    scheme = draw(schemes(modes, groups))
    reporters = tuple(f"r{n}" for n in range(draw(st.integers(1, 4))))
    ballots = draw(ballots_for(scheme, reporters))
    components = {
        reporter: {c.key: D(draw(st.integers(0, 100))) for c in scheme.components if draw(st.integers(0, 5))}
        for reporter in reporters
    }
    return scheme, reporters, ballots, components


# --- order never matters ----------------------------------------------------------------------------


@MODEST
@given(data=st.data(), session=sessions())
def test_permuting_the_ballots_changes_nothing(data, session):
    scheme, reporters, ballots, components = session
    shuffled = data.draw(st.permutations(ballots))
    first = tally(scheme, reporters, ballots, component_scores=components)
    again = tally(scheme, reporters, shuffled, component_scores=components)
    assert again == first
    assert again.to_dict() == first.to_dict()
    assert again.digest == first.digest


# --- means --------------------------------------------------------------------------------------------


@st.composite
def complete_points_sessions(draw):
    """Points mode, one group, complete whole-number ballots, and a ballot count whose means terminate."""
    scheme = draw(schemes((Mode.POINTS,), groups=1))
    scheme = SchemeSpec(mode=Mode.POINTS, groups=scheme.groups, criteria=scheme.criteria)
    reporters = tuple(f"r{n}" for n in range(draw(st.integers(1, 3))))
    count = draw(st.sampled_from([1, 2, 4, 5, 8, 10]))
    ballots = [
        BallotData(
            "g0",
            {
                (reporter, c.key): D(draw(st.integers(0, int(c.max_points))))
                for reporter in reporters
                for c in scheme.criteria
            },
        )
        for _ in range(count)
    ]
    return scheme, reporters, ballots


@MODEST
@given(session=complete_points_sessions())
def test_adding_a_ballot_at_the_mean_leaves_the_means_unchanged(session):
    scheme, reporters, ballots = session
    before = tally(scheme, reporters, ballots)
    at_mean = {}
    for result in before.reporters:
        for key, mean in result.group_scores["g0"].criterion_means_exact.items():
            assert Fraction(as_decimal(mean)) == mean  # a whole ballot can carry it
            at_mean[(result.reporter, key)] = as_decimal(mean)
    after = tally(scheme, reporters, [*ballots, BallotData("g0", at_mean)])
    for old, new in zip(before.reporters, after.reporters, strict=True):
        old_score, new_score = old.group_scores["g0"], new.group_scores["g0"]
        assert new_score.score_exact == old_score.score_exact
        assert new_score.criterion_means_exact == old_score.criterion_means_exact
        assert new.composite_exact == old.composite_exact
        assert new_score.valid_votes == old_score.valid_votes + 1


@MODEST
@given(session=sessions(modes=(Mode.GRADE_PER_REPORTER, Mode.GRADE_PER_ITEM)))
def test_a_grade_score_lies_within_the_grade_points(session):
    scheme, reporters, ballots, _ = session
    for result in tally(scheme, reporters, ballots).reporters:
        for score in result.group_scores.values():
            assert score.score_exact is None or 40 <= score.score_exact <= 100
            assert sum(score.grade_counts.values()) == score.valid_votes


# --- weights ------------------------------------------------------------------------------------------


@MODEST
@given(session=sessions(groups=1))
def test_with_one_group_the_onsite_score_is_that_groups_score(session):
    scheme, reporters, ballots, _ = session
    for result in tally(scheme, reporters, ballots).reporters:
        assert result.onsite_exact == result.group_scores["g0"].score_exact


def reweighted(scheme: SchemeSpec, first_weight: int) -> SchemeSpec:
    first, second = scheme.groups
    return SchemeSpec(
        mode=scheme.mode,
        groups=(
            GroupSpec(first.key, first.name, D(first_weight), first.codes_issued, first.paper_issued),
            GroupSpec(
                second.key, second.name, D(100 - first_weight), second.codes_issued, second.paper_issued
            ),
        ),
        criteria=scheme.criteria,
        trim_extremes=scheme.trim_extremes,
    )


@MODEST
@given(session=sessions(groups=2), weights=st.lists(st.integers(1, 99), min_size=2, max_size=2, unique=True))
def test_with_two_groups_the_onsite_score_lies_between_them_and_follows_the_weight(session, weights):
    scheme, reporters, ballots, _ = session
    light, heavy = sorted(weights)
    low = tally(reweighted(scheme, light), reporters, ballots)
    high = tally(reweighted(scheme, heavy), reporters, ballots)
    for at_light, at_heavy in zip(low.reporters, high.reporters, strict=True):
        first = at_light.group_scores["g0"].score_exact
        second = at_light.group_scores["g1"].score_exact
        if first is None or second is None:
            assert at_light.onsite_exact == at_heavy.onsite_exact == (first if second is None else second)
            continue
        assert min(first, second) <= at_light.onsite_exact <= max(first, second)
        # More weight on the first group moves the score toward the first group's score.
        if first >= second:
            assert at_light.onsite_exact <= at_heavy.onsite_exact
        else:
            assert at_light.onsite_exact >= at_heavy.onsite_exact


# --- ranks --------------------------------------------------------------------------------------------


@MODEST
@given(session=sessions())
def test_ranks_are_consistent_with_the_scores(session):
    scheme, reporters, ballots, components = session
    result = tally(scheme, reporters, ballots, component_scores=components)
    ranked = [r for r in result.ranking if r.rank is not None]
    unranked = [r for r in result.ranking if r.rank is None]
    assert result.ranking == (*ranked, *unranked)
    assert all(r.composite_exact is None for r in unranked)
    assert all(r.composite_exact is not None for r in ranked)
    assert [r.reporter for r in unranked] == [r for r in reporters if r in {u.reporter for u in unranked}]
    ranks = [r.rank for r in ranked]
    assert ranks == sorted(ranks)
    first = scheme.groups[0].key
    for a in ranked:
        # Competition ranks: one more than the number of reporters placed strictly ahead.
        assert a.rank == 1 + sum(1 for b in ranked if b.rank < a.rank)
        for b in ranked:
            if a.composite_exact > b.composite_exact:
                assert a.rank < b.rank
            same_keys = (a.composite_exact, a.good_share_exact, a.group_scores[first].score_exact) == (
                b.composite_exact,
                b.good_share_exact,
                b.group_scores[first].score_exact,
            )
            assert same_keys == (a.rank == b.rank)


@MODEST
@given(session=sessions())
def test_grades_follow_the_composite_and_low_grades_need_a_talk(session):
    scheme, reporters, ballots, components = session
    for result in tally(scheme, reporters, ballots, component_scores=components).reporters:
        assert (result.grade is None) == (result.composite_exact is None) == (result.rank is None)
        assert result.needs_talk == (result.grade in (Grade.AVERAGE, Grade.POOR))
        assert bool(result.grade_reasons) == (result.grade is not None)


# --- digest -------------------------------------------------------------------------------------------


@MODEST
@given(data=st.data(), session=sessions())
def test_the_digest_ignores_the_order_of_ballots_and_of_marks(data, session):
    _, _, ballots, _ = session
    shuffled = [
        BallotData(
            b.group, dict(data.draw(st.permutations(list(b.marks.items())))), b.paper, b.invalid_reason
        )
        for b in data.draw(st.permutations(ballots))
    ]
    assert ballots_digest(shuffled) == ballots_digest(ballots)


def another_mark(scheme: SchemeSpec, criterion: CriterionSpec, value) -> st.SearchStrategy:
    return st.none() | marks_for(scheme, criterion).filter(lambda other: other != value)


@MODEST
@given(data=st.data(), session=sessions())
def test_the_digest_changes_when_any_mark_changes(data, session):
    scheme, _, ballots, _ = session
    marked = [(i, key) for i, b in enumerate(ballots) for key, value in b.marks.items() if value is not None]
    if not marked:
        return
    index, key = data.draw(st.sampled_from(marked))
    criterion = next(c for c in scheme.criteria if c.key == key[1])
    original = ballots[index]
    changed_value = data.draw(another_mark(scheme, criterion, original.marks[key]))
    changed = BallotData(
        original.group, {**original.marks, key: changed_value}, original.paper, original.invalid_reason
    )
    assert ballots_digest([*ballots[:index], changed, *ballots[index + 1 :]]) != ballots_digest(ballots)
