"""Ties explained: scoring.tally.tie_notes on hand-built lines, and on any tally (hypothesis)."""

import itertools
from fractions import Fraction

from hypothesis import given

from scoring.tally import RankedLine, TieBreak, fmt, ranked_lines, tally, tie_notes
from tests.scoring.test_tally_properties import MODEST, sessions

F = Fraction


def line(reporter, rank, composite, good="0", first="90", visible=True):
    return RankedLine(
        reporter=reporter,
        rank=rank,
        composite=F(composite),
        good_share=F(good),
        first_group=None if first is None else F(first),
        first_group_visible=visible,
    )


def test_four_at_97_20_ranked_2_2_2_5_say_tied_and_the_good_share_that_put_the_fifth_below():
    lines = [
        line("a", 1, "99"),
        line("b", 2, "97.2", good="5/6"),
        line("c", 2, "97.2", good="5/6"),
        line("d", 2, "97.2", good="5/6"),
        line("e", 5, "97.2", good="2/3"),
        line("f", 6, "90"),
    ]
    notes = tie_notes(lines)
    assert set(notes) == {"b", "c", "d", "e"}
    assert [n.by for n in notes["c"]] == [TieBreak.EXACT, TieBreak.EXACT]
    (fifth,) = notes["e"]
    assert (fifth.by, fifth.other, fifth.above) == (TieBreak.GOOD_SHARE, "d", True)
    assert (fifth.mine, fifth.theirs) == (F(2, 3), F(5, 6))
    upper = notes["d"][-1]
    assert (upper.by, upper.other, upper.above, upper.mine, upper.theirs) == (
        TieBreak.GOOD_SHARE,
        "e",
        False,
        F(5, 6),
        F(2, 3),
    )


def test_equal_good_shares_are_separated_by_the_first_groups_score():
    notes = tie_notes([line("a", 7, "83.2", first="92"), line("b", 8, "83.2", first="88")])
    assert (notes["a"][0].by, notes["a"][0].mine, notes["a"][0].theirs) == (TieBreak.FIRST_GROUP, 92, 88)


def test_a_hidden_first_group_score_is_named_but_not_given():
    notes = tie_notes([line("a", 7, "83.2", first="92"), line("b", 8, "83.2", first="88", visible=False)])
    assert notes["a"][0].by is TieBreak.FIRST_GROUP
    assert notes["a"][0].mine is None and notes["b"][0].theirs is None


def test_scores_equal_to_two_decimals_are_separated_by_the_composite_itself():
    notes = tie_notes([line("a", 18, "44.2667"), line("b", 19, "44.2651")])
    assert fmt(F("44.2667")) == fmt(F("44.2651")) == "44.27"
    assert notes["b"][0].by is TieBreak.COMPOSITE and notes["b"][0].above


def test_different_displayed_scores_and_unranked_lines_get_no_note():
    unranked = RankedLine(reporter="z", rank=None, composite=None, good_share=F(0), first_group=None)
    assert tie_notes([line("a", 1, "90"), line("b", 2, "89.99"), unranked]) == {}


@MODEST
@given(session=sessions())
def test_any_tally_notes_exactly_the_neighbours_whose_displayed_scores_match(session):
    scheme, reporters, ballots, components = session
    result = tally(scheme, reporters, ballots, component_scores=components)
    notes = tie_notes(ranked_lines(result.ranking, scheme.groups[0].key))
    ranked = [r for r in result.ranking if r.rank is not None]
    by_key = {r.reporter: r for r in ranked}
    expected = set()
    for upper, lower in itertools.pairwise(ranked):
        if fmt(upper.composite_exact) == fmt(lower.composite_exact):
            expected |= {(upper.reporter, lower.reporter), (lower.reporter, upper.reporter)}
    assert {(n.reporter, n.other) for found in notes.values() for n in found} == expected
    for found in notes.values():
        for note in found:
            mine, theirs = by_key[note.reporter], by_key[note.other]
            # "Tied" exactly when they share a rank; otherwise the note's values put them in rank order.
            assert (note.by is TieBreak.EXACT) == (mine.rank == theirs.rank)
            assert note.above == (ranked.index(theirs) < ranked.index(mine))
            if note.mine is not None:
                assert (note.mine < note.theirs) == note.above


def test_a_first_group_without_a_valid_vote_separates_without_a_number():
    # Found by hypothesis: one reporter's first group gave no valid vote, the other's did.
    notes = tie_notes([line("a", 1, "80", first="60"), line("b", 2, "80", first=None)])
    (upper,), (lower,) = notes["a"], notes["b"]
    assert (upper.by, upper.mine, upper.theirs) == (TieBreak.FIRST_GROUP, None, None)
    assert (lower.by, lower.above) == (TieBreak.FIRST_GROUP, True)
