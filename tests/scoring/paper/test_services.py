"""Paper ballots typed in twice (paper_entry_submit, paper_resolve): what counts, what is refused."""

import pytest
from django.contrib.auth.models import User

from reviews.orgs.permissions import staff_group_ensure
from scoring import selectors
from scoring.ballots import services as ballots_services
from scoring.ballots.models import Ballot, Channel, Score
from scoring.errors import ScoringError
from scoring.paper import services as paper_services
from scoring.paper.models import PaperBallot, PaperEntry, PaperStatus
from scoring.schemes.models import EvaluatorGroup
from tests.conftest import make_staff
from tests.scoring.conftest import count_held_ballots


@pytest.fixture
def clerks(scored) -> tuple[User, User, User]:
    """Two clerks who type the forms and a third staff member who settles mismatches."""
    third = make_staff("clerk3", scored.county)
    third.groups.add(staff_group_ensure())
    EvaluatorGroup.objects.filter(pk=scored.delegates.pk).update(paper_issued=10)
    return scored.county_staff, scored.superuser, third


def _enter(world, clerk, serial=1, grade="good", invalid="", group=None, **by_order):
    return paper_services.paper_entry_submit(
        actor=clerk,
        session=world.session,
        group=group or world.delegates,
        serial=serial,
        marks={} if invalid else world.marks(grade, **by_order),
        invalid_reason=invalid,
    )


def _refusal(call) -> str:
    with pytest.raises(ScoringError) as info:
        call()
    return info.value.code


def _group_turnout(world, group=None):
    count_held_ballots()
    result = selectors.session_tally(world.session).result
    key = selectors.group_key((group or world.delegates).pk)
    return next(g for g in result.groups if g.group == key)


def _stored(ballot) -> dict[tuple[int, int], str]:
    count_held_ballots()
    return {(s.report_id, s.criterion_id): s.grade for s in Score.objects.filter(ballot=ballot)}


def test_agreeing_entries_count_one_paper_ballot_with_the_typed_marks(scored, clerks):
    first, second, _ = clerks
    assert _enter(scored, first, r2="average").status == PaperStatus.WAITING
    count_held_ballots()
    assert not Ballot.objects.exists()

    paper = _enter(scored, second, r2="average")

    assert paper.status == PaperStatus.COUNTED
    count_held_ballots()
    ballot = Ballot.objects.get()
    assert paper.ballot == ballot
    assert (ballot.channel, ballot.group, ballot.invalid_reason) == (Channel.PAPER, scored.delegates, "")
    assert _stored(ballot) == scored.marks("good", r2="average")


def test_disagreeing_entries_are_a_mismatch_and_count_nothing(scored, clerks):
    first, second, _ = clerks
    _enter(scored, first, r1="poor")
    paper = _enter(scored, second, r1="average")
    assert paper.status == PaperStatus.MISMATCH
    assert paper.ballot is None
    count_held_ballots()
    assert not Ballot.objects.exists() and not Score.objects.exists()
    assert _group_turnout(scored).paper == 0


def test_a_third_person_resolves_a_mismatch_and_it_counts_once(scored, clerks):
    first, second, third = clerks
    _enter(scored, first, r1="poor")
    paper = _enter(scored, second, r1="average")

    resolved = paper_services.paper_resolve(actor=third, paper=paper, marks=scored.marks("good", r1="poor"))

    assert (resolved.status, resolved.resolved_by) == (PaperStatus.COUNTED, third)
    count_held_ballots()
    ballot = Ballot.objects.get()
    assert ballot.channel == Channel.PAPER
    assert _stored(ballot) == scored.marks("good", r1="poor")
    assert _refusal(lambda: paper_services.paper_resolve(actor=third, paper=paper, marks=scored.marks())) == (
        "not_mismatch"
    )
    count_held_ballots()
    assert Ballot.objects.count() == 1


def test_one_of_the_two_clerks_cannot_resolve(scored, clerks):
    first, second, _ = clerks
    _enter(scored, first, r1="poor")
    paper = _enter(scored, second, r1="average")
    for clerk in (first, second):
        code = _refusal(
            lambda clerk=clerk: paper_services.paper_resolve(actor=clerk, paper=paper, marks=scored.marks())
        )
        assert code == "same_clerk"
    assert PaperBallot.objects.get().status == PaperStatus.MISMATCH
    count_held_ballots()
    assert not Ballot.objects.exists()


def test_the_same_clerk_cannot_type_both_entries(scored, clerks):
    _enter(scored, clerks[0])
    assert _refusal(lambda: _enter(scored, clerks[0])) == "same_clerk"
    assert PaperEntry.objects.count() == 1
    assert PaperBallot.objects.get().status == PaperStatus.WAITING


def test_two_invalid_entries_are_an_invalid_ballot_in_the_tally(scored, clerks):
    _enter(scored, clerks[0], invalid="空白票")
    paper = _enter(scored, clerks[1], invalid="空白票")

    assert paper.status == PaperStatus.INVALID
    count_held_ballots()
    ballot = Ballot.objects.get()
    assert (ballot.channel, ballot.invalid_reason) == (Channel.PAPER, "空白票")
    assert not Score.objects.exists()
    turnout = _group_turnout(scored)
    assert (turnout.invalid_ballots, turnout.valid_ballots, turnout.paper) == (1, 0, 1)


def test_invalid_against_marks_is_a_mismatch(scored, clerks):
    _enter(scored, clerks[0], invalid="一行多选")
    assert _enter(scored, clerks[1]).status == PaperStatus.MISMATCH
    count_held_ballots()
    assert not Ballot.objects.exists()


def test_a_resolver_can_record_an_invalid_ballot(scored, clerks):
    first, second, third = clerks
    _enter(scored, first, invalid="无法辨认")
    paper = _enter(scored, second)
    resolved = paper_services.paper_resolve(actor=third, paper=paper, marks={}, invalid_reason="无法辨认")
    assert resolved.status == PaperStatus.INVALID
    assert _group_turnout(scored).invalid_ballots == 1


def test_nothing_is_entered_or_resolved_after_scoring_closes(scored, clerks):
    first, second, third = clerks
    _enter(scored, first, serial=1, r1="poor")
    paper = _enter(scored, second, serial=1, r1="average")
    ballots_services.scoring_close(actor=scored.county_staff, session=scored.session)
    assert _refusal(lambda: _enter(scored, first, serial=2)) == "not_open"
    assert _refusal(lambda: paper_services.paper_resolve(actor=third, paper=paper, marks=scored.marks())) == (
        "not_open"
    )
    count_held_ballots()
    assert not Ballot.objects.exists()


def test_nothing_is_entered_before_scoring_opens(scored_closed_scheme):
    world = scored_closed_scheme
    assert _refusal(lambda: _enter(world, world.county_staff)) == "not_open"


def test_a_form_number_entered_for_another_group_is_refused(scored, clerks):
    _enter(scored, clerks[0], serial=7)
    assert _refusal(lambda: _enter(scored, clerks[1], serial=7, group=scored.leaders)) == "group_mismatch"
    paper = PaperBallot.objects.get()
    assert (paper.group, paper.status, paper.entries.count()) == (scored.delegates, PaperStatus.WAITING, 1)


def test_an_incomplete_form_is_refused_and_nothing_is_stored(scored, clerks):
    marks = scored.marks()
    marks[next(iter(marks))] = ""
    code = _refusal(
        lambda: paper_services.paper_entry_submit(
            actor=clerks[0], session=scored.session, group=scored.delegates, serial=3, marks=marks
        )
    )
    assert code == "incomplete"
    assert not PaperBallot.objects.exists()


def test_a_counted_form_takes_no_further_entry(scored, clerks):
    first, second, third = clerks
    _enter(scored, first)
    _enter(scored, second)
    assert _refusal(lambda: _enter(scored, third)) == "complete"
    count_held_ballots()
    assert Ballot.objects.count() == 1


def test_after_resolving_a_further_entry_is_refused(scored, clerks):
    first, second, third = clerks
    _enter(scored, first, r1="poor")
    paper = _enter(scored, second, r1="average")
    paper_services.paper_resolve(actor=third, paper=paper, marks=scored.marks("good", r1="poor"))
    assert _refusal(lambda: _enter(scored, third)) == "complete"
    count_held_ballots()
    assert Ballot.objects.count() == 1 and PaperEntry.objects.count() == 2


def test_the_tally_counts_paper_ballots_beside_electronic_ones(scored, clerks):
    ballots_services.ballot_submit(
        code=scored.delegate_codes[0].token, marks=scored.marks("poor"), submission_key="k"
    )
    _enter(scored, clerks[0], serial=1)
    _enter(scored, clerks[1], serial=1)

    turnout = _group_turnout(scored)
    assert (turnout.received, turnout.paper, turnout.valid_ballots, turnout.paper_voided) == (2, 1, 2, False)
    count_held_ballots()
    assert set(Ballot.objects.values_list("channel", flat=True)) == {Channel.PAPER, Channel.ELECTRONIC}
    # The paper 好 and the electronic 差 are averaged: (100 + 40) / 2.
    result = selectors.session_tally(scored.session).result
    reporter = result.reporter(selectors.report_key(scored.reports[0].pk))
    assert reporter.group_scores[selectors.group_key(scored.delegates.pk)].score == 70


def test_more_paper_ballots_than_issued_are_voided_by_the_tally(scored, clerks):
    EvaluatorGroup.objects.filter(pk=scored.delegates.pk).update(paper_issued=2)
    for serial in (1, 2):
        _enter(scored, clerks[0], serial=serial)
        _enter(scored, clerks[1], serial=serial)
    assert not _group_turnout(scored).paper_voided

    _enter(scored, clerks[0], serial=3, invalid="空白票")
    _enter(scored, clerks[1], serial=3, invalid="空白票")

    turnout = _group_turnout(scored)
    assert (turnout.paper, turnout.paper_voided, turnout.voided, turnout.valid_ballots) == (3, True, 3, 0)
