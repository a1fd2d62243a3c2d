"""A logged-in session ends after SESSION_IDLE_MINUTES without a request; the console's polls count."""

import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from scoring.schemes.models import Scheme, ScoringStatus
from shuzhi.idle import LAST_SEEN
from tests.scoring.conftest import ScoredWorld

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def scored(db) -> ScoredWorld:
    return ScoredWorld()


def _idle_for(client, seconds: int) -> None:
    """Pretend the last request was `seconds` ago."""
    session = client.session
    session[LAST_SEEN] = int(time.time()) - seconds
    session.save()


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_a_session_idle_for_31_minutes_is_logged_out(client, world):
    client.force_login(world.county_staff)
    assert client.get("/").status_code == 200
    _idle_for(client, 31 * 60)
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/dashboard/"
    assert not _logged_in(client)
    page = client.get(response["Location"]).content.decode()
    assert "30 分钟未操作" in page


def test_29_minutes_idle_is_still_logged_in(client, world):
    client.force_login(world.county_staff)
    client.get("/")
    _idle_for(client, 29 * 60)
    assert client.get("/").status_code == 200
    assert _logged_in(client)


def test_the_idle_time_is_a_setting(client, world, settings):
    settings.SESSION_IDLE_MINUTES = 5
    client.force_login(world.county_staff)
    client.get("/")
    _idle_for(client, 6 * 60)
    assert client.get("/").status_code == 302


def test_logging_in_and_later_requests_set_the_session_to_the_idle_time(client, world):
    response = client.post("/accounts/login/", {"username": "county", "password": "pw-county"})
    assert response.status_code == 302
    assert response.cookies["sessionid"]["max-age"] == 30 * 60
    assert client.session.get_expiry_age() == 30 * 60
    # a request a minute later renews the cookie for another 30 minutes
    _idle_for(client, 61)
    response = client.get("/")
    assert response.cookies["sessionid"]["max-age"] == 30 * 60
    assert int(time.time()) - client.session[LAST_SEEN] < 5


def test_the_consoles_poll_counts_as_activity(client, scored):
    client.force_login(scored.county_staff)
    console = reverse("meeting:console", args=[scored.county_session.pk])
    live = reverse("meeting:live", args=[scored.county_session.pk])
    assert client.get(console).status_code == 200
    # 25 minutes of nothing but polls, one every few minutes here (every 2 s in the browser) …
    for _ in range(5):
        _idle_for(client, 5 * 60)
        assert client.get(live, **HTMX).status_code == 200
    # … and then 29 more minutes: still logged in, since the last poll was recent
    _idle_for(client, 29 * 60)
    assert client.get(console).status_code == 200
    assert _logged_in(client)


def test_an_expired_poll_sends_the_whole_page_to_the_login(client, scored):
    client.force_login(scored.county_staff)
    console = reverse("meeting:console", args=[scored.county_session.pk])
    live = reverse("meeting:live", args=[scored.county_session.pk])
    client.get(console)
    _idle_for(client, 31 * 60)
    response = client.get(live, HTTP_HX_CURRENT_URL=f"http://testserver{console}", **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/accounts/login/?next={console}"
    assert not _logged_in(client)


def test_the_big_screen_needs_no_login_and_keeps_working(client, scored):
    token = scored.county_session.screen_token
    assert client.get(reverse("screen:show", args=[token])).status_code == 200
    assert client.get(reverse("screen:state", args=[token]), **HTMX).status_code == 200


def test_a_post_after_the_idle_time_changes_nothing(client, scored):
    client.force_login(scored.county_staff)
    client.get("/")
    _idle_for(client, 31 * 60)
    url = reverse("meeting:scoring_close", args=[scored.county_session.pk])
    response = client.post(url, {"version": 0, "confirm": "yes"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert Scheme.objects.get(session=scored.session).scoring_status == ScoringStatus.OPEN
    # the same POST from an active session closes scoring
    client.force_login(scored.county_staff)
    client.post(url, {"version": 0, "confirm": "yes"})
    assert Scheme.objects.get(session=scored.session).scoring_status == ScoringStatus.CLOSED
