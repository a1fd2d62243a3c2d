"""Chromium through Playwright's sync API (no pytest-playwright): Debian's /usr/bin/chromium, no download."""

import os

# Playwright's sync API runs an event loop in this thread; Django's ORM would refuse to run beside it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from pathlib import Path

import pytest
from django.core.cache import cache

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN", "device_scale_factor": 2}
HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def new_page(browser):
    """Open a page in a fresh context (own cookies and localStorage); phone-sized unless told otherwise.

    Every page fails its test if Chromium reports a Content-Security-Policy violation (shuzhi/csp.py).
    """
    contexts = []
    violations = []

    def open_page(**options):
        context = browser.new_context(**{**PHONE, **options})
        context.set_default_timeout(5000)
        contexts.append(context)
        opened = context.new_page()
        opened.on(
            "console",
            lambda message: (
                violations.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        return opened

    yield open_page
    for context in contexts:
        context.close()
    assert violations == [], violations


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()
