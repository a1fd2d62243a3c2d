"""Scoring codes in the admin: read-only."""

from django.contrib import admin

from reviews.scope import ReadOnlyScopedAdmin
from scoring.codes.models import Credential


@admin.register(Credential)
class CredentialAdmin(ReadOnlyScopedAdmin):
    """测评码: which slips exist and what became of them. The hashes are never shown."""

    list_display = ["serial", "session", "group", "delegate_name", "used", "revoked"]
    list_filter = ["used", "revoked"]
    list_select_related = ["session", "group"]
    search_fields = ["session__title", "delegate_name", "=serial"]
    fields = ["session", "group", "serial", "delegate_name", "used", "revoked"]
    ordering = ["session", "serial"]
    list_per_page = 200
