"""Ballot secrecy against the database itself (docs/secrecy.md): the attacks a database administrator or
someone with a backup would try, run after the close of a session with real, separately committed submits.
"""

import pytest
from django.db import connection

from scoring.ballots import services
from scoring.ballots.models import Ballot, PendingBallot, Score
from scoring.codes.models import Credential
from tests.scoring.conftest import ScoredWorld

pytestmark = pytest.mark.django_db(transaction=True)

BALLOTS = 300


def _ranks(values: list) -> list[float]:
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    for rank, index in enumerate(order):
        ranks[index] = float(rank)
    return ranks


def spearman(xs: list, ys: list) -> float:
    rx, ry = _ranks(xs), _ranks(ys)
    n = len(xs)
    mx, my = sum(rx) / n, sum(ry) / n
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = sum((a - mx) ** 2 for a in rx) ** 0.5
    vy = sum((b - my) ** 2 for b in ry) ** 0.5
    return cov / (vx * vy)


def test_the_rank_correlation_helper_sees_an_order_when_there_is_one():
    assert spearman(list(range(50)), list(range(50))) == pytest.approx(1.0)
    assert spearman(list(range(50)), list(range(50, 0, -1))) == pytest.approx(-1.0)


def _physical(table: str) -> str:
    return "ctid" if connection.vendor == "postgresql" else "rowid"


@pytest.fixture
def closed_after_300():
    """300 delegates submit one by one (each its own committed transaction), then scoring closes."""
    world = ScoredWorld(codes_per_group=BALLOTS // 2)
    codes = world.leader_codes + world.delegate_codes
    order = {}
    for n, code in enumerate(codes):
        grade = ("good", "fairly_good", "average", "poor")[n % 4]
        receipt = services.ballot_submit(code=code.token, marks=world.marks(grade), submission_key=f"k{n}")
        order[receipt.receipt] = n
    assert PendingBallot.objects.count() == BALLOTS and not Ballot.objects.exists()
    services.scoring_close(actor=world.county_staff, session=world.session)
    return world, order


def test_the_close_counts_every_held_ballot_once_and_keeps_none_held(closed_after_300):
    world, order = closed_after_300
    assert Ballot.objects.count() == BALLOTS and PendingBallot.objects.count() == 0
    assert set(Ballot.objects.values_list("receipt", flat=True)) == set(order)
    marks = len(world.reports) * len(world.criteria)
    assert Score.objects.count() == BALLOTS * marks
    assert Score.objects.filter(session=world.session).count() == BALLOTS * marks
    # A retry after the close still gets its receipt, and adds nothing.
    code = world.leader_codes[0]
    again = services.ballot_submit(code=code.token, marks=world.marks("good"), submission_key="k0")
    assert again.replayed and order[again.receipt] == 0 and Ballot.objects.count() == BALLOTS


def test_no_key_or_physical_order_follows_the_order_of_submission(closed_after_300):
    _, order = closed_after_300
    table = Ballot._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT receipt FROM {table} ORDER BY {_physical(table)}")
        physical = [order[r] for (r,) in cursor.fetchall()]
    by_key = [order[r] for r in Ballot.objects.order_by("id").values_list("receipt", flat=True)]
    receipts = dict(Ballot.objects.values_list("id", "receipt"))
    score_table = Score._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ballot_id FROM {score_table} ORDER BY id")
        by_mark_key = _first_seen(cursor.fetchall())
        cursor.execute(f"SELECT ballot_id FROM {score_table} ORDER BY {_physical(score_table)}")
        by_mark_place = _first_seen(cursor.fetchall())
    arrived = list(range(BALLOTS))
    for name, seen in [
        ("ballot key", by_key),
        ("ballot row order", physical),
        ("first mark key", [order[receipts[_uuid(b)]] for b in by_mark_key]),
        ("first mark row order", [order[receipts[_uuid(b)]] for b in by_mark_place]),
    ]:
        assert len(seen) == BALLOTS
        # Independent orders give |rho| ≈ 0 ± 0.06 for 300 ballots; a sequence gives 1.
        assert abs(spearman(arrived, seen)) < 0.25, name


def _first_seen(rows) -> list:
    seen, out = set(), []
    for (ballot_id,) in rows:
        if ballot_id not in seen:
            seen.add(ballot_id)
            out.append(ballot_id)
    return out


def _uuid(value):
    import uuid

    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def test_nothing_stored_ties_a_ballot_to_the_transaction_of_its_code(closed_after_300):
    """PostgreSQL: the xmin join of the issue. SQLite keeps no transaction ids in rows; what it deletes (the
    held ballots) is overwritten, not left in free pages."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("PRAGMA secure_delete")
            assert cursor.fetchone()[0] == 1
            return
        ballots, credentials, scores = Ballot._meta.db_table, Credential._meta.db_table, Score._meta.db_table
        cursor.execute(f"SELECT count(*) FROM {ballots} b JOIN {credentials} c ON b.xmin = c.xmin")
        assert cursor.fetchone()[0] == 0
        cursor.execute(f"SELECT count(*) FROM {scores} s JOIN {credentials} c ON s.xmin = c.xmin")
        assert cursor.fetchone()[0] == 0
        cursor.execute(f"SELECT xmin::text, count(*) FROM {ballots} GROUP BY xmin")
        groups = cursor.fetchall()
    # Every ballot shares its transaction with at least five others (here: all of them, the close's).
    assert all(count >= 5 for _, count in groups), groups
    assert Credential.objects.filter(used=True).count() == BALLOTS
