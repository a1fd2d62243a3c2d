"""The organisation picker in Chromium, on a phone and on a desktop: type, see the scope's matches, pick,
send; and the admin secretary lookup's scoped autocomplete."""

import pytest
from django.conf import settings
from django.test import Client

from reviews.findings.models import Finding
from reviews.rectification.models import FollowUpReview
from tests.conftest import World

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1}


@pytest.fixture
def world(live_server, transactional_db):
    return World()


def _logged_in(new_page, live_server, user, **options):
    client = Client()
    client.force_login(user)
    page = new_page(**options)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    return page


def _matches(page, box: str, text: str) -> list[str]:
    page.fill(box, "")
    page.type(box, text, delay=30)
    page.wait_for_selector(f"{box} ~ .sz-org-matches li")
    page.wait_for_timeout(400)  # the last keystroke's answer
    return page.locator(f"{box} ~ .sz-org-matches [data-sz-org-pick] span").all_inner_texts()


@pytest.mark.parametrize("size", [{}, DESKTOP], ids=["phone", "desktop"])
def test_a_finding_is_recorded_for_the_organisation_picked_from_the_matches(
    world, live_server, new_page, size
):
    page = _logged_in(new_page, live_server, world.shijia_staff, **size)
    page.goto(f"{live_server.url}/findings/cycle/{world.cycle.pk}/")
    box = "#id_organisation"
    assert page.locator("select#id_organisation").count() == 0
    assert set(_matches(page, box, "村")) == {"石匣村党支部", "东庄村党支部"}  # not 辽阳镇's villages
    assert _matches(page, box, "辽阳") == []
    assert "没有" in page.locator(f"{box} ~ .sz-org-matches").inner_text()
    _matches(page, box, "东庄")
    page.click("[data-sz-org-pick] >> text=东庄村党支部")
    assert page.input_value(box) == "东庄村党支部"
    assert page.input_value("input[name=organisation]") == str(world.shijia_v2.pk)
    assert page.locator(".sz-org-matches li").count() == 0  # the list closed
    page.select_option("#id_source", "superior")
    page.fill("#id_description", "活动室长期闲置")
    page.click("form[enctype] button[type=submit], form[enctype] .btn-primary")
    page.wait_for_load_state()
    finding = Finding.objects.get()
    assert finding.organisation == world.shijia_v2 and finding.description == "活动室长期闲置"
    assert page.locator(box).bounding_box()["width"] <= page.viewport_size["width"]


def test_the_keyboard_picks_a_match_and_typing_again_forgets_it(world, live_server, new_page):
    page = _logged_in(new_page, live_server, world.county_staff, **DESKTOP)
    page.goto(f"{live_server.url}/rectification/follow-up/")
    box = "#id_scope"
    _matches(page, box, "辽阳镇")
    page.press(box, "Enter")  # one match: Enter picks it
    assert page.input_value("input[name=scope]") == str(world.liaoyang.pk)
    page.type(box, "x")
    assert page.input_value("input[name=scope]") == ""  # edited: the text alone is sent
    page.fill(box, "中共石匣乡委员会")
    page.select_option("#id_cycle", str(world.cycle.pk))
    page.click("button.btn-primary")
    page.wait_for_load_state()
    assert FollowUpReview.objects.get().scope == world.shijia


def test_without_a_pick_a_wrong_name_comes_back_with_a_chinese_message(world, live_server, new_page):
    page = _logged_in(new_page, live_server, world.county_staff, java_script_enabled=False)
    page.goto(f"{live_server.url}/findings/cycle/{world.cycle.pk}/")
    page.fill("#id_organisation", "不存在的村")
    page.fill("#id_description", "问题")
    page.click("form[enctype] .btn-primary")
    assert "您范围内没有名称或代码为“不存在的村”的党组织。" in page.content()
    page.fill("#id_organisation", "T02V01")  # a code: resolved by the server
    page.fill("#id_description", "问题")
    page.click("form[enctype] .btn-primary")
    assert Finding.objects.get().organisation == world.liaoyang_v1


def test_the_admin_secretary_lookup_offers_only_the_scope(world, live_server, new_page):
    page = _logged_in(new_page, live_server, world.shijia_staff, **DESKTOP)
    page.goto(f"{live_server.url}/admin/reviews/organisation/secretary-lookup/")
    page.click("#id_organisation + .select2 .select2-selection")
    page.fill(".select2-search__field", "")
    page.wait_for_selector(".select2-results__option:not(.loading-results)")
    page.wait_for_timeout(300)
    offered = page.locator(".select2-results__option").all_inner_texts()
    assert "中共石匣乡委员会" in offered and not any("辽阳" in name for name in offered)
    page.click(".select2-results__option >> text=中共石匣乡委员会")
    page.fill("#id_date", "2025-06-01")
    page.click("input[type=submit]")
    assert "王建国" in page.content()
