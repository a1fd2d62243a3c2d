"""Real concurrency: threads with their own database connections (PostgreSQL and file SQLite)."""

import threading

import pytest
from django.db import connection

from scoring.ballots import services
from scoring.ballots.models import Ballot, Score
from scoring.codes.models import Credential
from scoring.errors import ScoringError
from scoring.schemes.models import Scheme, ScoringStatus
from tests.scoring.conftest import ScoredWorld, count_held_ballots

pytestmark = pytest.mark.django_db(transaction=True)


def _run_together(*jobs):
    """Start every job at the same moment; return what each returned or raised."""
    barrier = threading.Barrier(len(jobs))
    outcomes = [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait()
            outcomes[i] = job()
        except Exception as exc:  # the outcome is what we test
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_two_simultaneous_submits_with_one_code_store_one_ballot():
    world = ScoredWorld()
    code = world.leader_codes[0].token
    outcomes = _run_together(
        lambda: services.ballot_submit(code=code, marks=world.marks("good"), submission_key="a"),
        lambda: services.ballot_submit(code=code, marks=world.marks("poor"), submission_key="b"),
    )
    receipts = [o for o in outcomes if isinstance(o, services.Receipt)]
    refusals = [o for o in outcomes if isinstance(o, ScoringError)]
    assert len(receipts) == 1 and not receipts[0].replayed, outcomes
    assert [e.code for e in refusals] == ["used"]
    count_held_ballots()
    assert Ballot.objects.count() == 1
    assert Score.objects.count() == len(world.reports) * len(world.criteria)
    kept = "good" if outcomes[0] is receipts[0] else "poor"
    assert set(Score.objects.values_list("grade", flat=True)) == {kept}


def test_a_retry_racing_its_original_gets_the_same_receipt():
    world = ScoredWorld()
    code = world.delegate_codes[0].short_code
    marks = world.marks("fairly_good")
    outcomes = _run_together(
        lambda: services.ballot_submit(code=code, marks=marks, submission_key="same"),
        lambda: services.ballot_submit(code=code, marks=marks, submission_key="same"),
    )
    assert all(isinstance(o, services.Receipt) for o in outcomes), outcomes
    assert outcomes[0].receipt == outcomes[1].receipt
    count_held_ballots()
    assert Ballot.objects.count() == 1


def test_many_delegates_at_once_are_all_stored():
    world = ScoredWorld(codes_per_group=8)
    codes = [c.token for c in world.leader_codes + world.delegate_codes]
    outcomes = _run_together(
        *[
            (lambda c=c: services.ballot_submit(code=c, marks=world.marks("good"), submission_key="k"))
            for c in codes
        ]
    )
    assert all(isinstance(o, services.Receipt) for o in outcomes), outcomes
    count_held_ballots()
    assert Ballot.objects.count() == 16
    assert Credential.objects.filter(used=True).count() == 16


def test_a_submit_racing_the_close_lands_whole_or_not_at_all():
    world = ScoredWorld(codes_per_group=6)
    codes = [c.token for c in world.leader_codes]
    outcomes = _run_together(
        *[
            (lambda c=c: services.ballot_submit(code=c, marks=world.marks("good"), submission_key="k"))
            for c in codes
        ],
        lambda: services.scoring_close(actor=world.county_staff, session=world.session),
    )
    assert isinstance(outcomes[-1], Scheme) and outcomes[-1].scoring_status == ScoringStatus.CLOSED
    landed = [o for o in outcomes[:-1] if isinstance(o, services.Receipt)]
    refused = [o for o in outcomes[:-1] if isinstance(o, ScoringError)]
    assert len(landed) + len(refused) == len(codes), outcomes
    assert all(e.code == "closed" for e in refused)
    # Every landed ballot is whole; every refused code is still unused.
    count_held_ballots()
    assert Ballot.objects.count() == len(landed) == Credential.objects.filter(used=True).count()
    assert Score.objects.count() == len(landed) * len(world.reports) * len(world.criteria)
