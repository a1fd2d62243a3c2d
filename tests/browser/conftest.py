"""Browser tests: marked `browser`; Chromium itself (`browser`, `new_page`) is in tests/conftest.py, one
Playwright for the whole run (tests/deploy drives it too, and a second sync Playwright refuses to start)."""

import os

# Playwright's sync API runs an event loop in this thread; Django's ORM would refuse to run beside it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from pathlib import Path

import pytest
from django.core.cache import cache

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()
