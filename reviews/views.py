from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import Cycle, Session
from .scope import restrict


@login_required
def home(request: HttpRequest) -> HttpResponse:
    sessions = (
        restrict(Session.objects.all(), request.user, via="host")
        .select_related("host", "cycle")
        .annotate(reporter_count=Count("reports"))
        .order_by("-date")[:20]
    )
    cycles = Cycle.objects.filter(is_open=True)
    return render(request, "home.html", {"cycles": cycles, "sessions": sessions})
