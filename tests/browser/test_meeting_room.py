"""The console and the big screen open side by side: the screen follows the host within 2 s."""

import pytest
from django.conf import settings
from django.test import Client

from reviews.models import Session
from scoring import services
from tests.scoring.conftest import ScoredWorld

FULL_HD = {"viewport": {"width": 1920, "height": 1080}, "device_scale_factor": 1}


@pytest.fixture
def world(live_server, transactional_db):
    return ScoredWorld()


def _logged_in(new_page, live_server, user):
    client = Client()
    client.force_login(user)
    page = new_page(viewport={"width": 1280, "height": 900})
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return page


def test_the_screen_follows_the_host_and_reveals_only_on_command(world, live_server, new_page, tmp_path):
    console = _logged_in(new_page, live_server, world.county_staff)
    console.goto(f"{live_server.url}/manage/room/{world.session.pk}/")
    screen = new_page(**FULL_HD)
    token = Session.objects.get(pk=world.session.pk).screen_token
    screen.goto(f"{live_server.url}/room/screen/{token}/")
    screen.wait_for_selector("text=述职顺序")

    console.keyboard.press("n")  # 下一位: the first reporter takes the floor
    screen.wait_for_selector(".sz-who:has-text('中共石匣乡委员会')", timeout=2000)
    assert screen.locator("[data-timer]").inner_text() in ("5:00", "4:59", "4:58")

    for code in world.leader_codes + world.delegate_codes[:5]:
        services.ballot_submit(
            code=code.token, marks=world.marks("good", r1="fairly_good"), submission_key="k"
        )
    console.wait_for_selector("text=5 / 6", timeout=3000)

    console.check("input[name=confirm]")
    console.click("button[value=close]")
    console.click("button[value=show_order]")
    screen.wait_for_selector("text=述职顺序", timeout=2000)
    screen.screenshot(path=str(tmp_path / "screen-before.png"))
    before = screen.inner_text("body")
    assert "100.00" not in before and "80.00" not in before

    console.click("button[value=reveal_all]")
    screen.wait_for_selector(".sz-rank-row >> nth=1", timeout=2000)
    screen.wait_for_timeout(800)  # let the newest row finish fading in
    screen.screenshot(path=str(tmp_path / "screen-after.png"))
    rows = screen.locator(".sz-rank-row").all_inner_texts()
    assert "辽阳" in rows[0] and "100.00" in rows[0] and "好" in rows[0]
    assert "石匣" in rows[1] and "80.00" in rows[1] and "较好" in rows[1]
    assert (tmp_path / "screen-before.png").stat().st_size > 10_000
