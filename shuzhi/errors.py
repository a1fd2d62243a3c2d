"""Error pages in Chinese when DEBUG is off (400, 413 and 429 here; 403, 404 and 500 are Django's
default views over templates/403.html, 404.html and 500.html).

Django answers a request body over DATA_UPLOAD_MAX_MEMORY_SIZE, or more fields than
DATA_UPLOAD_MAX_NUMBER_FIELDS / files than DATA_UPLOAD_MAX_NUMBER_FILES, with its 400 handler and an
English "Bad Request (400)". `bad_request` tells the user which of them happened: a body too large
is a 413.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
        message = _(
            "The data sent is larger than the %(limit)s MB this page accepts. Send less at once, "
            "or upload large files through the page's file field."
        ) % {"limit": f"{limit_mb:g}"}
        return render(request, "413.html", {"message": message}, status=413)
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        message = _("The form sent has more fields or files than this page accepts. Send it in parts.")
    else:
        message = _("The request could not be understood. Reload the page and try again.")
    return render(request, "400.html", {"message": message}, status=400)


@requires_csrf_token
def too_many_requests(request: HttpRequest, message: str = "") -> HttpResponse:
    """The 429 page, for throttles (login, codes) that refuse a request."""
    return render(request, "429.html", {"message": message}, status=429)
