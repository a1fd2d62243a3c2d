"""Helpers shared by the staff pages of a session's scoring: the session in the user's scope, its scheme."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from reviews.cycles.models import Session
from reviews.scope import get_visible_or_404
from scoring.schemes.models import Scheme


def session_in_scope(request: HttpRequest, session_id: int) -> Session:
    return get_visible_or_404(
        Session.objects.select_related("host", "cycle"), request.user, via="host", pk=session_id
    )


def scheme_of(session: Session) -> Scheme | None:
    scheme = (
        Scheme.objects.filter(session=session).prefetch_related("groups", "criteria", "components").first()
    )
    if scheme is not None:
        scheme.session = session
    return scheme


def to_session(session: Session) -> HttpResponse:
    return redirect("scoring:session", session.pk)


def no_scheme(request: HttpRequest, session: Session) -> HttpResponse:
    messages.info(request, _("This session has no scoring scheme yet. Set one up first."))
    return to_session(session)
