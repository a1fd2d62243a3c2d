"""Code guessing is throttled: 10 unknown codes per client address in a sliding 10-minute window."""

from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from scoring.codes import throttle


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clock(monkeypatch):
    now = SimpleNamespace(value=1_700_000_000.0)
    monkeypatch.setattr(throttle, "time", SimpleNamespace(time=lambda: now.value))
    return now


def _request(address="10.0.0.1", forwarded=None):
    extra = {"REMOTE_ADDR": address}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/vote/", **extra)


def _fail(request, times):
    for _ in range(times):
        throttle.record_failure(request)


def test_it_allows_ten_failures_then_blocks_for_ten_minutes(clock):
    request = _request()
    _fail(request, 9)
    assert throttle.minutes_blocked(request) == 0
    _fail(request, 1)
    assert throttle.minutes_blocked(request) == 10


def test_the_block_lifts_as_the_failures_age(clock):
    request = _request()
    _fail(request, 10)
    clock.value += 4 * 60 + 30
    assert throttle.minutes_blocked(request) == 6  # 5 min 30 s left, rounded up
    clock.value += 5 * 60 + 31
    assert throttle.minutes_blocked(request) == 0


def test_the_window_slides_with_each_failure(clock):
    request = _request()
    _fail(request, 5)
    clock.value += 8 * 60
    _fail(request, 5)
    assert throttle.minutes_blocked(request) == 2  # the first five expire in 2 minutes
    clock.value += 2 * 60 + 1
    assert throttle.minutes_blocked(request) == 0
    _fail(request, 5)
    assert throttle.minutes_blocked(request) == 8


def test_each_client_address_is_counted_apart(clock):
    _fail(_request("10.0.0.1"), 10)
    assert throttle.minutes_blocked(_request("10.0.0.1")) == 10
    assert throttle.minutes_blocked(_request("10.0.0.2")) == 0


def test_forwarded_addresses_are_ignored_unless_behind_the_proxy(settings, clock):
    settings.BEHIND_HTTPS_PROXY = False
    _fail(_request("10.0.0.1", forwarded="192.0.2.1"), 5)
    _fail(_request("10.0.0.1", forwarded="192.0.2.2"), 5)
    assert throttle.client_address(_request("10.0.0.1", forwarded="192.0.2.3")) == "10.0.0.1"
    assert throttle.minutes_blocked(_request("10.0.0.1", forwarded="192.0.2.3")) == 10


def test_behind_the_proxy_the_address_it_saw_counts(settings, clock):
    settings.BEHIND_HTTPS_PROXY = True
    proxy = "127.0.0.1"
    assert throttle.client_address(_request(proxy, forwarded="192.0.2.9")) == "192.0.2.9"
    # A client cannot escape by forging the first hop: the proxy appends the address it saw.
    for forged in range(10):
        throttle.record_failure(_request(proxy, forwarded=f"203.0.113.{forged}, 192.0.2.9"))
    assert throttle.minutes_blocked(_request(proxy, forwarded="192.0.2.9")) == 10
    assert throttle.minutes_blocked(_request(proxy, forwarded="192.0.2.10")) == 0
    assert throttle.client_address(_request(proxy)) == proxy


def test_without_the_setting_the_proxy_header_setting_decides(settings):
    if hasattr(settings, "BEHIND_HTTPS_PROXY"):
        del settings.BEHIND_HTTPS_PROXY
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert throttle.client_address(_request("127.0.0.1", forwarded="192.0.2.9")) == "192.0.2.9"
    settings.SECURE_PROXY_SSL_HEADER = None
    assert throttle.client_address(_request("127.0.0.1", forwarded="192.0.2.9")) == "127.0.0.1"
