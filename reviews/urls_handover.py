"""Hand-over after a session: per organisation, review the problems and issue the notice; notices PDF."""

from django.urls import path  # noqa: F401

app_name = "handover"

urlpatterns: list = []
