from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A page a delegate understands: usually the page sat open too long or cookies are off."""
    return render(request, "csrf_failure.html", {"back": request.path}, status=403)
