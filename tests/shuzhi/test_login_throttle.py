"""Login throttling: 5 failures for an account or 20 from an address in 15 minutes, on both login pages."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from reviews.audit.models import AuditEvent

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
REFUSED = "登录失败次数过多"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _login(client, username: str, password: str, path: str = LOGIN, address: str = "10.0.0.7", **extra):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_a_hundred_wrong_passwords_then_the_right_one_is_refused(client, world):
    statuses = [_login(client, "shijia", f"wrong-{n}").status_code for n in range(100)]
    assert statuses[:5] == [200, 200, 200, 200, 429]
    assert set(statuses[5:]) == {429}
    response = _login(client, "shijia", "pw-shijia")
    assert response.status_code == 429
    assert REFUSED in response.content.decode()
    assert not _logged_in(client)


def test_four_failures_leave_the_account_open(client, world):
    for n in range(4):
        _login(client, "shijia", f"wrong-{n}")
    response = _login(client, "shijia", "pw-shijia")
    assert response.status_code == 302
    assert _logged_in(client)


def test_the_account_is_locked_whatever_address_the_attempts_come_from(client, world):
    for n in range(5):
        _login(client, "shijia", "wrong", address=f"10.0.1.{n}")
    response = _login(client, "shijia", "pw-shijia", address="10.0.2.1")
    assert response.status_code == 429
    assert not _logged_in(client)


def test_the_admin_login_is_throttled_too(client, world):
    for _ in range(5):
        _login(client, "county", "wrong", path=ADMIN_LOGIN)
    response = _login(client, "county", "pw-county", path=ADMIN_LOGIN)
    assert response.status_code == 429
    assert REFUSED in response.content.decode()
    # and the lock is the same on the other login page
    assert _login(client, "county", "pw-county").status_code == 429


def test_twenty_failures_from_one_address_lock_the_address_for_every_account(client, world):
    for n in range(20):
        _login(client, f"nobody-{n}", "wrong", address="10.0.0.9")
    assert _login(client, "county", "pw-county", address="10.0.0.9").status_code == 429
    # another address (and the accounts themselves) are not locked
    assert _login(client, "county", "pw-county", address="10.0.0.10").status_code == 302


def test_nineteen_failures_from_one_address_do_not_lock_it(client, world):
    for n in range(19):
        _login(client, f"nobody-{n}", "wrong", address="10.0.0.9")
    assert _login(client, "county", "pw-county", address="10.0.0.9").status_code == 302


def test_the_address_is_the_trusted_proxys_view_not_the_clients_claim(client, world, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(20):
        # the attacker sends a different forged address each time; nginx appends the real one
        _login(
            client, f"nobody-{n}", "wrong", address="127.0.0.1", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 10.9.9.9"
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.9.9.9"}
    response = _login(client, "county", "pw-county", address="127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert response.status_code == 429


def test_the_lock_ends_after_fifteen_minutes(client, world):
    for _ in range(5):
        _login(client, "shijia", "wrong")
    assert _login(client, "shijia", "pw-shijia").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    assert _login(client, "shijia", "pw-shijia").status_code == 302


def test_refused_attempts_do_not_prolong_the_lock(client, world):
    for _ in range(5):
        _login(client, "shijia", "wrong")
    for _ in range(10):
        _login(client, "shijia", "wrong")
    assert AccessAttempt.objects.get().failures_since_start == 5


def test_a_lockout_is_audited_once_with_the_accounts_organisation(client, world):
    for n in range(30):
        _login(client, "shijia", f"wrong-{n}")
    events = list(AuditEvent.objects.filter(action="login.lockout"))
    assert len(events) == 1
    event = events[0]
    assert event.organisation == world.shijia
    assert event.object_id == str(User.objects.get(username="shijia").pk)
    assert event.changes["address"] == "10.0.0.7"
    assert event.changes["failures_for_account"] == 5
    assert event.changes["path"] == LOGIN


def test_a_lockout_of_an_unknown_account_is_audited_without_organisation(client, world):
    for n in range(5):
        _login(client, "ghost", f"wrong-{n}")
    event = AuditEvent.objects.get(action="login.lockout")
    assert event.organisation is None
    assert event.object_repr == "ghost"


def test_the_refusal_page_is_chinese_and_says_how_long(client, world, settings):
    for _ in range(5):
        _login(client, "shijia", "wrong")
    page = _login(client, "shijia", "pw-shijia").content.decode()
    assert "15 分钟内拒绝登录" in page
    assert "尝试次数过多" in page


def test_a_logged_in_user_is_not_affected_by_someone_elses_lockout(client, world):
    client.force_login(world.county_staff)
    other = client.__class__()
    for _ in range(5):
        _login(other, "county", "wrong")
    assert client.get(reverse("home")).status_code == 200
