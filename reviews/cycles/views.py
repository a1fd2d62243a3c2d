from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from reviews.cycles import selectors
from reviews.cycles.models import Cycle, Session
from reviews.scope import restrict


@login_required
def home(request: HttpRequest) -> HttpResponse:
    sessions = (
        restrict(Session.objects.all(), request.user, via="host")
        .select_related("host", "cycle")
        .annotate(reporter_count=Count("reports"))
        .order_by("-date")[:20]
    )
    # Closed cycles stay listed: their rectification goes on long after the meetings.
    cycles = Cycle.objects.order_by("-year", "name")[:6]
    today = timezone.localdate()
    person = getattr(request.user, "person", None)
    context = {
        "cycles": cycles,
        "sessions": sessions if request.user.is_staff else [],
        "tasks": selectors.secretary_tasks(request.user, today) if person else None,
        "inbox": selectors.staff_inbox(request.user, today) if request.user.is_staff else None,
        "today": today,
    }
    return render(request, "home.html", context)
