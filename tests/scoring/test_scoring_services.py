"""Scheme, opening and closing, codes and publishing: the staff side of scoring."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from reviews.audit.models import AuditEvent
from reviews.cycles.models import SessionStatus
from scoring import selectors
from scoring.ballots import services as ballots_services
from scoring.codes import services as codes_services
from scoring.codes.models import Credential
from scoring.errors import ScoringError
from scoring.results import services as results_services
from scoring.results.models import ResultSnapshot
from scoring.schemes import services as schemes_services
from scoring.schemes.models import EvaluatorGroup, Scheme, ScoringStatus
from tests.scoring.conftest import count_held_ballots


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def test_the_default_scheme_has_six_items_and_two_groups_of_60_and_40(world):
    scheme = schemes_services.scheme_create_default(actor=world.county_staff, session=world.county_session)
    assert scheme.mode == "item_grade"
    assert [c.name for c in scheme.criteria.order_by("order")][:2] == [
        "总体评价",
        "对抓基层党建工作的认识熟悉程度",
    ]
    assert [(g.name, g.weight) for g in scheme.groups.order_by("order")] == [
        ("上级党委委员", Decimal(60)),
        ("党员群众代表", Decimal(40)),
    ]
    assert schemes_services.scheme_problems(scheme) == []


def test_weights_not_summing_to_100_are_reported_in_chinese(world):
    scheme = schemes_services.scheme_create_default(actor=world.county_staff, session=world.county_session)
    EvaluatorGroup.objects.filter(scheme=scheme, order=2).update(weight=30)
    assert schemes_services.scheme_problems(scheme) == ["测评主体权重合计为90%，应为100%。"]


def test_points_criteria_must_sum_to_100(world):
    scheme = schemes_services.scheme_create_default(actor=world.county_staff, session=world.county_session)
    Scheme.objects.filter(pk=scheme.pk).update(mode="points")
    scheme.criteria.update(max_points=10)
    assert schemes_services.scheme_problems(Scheme.objects.get(pk=scheme.pk)) == [
        "测评指标满分合计为60，应为100。"
    ]


def test_scoring_cannot_open_with_a_broken_scheme(scored_closed_scheme):
    world = scored_closed_scheme
    EvaluatorGroup.objects.filter(scheme=world.scheme, order=2).update(weight=50)
    with pytest.raises(ScoringError) as info:
        ballots_services.scoring_open(actor=world.county_staff, session=world.session)
    assert "110%" in info.value.message
    assert Scheme.objects.get(pk=world.scheme.pk).scoring_status == ScoringStatus.NOT_OPEN


def test_the_scheme_is_locked_once_scoring_opens(scored):
    scheme = Scheme.objects.get(pk=scored.scheme.pk)
    scheme.onsite_share = Decimal(40)
    with pytest.raises(ScoringError) as info:
        schemes_services.scheme_save(actor=scored.county_staff, scheme=scheme)
    assert info.value.code == "locked" and "已锁定" in info.value.message
    assert Scheme.objects.get(pk=scheme.pk).onsite_share == 100


def test_opening_scoring_moves_the_session_in_progress_and_is_audited(scored):
    scored.session.refresh_from_db()
    assert scored.session.status == SessionStatus.IN_PROGRESS
    assert AuditEvent.objects.filter(action="scoring.open", actor=scored.county_staff).exists()


def test_closed_scoring_cannot_reopen(scored):
    ballots_services.scoring_close(actor=scored.county_staff, session=scored.session)
    with pytest.raises(ScoringError) as info:
        ballots_services.scoring_open(actor=scored.county_staff, session=scored.session)
    assert info.value.code == "closed"


def test_township_staff_cannot_open_the_county_session(scored_closed_scheme):
    with pytest.raises(PermissionDenied):
        ballots_services.scoring_open(
            actor=scored_closed_scheme.shijia_staff, session=scored_closed_scheme.session
        )


def test_codes_get_consecutive_serials_and_one_audit_entry_without_secrets(scored):
    more = codes_services.credentials_issue(
        actor=scored.county_staff, session=scored.session, group=scored.leaders, count=3
    )
    assert [c.serial for c in more] == [13, 14, 15]
    event = AuditEvent.objects.filter(action="credentials.issue").first()
    assert event.changes["count"] == 3 and event.changes["serials"] == [13, 15]
    assert all(c.token not in str(event.changes) and c.short_code not in str(event.changes) for c in more)


def test_codes_are_unique_and_short_codes_use_the_unambiguous_alphabet(scored):
    issued = scored.leader_codes + scored.delegate_codes
    assert len({c.token for c in issued}) == len({c.short_code for c in issued}) == 12
    assert all(set(c.short_code) <= set("23456789ABCDEFGHJKMNPQRSTUVWXYZ") for c in issued)


@pytest.mark.parametrize("count", [0, 2001])
def test_issuing_an_unreasonable_number_of_codes_is_refused(scored, count):
    with pytest.raises(ScoringError):
        codes_services.credentials_issue(
            actor=scored.county_staff, session=scored.session, group=scored.leaders, count=count
        )


def test_a_used_code_cannot_be_revoked(scored):
    ballots_services.ballot_submit(
        code=scored.leader_codes[0].token, marks=scored.marks(), submission_key="k"
    )
    credential = Credential.objects.get(serial=scored.leader_codes[0].serial)
    with pytest.raises(ScoringError) as info:
        codes_services.credential_revoke(actor=scored.county_staff, credential=credential)
    assert info.value.code == "used"


def test_revoked_codes_do_not_count_as_issued(scored):
    credential = Credential.objects.get(serial=scored.leader_codes[0].serial)
    codes_services.credential_revoke(actor=scored.county_staff, credential=credential)
    assert selectors.codes_issued(scored.session)[scored.leaders.pk] == 5


def _vote(world, grade_by_code):
    for code, grades in grade_by_code:
        ballots_services.ballot_submit(code=code.token, marks=world.marks(**grades), submission_key="k")


def test_the_tally_from_stored_ballots_matches_the_rules(scored):
    # 3 leaders: 好 for 石匣乡, 较好 for 辽阳镇; 3 delegates: 较好 for both.
    _vote(scored, [(c, {"r1": "good", "r2": "fairly_good"}) for c in scored.leader_codes[:3]])
    _vote(scored, [(c, {"r1": "fairly_good", "r2": "fairly_good"}) for c in scored.delegate_codes[:3]])
    count_held_ballots()
    result = selectors.session_tally(scored.session).result
    shijia, liaoyang = (result.reporter(selectors.report_key(r.pk)) for r in scored.reports)
    assert shijia.onsite == Decimal(92)  # 100 × 60 % + 80 × 40 %
    assert liaoyang.onsite == Decimal(80)
    assert (shijia.rank, liaoyang.rank) == (1, 2)
    assert (shijia.grade, liaoyang.grade) == ("good", "fairly_good")
    assert result.quorum_met is False  # 6 of 12 codes: not more than half


def test_the_tally_takes_a_bounded_number_of_queries(scored, django_assert_max_num_queries):
    _vote(scored, [(c, {}) for c in scored.leader_codes + scored.delegate_codes])
    count_held_ballots()
    with django_assert_max_num_queries(10):
        result = selectors.session_tally(scored.session).result
    assert result.ballots_received == 12


def test_publishing_freezes_the_results_and_the_recomputation_matches(scored):
    _vote(scored, [(c, {"r2": "average"}) for c in scored.leader_codes])
    with pytest.raises(ScoringError) as info:
        results_services.results_publish(actor=scored.county_staff, session=scored.session)
    assert info.value.code == "not_closed"
    ballots_services.scoring_close(actor=scored.county_staff, session=scored.session)
    snapshot = results_services.results_publish(actor=scored.county_staff, session=scored.session)
    count_held_ballots()
    assert snapshot.digest == selectors.session_tally(scored.session).result.digest
    assert results_services.snapshot_matches(snapshot)
    scored.session.refresh_from_db()
    assert scored.session.status == SessionStatus.PUBLISHED
    with pytest.raises(ScoringError):
        results_services.results_publish(actor=scored.county_staff, session=scored.session)


def test_a_tampered_ballot_after_publishing_is_detected(scored):
    _vote(scored, [(c, {}) for c in scored.leader_codes])
    ballots_services.scoring_close(actor=scored.county_staff, session=scored.session)
    snapshot = results_services.results_publish(actor=scored.county_staff, session=scored.session)
    from scoring.ballots.models import Score

    count_held_ballots()
    Score.objects.filter(pk=Score.objects.first().pk).update(grade="poor")
    assert not results_services.snapshot_matches(ResultSnapshot.objects.get(pk=snapshot.pk))


def test_copying_a_scheme_copies_groups_items_and_settings(scored):
    source = Scheme.objects.get(pk=scored.scheme.pk)
    copy = schemes_services.scheme_copy(
        actor=scored.shijia_staff, source=source, session=scored.shijia_session
    )
    assert copy.scoring_status == ScoringStatus.NOT_OPEN
    assert list(copy.groups.values_list("name", "weight")) == list(
        source.groups.values_list("name", "weight")
    )
    assert copy.criteria.count() == 6
    with pytest.raises(ScoringError):
        schemes_services.scheme_copy(actor=scored.shijia_staff, source=source, session=scored.shijia_session)
