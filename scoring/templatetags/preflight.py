"""{% site_url_warning %}: a warning where codes are issued when SITE_URL is not the address in use."""

from django import template
from django.conf import settings

from scoring.preflight.selectors import site_url_differs

register = template.Library()


@register.inclusion_tag("scoring/preflight/_site_url_warning.html", takes_context=True)
def site_url_warning(context) -> dict:
    request = context.get("request")
    opened_on = request.build_absolute_uri("/").rstrip("/") if request is not None else ""
    differs = bool(opened_on) and site_url_differs(opened_on)
    return {"differs": differs, "site_url": settings.SITE_URL, "opened_on": opened_on}
