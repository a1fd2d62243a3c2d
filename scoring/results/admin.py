"""Published results in the admin: read-only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from reviews.scope import ReadOnlyScopedAdmin
from scoring.results.models import ResultSnapshot


@admin.register(ResultSnapshot)
class ResultSnapshotAdmin(ReadOnlyScopedAdmin):
    list_display = ["session", "published_at", "published_by", "short_digest"]
    list_select_related = ["session", "published_by"]
    fields = ["session", "published_at", "published_by", "digest"]

    @admin.display(description=_("ballot digest"))
    def short_digest(self, obj):
        return obj.digest[:16]
