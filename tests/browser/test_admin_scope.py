"""The admin's autocomplete as township staff, in Chromium: another township's secretary is not offered."""

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import World

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1}


@pytest.fixture
def world(live_server, transactional_db):
    return World()


def _logged_in(new_page, live_server, user):
    client = Client()
    client.force_login(user)
    page = new_page(**DESKTOP)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    return page


def _offered(page, field: str, term: str) -> list[str]:
    page.click(f"#id_{field} + .select2 .select2-selection")
    page.fill(".select2-search__field", term)
    page.wait_for_selector(".select2-results__option:not(.loading-results)")
    page.wait_for_timeout(300)
    options = page.locator(".select2-results__option").all_inner_texts()
    page.keyboard.press("Escape")
    return options


def test_the_person_choice_of_a_new_post_offers_only_the_townships_own_people(world, live_server, new_page):
    page = _logged_in(new_page, live_server, world.shijia_staff)
    page.goto(f"{live_server.url}/admin/reviews/appointment/add/")
    assert "王建国" in _offered(page, "person", "王")
    offered = _offered(page, "person", "李")
    assert "李春华" not in offered
    organisations = _offered(page, "organisation", "")
    assert "中共石匣乡委员会" in organisations
    assert not any("辽阳" in name for name in organisations)
