"""Slow down code guessing: at most MAX_FAILURES unknown codes per client address in a sliding window.

Kept in Django's cache. The default local-memory cache is per process: with several workers the
limit applies per worker (a shared cache such as the database cache makes it exact). A short code has
≈ 49.5 bits, so even that looser limit leaves guessing hopeless; the throttle keeps it so.
"""

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

MAX_FAILURES = 10
WINDOW_SECONDS = 10 * 60
_PREFIX = "shuzhi:vote-failures:"


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the address our own reverse proxy saw when the site runs behind one.

    The proxy appends the peer it saw to X-Forwarded-For: the last entry is the only one a client
    cannot forge.
    """
    if _behind_proxy():
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR", "")


def _behind_proxy() -> bool:
    # BEHIND_HTTPS_PROXY is the environment switch that also sets SECURE_PROXY_SSL_HEADER.
    return getattr(settings, "BEHIND_HTTPS_PROXY", settings.SECURE_PROXY_SSL_HEADER is not None)


def _key(request: HttpRequest) -> str:
    return _PREFIX + client_address(request)


def _recent(request: HttpRequest, now: float) -> list[float]:
    return [t for t in cache.get(_key(request), []) if t > now - WINDOW_SECONDS]


def minutes_blocked(request: HttpRequest) -> int:
    """0 when this client may look a code up; otherwise the minutes (rounded up) until it may again."""
    now = time.time()
    failures = _recent(request, now)
    if len(failures) < MAX_FAILURES:
        return 0
    return max(1, math.ceil((failures[-MAX_FAILURES] + WINDOW_SECONDS - now) / 60))


def record_failure(request: HttpRequest) -> None:
    now = time.time()
    failures = [*_recent(request, now), now][-MAX_FAILURES:]
    cache.set(_key(request), failures, WINDOW_SECONDS)
