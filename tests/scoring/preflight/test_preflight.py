"""会前检查 (/manage/scoring/<id>/preflight/): each check in each colour, the page, and what feeds it."""

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from reviews.audit.models import AuditEvent
from scoring.codes.models import Credential
from scoring.preflight import selectors, services
from scoring.schemes.models import EvaluatorGroup
from scoring.staff import scheme_of

HERE = "http://testserver/"


@pytest.fixture(autouse=True)
def _chinese_and_fresh_cache():
    cache.clear()
    with translation.override("zh-hans"):
        yield
    cache.clear()


@pytest.fixture
def quiet_probe(monkeypatch):
    """SITE_URL is never fetched in tests: say whether it answers."""
    answers = {"value": False}
    monkeypatch.setattr(selectors, "_answers", lambda url: answers["value"])
    return answers


def _checks(world, opened_on: str = HERE) -> dict[str, selectors.Check]:
    scheme = scheme_of(world.county_session)
    return {check.key: check for check in selectors.preflight_checks(world.county_session, scheme, opened_on)}


def _url(world) -> str:
    return reverse("scoring:preflight", args=[world.county_session.pk])


# --- scheme ---------------------------------------------------------------------------------------


def test_no_scheme_is_red(world, quiet_probe):
    checks = _checks(world)
    assert checks["scheme"].status == "red" and "尚未设置" in checks["scheme"].summary
    assert "codes" not in checks  # nothing to count without a scheme


def test_a_scheme_with_problems_is_red_and_lists_them(scored, quiet_probe):
    EvaluatorGroup.objects.filter(pk=scored.leaders.pk).update(weight=50)
    check = _checks(scored)["scheme"]
    assert check.status == "red" and any("100%" in line for line in check.details)


def test_a_valid_scheme_with_reporters_is_green(scored, quiet_probe):
    check = _checks(scored)["scheme"]
    assert check.status == "green" and "2" in check.summary


# --- codes per group ------------------------------------------------------------------------------


def test_codes_for_every_group_are_green_and_say_no_expected_size_is_known(scored, quiet_probe):
    check = _checks(scored)["codes"]
    assert check.status == "green"
    assert any("6" in line and scored.leaders.name in line for line in check.details)
    assert any("应到人数" in line for line in check.details)


def test_a_group_with_no_live_code_and_no_paper_is_red(scored, quiet_probe):
    Credential.objects.filter(group=scored.leaders).update(revoked=True)
    check = _checks(scored)["codes"]
    assert check.status == "red" and any("无人能参加测评" in line for line in check.details)


# --- paper forms issued ---------------------------------------------------------------------------


def test_no_paper_in_use_is_green(scored, quiet_probe):
    check = _checks(scored)["paper"]
    assert check.status == "green" and "未使用纸质票" in check.summary


def test_a_printed_paper_form_without_an_issued_number_is_red(scored, quiet_probe):
    services.document_printed(
        actor=scored.county_staff,
        session=scored.session,
        document=services.PAPER_FORM,
        group=scored.delegates,
    )
    check = _checks(scored)["paper"]
    assert check.status == "red" and any(
        scored.delegates.name in line and "作废" in line for line in check.details
    )


def test_paper_forms_issued_where_paper_is_used_is_green(scored, quiet_probe):
    services.document_printed(
        actor=scored.county_staff,
        session=scored.session,
        document=services.PAPER_FORM,
        group=scored.delegates,
    )
    EvaluatorGroup.objects.filter(pk=scored.delegates.pk).update(paper_issued=30)
    check = _checks(scored)["paper"]
    assert check.status == "green" and any("30" in line for line in check.details)


# --- SITE_URL -------------------------------------------------------------------------------------


@override_settings(SITE_URL="http://testserver")
def test_site_url_matching_the_address_in_use_is_green(scored, quiet_probe):
    check = _checks(scored)["site_url"]
    assert check.status == "green" and "http://testserver" in check.summary


@override_settings(SITE_URL="http://127.0.0.1:8000")
def test_site_url_on_another_port_is_red_and_says_whether_it_answers(scored, quiet_probe):
    check = _checks(scored, "http://127.0.0.1:8765/")["site_url"]
    assert check.status == "red"
    assert any("http://127.0.0.1:8765" in line for line in check.details)
    assert any("无法访问" in line for line in check.details)
    quiet_probe["value"] = True
    assert any("可以访问" in line for line in _checks(scored, "http://127.0.0.1:8765/")["site_url"].details)


@override_settings(SITE_URL="https://Shuzhi.example.cn")
def test_an_explicit_default_port_and_letter_case_are_the_same_address(scored, quiet_probe):
    assert _checks(scored, "https://shuzhi.example.cn:443/")["site_url"].status == "green"


# --- the big screen -------------------------------------------------------------------------------


def test_a_screen_that_never_connected_is_amber(scored, quiet_probe):
    check = _checks(scored)["screen"]
    assert check.status == "amber" and "尚未连接" in check.summary


def test_a_screen_polling_its_state_is_green(client, scored, quiet_probe):
    response = client.get(reverse("screen:state", args=[scored.session.screen_token]))
    assert response.status_code == 200
    check = _checks(scored)["screen"]
    assert check.status == "green" and "正在连接" in check.summary


def test_a_screen_seen_days_ago_is_still_green_and_says_when(scored, quiet_probe, monkeypatch):
    monkeypatch.setattr(services, "screen_last_seen", lambda session_id: 1_700_000_000.0)
    check = _checks(scored)["screen"]
    assert check.status == "green" and "2023-11-1" in check.summary


# --- printed --------------------------------------------------------------------------------------


def test_codes_without_a_recorded_slips_download_are_amber(scored, quiet_probe):
    check = _checks(scored)["printed"]
    assert check.status == "amber" and any("未记录" in line for line in check.details)


def test_slips_printed_for_every_group_are_green(client, scored, quiet_probe, run_jobs):
    client.force_login(scored.county_staff)
    for group in (scored.leaders, scored.delegates):
        client.post(reverse("scoring:codes_issue", args=[scored.session.pk]), {"group": group.pk, "count": 1})
    assert [job.status for job in run_jobs()] == ["done", "done"]
    assert AuditEvent.objects.filter(action=services.SLIPS).count() == 2
    check = _checks(scored)["printed"]
    assert check.status == "green" and any("1 次" in line for line in check.details)


def test_paper_issued_without_the_form_downloaded_is_amber_until_it_is(client, scored, quiet_probe):
    for group in (scored.leaders, scored.delegates):
        services.document_printed(
            actor=scored.county_staff, session=scored.session, document=services.SLIPS, group=group
        )
    EvaluatorGroup.objects.filter(pk=scored.delegates.pk).update(paper_issued=10)
    check = _checks(scored)["printed"]
    assert check.status == "amber" and any("纸质测评表尚未下载" in line for line in check.details)
    client.force_login(scored.county_staff)
    url = reverse("scoring:paper_ballot", args=[scored.session.pk, scored.delegates.pk])
    assert client.get(url)["Content-Type"] == "application/pdf"
    assert _checks(scored)["printed"].status == "green"


def test_an_unknown_document_is_refused_and_nothing_is_recorded(scored):
    with pytest.raises(ValueError):
        services.document_printed(
            actor=scored.county_staff, session=scored.session, document="x", group=scored.leaders
        )
    assert not AuditEvent.objects.filter(action="x").exists()


# --- rehearsal, clock -----------------------------------------------------------------------------


def test_the_rehearsal_is_amber_not_run(scored, quiet_probe):
    check = _checks(scored)["rehearsal"]
    assert check.status == "amber" and check.summary == "未进行"


def test_the_clock_shows_the_server_time_until_the_browser_compares(scored, quiet_probe):
    check = _checks(scored)["clock"]
    assert check.status == "unknown" and "服务器时间" in check.summary


# --- the page -------------------------------------------------------------------------------------


@override_settings(SITE_URL="http://testserver")
def test_the_page_shows_every_check_in_bounded_queries(
    client, scored, quiet_probe, django_assert_max_num_queries
):
    client.force_login(scored.county_staff)
    with django_assert_max_num_queries(12):
        response = client.get(_url(scored))
    html = response.content.decode()
    assert response.status_code == 200 and "会前检查" in html
    for key in ("scheme", "codes", "paper", "site_url", "screen", "printed", "rehearsal", "clock"):
        assert f'data-check="{key}"' in html
    assert 'data-server-ms="' in html and "<script>" not in html
    assert 'class="pf-overall pf-amber' in html  # no slips recorded, no screen, no rehearsal


def test_the_page_is_red_with_no_scheme(client, world, quiet_probe):
    client.force_login(world.county_staff)
    html = client.get(_url(world)).content.decode()
    assert 'class="pf-overall pf-red' in html


def test_township_staff_cannot_open_the_county_sessions_check(client, scored):
    client.force_login(scored.shijia_staff)
    assert client.get(_url(scored)).status_code == 404


def test_the_overview_and_the_console_link_to_it(client, scored):
    client.force_login(scored.county_staff)
    for name in ("scoring:session", "meeting:console"):
        assert _url(scored) in client.get(reverse(name, args=[scored.session.pk])).content.decode()


@override_settings(SITE_URL="http://127.0.0.1:8000")
def test_the_codes_page_warns_before_issuing_when_site_url_differs(client, scored):
    client.force_login(scored.county_staff)
    html = client.get(reverse("scoring:codes", args=[scored.session.pk])).content.decode()
    assert "data-site-url-warning" in html and "http://127.0.0.1:8000" in html and "http://testserver" in html


@override_settings(SITE_URL="http://testserver")
def test_the_codes_page_says_nothing_when_site_url_matches(client, scored):
    client.force_login(scored.county_staff)
    assert (
        "data-site-url-warning"
        not in client.get(reverse("scoring:codes", args=[scored.session.pk])).content.decode()
    )


def test_make_run_prints_its_own_host_and_port_on_the_slips():
    from django.conf import settings

    makefile = (settings.BASE_DIR / "Makefile").read_text(encoding="utf-8")
    assert "SITE_URL ?= http://$(HOST):$(PORT)" in makefile
    assert "SITE_URL=$(SITE_URL) $(PY) manage.py runserver $(HOST):$(PORT)" in makefile
