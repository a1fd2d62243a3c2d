"""The pre-flight check's page, mounted under the session's scoring pages (scoring/urls.py)."""

from django.urls import path

from scoring.preflight import views

urlpatterns: list = [
    path("<int:session_id>/preflight/", views.preflight, name="preflight"),
]
