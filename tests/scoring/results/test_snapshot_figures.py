"""The figures stored with a published snapshot for the cycle dashboard (reporters per grade, without a
grade, quorum met): filled at publish from the frozen data, and by migration 0009 for older snapshots."""

import importlib
from collections import Counter

from django.apps import apps

from reviews.cycles.models import SessionStatus
from scoring.ballots import services as ballots_services
from scoring.results import services as results_services
from scoring.results.models import ResultSnapshot, snapshot_figures
from scoring.selectors import report_key

COLUMNS = ["n_good", "n_fairly_good", "n_average", "n_poor", "n_ungraded", "quorum_met"]
fill = importlib.import_module("scoring.migrations.0009_result_snapshot_figures")


def stored(snapshot: ResultSnapshot) -> dict:
    return ResultSnapshot.objects.filter(pk=snapshot.pk).values(*COLUMNS).get()


def recounted(data: dict) -> dict:
    """The figures counted straight from the data, as the dashboard's JSON query did."""
    grades = Counter(reporter["grade"] or "-" for reporter in data["reporters"])
    return {
        "n_good": grades["good"],
        "n_fairly_good": grades["fairly_good"],
        "n_average": grades["average"],
        "n_poor": grades["poor"],
        "n_ungraded": grades["-"],
        "quorum_met": data["quorum_met"],
    }


def test_the_figures_stored_at_publish_equal_those_counted_from_the_published_data(scored):
    for i, code in enumerate(scored.leader_codes[:5] + scored.delegate_codes):
        ballots_services.ballot_submit(
            code=code.token, marks=scored.marks("good", r2="poor"), submission_key=f"k{i}"
        )
    ballots_services.scoring_close(actor=scored.county_staff, session=scored.session)
    snapshot = results_services.results_publish(actor=scored.county_staff, session=scored.session)

    snapshot = ResultSnapshot.objects.get(pk=snapshot.pk)
    figures = stored(snapshot)
    assert figures == recounted(snapshot.data)
    assert figures["n_good"] >= 1 and figures["n_poor"] == 1 and figures["quorum_met"] is True
    assert figures["n_good"] + figures["n_poor"] == len(scored.reports)
    # The frozen record is untouched: the data and digest still match a recomputation from the ballots.
    assert results_services.snapshot_matches(snapshot)


def _reporter(report, grade) -> dict:
    return {"reporter": report_key(report.pk), "grade": grade, "rank": None, "composite": None}


def _hand_made(scored) -> list[ResultSnapshot]:
    """Three snapshots: graded, ungraded (null, empty), an unknown grade and a reporter that is not an
    object; one without "reporters" and with a false quorum; one whose "reporters" is not a list."""
    w = scored
    r1, r2 = w.county_reports[0], w.county_reports[1]
    mixed = [
        _reporter(r1, "good"),
        _reporter(r2, "good"),
        _reporter(r1, "fairly_good"),
        _reporter(r2, "average"),
        _reporter(r1, "poor"),
        _reporter(r2, None),
        _reporter(r1, ""),
        _reporter(r2, "excellent"),
        "not an object",
    ]
    snapshots = []
    for session, data in [
        (w.county_session, {"reporters": mixed, "ranking": [], "quorum_met": True}),
        (w.shijia_session, {"ranking": [], "quorum_met": False}),
        (w.liaoyang_session, {"reporters": {"grade": "good"}}),
    ]:
        session.status = SessionStatus.PUBLISHED
        session.save(update_fields=["status"])
        snapshots.append(ResultSnapshot.objects.create(session=session, digest="d" * 64, data=data))
    return snapshots


EXPECTED = [
    {"n_good": 2, "n_fairly_good": 1, "n_average": 1, "n_poor": 1, "n_ungraded": 3, "quorum_met": True},
    {"n_good": 0, "n_fairly_good": 0, "n_average": 0, "n_poor": 0, "n_ungraded": 0, "quorum_met": False},
    {"n_good": 0, "n_fairly_good": 0, "n_average": 0, "n_poor": 0, "n_ungraded": 0, "quorum_met": None},
]


def test_a_hand_made_snapshot_stores_graded_ungraded_and_missing_reporters_as_counted(scored):
    snapshots = _hand_made(scored)
    assert [stored(s) for s in snapshots] == EXPECTED
    assert [snapshot_figures(s.data) for s in snapshots] == EXPECTED


def test_the_migrations_fill_gives_the_same_figures_and_leaves_the_data_alone(scored):
    snapshots = _hand_made(scored)
    before = list(ResultSnapshot.objects.order_by("pk").values_list("data", "digest"))
    ResultSnapshot.objects.update(
        n_good=0, n_fairly_good=0, n_average=0, n_poor=0, n_ungraded=0, quorum_met=None
    )
    assert stored(snapshots[0])["n_ungraded"] == 0

    fill.fill_figures(apps, None)

    assert [stored(s) for s in snapshots] == EXPECTED
    assert [fill.figures_of(s.data) for s in snapshots] == [snapshot_figures(s.data) for s in snapshots]
    assert list(ResultSnapshot.objects.order_by("pk").values_list("data", "digest")) == before


def test_the_migrations_fill_works_in_batches(scored, monkeypatch):
    monkeypatch.setattr(fill, "BATCH", 2)
    snapshots = _hand_made(scored)
    ResultSnapshot.objects.update(n_good=9, n_ungraded=9, quorum_met=None)
    fill.fill_figures(apps, None)
    assert [stored(s) for s in snapshots] == EXPECTED
