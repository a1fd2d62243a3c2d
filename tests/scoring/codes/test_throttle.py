"""The code-guessing throttle: 40 failed guesses per client address in a sliding 10 minutes, counted exactly.

Failures use the allowance, codes that exist give their unit back, a valid QR token is never refused,
and every ballot stored from an address allows it one more failure.
"""

from types import SimpleNamespace

import pytest
from django.test import RequestFactory

from scoring.codes import services as codes_services
from scoring.codes import throttle
from scoring.codes.throttle_store import ThrottleCounter
from shuzhi import throttle as limits

pytestmark = pytest.mark.django_db

ALLOWANCE = throttle.GUESS_ALLOWANCE


@pytest.fixture
def clock(monkeypatch):
    now = SimpleNamespace(value=1_700_000_000.0)  # a minute boundary plus 20 s
    monkeypatch.setattr(limits, "time", SimpleNamespace(time=lambda: now.value))
    monkeypatch.setattr(throttle, "time", SimpleNamespace(time=lambda: now.value))
    return now


def _request(address="10.0.0.1", forwarded=None):
    extra = {"REMOTE_ADDR": address}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/vote/", **extra)


def _guess(request, code="WRONGCODE2"):
    """One typed guess through the throttle; returns 'found', 'unknown' or 'refused'."""
    found, minutes = throttle.code_lookup(request, code, codes_services.credential_lookup)
    return "found" if found else "refused" if minutes else "unknown"


def _fail(request, times):
    return [_guess(request, f"WRONG{i:05d}") for i in range(times)]


def test_it_allows_the_allowance_of_failures_then_refuses_for_ten_minutes(clock):
    request = _request()
    assert _fail(request, ALLOWANCE) == ["unknown"] * ALLOWANCE
    assert throttle.minutes_blocked(request) == 10
    assert _guess(request) == "refused"


def test_a_refused_guess_looks_nothing_up(clock, scored, monkeypatch):
    request = _request()
    _fail(request, ALLOWANCE)
    looked_up = []
    found, minutes = throttle.code_lookup(request, scored.leader_codes[0].short_code, looked_up.append)
    assert (found, minutes, looked_up) == (None, 10, [])


def test_the_block_lifts_as_the_failures_age(clock):
    request = _request()
    _fail(request, ALLOWANCE)
    clock.value += 4 * 60 + 30
    assert throttle.minutes_blocked(request) == 6  # their minute bucket leaves the window in 5 min 10 s
    clock.value += 5 * 60 + 10
    assert throttle.minutes_blocked(request) == 0
    assert _guess(request) == "unknown"


def test_the_window_slides_minute_by_minute(clock):
    request = _request()
    _fail(request, ALLOWANCE // 2)
    clock.value += 8 * 60
    _fail(request, ALLOWANCE // 2)
    assert throttle.minutes_blocked(request) == 2  # the first half leaves the window in 1 min 40 s
    clock.value += 2 * 60
    assert throttle.minutes_blocked(request) == 0
    assert _fail(request, ALLOWANCE // 2 + 1) == ["unknown"] * (ALLOWANCE // 2) + ["refused"]
    assert throttle.minutes_blocked(request) == 8


def test_each_client_address_is_counted_apart(clock):
    _fail(_request("10.0.0.1"), ALLOWANCE)
    assert throttle.minutes_blocked(_request("10.0.0.1")) == 10
    assert throttle.minutes_blocked(_request("10.0.0.2")) == 0


def test_an_ipv6_client_counts_by_its_64_network(clock):
    for i in range(ALLOWANCE):
        _guess(_request(f"2001:db8:1:2::{i + 1:x}"), f"WRONG{i:05d}")
    assert throttle.minutes_blocked(_request("2001:db8:1:2:ffff::1")) == 10
    assert throttle.minutes_blocked(_request("2001:db8:1:3::1")) == 0
    assert limits.address_key(_request("::ffff:10.0.0.9")) == limits.address_key(_request("10.0.0.9"))


def test_addresses_are_stored_only_as_keyed_hashes(clock):
    _fail(_request("198.51.100.23"), 1)
    (row,) = ThrottleCounter.objects.all()
    assert "198.51.100.23" not in row.key and row.n == 1
    assert row.key.startswith("guess:") and len(row.key.split(":")[1]) == 32


def test_codes_that_exist_use_none_of_the_allowance(clock, scored):
    request = _request()
    _fail(request, ALLOWANCE - 1)
    for code in scored.leader_codes + scored.delegate_codes:  # 12 valid codes, used or not
        assert _guess(request, code.short_code) == "found"
    assert _guess(request) == "unknown"
    assert _guess(request) == "refused"


def test_a_valid_token_opens_whatever_its_address_has_done(clock, scored):
    request = _request()
    _fail(request, ALLOWANCE)
    assert _guess(request, scored.leader_codes[0].short_code) == "refused"
    assert _guess(request, scored.leader_codes[0].token) == "found"


def test_an_unknown_token_counts_as_a_failure(clock):
    request = _request()
    _fail(request, ALLOWANCE - 1)
    assert _guess(request, "x" * 32) == "refused"  # looked up, unknown, and now over: 429 not 404
    assert throttle.minutes_blocked(request) == 10


def test_each_ballot_stored_from_an_address_allows_one_more_failure(clock):
    request = _request()
    _fail(request, ALLOWANCE)
    for _ in range(3):
        throttle.ballot_counted(request)
    assert _fail(request, 4) == ["unknown"] * 3 + ["refused"]


def test_expired_counters_are_pruned(clock):
    _fail(_request(), 3)
    clock.value += 10 * 60 - 20
    assert limits.counters_prune(clock.value) == 0  # still in the window
    clock.value += 60
    assert limits.counters_prune(clock.value) == 1
    assert not ThrottleCounter.objects.exists()


def test_the_counter_adds_in_one_statement_and_returns_the_new_value(django_assert_num_queries, monkeypatch):
    monkeypatch.setattr(limits, "PRUNE_ONE_IN", 1)  # prune on every write: only expired rows go
    later = int(limits.time.time()) + 3600
    with django_assert_num_queries(2):  # the addition, and here the prune
        assert limits.counter_add("t:x:1", 1, expires=later) == 1
    assert limits.counter_add("t:x:1", 5, expires=later - 60) == 6
    assert limits.counter_add("t:x:1", -2, expires=later + 60) == 4
    assert ThrottleCounter.objects.get(key="t:x:1").expires == later + 60  # the later expiry wins
    monkeypatch.setattr(limits, "PRUNE_ONE_IN", 10**9)
    with django_assert_num_queries(1):
        assert limits.counter_add("t:x:1", 1, expires=later) == 5
