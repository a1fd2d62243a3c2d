"""Delegates' satisfaction with the answers (满意/基本满意/不满意): stored with a ballot, counted."""

import pytest
from django.urls import reverse

from scoring import selectors
from scoring.ballots import services
from scoring.ballots.models import Ballot, SatisfactionMark
from scoring.codes.models import Credential
from scoring.errors import ScoringError
from scoring.schemes.models import Scheme
from tests.scoring.conftest import count_held_ballots


@pytest.fixture
def asking(scored):
    Scheme.objects.filter(pk=scored.scheme.pk).update(collect_satisfaction=True)
    return scored


def _submit(world, code, satisfaction, key="k1"):
    return services.ballot_submit(
        code=code.token, marks=world.marks(), submission_key=key, satisfaction=satisfaction
    )


def test_satisfaction_is_stored_with_the_ballot_and_counted_per_reporter(asking):
    shijia, liaoyang = (r.pk for r in asking.reports)
    _submit(asking, asking.leader_codes[0], {shijia: "satisfied", liaoyang: "unsatisfied"})
    _submit(asking, asking.leader_codes[1], {shijia: "satisfied"})
    _submit(asking, asking.delegate_codes[0], {shijia: "fairly", liaoyang: ""})
    _submit(asking, asking.delegate_codes[1], {})
    count_held_ballots()
    assert SatisfactionMark.objects.count() == 4
    assert selectors.satisfaction_counts(asking.session) == {
        shijia: {"satisfied": 2, "fairly": 1, "unsatisfied": 0},
        liaoyang: {"satisfied": 0, "fairly": 0, "unsatisfied": 1},
    }


def test_satisfaction_is_refused_as_tampering_when_the_scheme_does_not_ask(scored):
    code = scored.leader_codes[0]
    with pytest.raises(ScoringError) as refused:
        _submit(scored, code, {scored.reports[0].pk: "satisfied"})
    assert refused.value.code == "tampered"
    count_held_ballots()
    assert (
        not Ballot.objects.exists()
        and not Credential.objects.get(session=scored.session, serial=code.serial).used
    )


@pytest.mark.parametrize("value", ["very", "满意", "Satisfied"])
def test_an_unknown_value_is_tampering(asking, value):
    with pytest.raises(ScoringError) as refused:
        _submit(asking, asking.leader_codes[0], {asking.reports[0].pk: value})
    assert refused.value.code == "tampered"


def test_a_reporter_of_another_session_is_tampering(asking):
    from reviews.cycles.models import Report

    elsewhere = Report.objects.create(session=asking.shijia_session, organisation=asking.shijia_v1, order=1)
    with pytest.raises(ScoringError) as refused:
        _submit(asking, asking.leader_codes[0], {elsewhere.pk: "satisfied"})
    assert refused.value.code == "tampered"


def test_a_retry_with_the_same_satisfaction_gets_the_same_receipt(asking):
    opinion = {asking.reports[0].pk: "fairly"}
    first = _submit(asking, asking.leader_codes[0], opinion)
    again = _submit(asking, asking.leader_codes[0], opinion)
    assert again.replayed and again.receipt == first.receipt
    with pytest.raises(ScoringError) as refused:
        _submit(asking, asking.leader_codes[0], {asking.reports[0].pk: "unsatisfied"})
    assert refused.value.code == "used"
    count_held_ballots()
    assert SatisfactionMark.objects.get().value == "fairly"


# The delegate's page: `s-<report_id>` fields beside the unchanged `m-…` marks


def _post(client, world, code, extra):
    return client.post(reverse("vote:submit", args=[code.token]), world.form_data() | extra)


def test_the_page_passes_satisfaction_on_and_leaves_the_marks_as_they_were(asking, client):
    report = asking.reports[1]
    response = _post(client, asking, asking.leader_codes[0], {f"s-{report.pk}": "fairly"})
    assert response.status_code == 200
    count_held_ballots()
    assert list(SatisfactionMark.objects.values_list("report_id", "value")) == [(report.pk, "fairly")]
    assert Ballot.objects.get().scores.count() == len(asking.reports) * len(asking.criteria)


def test_a_blank_satisfaction_row_is_no_opinion(asking, client):
    response = _post(client, asking, asking.leader_codes[0], {f"s-{asking.reports[0].pk}": ""})
    count_held_ballots()
    assert response.status_code == 200 and not SatisfactionMark.objects.exists()


@pytest.mark.parametrize("name", ["s-x", "s-²", "s-1-2", "s-"])
def test_an_odd_satisfaction_field_is_refused_not_a_crash(asking, client, name):
    response = _post(client, asking, asking.leader_codes[0], {name: "satisfied"})
    count_held_ballots()
    assert response.status_code == 400 and not Ballot.objects.exists()


def test_the_ballot_page_offers_the_three_answers_without_forcing_one(asking, client):
    page = client.get(reverse("vote:ballot", args=[asking.leader_codes[0].token])).content.decode()
    field = f'name="s-{asking.reports[0].pk}"'
    assert (
        page.count(field) == 3 and "required" not in page[page.index(field) - 200 : page.index(field) + 200]
    )


def test_the_results_page_stays_within_its_query_bound_with_everything_said_on_the_spot(
    client, db, django_assert_max_num_queries
):
    from reviews.meeting import services as review_services
    from tests.scoring.results.test_pages import QUERY_BOUND, _world_with_reporters

    world = _world_with_reporters(20)
    Scheme.objects.filter(pk=world.scheme.pk).update(collect_satisfaction=True)
    for report in world.reports:
        for n in range(3):
            question = review_services.question_save(
                actor=world.county_staff,
                report=report,
                question=f"问题{n}",
                answer="答复",
                satisfaction="fairly",
            )
        review_services.question_hand_over(actor=world.county_staff, question=question)
        review_services.comment_save(
            actor=world.county_staff, report=report, commenter="县委书记", text="点评"
        )
    client.force_login(world.county_staff)
    with django_assert_max_num_queries(QUERY_BOUND):
        page = client.get(reverse("scoring:results", args=[world.session.pk])).content.decode()
    assert page.count("问题2") == 20 and "（基本满意）" in page
