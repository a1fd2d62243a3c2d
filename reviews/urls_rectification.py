"""Rectification: the secretary's items, staff follow-up (verify, return, extend), the ledger, 回头看."""

from django.urls import path  # noqa: F401

app_name = "rectification"

urlpatterns: list = []
