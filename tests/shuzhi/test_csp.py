"""Content-Security-Policy on every surface; no inline script anywhere in the templates."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from shuzhi.csp import ContentSecurityPolicyMiddleware
from tests.scoring.conftest import ScoredWorld

EXPECTED = [
    "default-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def scored(db) -> ScoredWorld:
    return ScoredWorld()


def _directives(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def _assert_strict(response) -> None:
    directives = _directives(response)
    for expected in EXPECTED:
        name, value = expected.split(" ", 1)
        assert directives[name].split()[0] == value, (name, directives[name])
    assert "unsafe-inline" not in directives["script-src"]
    assert "unsafe-eval" not in directives["script-src"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def _assert_no_inline_script(response) -> None:
    html = response.content.decode()
    assert INLINE_SCRIPT.findall(html) == []
    assert INLINE_HANDLER.findall(html) == []


def test_the_staff_pages_have_the_policy(client, scored):
    client.force_login(scored.county_staff)
    for url in ("/", "/dashboard/", reverse("meeting:console", args=[scored.session.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_strict(response)
        _assert_no_inline_script(response)


def test_the_ballot_page_has_the_policy_and_no_inline_script(client, scored):
    for url in (reverse("vote:entry"), reverse("vote:ballot", args=[scored.leader_codes[0].token])):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_strict(response)
        _assert_no_inline_script(response)
        assert "nonce-" not in response["Content-Security-Policy"]


def test_the_big_screen_has_the_policy_and_no_inline_script(client, scored):
    token = scored.session.screen_token
    for url in (reverse("screen:show", args=[token]), reverse("screen:state", args=[token])):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_strict(response)
        _assert_no_inline_script(response)


def test_the_admin_has_the_policy(client, world):
    response = client.get("/admin/login/")
    _assert_strict(response)
    client.force_login(world.superuser)
    for url in (
        "/admin/",
        "/admin/reviews/organisation/",
        f"/admin/reviews/organisation/{world.shijia.pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_strict(response)
        _assert_no_inline_script(response)


def test_the_login_page_and_error_pages_have_the_policy(client, db):
    _assert_strict(client.get("/accounts/login/"))
    _assert_strict(client.get("/no-such-page/"))


def test_a_page_that_uses_the_nonce_gets_it_in_the_header():
    def view(request):
        html = Template('<script nonce="{{ csp_nonce }}">1</script>').render(
            Context({"csp_nonce": request.csp_nonce})
        )
        return HttpResponse(html)

    response = ContentSecurityPolicyMiddleware(view)(RequestFactory().get("/"))
    nonce = re.search(r'nonce="([^"]+)"', response.content.decode()).group(1)
    assert len(nonce) >= 16
    assert f"'nonce-{nonce}'" in _directives(response)["script-src"]
    again = ContentSecurityPolicyMiddleware(view)(RequestFactory().get("/"))
    assert f"'nonce-{nonce}'" not in again["Content-Security-Policy"]


def test_no_template_has_an_inline_script_without_a_nonce_or_an_inline_handler():
    offenders = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for tag in INLINE_SCRIPT.findall(text):
            if "csp_nonce" not in tag:
                offenders.append(f"{path}: {tag}")
        offenders += [f"{path}: {m}" for m in INLINE_HANDLER.findall(text)]
    assert offenders == []
