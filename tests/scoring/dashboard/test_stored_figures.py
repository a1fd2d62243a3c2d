"""The cycle dashboard reads the figures stored with each published snapshot (reporters per grade and
without one, quorum met) instead of the snapshots' JSON: same figures, fewer and cheaper queries."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.cycles.models import Session, SessionStatus
from scoring.dashboard import selectors as dashboard
from scoring.results.models import ResultSnapshot
from tests.scoring.dashboard.test_dashboard import publish_by_hand, snapshot_data


def _published(scored):
    w = scored
    v1, v2 = w.county_reports  # any reports: the snapshot's keys are only looked up for names
    publish_by_hand(w.shijia_session, [(v2, "91.5", "good", 1), (v1, "58", None, 2)])
    data = snapshot_data([(r, "70", "average", 1) for r in w.county_reports])
    data["quorum_met"] = False
    w.county_session.status = SessionStatus.PUBLISHED
    w.county_session.save(update_fields=["status"])
    ResultSnapshot.objects.create(session=w.county_session, digest="0" * 64, data=data)
    return Session.objects.filter(cycle=w.county_session.cycle)


def test_the_level_summaries_are_one_query_without_json(scored, django_assert_num_queries):
    sessions = _published(scored)
    with CaptureQueriesContext(connection) as captured, django_assert_num_queries(1):
        summaries = dashboard.level_summaries(sessions)
    assert "json" not in captured.captured_queries[0]["sql"].lower()
    county, township = summaries
    assert (county.sessions, county.published, county.grades.count("average"), county.grades.ungraded) == (
        1,
        1,
        len(scored.county_reports),
        0,
    )
    assert (township.sessions, township.published, township.grades.graded, township.grades.ungraded) == (
        2,
        1,
        1,
        1,
    )
    assert [b.count for b in township.grades.bars] == [1, 0, 0, 0]


def test_a_quorum_not_met_shows_as_false_and_an_unpublished_session_as_unknown(scored):
    sessions = _published(scored)
    with CaptureQueriesContext(connection) as captured:
        rows = dashboard.session_rows(sessions, offset=0, limit=50)
    assert [(r.session.pk, r.published, r.quorum_met) for r in rows] == [
        (scored.county_session.pk, True, False),
        (scored.shijia_session.pk, True, True),
        (scored.liaoyang_session.pk, False, None),
    ]
    paged = [
        q["sql"] for q in captured.captured_queries if "LIMIT" in q["sql"] and "reviews_session" in q["sql"]
    ]
    assert len(paged) == 1 and "json" not in paged[0].lower() and "quorum_met" in paged[0]
