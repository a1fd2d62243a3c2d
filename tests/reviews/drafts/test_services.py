"""The draft services: the default chain, writing and versions, submitting, four-level review."""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from reviews.audit.models import AuditEvent
from reviews.cycles.models import SessionStatus
from reviews.drafts import services as services_drafts
from reviews.drafts.models import Draft, DraftReview, DraftStatus, ReviewStep
from reviews.drafts.services import DraftError
from tests.reviews.drafts.test_support import (
    TEXT_V1,
    approve_to,
    build_chain,
    pdf_upload,
    private_storage_in,
    submitted,
)


@pytest.fixture
def chain(world):
    return build_chain(world)


@pytest.fixture(autouse=True)
def _storage(tmp_path, settings, monkeypatch):
    private_storage_in(tmp_path, settings, monkeypatch)


def _save(world, chain, text=TEXT_V1, **extra):
    extra.setdefault("item_answers", chain.answers)
    return services_drafts.draft_save(
        actor=chain.shijia_user, report=world.county_reports[0], text=text, **extra
    )


# The chain


def test_the_default_chain_has_the_four_levels(world, chain):
    titles = list(
        ReviewStep.objects.filter(cycle=world.cycle).order_by("order").values_list("title", flat=True)
    )
    assert titles == ["党建科室负责人", "分管副部长", "组织部长", "书记"]


def test_the_default_chain_leaves_an_existing_chain_alone(world, chain):
    again = services_drafts.review_chain_default(actor=world.county_staff, cycle=world.cycle)
    assert [s.pk for s in again] == [s.pk for s in chain.steps]
    assert ReviewStep.objects.filter(cycle=world.cycle).count() == 4


def test_township_staff_cannot_set_up_the_chain(world):
    with pytest.raises(PermissionDenied):
        services_drafts.review_chain_default(actor=world.shijia_staff, cycle=world.cycle)
    assert not ReviewStep.objects.exists()


def test_setting_reviewers_is_logged(world, chain):
    services_drafts.review_step_reviewers_set(
        actor=world.county_staff, step=chain.steps[0], reviewers=[chain.reviewers[0], chain.reviewers[1]]
    )
    event = AuditEvent.objects.get(action="review_step.reviewers")
    assert event.changes["reviewers"] == ["reviewer1", "reviewer1、reviewer2"]


# Writing


def test_only_the_secretary_of_the_report_writes_it(world, chain):
    with pytest.raises(PermissionDenied):
        services_drafts.draft_save(
            actor=chain.liaoyang_user, report=world.county_reports[0], text="代写", item_answers={}
        )
    with pytest.raises(PermissionDenied):
        services_drafts.draft_save(
            actor=world.county_staff, report=world.county_reports[0], text="x", item_answers={}
        )
    assert not Draft.objects.exists()


def test_a_report_without_a_named_secretary_belongs_to_the_secretary_on_the_session_date(world, chain):
    report = world.county_reports[0]
    report.secretary = None
    report.save()
    draft = services_drafts.draft_save(actor=chain.shijia_user, report=report, text="正文", item_answers={})
    assert draft.version == 1


def test_a_draft_being_written_changes_in_place(world, chain):
    first = _save(world, chain, text="初稿")
    second = _save(world, chain, text="初稿\r\n修改后")
    assert first.pk == second.pk and second.version == 1
    assert Draft.objects.get().text == "初稿\n修改后"
    assert "6" in AuditEvent.objects.filter(action="draft.update").get().changes["text"][1]


def test_item_answers_keep_only_the_cycles_items_with_a_reference(world, chain):
    draft = _save(
        world,
        chain,
        item_answers={str(chain.must[0].pk): " 第一部分 ", str(chain.must[1].pk): " ", "999": "x"},
    )
    assert draft.item_answers == {str(chain.must[0].pk): "第一部分"}


def test_a_draft_in_review_cannot_change(world, chain):
    submitted(world, chain)
    with pytest.raises(DraftError) as refused:
        _save(world, chain, text="偷偷改")
    assert refused.value.code == "in_review"
    assert Draft.objects.get().text == TEXT_V1


def test_after_a_return_saving_makes_version_two_and_keeps_version_one(world, chain):
    draft = submitted(world, chain)
    services_drafts.draft_review(actor=chain.reviewers[0], draft=draft, decision="return", comment="数据不实")
    second = _save(world, chain, text=TEXT_V1 + "\n补充数据。")
    assert second.version == 2 and second.status == DraftStatus.WRITING
    assert Draft.objects.get(version=1).status == DraftStatus.RETURNED
    assert Draft.objects.get(version=1).text == TEXT_V1


def test_a_new_version_keeps_the_previous_file_unless_removed(world, chain):
    draft = _save(world, chain, file=pdf_upload())
    draft = services_drafts.draft_submit(actor=chain.shijia_user, draft=draft)
    services_drafts.draft_review(actor=chain.reviewers[0], draft=draft, decision="return", comment="再改改")
    second = _save(world, chain)
    assert second.file.name == draft.file.name
    second = _save(world, chain, remove_file=True)
    assert not second.file


def test_an_upload_of_the_wrong_type_is_refused_by_the_service(world, chain):
    from tests.reviews.drafts.test_support import exe_upload

    with pytest.raises(DraftError) as refused:
        _save(world, chain, file=exe_upload())
    assert refused.value.code == "upload_content"
    assert not Draft.objects.exists()


def test_nothing_changes_after_the_session_is_over(world, chain):
    world.county_session.status = SessionStatus.FINISHED
    world.county_session.save()
    with pytest.raises(DraftError) as refused:
        _save(world, chain)
    assert refused.value.code == "session_over"


# Submitting


def test_submitting_moves_the_draft_to_the_first_step(world, chain):
    draft = submitted(world, chain)
    assert draft.status == DraftStatus.IN_REVIEW
    assert draft.current_step == chain.steps[0] and draft.submitted_at is not None
    assert AuditEvent.objects.filter(action="draft.submit", object_id=str(draft.pk)).exists()


def test_a_missing_must_answer_item_is_refused_and_named(world, chain):
    draft = _save(world, chain, item_answers={str(chain.must[0].pk): "第一部分"})
    with translation.override("zh-hans"), pytest.raises(DraftError) as refused:
        services_drafts.draft_submit(actor=chain.shijia_user, draft=draft)
    assert refused.value.code == "missing_items"
    assert "巡视巡察反馈问题整改情况" in refused.value.message
    assert "班子配备情况" not in refused.value.message
    assert Draft.objects.get().status == DraftStatus.WRITING


def test_bonus_items_are_optional(world, chain):
    draft = submitted(world, chain)
    assert str(chain.bonus[0].pk) not in draft.item_answers and draft.status == DraftStatus.IN_REVIEW


def test_an_empty_draft_is_not_submitted(world, chain):
    draft = _save(world, chain, text="   ")
    with pytest.raises(DraftError) as refused:
        services_drafts.draft_submit(actor=chain.shijia_user, draft=draft)
    assert refused.value.code == "empty"


def test_a_draft_with_only_a_file_can_be_submitted(world, chain):
    draft = _save(world, chain, text="", file=pdf_upload())
    assert services_drafts.draft_submit(actor=chain.shijia_user, draft=draft).status == DraftStatus.IN_REVIEW


def test_submitting_twice_is_refused(world, chain):
    draft = submitted(world, chain)
    with pytest.raises(DraftError) as refused:
        services_drafts.draft_submit(actor=chain.shijia_user, draft=draft)
    assert refused.value.code == "submitted"


def test_without_a_chain_nothing_can_be_submitted(world, chain):
    ReviewStep.objects.all().delete()
    draft = _save(world, chain)
    with pytest.raises(DraftError) as refused:
        services_drafts.draft_submit(actor=chain.shijia_user, draft=draft)
    assert refused.value.code == "no_chain"


def test_a_step_without_reviewers_is_named_before_submitting(world, chain):
    chain.steps[2].reviewers.clear()
    draft = _save(world, chain)
    with pytest.raises(DraftError) as refused:
        services_drafts.draft_submit(actor=chain.shijia_user, draft=draft)
    assert refused.value.code == "no_reviewers" and "组织部长" in refused.value.message


def test_only_the_secretary_submits(world, chain):
    draft = _save(world, chain)
    with pytest.raises(PermissionDenied):
        services_drafts.draft_submit(actor=chain.reviewers[0], draft=draft)


# Reviewing


def test_approving_at_all_four_steps_approves_the_draft(world, chain):
    draft = submitted(world, chain)
    for n, reviewer in enumerate(chain.reviewers):
        draft.refresh_from_db()
        assert draft.current_step == chain.steps[n]
        services_drafts.draft_review(actor=reviewer, draft=draft, decision="approve", comment="")
    draft.refresh_from_db()
    assert draft.status == DraftStatus.APPROVED and draft.current_step is None
    assert list(draft.reviews.values_list("step__title", flat=True)) == [
        "党建科室负责人",
        "分管副部长",
        "组织部长",
        "书记",
    ]
    assert AuditEvent.objects.filter(action="draft.approve", object_id=str(draft.pk)).count() == 4


def test_a_return_at_step_two_goes_back_to_the_secretary_and_version_two_starts_over(world, chain):
    draft = approve_to(submitted(world, chain), chain, 1)
    services_drafts.draft_review(
        actor=chain.reviewers[1], draft=draft, decision="return", comment="问题查摆不深"
    )
    draft.refresh_from_db()
    assert draft.status == DraftStatus.RETURNED and draft.current_step is None
    second = _save(world, chain, text=TEXT_V1 + "\n深挖问题根源。")
    second = services_drafts.draft_submit(actor=chain.shijia_user, draft=second)
    assert (second.version, second.status, second.current_step) == (2, DraftStatus.IN_REVIEW, chain.steps[0])
    event = AuditEvent.objects.get(action="draft.return")
    assert event.changes["comment"] == [None, "问题查摆不深"]


def test_a_return_needs_a_comment(world, chain):
    draft = submitted(world, chain)
    with pytest.raises(DraftError) as refused:
        services_drafts.draft_review(actor=chain.reviewers[0], draft=draft, decision="return", comment="  ")
    assert refused.value.code == "comment_required"
    draft.refresh_from_db()
    assert draft.status == DraftStatus.IN_REVIEW and not DraftReview.objects.exists()


def test_a_reviewer_of_another_step_is_refused(world, chain):
    draft = submitted(world, chain)
    for outsider in (chain.reviewers[1], world.county_staff, chain.liaoyang_user):
        with pytest.raises(PermissionDenied):
            services_drafts.draft_review(actor=outsider, draft=draft, decision="approve", comment="")
    assert not DraftReview.objects.exists()


def test_a_decision_on_a_page_that_moved_on_is_refused(world, chain):
    chain.steps[1].reviewers.add(chain.reviewers[0])  # reviewer 1 reviews steps 1 and 2
    draft = submitted(world, chain)
    services_drafts.draft_review(
        actor=chain.reviewers[0], draft=draft, decision="approve", comment="", step=chain.steps[0]
    )
    with pytest.raises(DraftError) as refused:
        services_drafts.draft_review(
            actor=chain.reviewers[0], draft=draft, decision="approve", comment="", step=chain.steps[0]
        )
    assert refused.value.code == "stale"
    draft.refresh_from_db()
    assert draft.current_step == chain.steps[1]


def test_nobody_reviews_their_own_report(world, chain):
    draft = submitted(world, chain)
    chain.steps[0].reviewers.add(chain.shijia_user)
    with pytest.raises(DraftError) as refused:
        services_drafts.draft_review(actor=chain.shijia_user, draft=draft, decision="approve", comment="")
    assert refused.value.code == "own_report"


def test_a_returned_or_approved_draft_takes_no_more_decisions(world, chain):
    draft = submitted(world, chain)
    services_drafts.draft_review(actor=chain.reviewers[0], draft=draft, decision="return", comment="重写")
    with pytest.raises(DraftError) as refused:
        services_drafts.draft_review(actor=chain.reviewers[0], draft=draft, decision="approve", comment="")
    assert refused.value.code == "not_in_review"


def test_an_unknown_decision_is_refused(world, chain):
    draft = submitted(world, chain)
    with pytest.raises(DraftError):
        services_drafts.draft_review(actor=chain.reviewers[0], draft=draft, decision="maybe", comment="")


def test_after_approval_a_new_version_goes_through_the_chain_again(world, chain):
    approve_to(submitted(world, chain), chain, 4)
    second = _save(world, chain, text=TEXT_V1 + "\n更正一处数据。")
    assert second.version == 2 and second.status == DraftStatus.WRITING
    assert Draft.objects.get(version=1).status == DraftStatus.APPROVED
