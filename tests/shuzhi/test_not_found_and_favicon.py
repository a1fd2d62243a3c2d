"""The Chinese 404 page also in DEBUG (for a view's 404), and the favicon."""

import pytest
from django.test import override_settings
from django.urls import reverse

from reviews.cycles.models import Session


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_a_views_404_shows_the_chinese_page_in_debug(client, world):
    client.force_login(world.county_staff)
    response = client.get(reverse("scoring:results", args=[Session.objects.order_by("-pk").first().pk + 100]))
    html = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在" in html and "Using the URLconf" not in html and "Page not found at" not in html


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_without_debug_the_chinese_page_is_shown_as_before(client, world):
    client.force_login(world.county_staff)
    response = client.get(reverse("scoring:results", args=[Session.objects.order_by("-pk").first().pk + 100]))
    assert response.status_code == 404 and "页面不存在" in response.content.decode()


@pytest.mark.django_db
def test_every_base_page_links_the_favicon_and_favicon_ico_leads_to_it(client, world):
    client.force_login(world.county_staff)
    html = client.get(reverse("home")).content.decode()
    assert 'rel="icon"' in html and "img/favicon.svg" in html
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("img/favicon.svg")
