"""Admin screens for problem categories, and read-only views of notices, items and follow-ups.

Items change state only through the rectification pages (services_rectification), so that every step is
checked and recorded; the admin shows them, scoped to the user's subtree.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from reviews.rectification import services
from reviews.rectification.models import (
    FollowUpReview,
    ProblemCategory,
    RectificationItem,
    RectificationNotice,
)
from reviews.scope import CountyWideAdmin, ScopedAdminMixin, ScopedInline


@admin.register(ProblemCategory)
class ProblemCategoryAdmin(CountyWideAdmin):
    list_display = ["name", "order"]
    list_editable = ["order"]
    ordering = ["order", "name"]
    actions = None  # the bulk delete would skip the service (its check and its audit record)

    def save_model(self, request, obj, form, change):
        services.problem_category_save(actor=request.user, category=obj)

    def delete_model(self, request, obj):
        services.problem_category_delete(actor=request.user, category=obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return _refusal_as_message(self, request, super().changeform_view, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        return _refusal_as_message(self, request, super().delete_view, object_id, extra_context)


def _refusal_as_message(model_admin, request, view, *args):
    """A category in use is refused by the service: say why on the page instead of a 500."""
    from django.contrib import messages
    from django.http import HttpResponseRedirect

    from reviews.rectification.services import RectificationError

    try:
        return view(request, *args)
    except RectificationError as error:
        model_admin.message_user(request, error.message, messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())


class ReadOnlyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ItemInline(ScopedInline):
    model = RectificationItem
    fields = ["number", "problem", "measures", "responsible", "deadline", "status"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RectificationNotice)
class RectificationNoticeAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "reference", "session", "issuer", "issued_on"]
    list_filter = ["session__cycle", "issued_on"]
    search_fields = ["organisation__name", "session__title"]
    list_select_related = ["organisation", "session"]
    inlines = [ItemInline]

    @admin.display(description=_("number"))
    def reference(self, obj):
        return obj.reference


@admin.register(RectificationItem)
class RectificationItemAdmin(ReadOnlyAdmin):
    list_display = ["short_problem", "organisation", "category", "status", "deadline", "original_deadline"]
    list_filter = ["cycle", "status", "category", "source"]
    search_fields = ["problem", "measures", "organisation__name"]
    list_select_related = ["organisation", "category"]
    date_hierarchy = "deadline"

    @admin.display(description=_("problem"))
    def short_problem(self, obj):
        return str(obj)


@admin.register(FollowUpReview)
class FollowUpReviewAdmin(ReadOnlyAdmin):
    scope_via = "scope"
    list_display = ["title", "cycle", "scope", "started_on"]
    list_select_related = ["cycle", "scope"]
