"""The organisation search behind every organisation picker: the user's subtree only, 20 matches."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from reviews.orgs.forms import OrganisationSearchInput
from reviews.orgs.selectors import organisation_search
from reviews.scope import staff_required, visible_organisations


def _typed(request: HttpRequest) -> str:
    """`?q=`, or the picker's own text box (htmx sends it under its field's name + "_text")."""
    if "q" in request.GET:
        return request.GET["q"]
    suffix = OrganisationSearchInput.TEXT_SUFFIX
    return next((value for key, value in request.GET.items() if key.endswith(suffix)), "")


@staff_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    text = _typed(request)[:60]
    matches = organisation_search(visible_organisations(request.user), text)
    if request.headers.get("HX-Request"):
        return render(request, "reviews/orgs/_org_matches.html", {"matches": matches, "text": text.strip()})
    return JsonResponse(
        {"results": [{"id": m.pk, "name": m.name, "code": m.code, "trail": m.trail} for m in matches]}
    )
