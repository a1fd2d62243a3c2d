"""Admin screens for cycles (with must-answer items) and sessions (with their reporters)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from reviews.cycles import services
from reviews.cycles.models import Cycle, CycleItem, Report, Session
from reviews.scope import CountyWideAdmin, ScopedAdminMixin, ScopedInline, can_manage


class CycleItemInline(ScopedInline):
    model = CycleItem
    extra = 1
    fields = ["kind", "text", "order"]


@admin.register(Cycle)
class CycleAdmin(CountyWideAdmin):
    list_display = ["name", "year", "is_open"]
    list_filter = ["is_open", "year"]
    search_fields = ["name"]
    inlines = [CycleItemInline]

    def save_model(self, request, obj, form, change):
        services.cycle_save(actor=request.user, cycle=obj)

    def save_formset(self, request, form, formset, change):
        items = formset.save(commit=False)
        for item in formset.deleted_objects:
            services.cycle_item_delete(actor=request.user, item=item)
        for item in items:
            services.cycle_item_save(actor=request.user, item=item)


class ReportInline(ScopedInline):
    model = Report
    extra = 0
    fields = ["order", "organisation", "secretary", "topic"]
    autocomplete_fields = ["organisation", "secretary"]
    ordering = ["order"]


@admin.register(Session)
class SessionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_via = "host"
    fieldsets = [
        (None, {"fields": ["cycle", "host", "title", "date", "venue", "status"]}),
        (_("Meeting room"), {"fields": ["report_minutes", "question_minutes", "reveal_one_by_one"]}),
    ]
    list_display = ["title", "host", "cycle", "date", "venue", "status"]
    list_filter = ["status", "cycle", "host__depth"]
    search_fields = ["title", "host__name", "venue"]
    date_hierarchy = "date"
    list_select_related = ["host", "cycle"]
    autocomplete_fields = ["host"]
    inlines = [ReportInline]

    def save_model(self, request, obj, form, change):
        services.session_save(actor=request.user, session=obj)

    def save_formset(self, request, form, formset, change):
        reports = formset.save(commit=False)
        for report in formset.deleted_objects:
            services.report_delete(actor=request.user, report=report)
        for report in reports:
            services.report_save(actor=request.user, report=report)
        missing = [r for r in reports if r.secretary_id is None]
        if missing:
            self.message_user(
                request,
                _("No secretary on the session date for: %(orgs)s")
                % {"orgs": "、".join(str(r.organisation) for r in missing)},
                messages.WARNING,
            )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or can_manage(request.user, obj.host)
        )
