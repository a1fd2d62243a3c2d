"""The scheme in the admin, with its groups, items and components."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from reviews.cycles.models import Session
from reviews.scope import ScopedAdminMixin, ScopedInline, can_manage, restrict
from scoring.errors import ScoringError
from scoring.schemes import services
from scoring.schemes.models import Component, Criterion, EvaluatorGroup, Scheme


def _editable(request, scheme: Scheme | None) -> bool:
    return scheme is None or (not scheme.is_locked and can_manage(request.user, scheme.session.host))


class _SchemeRowInline(ScopedInline):
    extra = 0

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and _editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and _editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and _editable(request, obj)


class EvaluatorGroupInline(_SchemeRowInline):
    model = EvaluatorGroup
    fields = ["name", "weight", "anonymous", "order", "paper_issued", "expected_delegates"]


class CriterionInline(_SchemeRowInline):
    model = Criterion
    fields = ["name", "description", "max_points", "order"]


class ComponentInline(_SchemeRowInline):
    model = Component
    fields = ["name", "share", "order"]


@admin.register(Scheme)
class SchemeAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_via = "session__host"
    list_display = ["session", "mode", "scoring_status", "onsite_share"]
    list_filter = ["scoring_status", "mode"]
    list_select_related = ["session"]
    search_fields = ["session__title"]
    readonly_fields = ["scoring_status"]
    inlines = [EvaluatorGroupInline, CriterionInline, ComponentInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("session__host")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "session":
            kwargs["queryset"] = restrict(Session.objects.all(), request.user, via="host")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and _editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and _editable(request, obj)

    def save_model(self, request, obj, form, change):
        services.scheme_save(actor=request.user, scheme=obj)

    def save_related(self, request, form, formsets, change):
        form.save_m2m()
        rows = {formset.model: _formset_rows(formset) for formset in formsets}
        for formset in formsets:
            _note_changes(formset)
        services.scheme_update(
            actor=request.user,
            scheme=form.instance,
            groups=rows.get(EvaluatorGroup, []),
            criteria=rows.get(Criterion, []),
            components=rows.get(Component, []),
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # A refusal rolls the whole save back (the admin's transaction); say why and start again.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ScoringError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


def _formset_rows(formset) -> list:
    """The complete new set of an inline's rows (unsaved instances), without deleted or empty forms."""
    rows = []
    for form in formset.forms:
        if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
            continue
        if form.instance.pk is None and not form.has_changed():
            continue
        rows.append(form.instance)
    return rows


def _note_changes(formset) -> None:
    """What the admin's change message reads (formset.save() would set it; the service saves instead)."""
    forms = [f for f in formset.forms if hasattr(f, "cleaned_data")]
    formset.deleted_objects = [f.instance for f in forms if f.cleaned_data.get("DELETE") and f.instance.pk]
    live = [f for f in forms if not f.cleaned_data.get("DELETE") and f.has_changed()]
    formset.new_objects = [f.instance for f in live if f.instance.pk is None]
    formset.changed_objects = [(f.instance, f.changed_data) for f in live if f.instance.pk is not None]
