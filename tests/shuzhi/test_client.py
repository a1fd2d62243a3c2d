"""The client's address for throttles: the peer, or what our own proxies appended; never its own claim."""

import os
import subprocess
import sys

import pytest
from django.test import RequestFactory

from shuzhi.client import client_address


def _request(peer: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_a_trusted_proxy_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(_request("203.0.113.5", "192.0.2.1")) == "203.0.113.5"
    assert client_address(_request("203.0.113.5", "192.0.2.1, 192.0.2.2")) == "203.0.113.5"


def test_behind_one_proxy_the_entry_it_appended_counts_and_forged_ones_do_not(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # nginx with $proxy_add_x_forwarded_for: whatever the client sent, then the peer nginx saw.
    assert client_address(_request("127.0.0.1", "203.0.113.5")) == "203.0.113.5"
    assert client_address(_request("127.0.0.1", "192.0.2.1, 203.0.113.5")) == "203.0.113.5"
    assert client_address(_request("127.0.0.1", "  10.0.0.1 ,192.0.2.1 , 203.0.113.5 ")) == "203.0.113.5"


def test_behind_two_proxies_the_entry_the_outer_one_appended_counts(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    # client forged 192.0.2.1; the outer proxy appended the client, the inner one the outer proxy.
    assert client_address(_request("10.0.0.3", "192.0.2.1, 203.0.113.5, 10.0.0.2")) == "203.0.113.5"


@pytest.mark.parametrize("forwarded", [None, "", " , "])
def test_with_fewer_entries_than_proxies_the_peer_is_used(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(_request("127.0.0.1", forwarded)) == "127.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_address(_request("127.0.0.1", "203.0.113.5")) == "127.0.0.1"


def _setting_with(environment: dict) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("TRUSTED_PROXY_COUNT", "BEHIND_HTTPS_PROXY")}
    code = "from django.conf import settings; print(settings.TRUSTED_PROXY_COUNT)"
    run = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "shuzhi.settings", **environment},
        capture_output=True,
        text=True,
        check=True,
    )
    return run.stdout.strip()


def test_the_setting_defaults_to_one_proxy_behind_https_and_none_otherwise():
    assert _setting_with({"BEHIND_HTTPS_PROXY": "true"}) == "1"
    assert _setting_with({"BEHIND_HTTPS_PROXY": "false"}) == "0"
    assert _setting_with({"BEHIND_HTTPS_PROXY": "true", "TRUSTED_PROXY_COUNT": "2"}) == "2"
