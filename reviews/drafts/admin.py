"""Admin screens for the draft review chain (reviewers per step) and for findings.

Imported at the end of reviews/admin.py (`from . import admin_chain  # noqa: F401`). Saves go through the
services, so they are scoped and audited like the rest of the admin.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from reviews import uploads
from reviews.audit import services as audit
from reviews.drafts import services as services_drafts
from reviews.drafts.models import Draft, ReviewStep
from reviews.findings import services
from reviews.findings.models import Finding
from reviews.scope import CountyWideAdmin, ScopedAdminMixin


@admin.register(ReviewStep)
class ReviewStepAdmin(CountyWideAdmin):
    county_only_view = True  # who reviews whose draft is the county office's business
    list_display = ["title", "order", "cycle", "reviewer_names"]
    list_filter = ["cycle"]
    ordering = ["cycle", "order"]
    fields = ["cycle", "order", "title", "reviewers"]
    filter_horizontal = ["reviewers"]
    list_select_related = ["cycle"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("reviewers")

    @admin.display(description=_("reviewers"))
    def reviewer_names(self, obj):
        return "、".join(u.get_full_name() or u.get_username() for u in obj.reviewers.all()) or "—"

    def _may_set_up(self, request) -> bool:
        return services_drafts.can_set_up_chain(request.user)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and self._may_set_up(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_set_up(request)

    def has_delete_permission(self, request, obj=None):
        # A step some draft is waiting at cannot go: the draft would be left in review at no step.
        waiting = obj is not None and Draft.objects.filter(current_step=obj).exists()
        return super().has_delete_permission(request, obj) and self._may_set_up(request) and not waiting

    def save_model(self, request, obj, form, change):
        services_drafts.review_step_save(actor=request.user, step=obj)

    def save_related(self, request, form, formsets, change):
        services_drafts.review_step_reviewers_set(
            actor=request.user, step=form.instance, reviewers=form.cleaned_data["reviewers"]
        )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


@admin.register(Finding)
class FindingAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["short_description", "organisation", "source", "cycle", "created_at", "evidence_link"]
    list_filter = ["cycle", "source"]
    search_fields = ["description", "organisation__name"]
    list_select_related = ["organisation", "cycle"]
    date_hierarchy = "created_at"
    fields = ["cycle", "organisation", "source", "description", "report", "evidence_link", "created_by"]
    readonly_fields = ["report", "evidence_link", "created_by"]
    autocomplete_fields = ["organisation"]

    @admin.display(description=_("problem"))
    def short_description(self, obj):
        return str(obj)

    @admin.display(description=_("evidence"))
    def evidence_link(self, obj):
        # The private storage has no public URL: the link goes through the permission-checked view.
        if not obj.evidence:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("findings:evidence", args=[obj.pk]),
            uploads.original_name(obj.evidence),
        )

    def save_model(self, request, obj, form, change):
        services.finding_save(actor=request.user, finding=obj)

    def delete_model(self, request, obj):
        audit.record(actor=request.user, action="finding.delete", obj=obj, organisation=obj.organisation)
        obj.delete()

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("organisation"):
            self.delete_model(request, obj)
