"""Login throttling on /accounts/login/ and /admin/login/, through django-axes.

Two limits, counted over failed logins that are at most LOGIN_LOCKOUT_MINUTES old: one account
(LOGIN_FAILURES_PER_ACCOUNT, whatever the address) and one client address (LOGIN_FAILURES_PER_ADDRESS,
whatever the account). Axes keeps the failures in its own table, so every app server sees the same
counts; it compares one number with one limit, so `TwoLimitHandler` reports how many of the two
limits are reached and AXES_FAILURE_LIMIT is 1. The client address is `shuzhi.client.client_address`
(TRUSTED_PROXY_COUNT), the same as the ballot's code-guessing throttle.

A refused attempt gets `lockout_response` (a Chinese page, status 429) even with the right password,
and the start of each lockout is written to the audit log against the account's organisation.
"""

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Sum
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from shuzhi.errors import too_many_requests

_AUDITED = "shuzhi:login-lockout-audited:"


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses a locked-out login before any password is checked (first in AUTHENTICATION_BACKENDS).

    Both login pages pass the request. A call without one is not a web login (a management command,
    the test client's login()): axes would raise; there is no client to throttle, so it passes on.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class TwoLimitHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per account and another per address."""

    def get_failures(self, request, credentials=None) -> int:
        by_account, by_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        request.shuzhi_login_failures = {"account": by_account, "address": by_address}
        return int(by_account >= settings.LOGIN_FAILURES_PER_ACCOUNT) + int(
            by_address >= settings.LOGIN_FAILURES_PER_ADDRESS
        )


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The page a refused login gets, whichever login page it came from."""
    message = _(
        "Too many failed logins for this account or from this address. Logging in is refused for "
        "%(minutes)s minutes; try again later or ask the system administrator to unlock it."
    ) % {"minutes": settings.LOGIN_LOCKOUT_MINUTES}
    return too_many_requests(request, message)


@receiver(user_locked_out, dispatch_uid="shuzhi-audit-lockout")
def audit_lockout(sender, request, username, ip_address, **kwargs) -> None:
    """One audit event per lockout of an account from an address (not one per refused attempt)."""
    key = f"{_AUDITED}{username or ''}:{ip_address or ''}"
    if not cache.add(key, True, settings.LOGIN_LOCKOUT_MINUTES * 60):
        return
    from reviews.audit import services as audit  # reviews' models load after this module's app

    user = get_user_model().objects.filter(username=username).select_related("staff_profile").first()
    profile = getattr(user, "staff_profile", None) if user is not None else None
    failures = getattr(request, "shuzhi_login_failures", {})
    audit.record(
        actor=None,
        action="login.lockout",
        obj=user if user is not None else get_user_model()(username=(username or "")[:150]),
        organisation=profile.organisation if profile is not None else None,
        changes={
            "username": username or "",
            "address": ip_address or "",
            "path": request.path,
            "failures_for_account": failures.get("account"),
            "failures_from_address": failures.get("address"),
        },
    )
