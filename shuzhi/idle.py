"""Log out a session left idle for SESSION_IDLE_MINUTES (default 30).

Every request of a logged-in user counts as activity, polls included: the host console asks for its
live state every 2 s (htmx), so a console left open stays logged in, and one closed for half an hour
is logged out. The big screen reads its state through its own unguessable address and needs no login.

The last activity is kept in the session and written at most once a minute, so a polling console
does not write its session row on every poll. The session's own expiry (cookie and database row) is
set to the same idle time, so an abandoned session also disappears with `clearsessions`.
"""

import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

LAST_SEEN = "shuzhi_last_seen"
WRITE_EVERY = 60  # seconds between two writes of the last activity


@receiver(user_logged_in, dispatch_uid="shuzhi-idle-login")
def start_idle_clock(sender, request, user, **kwargs) -> None:
    """Logging in is activity: the session is saved with it, so the next request need not write."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN] = int(time.time())
        request.session.set_expiry(settings.SESSION_IDLE_MINUTES * 60)


class IdleLogoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            idle = settings.SESSION_IDLE_MINUTES * 60
            last_seen = request.session.get(LAST_SEEN)
            if last_seen is not None and now - last_seen > idle:
                return self._logged_out(request)
            if last_seen is None or now - last_seen >= WRITE_EVERY:
                request.session[LAST_SEEN] = now
                request.session.set_expiry(idle)
        return self.get_response(request)

    def _logged_out(self, request: HttpRequest) -> HttpResponse:
        logout(request)
        messages.info(
            request,
            _("You were logged out after %(minutes)s minutes without activity. Please log in again.")
            % {"minutes": settings.SESSION_IDLE_MINUTES},
        )
        if request.headers.get("HX-Request") == "true":
            # A poll or a click inside the page: the whole page goes to the login, not a fragment.
            current = urlsplit(request.headers.get("HX-Current-URL", ""))
            back = current.path + (f"?{current.query}" if current.query else "") or "/"
            return HttpResponseClientRedirect(redirect_to_login(back).url)
        return redirect_to_login(request.get_full_path() if request.method == "GET" else request.path)
