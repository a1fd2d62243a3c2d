"""ballot_submit: once per code, all or nothing, nothing outside the open window, no link to the code."""

import pytest
from django.utils import translation

from reviews.audit.models import AuditEvent
from scoring.ballots import services as ballots_services
from scoring.ballots.models import Ballot, Score
from scoring.codes import services as codes_services
from scoring.codes.models import Credential
from scoring.errors import ScoringError
from scoring.schemes.models import Scheme
from tests.scoring.conftest import count_held_ballots


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def _submit(world, code, marks=None, key="k1"):
    return ballots_services.ballot_submit(
        code=code, marks=marks if marks is not None else world.marks(), submission_key=key
    )


def _refusal(world, code, marks=None, key="k1") -> ScoringError:
    with pytest.raises(ScoringError) as info:
        _submit(world, code, marks, key)
    return info.value


def test_it_stores_one_ballot_with_every_mark(scored):
    receipt = _submit(scored, scored.leader_codes[0].token)
    count_held_ballots()
    ballot = Ballot.objects.get()
    assert ballot.receipt == receipt.receipt and len(receipt.receipt) == 10
    assert ballot.group == scored.leaders
    assert Score.objects.filter(ballot=ballot).count() == len(scored.reports) * len(scored.criteria)
    assert Credential.objects.filter(used=True).count() == 1


def test_the_typed_short_code_works_like_the_qr_token(scored):
    code = scored.delegate_codes[0]
    typed = code.short_display.lower().replace("-", " ")
    _submit(scored, typed)
    count_held_ballots()
    assert Ballot.objects.get().group == scored.delegates


def test_a_retry_of_the_same_submission_gets_the_same_receipt(scored):
    first = _submit(scored, scored.leader_codes[0].token)
    again = _submit(scored, scored.leader_codes[0].short_code)
    assert again.receipt == first.receipt and again.replayed
    count_held_ballots()
    assert Ballot.objects.count() == 1


def test_a_second_different_ballot_with_the_same_code_is_refused(scored):
    _submit(scored, scored.leader_codes[0].token)
    error = _refusal(scored, scored.leader_codes[0].token, scored.marks("poor"), key="k2")
    assert error.code == "used" and "已被使用" in error.message
    count_held_ballots()
    assert Ballot.objects.count() == 1


def test_an_unknown_code_is_refused(scored):
    assert _refusal(scored, "ABCDE-FGHJK").code == "unknown"
    assert _refusal(scored, "x" * 32).code == "unknown"
    count_held_ballots()
    assert not Ballot.objects.exists()


def test_a_revoked_code_is_refused(scored):
    credential = Credential.objects.get(serial=scored.leader_codes[1].serial)
    codes_services.credential_revoke(actor=scored.county_staff, credential=credential)
    error = _refusal(scored, scored.leader_codes[1].token)
    assert error.code == "revoked" and "作废" in error.message
    count_held_ballots()
    assert not Ballot.objects.exists()


def test_nothing_is_accepted_before_scoring_opens(scored_closed_scheme):
    world = scored_closed_scheme
    error = _refusal(world, world.leader_codes[0].token)
    assert error.code == "not_open" and "尚未开始" in error.message


def test_nothing_is_accepted_after_scoring_closes(scored):
    _submit(scored, scored.leader_codes[0].token)
    ballots_services.scoring_close(actor=scored.county_staff, session=scored.session)
    error = _refusal(scored, scored.leader_codes[1].token)
    assert error.code == "closed" and "已结束" in error.message
    count_held_ballots()
    assert Ballot.objects.count() == 1
    assert not Credential.objects.get(serial=scored.leader_codes[1].serial).used


def test_a_retry_after_the_close_still_gets_its_receipt(scored):
    first = _submit(scored, scored.leader_codes[0].token)
    ballots_services.scoring_close(actor=scored.county_staff, session=scored.session)
    assert _submit(scored, scored.leader_codes[0].token).receipt == first.receipt


def test_a_missing_reporter_is_refused_by_name(scored):
    marks = scored.marks()
    for criterion in scored.criteria:
        del marks[(scored.reports[1].pk, criterion.pk)]
    error = _refusal(scored, scored.leader_codes[0].token, marks)
    assert error.code == "incomplete" and "中共辽阳镇委员会" in error.message
    count_held_ballots()
    assert not Ballot.objects.exists() and not Credential.objects.filter(used=True).exists()


def test_a_reporter_left_blank_is_an_abstention_when_the_scheme_allows_it(scored):
    Scheme.objects.filter(pk=scored.scheme.pk).update(allow_abstention=True)
    marks = {k: v for k, v in scored.marks().items() if k[0] != scored.reports[1].pk}
    _submit(scored, scored.leader_codes[0].token, marks)
    count_held_ballots()
    assert Score.objects.count() == len(scored.criteria)


def test_a_blank_item_is_an_abstention_for_that_item_when_the_scheme_allows_it(scored):
    Scheme.objects.filter(pk=scored.scheme.pk).update(allow_abstention=True)
    marks = scored.marks()
    del marks[(scored.reports[1].pk, scored.criteria[0].pk)]
    _submit(scored, scored.leader_codes[0].token, marks)
    count_held_ballots()
    assert Score.objects.count() == len(scored.reports) * len(scored.criteria) - 1
    assert not Score.objects.filter(report=scored.reports[1], criterion=scored.criteria[0]).exists()


def test_a_blank_item_is_refused_by_reporter_name_when_abstention_is_not_allowed(scored):
    marks = scored.marks()
    del marks[(scored.reports[1].pk, scored.criteria[0].pk)]
    error = _refusal(scored, scored.leader_codes[0].token, marks)
    assert error.code == "incomplete" and "中共辽阳镇委员会" in error.message and "尚未评分" in error.message
    count_held_ballots()
    assert not Ballot.objects.exists() and not Credential.objects.filter(used=True).exists()


def test_a_half_scored_reporter_in_points_mode_is_refused_even_when_abstention_is_allowed(scored):
    scored.scheme.criteria.update(max_points=50)
    Scheme.objects.filter(pk=scored.scheme.pk).update(allow_abstention=True, mode="points")
    marks = {k: "10" for k in scored.marks()}
    del marks[(scored.reports[1].pk, scored.criteria[0].pk)]
    error = _refusal(scored, scored.leader_codes[0].token, marks)
    assert error.code == "incomplete" and "全部留空" in error.message
    count_held_ballots()
    assert not Ballot.objects.exists()


@pytest.mark.parametrize("value", ["excellent", "100", "<script>"])
def test_an_unknown_grade_is_refused(scored, value):
    marks = scored.marks()
    marks[(scored.reports[0].pk, scored.criteria[0].pk)] = value
    assert _refusal(scored, scored.leader_codes[0].token, marks).code == "tampered"
    count_held_ballots()
    assert not Ballot.objects.exists()


def test_a_reporter_of_another_session_is_refused(scored):
    from reviews.cycles.models import Report

    stranger = Report.objects.create(session=scored.shijia_session, organisation=scored.shijia_v1, order=1)
    marks = scored.marks()
    marks[(stranger.pk, scored.criteria[0].pk)] = "good"
    error = _refusal(scored, scored.leader_codes[0].token, marks)
    assert error.code == "tampered" and "不一致" in error.message


def test_points_out_of_range_are_refused(scored_closed_scheme):
    world = scored_closed_scheme
    world.scheme.mode = "points"
    world.scheme.save()
    world.scheme.criteria.exclude(pk=world.criteria[0].pk).delete()
    ballots_services.scoring_open(actor=world.county_staff, session=world.session)
    criterion = world.criteria[0]
    good = {(r.pk, criterion.pk): "88.5" for r in world.reports}
    for bad in ("100.01", "-1", "abc", "NaN", "80.123"):
        marks = dict(good)
        marks[(world.reports[0].pk, criterion.pk)] = bad
        assert _refusal(world, world.leader_codes[0].token, marks).code in ("range", "tampered")
    count_held_ballots()
    assert not Ballot.objects.exists()
    _submit(world, world.leader_codes[0].token, good)
    count_held_ballots()
    assert Score.objects.get(report=world.reports[0]).points == 88.5


def test_an_anonymous_ballot_carries_no_link_to_its_code(scored):
    _submit(scored, scored.leader_codes[0].token)
    field_names = {f.name for f in Ballot._meta.get_fields()}
    assert not field_names & {"credential", "code", "created", "created_at", "submitted_at", "token_hash"}
    assert not any(
        f.get_internal_type() in ("DateTimeField", "DateField") for f in Ballot._meta.concrete_fields
    )
    count_held_ballots()
    ballot = Ballot.objects.get()
    assert ballot.delegate_name == ""
    credential_hashes = set(Credential.objects.values_list("token_hash", flat=True))
    assert ballot.receipt not in credential_hashes


def test_the_audit_log_never_holds_ballot_contents(scored):
    _submit(scored, scored.leader_codes[0].token)
    ballots_services.scoring_close(actor=scored.county_staff, session=scored.session)
    text = " ".join(str(e.changes) + e.object_repr for e in AuditEvent.objects.all())
    count_held_ballots()
    receipt = Ballot.objects.get().receipt
    assert receipt not in text and "good" not in text


def test_a_named_group_ballot_records_the_delegate(scored_closed_scheme):
    world = scored_closed_scheme
    world.leaders.anonymous = False
    world.leaders.save()
    issued = codes_services.credentials_issue(
        actor=world.county_staff, session=world.session, group=world.leaders, count=0, names=["张常委"]
    )
    ballots_services.scoring_open(actor=world.county_staff, session=world.session)
    _submit(world, issued[0].token)
    count_held_ballots()
    assert Ballot.objects.get().delegate_name == "张常委"


def test_codes_are_stored_only_as_hashes(scored):
    code = scored.leader_codes[0]
    stored = Credential.objects.get(serial=code.serial)
    row = " ".join(str(v) for v in Credential.objects.filter(pk=stored.pk).values().first().values())
    assert code.token not in row and code.short_code not in row
    assert len(code.token) >= 32  # 24 random bytes, url-safe
