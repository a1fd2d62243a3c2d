from django.conf import settings
from django.http import Http404
from django.utils import translation
from django.views.defaults import page_not_found


class ChineseFirstLocaleMiddleware:
    """Chinese unless the user picked another language (the language cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, and meeting-room
    tablets and borrowed laptops often say English; the review is held in Chinese.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class AuditorReadOnlyMiddleware:
    """An account whose only role is the auditor's (审计员) sends no write to any page, whatever the view.

    The admin, staff_required and the services refuse it too; this catches a view that forgot. Logging in and
    out, changing one's own password and the language stay open.
    """

    SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
    OPEN_PATHS = ("/accounts/login/", "/accounts/logout/", "/accounts/password_change/", "/i18n/")
    OPEN_ADMIN_PATHS = ("/admin/login/", "/admin/logout/", "/admin/password_change/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.core.exceptions import PermissionDenied
        from django.utils.translation import gettext as _

        from reviews.scope import is_auditor_only

        path = request.path_info
        if (
            request.method not in self.SAFE_METHODS
            and not path.startswith(self.OPEN_PATHS + self.OPEN_ADMIN_PATHS)
            and is_auditor_only(getattr(request, "user", None))
        ):
            raise PermissionDenied(_("An auditor account reads the audit log and changes nothing."))
        return self.get_response(request)


class ChineseNotFoundMiddleware:
    """A view's 404 shows the Chinese "page not found" page in DEBUG too.

    Without DEBUG Django renders templates/404.html already; with DEBUG (the default `make run`) it shows
    its English technical page, which staff trying the demo took for a crash. Only a view's Http404 is
    turned: an unknown address keeps Django's technical page in DEBUG, which lists the URL patterns
    (a developer's aid), and a catch-all route would defeat APPEND_SLASH.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None
