"""finding_record: problems found before the meeting (自己查, 上级找, 群众提, 巡视巡察), scoped, logged."""

import pytest
from django.core.exceptions import PermissionDenied

from reviews.audit.models import AuditEvent
from reviews.drafts import services as services_drafts
from reviews.drafts.services import DraftError
from reviews.findings.models import Finding, FindingSource
from tests.reviews.drafts.test_support import exe_upload, png_upload, private_storage_in


@pytest.fixture(autouse=True)
def _storage(tmp_path, settings, monkeypatch):
    return private_storage_in(tmp_path, settings, monkeypatch)


def _record(world, actor=None, **extra):
    fields = {
        "cycle": world.cycle,
        "organisation": world.shijia_v1,
        "source": FindingSource.SUPERIOR,
        "description": "  暗访发现：村党群服务中心长期上锁。 ",
    }
    fields.update(extra)
    return services_drafts.finding_record(actor=actor or world.shijia_staff, **fields)


def test_a_finding_is_recorded_and_logged(world):
    finding = _record(world)
    assert finding.description == "暗访发现：村党群服务中心长期上锁。"
    assert finding.created_by == world.shijia_staff and finding.report is None
    event = AuditEvent.objects.get(action="finding.create")
    assert event.organisation == world.shijia_v1 and event.actor == world.shijia_staff


def test_a_finding_is_linked_to_the_organisations_report_in_the_cycle(world):
    finding = _record(world, organisation=world.shijia, actor=world.county_staff)
    assert finding.report == world.county_reports[0]


@pytest.mark.parametrize("source", ["self_check", "superior", "public", "inspection"])
def test_the_four_sources_found_before_the_meeting(world, source):
    assert _record(world, source=source).source == source


@pytest.mark.parametrize("source", ["question", "comment", "rumour"])
def test_meeting_sources_come_only_from_the_hand_over(world, source):
    with pytest.raises(DraftError) as refused:
        _record(world, source=source)
    assert refused.value.code == "source"


def test_an_organisation_outside_the_scope_is_refused(world):
    with pytest.raises(PermissionDenied):
        _record(world, organisation=world.liaoyang_v1)
    assert not Finding.objects.exists()


def test_an_empty_description_is_refused(world):
    with pytest.raises(DraftError) as refused:
        _record(world, description="   ")
    assert refused.value.code == "empty"


def test_a_closed_cycle_takes_no_more_findings(world):
    world.cycle.is_open = False
    world.cycle.save()
    with pytest.raises(DraftError) as refused:
        _record(world)
    assert refused.value.code == "cycle_closed"


def test_evidence_is_checked_and_kept_privately(world, _storage):
    finding = _record(world, evidence=png_upload("暗访照片.png"))
    assert finding.evidence.name.startswith("evidence/") and finding.evidence.name.endswith("/暗访照片.png")
    assert _storage.exists(finding.evidence.name)
    with pytest.raises(DraftError) as refused:
        _record(world, evidence=exe_upload("暗访视频.pdf"))
    assert refused.value.code == "upload_content"
    assert Finding.objects.count() == 1
