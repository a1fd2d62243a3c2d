"""Admin screens of the review chain and the findings (reviews/drafts/admin.py): reviewers set through the
service and logged, township staff read-only, findings scoped, evidence linked through the checked view."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from reviews.audit.models import AuditEvent
from reviews.drafts import services as services_drafts
from reviews.drafts.models import Draft, ReviewStep
from reviews.findings.models import Finding, FindingSource
from tests.reviews.drafts.test_support import build_chain, pdf_upload, private_storage_in, submitted


@pytest.fixture(autouse=True)
def _storage(tmp_path, settings, monkeypatch):
    private_storage_in(tmp_path, settings, monkeypatch)


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_saving_a_step_in_the_admin_sets_the_reviewers_through_the_service(world):
    chain = build_chain(world)
    model_admin = admin.site._registry[ReviewStep]
    step = chain.steps[0]
    form_class = model_admin.get_form(_request(world.county_staff), step)
    data = {"cycle": world.cycle.pk, "order": 1, "title": "党建办主任", "reviewers": [chain.reviewers[1].pk]}
    form = form_class(data, instance=step)
    assert form.is_valid(), form.errors
    request = _request(world.county_staff)
    model_admin.save_model(request, form.save(commit=False), form, change=True)
    model_admin.save_related(request, form, [], change=True)
    step.refresh_from_db()
    assert step.title == "党建办主任" and list(step.reviewers.all()) == [chain.reviewers[1]]
    assert AuditEvent.objects.filter(action="review_step.update").exists()
    assert AuditEvent.objects.get(action="review_step.reviewers").changes["reviewers"] == [
        "reviewer1",
        "reviewer2",
    ]


def test_township_staff_neither_see_nor_change_the_county_chain(world):
    chain = build_chain(world)
    model_admin = admin.site._registry[ReviewStep]
    request = _request(world.shijia_staff)
    assert not model_admin.has_view_permission(request, chain.steps[0])
    assert not model_admin.has_change_permission(request, chain.steps[0])
    assert not model_admin.has_add_permission(request)
    assert model_admin.has_change_permission(_request(world.county_staff), chain.steps[0])


def test_a_step_with_a_draft_waiting_cannot_be_deleted(world, tmp_path):
    chain = build_chain(world)
    submitted(world, chain)
    model_admin = admin.site._registry[ReviewStep]
    request = _request(world.superuser)
    assert not model_admin.has_delete_permission(request, chain.steps[0])
    assert model_admin.has_delete_permission(request, chain.steps[1])
    assert Draft.objects.filter(current_step=chain.steps[0]).exists()


def test_the_findings_admin_lists_the_subtree_and_links_evidence_through_the_view(world):
    inside = services_drafts.finding_record(
        actor=world.superuser,
        cycle=world.cycle,
        organisation=world.shijia_v1,
        source=FindingSource.SUPERIOR,
        description="石匣村问题",
        evidence=pdf_upload("反馈.pdf"),
    )
    services_drafts.finding_record(
        actor=world.superuser,
        cycle=world.cycle,
        organisation=world.liaoyang_v1,
        source=FindingSource.PUBLIC,
        description="辽阳社区问题",
    )
    model_admin = admin.site._registry[Finding]
    assert list(model_admin.get_queryset(_request(world.shijia_staff))) == [inside]
    link = model_admin.evidence_link(inside)
    assert f"/findings/{inside.pk}/evidence/" in link and "反馈.pdf" in link


def test_deleting_a_finding_in_the_admin_is_logged(world):
    finding = services_drafts.finding_record(
        actor=world.superuser,
        cycle=world.cycle,
        organisation=world.shijia_v1,
        source=FindingSource.SELF_CHECK,
        description="自查问题",
    )
    admin.site._registry[Finding].delete_model(_request(world.shijia_staff), finding)
    assert not Finding.objects.exists()
    assert AuditEvent.objects.get(action="finding.delete").actor == world.shijia_staff
