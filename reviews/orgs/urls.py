"""Staff helpers for picking organisations."""

from django.urls import path

from reviews.orgs import views

app_name = "orgs"

urlpatterns = [
    path("search/", views.search, name="search"),
]
