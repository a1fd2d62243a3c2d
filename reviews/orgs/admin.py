"""Admin screens for the organisation tree, people, posts and staff accounts."""

import datetime

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import OuterRef, Subquery
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from reviews.orgs import services
from reviews.orgs.import_admin import import_urls
from reviews.orgs.levels import tree_levels
from reviews.orgs.models import Appointment, Organisation, Person, StaffProfile, secretary_on
from reviews.scope import (
    ScopedAdminMixin,
    ScopedInline,
    ScopedStackedInline,
    can_manage,
    visible_organisations,
)


class LevelFilter(admin.SimpleListFilter):
    title = _("level")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        """One choice per depth, named by the tree's levels (reviews.orgs.levels); the last takes deeper."""
        return [(str(depth), level.label) for depth, level in enumerate(tree_levels())]

    def queryset(self, request, queryset):
        depths = len(tree_levels())
        if self.value() not in {str(depth) for depth in range(depths)}:
            return queryset
        depth = int(self.value())
        if depth == depths - 1:
            return queryset.filter(depth__gte=depth)
        return queryset.filter(depth=depth)


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["code", "name", "short_name", "kind", "sector", "parent", "is_active"]


@admin.register(Organisation)
class OrganisationAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = OrganisationForm
    scope_via = ""
    list_display = ["tree_name", "code", "kind", "sector", "current_secretary", "is_active"]
    list_display_links = ["tree_name"]
    list_filter = [LevelFilter, "kind", "sector", "is_active"]
    search_fields = ["name", "short_name", "code"]
    list_per_page = 100
    autocomplete_fields = ["parent"]
    change_list_template = "admin/reviews/organisation/change_list.html"

    def get_queryset(self, request):
        today = timezone.localdate()
        secretary = (
            Appointment.objects.secretaries()
            .on(today)
            .filter(organisation=OuterRef("pk"))
            .order_by("-start_date")
            .values("person__name")[:1]
        )
        return super().get_queryset(request).annotate(secretary_name=Subquery(secretary))

    @admin.display(description=_("name"), ordering="path")
    def tree_name(self, obj):
        indent = "\u3000" * obj.depth
        mark = "└ " if obj.depth else ""
        return format_html("{}{}{}", indent, mark, obj.name)

    @admin.display(description=_("current secretary"))
    def current_secretary(self, obj):
        return obj.secretary_name or "—"

    def save_model(self, request, obj, form, change):
        services.organisation_save(actor=request.user, organisation=obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or can_manage(request.user, obj))

    has_delete_permission = has_change_permission

    def get_urls(self):
        extra = [
            path(
                "secretary-lookup/",
                self.admin_site.admin_view(self.secretary_lookup_view),
                name="reviews_organisation_secretary_lookup",
            ),
        ]
        return extra + import_urls(self) + super().get_urls()

    def secretary_lookup_view(self, request):
        """Who is the secretary of X on date D."""
        form = SecretaryLookupForm(request.GET or None, user=request.user, admin_site=self.admin_site)
        answer = None
        if form.is_valid():
            org, day = form.cleaned_data["organisation"], form.cleaned_data["date"]
            answer = {"organisation": org, "date": day, "person": secretary_on(org, day)}
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Who was the secretary"),
            "form": form,
            "answer": answer,
        }
        return TemplateResponse(request, "admin/reviews/organisation/secretary_lookup.html", context)


class SecretaryLookupForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(), label=_("party organisation"))
    date = forms.DateField(
        label=_("date"), initial=datetime.date.today, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, user, admin_site=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        # The admin's own scoped autocomplete (search box) instead of a <select> of every organisation:
        # only the chosen organisation is rendered; the choices come from OrganisationAdmin's search.
        field.widget = AutocompleteSelect(
            Appointment._meta.get_field("organisation"), admin_site or admin.site
        )
        field.queryset = visible_organisations(user)


class AppointmentInline(ScopedInline):
    model = Appointment
    extra = 0
    fields = ["organisation", "post", "title", "start_date", "end_date"]
    autocomplete_fields = ["organisation"]


@admin.register(Person)
class PersonAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_via = "appointments__organisation"
    list_display = ["name", "gender", "phone", "user"]
    search_fields = ["name", "phone"]
    inlines = [AppointmentInline]
    autocomplete_fields = ["user"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs.distinct() if not request.user.is_superuser else qs

    def save_model(self, request, obj, form, change):
        services.person_save(actor=request.user, person=obj)

    def save_formset(self, request, form, formset, change):
        for appointment in formset.save(commit=False):
            services.appointment_save(actor=request.user, appointment=appointment)
        for appointment in formset.deleted_objects:
            services.appointment_delete(actor=request.user, appointment=appointment)


@admin.register(Appointment)
class AppointmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["organisation", "person", "post", "title", "start_date", "end_date"]
    list_filter = ["post", "organisation__kind", "organisation__sector"]
    search_fields = ["person__name", "organisation__name", "organisation__code"]
    autocomplete_fields = ["person", "organisation"]
    date_hierarchy = "start_date"
    list_select_related = ["organisation", "person"]

    def save_model(self, request, obj, form, change):
        services.appointment_save(actor=request.user, appointment=obj)

    def delete_model(self, request, obj):
        services.appointment_delete(actor=request.user, appointment=obj)


class StaffProfileInline(ScopedStackedInline):
    model = StaffProfile
    can_delete = False
    autocomplete_fields = ["organisation"]


admin.site.unregister(User)


@admin.register(User)
class ShuzhiUserAdmin(ScopedAdminMixin, UserAdmin):
    """Accounts (the 系统管理员 role): a scoped account manager sees the logins of its subtree only."""

    scope_via = None
    inlines = [StaffProfileInline]
    list_display = ["username", "first_name", "last_name", "is_staff", "is_superuser", "scope"]
    list_select_related = ["staff_profile__organisation"]

    def has_view_permission(self, request, obj=None):
        if super().has_view_permission(request, obj):
            return True
        # The person form's login field: staff who change people search the logins of their own scope.
        return (
            obj is None
            and request.path == reverse("admin:autocomplete")
            and (request.GET.get("model_name"), request.GET.get("field_name")) == ("person", "user")
            and request.user.has_perm("reviews.change_person")
        )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Only a superuser makes superusers or hands out single permissions; roles are groups.
            fields += ["is_superuser", "user_permissions"]
        return fields

    def save_model(self, request, obj, form, change):
        services.account_save(actor=request.user, user=obj)

    def save_related(self, request, form, formsets, change):
        groups = form.cleaned_data.get("groups") if "groups" in form.cleaned_data else None
        super().save_related(request, form, formsets, change)
        if groups is not None:
            services.account_roles_set(actor=request.user, user=form.instance, groups=groups)

    def delete_model(self, request, obj):
        services.account_delete(actor=request.user, user=obj)

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            services.account_password_set_record(actor=request.user, user=User.objects.get(pk=id))
        return response

    def delete_queryset(self, request, queryset):
        for user in queryset:
            services.account_delete(actor=request.user, user=user)

    def save_formset(self, request, form, formset, change):
        if formset.model is StaffProfile:
            for profile in formset.save(commit=False):
                services.staff_profile_save(actor=request.user, profile=profile)
            return
        super().save_formset(request, form, formset, change)

    @admin.display(description=_("scope"))
    def scope(self, obj):
        profile = getattr(obj, "staff_profile", None)
        return profile.organisation if profile else "—"


admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(GroupAdmin):
    """Roles (groups): changed by the accounts role only, every change audited (orgs/permissions.py)."""

    actions = None  # the bulk delete would skip the audit record

    def save_model(self, request, obj, form, change):
        pass  # saved with its permissions in save_related, through the service

    def save_related(self, request, form, formsets, change):
        services.role_save(
            actor=request.user, group=form.instance, permissions=form.cleaned_data["permissions"]
        )

    def delete_model(self, request, obj):
        services.role_delete(actor=request.user, group=obj)
