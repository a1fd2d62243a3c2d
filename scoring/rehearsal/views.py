"""Start and clear a rehearsal (模拟演练) from the session's scoring overview."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reviews.scope import staff_required
from scoring.errors import ScoringError
from scoring.rehearsal import services
from scoring.staff import session_in_scope, to_session


@staff_required
@require_POST
def start(request: HttpRequest, session_id: int) -> HttpResponse:
    session = session_in_scope(request, session_id)
    try:
        services.rehearsal_start(actor=request.user, session=session)
    except ScoringError as error:
        messages.error(request, error.message)
    else:
        messages.warning(
            request,
            _(
                "Rehearsal started. Issue rehearsal codes, score, drive the console and the screen; "
                "clear it when done."
            ),
        )
    return to_session(session)


@staff_required
@require_POST
def clear(request: HttpRequest, session_id: int) -> HttpResponse:
    session = session_in_scope(request, session_id)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that the rehearsal's data should be deleted."))
        return to_session(session)
    try:
        counts = services.rehearsal_clear(actor=request.user, session=session)
    except ScoringError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _(
                "Rehearsal cleared: %(codes)s rehearsal codes, %(ballots)s ballots and %(paper)s "
                "paper ballots deleted. The session is as it was before."
            )
            % counts,
        )
    return to_session(session)
