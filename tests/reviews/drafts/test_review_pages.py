"""The reviewers' pages: the queue, the draft with its checklist and history, approve or return."""

import pytest
from django.urls import reverse

from reviews.drafts import services as services_drafts
from reviews.drafts.models import DraftReview, DraftStatus
from tests.reviews.drafts.test_support import approve_to, build_chain, private_storage_in, submitted


@pytest.fixture(autouse=True)
def _storage(tmp_path, settings, monkeypatch):
    private_storage_in(tmp_path, settings, monkeypatch)


@pytest.fixture
def chain(world):
    return build_chain(world)


def _as(client, user):
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def test_the_queue_shows_what_waits_at_my_step(client, world, chain):
    draft = submitted(world, chain)
    page = _as(client, chain.reviewers[0]).get(reverse("drafts:queue")).content.decode()
    assert world.shijia.name in page and reverse("drafts:review", args=[draft.pk]) in page


def test_the_queue_of_a_later_step_is_empty_until_the_draft_arrives(client, world, chain):
    draft = submitted(world, chain)
    _as(client, chain.reviewers[1])
    assert world.shijia.name not in client.get(reverse("drafts:queue")).content.decode()
    assert client.get(reverse("drafts:review", args=[draft.pk])).status_code == 404
    approve_to(draft, chain, 1)
    assert world.shijia.name in client.get(reverse("drafts:queue")).content.decode()
    assert client.get(reverse("drafts:review", args=[draft.pk])).status_code == 200


def test_my_decisions_stay_listed_after_the_draft_moves_on(client, world, chain):
    draft = approve_to(submitted(world, chain), chain, 1)
    page = _as(client, chain.reviewers[0]).get(reverse("drafts:queue")).content.decode()
    assert "No draft is waiting for you." in page
    assert "Approve" in page and world.shijia.name in page
    assert client.get(reverse("drafts:review", args=[draft.pk])).status_code == 200


def test_the_review_page_shows_the_text_the_checklist_and_what_is_missing(client, world, chain):
    draft = services_drafts.draft_save(
        actor=chain.shijia_user,
        report=world.county_reports[0],
        text="一、基本情况\n二、存在问题",
        item_answers=chain.answers,
    )
    draft = services_drafts.draft_submit(actor=chain.shijia_user, draft=draft)
    # A must-answer item added to the cycle after the submission shows as missing.
    from reviews.cycles.models import CycleItem

    CycleItem.objects.create(cycle=world.cycle, kind="must", text="党员队伍建设情况", order=9)
    page = _as(client, chain.reviewers[0]).get(reverse("drafts:review", args=[draft.pk])).content.decode()
    assert "一、基本情况<br>二、存在问题" in page
    assert "第1部分" in page and "第2部分" in page
    assert "党员队伍建设情况" in page and "Missing" in page
    assert 'name="decision"' in page and f'name="step" value="{chain.steps[0].pk}"' in page


def test_approving_through_all_four_pages_approves_the_draft(client, world, chain):
    draft = submitted(world, chain)
    for reviewer in chain.reviewers:
        client.force_login(reviewer)
        draft.refresh_from_db()
        response = client.post(
            reverse("drafts:review", args=[draft.pk]),
            {"decision": "approve", "comment": "同意", "step": draft.current_step_id},
        )
        assert response.status_code == 302 and response["Location"] == reverse("drafts:queue")
    draft.refresh_from_db()
    assert draft.status == DraftStatus.APPROVED


def test_returning_without_a_comment_is_refused_on_the_page(client, world, chain):
    draft = submitted(world, chain)
    response = _as(client, chain.reviewers[0]).post(
        reverse("drafts:review", args=[draft.pk]),
        {"decision": "return", "comment": "", "step": chain.steps[0].pk},
    )
    assert response.status_code == 400
    assert "Say what should change when you return a draft." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == DraftStatus.IN_REVIEW


def test_returning_with_a_comment_and_the_history_shows_it(client, world, chain):
    draft = approve_to(submitted(world, chain), chain, 1)
    _as(client, chain.reviewers[1]).post(
        reverse("drafts:review", args=[draft.pk]),
        {"decision": "return", "comment": "问题找得不准", "step": chain.steps[1].pk},
    )
    draft.refresh_from_db()
    assert draft.status == DraftStatus.RETURNED
    page = client.get(reverse("drafts:review", args=[draft.pk])).content.decode()
    assert "问题找得不准" in page and "Return for changes" in page and "党建科室负责人" in page
    assert 'name="decision"' not in page


def test_a_decision_from_a_stale_page_is_refused(client, world, chain):
    chain.steps[1].reviewers.add(chain.reviewers[0])
    draft = approve_to(submitted(world, chain), chain, 1)
    response = _as(client, chain.reviewers[0]).post(
        reverse("drafts:review", args=[draft.pk]),
        {"decision": "approve", "comment": "", "step": chain.steps[0].pk},
    )
    assert response.status_code == 400 and "Someone else decided" in response.content.decode()
    assert DraftReview.objects.count() == 1


def test_staff_in_scope_read_the_draft_but_cannot_decide(client, world, chain):
    draft = submitted(world, chain)
    _as(client, world.county_staff)
    page = client.get(reverse("drafts:review", args=[draft.pk])).content.decode()
    assert 'name="decision"' not in page
    response = client.post(
        reverse("drafts:review", args=[draft.pk]),
        {"decision": "approve", "comment": "", "step": chain.steps[0].pk},
    )
    assert response.status_code == 403 and not DraftReview.objects.exists()


def test_staff_of_another_township_and_other_secretaries_get_a_404(client, world, chain):
    draft = submitted(world, chain)
    for user in (world.liaoyang_staff, chain.liaoyang_user):
        client.force_login(user)
        assert client.get(reverse("drafts:review", args=[draft.pk])).status_code == 404
        assert (
            client.post(reverse("drafts:review", args=[draft.pk]), {"decision": "approve"}).status_code == 404
        )


def test_the_secretary_reads_their_own_draft_but_cannot_decide(client, world, chain):
    draft = submitted(world, chain)
    page = _as(client, chain.shijia_user).get(reverse("drafts:review", args=[draft.pk])).content.decode()
    assert "党建科室负责人" in page and 'name="decision"' not in page
