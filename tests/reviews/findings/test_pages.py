"""The findings page: per organisation within the staff's scope, filtered by source, adding one, evidence."""

import pytest
from django.urls import reverse

from reviews.drafts import services as services_drafts
from reviews.findings.models import Finding, FindingSource
from reviews.meeting import services
from tests.conftest import make_org
from tests.reviews.drafts.test_support import (
    build_chain,
    exe_upload,
    pdf_upload,
    png_upload,
    private_storage_in,
)


@pytest.fixture(autouse=True)
def _storage(tmp_path, settings, monkeypatch):
    private_storage_in(tmp_path, settings, monkeypatch)


def _as(client, user):
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def _record(world, organisation, description, source=FindingSource.SUPERIOR, **extra):
    return services_drafts.finding_record(
        actor=world.superuser,
        cycle=world.cycle,
        organisation=organisation,
        source=source,
        description=description,
        **extra,
    )


@pytest.fixture
def findings(world):
    _record(world, world.shijia_v1, "石匣村：三会一课记录不全", FindingSource.INSPECTION)
    _record(world, world.shijia_v2, "东庄村：党员活动室挪作他用", FindingSource.PUBLIC)
    _record(world, world.liaoyang_v1, "辽阳社区：网格员不熟悉居民情况", FindingSource.SELF_CHECK)
    question = services.question_save(
        actor=world.superuser, report=world.county_reports[0], question="集体经济收入为何下降？"
    )
    services.question_hand_over(actor=world.superuser, question=question)


def test_county_staff_see_every_finding_grouped_by_organisation(client, world, findings):
    page = (
        _as(client, world.county_staff).get(reverse("findings:list", args=[world.cycle.pk])).content.decode()
    )
    for text in ("三会一课记录不全", "党员活动室挪作他用", "网格员不熟悉居民情况", "集体经济收入为何下降？"):
        assert text in page
    assert page.index("石匣村党支部") < page.index("东庄村党支部") < page.index("辽阳社区党支部")


def test_findings_handed_over_in_the_meeting_appear_with_their_source(client, world, findings):
    page = _as(client, world.county_staff).get(
        reverse("findings:list", args=[world.cycle.pk]), {"source": "question"}
    )
    content = page.content.decode()
    assert "集体经济收入为何下降？" in content and "三会一课记录不全" not in content


def test_township_staff_see_only_their_subtree(client, world, findings):
    page = (
        _as(client, world.shijia_staff).get(reverse("findings:list", args=[world.cycle.pk])).content.decode()
    )
    assert "三会一课记录不全" in page and "党员活动室挪作他用" in page
    assert "网格员不熟悉居民情况" not in page
    # The organisation choices are the subtree too.
    assert world.liaoyang_v1.name not in page


def test_filtering_by_source(client, world, findings):
    url = reverse("findings:list", args=[world.cycle.pk])
    page = _as(client, world.county_staff).get(url, {"source": "public"}).content.decode()
    assert "党员活动室挪作他用" in page and "三会一课记录不全" not in page
    page = client.get(url, {"source": "nonsense"}).content.decode()
    assert "三会一课记录不全" in page and "党员活动室挪作他用" in page


def test_adding_a_finding_with_evidence(client, world):
    response = _as(client, world.shijia_staff).post(
        reverse("findings:add", args=[world.cycle.pk]),
        {
            "organisation": world.shijia_v2.pk,
            "source": "superior",
            "description": "暗访：村干部值班脱岗",
            "evidence": png_upload("暗访截图.png"),
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("?source=superior")
    finding = Finding.objects.get()
    assert (finding.organisation, finding.source, finding.created_by) == (
        world.shijia_v2,
        "superior",
        world.shijia_staff,
    )
    page = client.get(response["Location"]).content.decode()
    assert "暗访：村干部值班脱岗" in page and reverse("findings:evidence", args=[finding.pk]) in page


def test_an_organisation_outside_the_scope_cannot_be_chosen(client, world):
    response = _as(client, world.shijia_staff).post(
        reverse("findings:add", args=[world.cycle.pk]),
        {"organisation": world.liaoyang_v1.pk, "source": "superior", "description": "越界"},
    )
    assert response.status_code == 400 and not Finding.objects.exists()


def test_meeting_sources_cannot_be_added_by_hand(client, world):
    response = _as(client, world.county_staff).post(
        reverse("findings:add", args=[world.cycle.pk]),
        {"organisation": world.shijia.pk, "source": "question", "description": "手工质询"},
    )
    assert response.status_code == 400 and not Finding.objects.exists()


def test_a_renamed_exe_as_evidence_is_refused_with_the_reason(client, world):
    response = _as(client, world.county_staff).post(
        reverse("findings:add", args=[world.cycle.pk]),
        {
            "organisation": world.shijia.pk,
            "source": "public",
            "description": "群众来信",
            "evidence": exe_upload("来信.pdf"),
        },
    )
    assert response.status_code == 400 and "content is not PDF" in response.content.decode()
    assert not Finding.objects.exists()


def test_secretaries_cannot_use_the_findings_page(client, world):
    chain = build_chain(world)
    client.force_login(chain.shijia_user)
    assert client.get(reverse("findings:list", args=[world.cycle.pk])).status_code == 403
    response = client.post(
        reverse("findings:add", args=[world.cycle.pk]),
        {"organisation": world.shijia.pk, "source": "self_check", "description": "x"},
    )
    assert response.status_code == 403 and not Finding.objects.exists()


def test_evidence_is_served_only_within_the_scope(client, world):
    finding = _record(world, world.shijia_v1, "佐证", evidence=pdf_upload("巡察反馈.pdf"))
    url = reverse("findings:evidence", args=[finding.pk])
    response = _as(client, world.shijia_staff).get(url)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    for user in (world.liaoyang_staff, build_chain(world).shijia_user):
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_a_finding_without_evidence_has_nothing_to_serve(client, world):
    finding = _record(world, world.shijia_v1, "无佐证")
    assert (
        _as(client, world.county_staff).get(reverse("findings:evidence", args=[finding.pk])).status_code
        == 404
    )


def test_the_list_runs_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    for n in range(30):
        village = make_org(f"T01V{n + 10:02d}", f"第{n}村党支部", world.shijia)
        _record(world, village, f"问题{n}", evidence=pdf_upload() if n % 5 == 0 else None)
    _as(client, world.county_staff)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("findings:list", args=[world.cycle.pk]))
    assert response.status_code == 200 and "问题29" in response.content.decode()
