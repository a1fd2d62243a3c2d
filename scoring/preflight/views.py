"""会前检查: one page per session that staff open the day before the meeting."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from reviews.scope import staff_required
from scoring.preflight import selectors
from scoring.staff import scheme_of, session_in_scope


@staff_required
@require_GET
@never_cache
def preflight(request: HttpRequest, session_id: int) -> HttpResponse:
    session = session_in_scope(request, session_id)
    scheme = scheme_of(session)
    checks = selectors.preflight_checks(session, scheme, request.build_absolute_uri("/"))
    context = {
        "session": session,
        "scheme": scheme,
        "tab": "preflight",
        "checks": checks,
        "overall": selectors.worst(checks),
        "server_ms": int(timezone.now().timestamp() * 1000),
    }
    return render(request, "scoring/preflight/preflight.html", context)
