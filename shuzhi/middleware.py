from django.conf import settings
from django.utils import translation


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
