"""Paper ballots typed twice: counted only when two staff members agree; a third settles a mismatch."""

import pytest
from django.contrib.auth.models import User

from scoring import selectors, services
from scoring.models import Ballot, Channel, EvaluatorGroup, PaperBallot, PaperStatus, Score
from scoring.services import ScoringError
from tests.conftest import make_staff


@pytest.fixture
def clerks(scored) -> tuple[User, User, User]:
    third = make_staff("clerk3", scored.county)
    EvaluatorGroup.objects.filter(pk=scored.delegates.pk).update(paper_issued=10)
    return scored.county_staff, scored.superuser, third


def _enter(world, clerk, serial=1, grade="good", invalid="", **by_order):
    return services.paper_entry_submit(
        actor=clerk,
        session=world.session,
        group=world.delegates,
        serial=serial,
        marks={} if invalid else world.marks(grade, **by_order),
        invalid_reason=invalid,
    )


def test_agreeing_entries_count_one_paper_ballot(scored, clerks):
    first, second, _ = clerks
    assert _enter(scored, first).status == PaperStatus.WAITING
    assert not Ballot.objects.exists()
    paper = _enter(scored, second)
    assert paper.status == PaperStatus.COUNTED
    ballot = Ballot.objects.get()
    assert (ballot.channel, ballot.group) == (Channel.PAPER, scored.delegates)
    assert Score.objects.filter(ballot=ballot).count() == len(scored.reports) * len(scored.criteria)


def test_differing_entries_count_nothing_until_a_third_person_resolves(scored, clerks):
    first, second, third = clerks
    _enter(scored, first, r2="poor")
    paper = _enter(scored, second, r2="average")
    assert paper.status == PaperStatus.MISMATCH and not Ballot.objects.exists()
    with pytest.raises(ScoringError) as info:
        services.paper_resolve(actor=first, paper=paper, marks=scored.marks("good", r2="poor"))
    assert info.value.code == "same_clerk"
    resolved = services.paper_resolve(actor=third, paper=paper, marks=scored.marks("good", r2="poor"))
    assert resolved.status == PaperStatus.COUNTED and resolved.resolved_by == third
    assert set(Score.objects.filter(report=scored.reports[1]).values_list("grade", flat=True)) == {"poor"}
    with pytest.raises(ScoringError):
        _enter(scored, third)
    assert Ballot.objects.count() == 1


def test_the_same_clerk_cannot_type_both_entries(scored, clerks):
    _enter(scored, clerks[0])
    with pytest.raises(ScoringError) as info:
        _enter(scored, clerks[0])
    assert info.value.code == "same_clerk"


def test_two_invalid_entries_count_as_an_invalid_paper_ballot(scored, clerks):
    _enter(scored, clerks[0], invalid="空白票")
    paper = _enter(scored, clerks[1], invalid="空白票")
    assert paper.status == PaperStatus.INVALID
    result = selectors.session_tally(scored.session).result
    delegates = next(g for g in result.groups if g.group == selectors.group_key(scored.delegates.pk))
    assert (delegates.invalid_ballots, delegates.valid_ballots, delegates.paper) == (1, 0, 1)


def test_invalid_against_marks_is_a_mismatch(scored, clerks):
    _enter(scored, clerks[0], invalid="一行多选")
    assert _enter(scored, clerks[1]).status == PaperStatus.MISMATCH


def test_a_form_number_belongs_to_one_group(scored, clerks):
    _enter(scored, clerks[0])
    with pytest.raises(ScoringError) as info:
        services.paper_entry_submit(
            actor=clerks[1], session=scored.session, group=scored.leaders, serial=1, marks=scored.marks()
        )
    assert info.value.code == "group_mismatch"


def test_an_incomplete_paper_form_is_refused(scored, clerks):
    marks = scored.marks()
    marks.pop(next(iter(marks)))
    with pytest.raises(ScoringError) as info:
        services.paper_entry_submit(
            actor=clerks[0], session=scored.session, group=scored.delegates, serial=3, marks=marks
        )
    assert info.value.code == "incomplete"
    assert not PaperBallot.objects.exists()


def test_nothing_is_entered_after_scoring_closes(scored, clerks):
    services.scoring_close(actor=scored.county_staff, session=scored.session)
    with pytest.raises(ScoringError) as info:
        _enter(scored, clerks[0])
    assert info.value.code == "not_open"


def test_counted_paper_ballots_join_the_tally_and_over_issue_voids_them(scored, clerks):
    EvaluatorGroup.objects.filter(pk=scored.delegates.pk).update(paper_issued=1)
    for serial in (1, 2):
        _enter(scored, clerks[0], serial=serial)
        _enter(scored, clerks[1], serial=serial)
    result = selectors.session_tally(scored.session).result
    delegates = next(g for g in result.groups if g.group == selectors.group_key(scored.delegates.pk))
    assert delegates.paper == 2 and delegates.paper_voided and delegates.voided == 2


def test_the_turnout_counts_paper_states(scored, clerks):
    _enter(scored, clerks[0], serial=1)
    _enter(scored, clerks[0], serial=2)
    _enter(scored, clerks[1], serial=2)
    row = next(r for r in selectors.turnout(scored.session) if r["group"] == scored.delegates)
    assert (row["paper"], row["paper_waiting"], row["paper_mismatch"]) == (1, 1, 0)
