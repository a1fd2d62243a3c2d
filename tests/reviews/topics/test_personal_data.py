"""Proposers' phone numbers: kept for TOPIC_PHONE_RETENTION_DAYS or until the meeting ends, never exported."""

import datetime
import io
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from reviews.audit.models import AuditEvent
from reviews.cycles.models import SessionStatus
from reviews.topics import services
from reviews.topics.models import TopicSuggestion
from scoring.results.exports import EXPORTS
from scoring.schemes import services as scheme_services

PHONE = "13912345678"


@pytest.fixture
def proposed(world):
    call = services.topic_call_open(actor=world.shijia_staff, session=world.shijia_session)
    suggestion = services.suggestion_submit_public(
        call_token=call.token,
        organisation_id=None,
        text="村里的集体经济怎么发展壮大？",
        source="public",
        name="张三",
        phone=PHONE,
    )
    return suggestion


def test_a_phone_number_is_kept_within_the_retention_time(proposed, settings):
    settings.TOPIC_PHONE_RETENTION_DAYS = 60
    assert services.suggestion_phones_purge(now=timezone.now() + datetime.timedelta(days=59)) == 0
    assert TopicSuggestion.objects.get(pk=proposed.pk).phone == PHONE


def test_a_phone_number_past_the_retention_time_is_cleared_and_the_purge_audited_without_it(
    proposed, settings
):
    settings.TOPIC_PHONE_RETENTION_DAYS = 60
    assert services.suggestion_phones_purge(now=timezone.now() + datetime.timedelta(days=61)) == 1
    suggestion = TopicSuggestion.objects.get(pk=proposed.pk)
    assert suggestion.phone == ""
    assert suggestion.text == "村里的集体经济怎么发展壮大？"
    event = AuditEvent.objects.get(action="topic_suggestion.phones_purge")
    assert event.organisation == proposed.session.host
    assert event.changes == {"phones_cleared": [None, 1]}
    assert not AuditEvent.objects.filter(changes__icontains=PHONE).exists()


def test_the_command_clears_the_numbers_of_a_finished_meeting_at_once(proposed, world):
    world.shijia_session.status = SessionStatus.FINISHED
    world.shijia_session.save()
    out = io.StringIO()
    call_command("purge_personal_data", stdout=out)
    assert "1" in out.getvalue()
    assert TopicSuggestion.objects.get(pk=proposed.pk).phone == ""


def test_the_command_leaves_an_open_calls_recent_numbers(proposed):
    call_command("purge_personal_data", stdout=io.StringIO())
    assert TopicSuggestion.objects.get(pk=proposed.pk).phone == PHONE


def test_the_audit_log_never_holds_a_proposers_phone(proposed):
    assert AuditEvent.objects.filter(action="topic_suggestion.submit").exists()
    assert all(PHONE not in str(e.changes) + e.object_repr for e in AuditEvent.objects.all())


def test_no_results_export_carries_a_proposers_phone(proposed, world):
    scheme_services.scheme_create_default(actor=world.superuser, session=world.shijia_session)
    for export in EXPORTS.values():
        _name, _type, content = export.render(world.shijia_session)
        texts = [content]
        if content[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                texts = [archive.read(n) for n in archive.namelist()]
        assert not any(PHONE.encode() in t for t in texts), export.identifier


def test_no_export_or_document_module_reads_a_phone_number():
    root = Path(__file__).resolve().parents[3]
    modules = [*root.glob("reviews/**/exports.py"), *root.glob("scoring/**/exports.py")]
    modules += [*root.glob("reviews/**/documents.py"), *root.glob("scoring/**/documents.py")]
    assert len(modules) >= 4
    assert [m for m in modules if "phone" in m.read_text()] == []


def test_the_staff_see_the_number_only_on_their_own_sessions_page(client, proposed, world):
    client.force_login(world.liaoyang_staff)
    response = client.get(reverse("topics:session", args=[world.shijia_session.pk]))
    assert response.status_code in (403, 404)
    client.force_login(world.shijia_staff)
    assert PHONE in client.get(reverse("topics:session", args=[world.shijia_session.pk])).content.decode()
