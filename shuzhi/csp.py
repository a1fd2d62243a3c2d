"""Content-Security-Policy on every response.

Scripts come only from our own static files (htmx and Bootstrap are vendored under static/): no
inline script and no inline event handler anywhere, so the ballot page and the big screen run
nothing a stored value could inject. A template that really needs an inline <script> writes
`<script nonce="{{ csp_nonce }}">`; the nonce is made per request and appears in the header only
when a page used it. Styles may be inline (many templates, the admin and the static 500 page carry
style blocks and attributes); a style cannot run script.

A small middleware rather than django-csp: the policy is one fixed string for the whole site, and
Django 6.0 brings the same thing built in (SECURE_CSP, request.csp_nonce) to switch to later.
"""

import secrets

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _header(nonce: str | None) -> str:
    directives = dict(POLICY)
    if nonce:
        directives["script-src"] += f" 'nonce-{nonce}'"
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        made = []

        def make_nonce() -> str:
            made.append(secrets.token_urlsafe(16))
            return made[0]

        request.csp_nonce = SimpleLazyObject(make_nonce)
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", _header(made[0] if made else None))
        return response


def nonce(request: HttpRequest) -> dict:
    """Template context: {{ csp_nonce }} for the rare inline <script>."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
