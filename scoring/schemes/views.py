"""Staff pages for a session's scheme: the default, a copy, the editor."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from reviews.cycles.models import Session
from reviews.scope import restrict, staff_required
from scoring.errors import ScoringError
from scoring.schemes import services
from scoring.schemes.forms import SchemeCopyForm, scheme_forms
from scoring.schemes.models import Scheme
from scoring.staff import no_scheme, session_in_scope, to_session


def copy_sources(request: HttpRequest, session: Session):
    return (
        restrict(Session.objects.filter(scheme__isnull=False), request.user, via="host")
        .exclude(pk=session.pk)
        .order_by("-date", "title")
    )


@staff_required
@require_POST
def scheme_default(request: HttpRequest, session_id: int) -> HttpResponse:
    session = session_in_scope(request, session_id)
    if Scheme.objects.filter(session=session).exists():
        messages.error(request, _("This session already has a scoring scheme."))
    else:
        services.scheme_create_default(actor=request.user, session=session)
        messages.success(request, _("The default scoring scheme has been set up. Check it before scoring."))
    return to_session(session)


@staff_required
@require_POST
def scheme_copy(request: HttpRequest, session_id: int) -> HttpResponse:
    session = session_in_scope(request, session_id)
    form = SchemeCopyForm(request.POST, sessions=copy_sources(request, session))
    if not form.is_valid():
        messages.error(request, _("Choose a session whose scoring scheme to copy."))
        return to_session(session)
    source = form.cleaned_data["source"]
    try:
        services.scheme_copy(actor=request.user, source=source.scheme, session=session)
    except ScoringError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("The scoring scheme of %(title)s has been copied.") % {"title": source.title}
        )
    return to_session(session)


# ---------------------------------------------------------------------------------------------------
# 2. Scheme


@staff_required
@require_http_methods(["GET", "POST"])
def scheme_edit(request: HttpRequest, session_id: int) -> HttpResponse:
    session = session_in_scope(request, session_id)
    scheme = Scheme.objects.filter(session=session).first()
    if scheme is None:
        return no_scheme(request, session)
    scheme.session = session
    refusal = ""
    if request.method == "POST" and scheme.is_locked:
        messages.error(request, _locked_message())
        return redirect("scoring:scheme", session.pk)
    if request.method == "POST":
        settings, groups, criteria, components = scheme_forms(scheme, request.POST)
        if all(f.is_valid() for f in (settings, groups, criteria, components)):
            try:
                services.scheme_update(
                    actor=request.user,
                    scheme=settings.instance,
                    groups=groups.rows(),
                    criteria=criteria.rows(),
                    components=components.rows(),
                )
            except ScoringError as error:
                refusal = error.message
            else:
                messages.success(request, _("The scoring scheme has been saved."))
                return redirect("scoring:scheme", session.pk)
        else:
            refusal = _("Please correct the errors below; nothing has been saved.")
    else:
        settings, groups, criteria, components = scheme_forms(scheme, read_only=scheme.is_locked)
    context = {
        "session": session,
        "scheme": scheme,
        "tab": "scheme",
        "settings_form": settings,
        "formsets": [
            (_("Evaluator groups"), groups),
            (_("Evaluation items"), criteria),
            (_("Composite components"), components),
        ],
        "refusal": refusal,
        "locked_message": _locked_message() if scheme.is_locked else "",
    }
    return render(request, "scoring/schemes/scheme.html", context)


def _locked_message() -> str:
    # The service's own sentence (scheme_ensure_editable), so the page and the refusal agree.
    return _("The scoring scheme is locked once scoring opens; it can no longer be changed.")
