"""Staff scope: a staff account sees and manages only its organisation's subtree.

Superusers see everything; a staff account without a scope sees nothing.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from reviews.orgs.models import Organisation
from reviews.orgs.subtree import subtree_q


def scope_root(user) -> Organisation | None:
    """The root of what the user may see, or None for 'everything' (superusers)."""
    if user.is_superuser:
        return None
    profile = getattr(user, "staff_profile", None)
    return profile.organisation if profile else Organisation(path="-none-")


def restrict(queryset: QuerySet, user, via: str = "") -> QuerySet:
    """Filter a queryset to the user's subtree; `via` is the lookup to the organisation ('' = itself)."""
    if not user.is_authenticated:
        return queryset.none()
    root = scope_root(user)
    if root is None:
        return queryset
    return queryset.filter(subtree_q(root.path, via))


def visible_organisations(user) -> QuerySet:
    return restrict(Organisation.objects.all(), user)


def is_county_level(user) -> bool:
    """Superusers, and staff whose scope is an organisation at the top of the tree (the county office)."""
    if user is None or not user.is_authenticated:
        return False
    root = scope_root(user)
    return root is None or (user.is_staff and root.pk is not None and root.parent_id is None)


def ensure_county_level(user) -> None:
    """County-wide objects (cycles, must-answer items, categories, review chain) belong to the top."""
    if user is not None and not is_county_level(user):
        raise PermissionDenied(_("This belongs to the whole county; only the county office changes it."))


def county_organisation(user) -> Organisation | None:
    """Where a county-wide change is audited: the actor's top-level scope, else the only root."""
    root = scope_root(user) if user is not None and user.is_authenticated else None
    if root is not None and root.pk is not None and root.parent_id is None:
        return root
    roots = list(Organisation.objects.filter(parent__isnull=True)[:2])
    return roots[0] if len(roots) == 1 else None


# ---------------------------------------------------------------------------------------------------
# Roles (separation of duties): an account whose only role is the auditor's reads and changes nothing.

AUDITOR_GROUP_NAME = "审计员"


def is_auditor_only(user) -> bool:
    """In the auditor group and in no other group, and not a superuser: reads the audit log only."""
    if user is None or not user.is_authenticated or user.is_superuser:
        return False
    cached = getattr(user, "_auditor_only", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = user._auditor_only = AUDITOR_GROUP_NAME in names and len(names) == 1
    return cached


def ensure_may_write(user) -> None:
    if is_auditor_only(user):
        raise PermissionDenied(_("An auditor account reads the audit log and changes nothing."))


def can_manage(user, organisation: Organisation | None) -> bool:
    if is_auditor_only(user):
        return False
    if organisation is None:
        return user.is_superuser
    root = scope_root(user)
    return root is None or organisation.path.startswith(root.path)


def ensure_can_manage(user, organisation: Organisation | None) -> None:
    if user is not None and is_auditor_only(user):
        raise PermissionDenied(_("An auditor account reads the audit log and changes nothing."))
    if user is not None and not can_manage(user, organisation):
        raise PermissionDenied(_("This organisation is outside your scope."))


def get_visible_or_404(queryset: QuerySet, user, via: str = "", **lookup) -> Model:
    obj = restrict(queryset, user, via).filter(**lookup).first()
    if obj is None:
        raise Http404(_("Not found, or outside your scope."))
    return obj


def staff_required(view: Callable) -> Callable:
    """Logged in (else the login page) and staff (else 403); the scope is checked per object.

    An auditor-only account may read staff pages but never write through them (anything but GET/HEAD).
    """

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied
        if request.method not in ("GET", "HEAD", "OPTIONS") and is_auditor_only(request.user):
            raise PermissionDenied(_("An auditor account reads the audit log and changes nothing."))
        return view(request, *args, **kwargs)

    return wrapper


# ---------------------------------------------------------------------------------------------------
# Which objects of any model a user may see: the path from the model to the organisation tree.

ORGANISATION_FIELDS = {"organisation", "parent", "host"}

# Models whose way to the tree is not a plain `organisation`/`host`/`session` field.
SCOPE_PATHS: dict[str, str] = {
    "reviews.organisation": "",
    "reviews.person": "appointments__organisation",
    "reviews.session": "host",
    "reviews.followupreview": "scope",
    "reviews.auditevent": "organisation",
    "scoring.evaluatorgroup": "scheme__session__host",
    "scoring.criterion": "scheme__session__host",
    "scoring.component": "scheme__session__host",
}

# County-wide: shared by every organisation, read by all staff, changed by the top level only.
COUNTY_WIDE = {
    "reviews.cycle",
    "reviews.cycleitem",
    "reviews.problemcategory",
    "reviews.topiccategory",
    "reviews.reviewstep",
}

# Accounts and permissions: managed by the accounts role (系统管理员), scoped through scoped_users.
ACCOUNT_MODELS = {"auth.user", "auth.group", "auth.permission"}


def scope_path(model) -> str | None:
    """The lookup from `model` to its organisation ('' = itself), or None when it has none (county-wide)."""
    label = model._meta.label_lower
    if label in SCOPE_PATHS:
        return SCOPE_PATHS[label]
    if label in COUNTY_WIDE or label in ACCOUNT_MODELS:
        return None
    names = {
        f.name: f
        for f in model._meta.get_fields()
        if f.is_relation and f.concrete and (f.many_to_one or f.one_to_one)
    }
    for name in ("organisation", "host"):
        if name in names and names[name].related_model is Organisation:
            return name
    for name in ("session", "report", "scheme", "notice", "draft"):
        if name in names:
            inner = scope_path(names[name].related_model)
            if inner is not None:
                return f"{name}__{inner}" if inner else name
    return None


def scoped_users(queryset: QuerySet, user) -> QuerySet:
    """Logins a user may pick: staff of its subtree, logins of its people, and unclaimed non-staff logins."""
    root = scope_root(user)
    if root is None:
        return queryset
    from django.db.models import Q

    prefix = root.path
    unclaimed = Q(staff_profile__isnull=True, person__isnull=True)
    if not is_county_level(user):
        unclaimed &= Q(is_staff=False)  # staff without a scope (leaders who review) are the county's
    return (
        queryset.filter(is_superuser=False)
        .filter(
            subtree_q(prefix, "staff_profile__organisation")
            | subtree_q(prefix, "person__appointments__organisation")
            | unclaimed
        )
        .distinct()
    )


def scoped(queryset: QuerySet, user) -> QuerySet:
    """Any model's queryset limited to what `user` may see or pick."""
    model = queryset.model
    label = model._meta.label_lower
    if not user.is_authenticated:
        return queryset.none()
    if label == "auth.user":
        return scoped_users(queryset, user)
    if label in ACCOUNT_MODELS or label in COUNTY_WIDE:
        return queryset
    path = scope_path(model)
    if path is None:
        return queryset if user.is_superuser else queryset.none()
    result = restrict(queryset, user, path)
    return result.distinct() if "__" in path and scope_root(user) is not None else result


def object_organisation(obj) -> Organisation | None:
    """The organisation an object concerns, by its scope path (the first for a many-valued path)."""
    path = scope_path(type(obj))
    if path is None:
        return None
    if path == "":
        return obj
    return _follow(obj, path.split("__"))


def current_post_organisations(person, exclude_appointment=None) -> list[Organisation]:
    """The organisations of a person's current posts (not ended before today), each once."""
    from django.db.models import Q
    from django.utils import timezone

    today = timezone.localdate()
    posts = Q(appointments__end_date__isnull=True) | Q(appointments__end_date__gte=today)
    queryset = Organisation.objects.filter(posts, appointments__person=person)
    if exclude_appointment is not None:
        queryset = queryset.exclude(appointments__pk=exclude_appointment)
    return list(queryset.distinct())


def covers_person(user, person, exclude_appointment=None) -> bool:
    """The user's scope holds every current post of the person.

    A person with no current post: someone who held a post in the scope, or who never held any.
    """
    if is_auditor_only(user):
        return False
    if person.pk is None:
        return True
    organisations = current_post_organisations(person, exclude_appointment)
    if organisations:
        return all(can_manage(user, org) for org in organisations)
    past = list(Organisation.objects.filter(appointments__person=person).distinct())
    return not past or is_county_level(user) or any(can_manage(user, org) for org in past)


def _follow(obj, parts: list[str]) -> Organisation | None:
    value = obj
    for i, part in enumerate(parts):
        value = getattr(value, part, None)
        if value is None:
            return None
        if hasattr(value, "all") and not isinstance(value, Model):
            rest = parts[i + 1 :]
            for item in value.all():
                found = _follow(item, rest) if rest else item
                if found is not None:
                    return found
            return None
    return value if isinstance(value, Organisation) else None


def _scoped_formfield_kwargs(db_field, request, kwargs) -> dict:
    if "queryset" in kwargs:
        kwargs["queryset"] = scoped(kwargs["queryset"], request.user)
    else:
        related = db_field.remote_field.model
        kwargs["queryset"] = scoped(related._default_manager.all(), request.user)
    return kwargs


class ScopedChoicesMixin:
    """Every ForeignKey and ManyToMany choice (autocomplete or not) limited to the user's scope."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(
            db_field, request, **_scoped_formfield_kwargs(db_field, request, kwargs)
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return super().formfield_for_manytomany(
            db_field, request, **_scoped_formfield_kwargs(db_field, request, kwargs)
        )


class ScopedInline(ScopedChoicesMixin, admin.TabularInline):
    """An inline whose choices are scoped; change rights follow the parent's (checked by the parent admin)."""

    def has_add_permission(self, request, obj=None):
        return not is_auditor_only(request.user) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not is_auditor_only(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not is_auditor_only(request.user) and super().has_delete_permission(request, obj)


class ScopedStackedInline(ScopedInline):
    template = admin.StackedInline.template


def _related_only_filters(model_admin, request, list_filter) -> list:
    """A related-field filter lists only the related objects of what the user sees, never the whole table."""
    result = []
    for item in list_filter:
        if isinstance(item, str):
            try:
                field = admin.utils.get_fields_from_path(model_admin.model, item)[-1]
            except Exception:  # not a field path: left to the admin's own check
                result.append(item)
                continue
            if field.is_relation:
                result.append((item, admin.RelatedOnlyFieldListFilter))
                continue
        result.append(item)
    return result


class ScopedAdminMixin(ScopedChoicesMixin):
    """Lists, choices, filters, autocomplete and object access limited to the user's subtree."""

    scope_via: str | None = "organisation"

    def _scope_via(self) -> str | None:
        return self.scope_via if self.scope_via is not None else scope_path(self.model)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        via = self._scope_via()
        if self.model._meta.label_lower == "auth.user":
            return scoped_users(qs, request.user)
        if via is None:
            return qs if request.user.is_superuser else qs.none()
        return restrict(qs, request.user, via)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and self.model._default_manager.filter(pk=object_id).exists():
            # Exists, but outside the user's subtree: refuse rather than pretend it was deleted.
            raise PermissionDenied(_("This record is outside your scope."))
        return obj

    def get_search_results(self, request, queryset, search_term):
        # The autocomplete view passes this admin's own (scoped) queryset; scope again for any other caller.
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return scoped(queryset, request.user), may_have_duplicates

    def get_list_filter(self, request):
        return _related_only_filters(self, request, super().get_list_filter(request))

    def _may_write(self, request, obj) -> bool:
        if is_auditor_only(request.user):
            return False
        if obj is None:
            return True
        if obj._meta.label_lower == "reviews.person":
            return covers_person(request.user, obj)
        if obj._meta.label_lower == "auth.user":
            return scoped_users(type(obj)._default_manager.filter(pk=obj.pk), request.user).exists()
        organisation = object_organisation(obj)
        return (
            can_manage(request.user, organisation) if organisation is not None else request.user.is_superuser
        )

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request, *args) and not is_auditor_only(request.user)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_write(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_write(request, obj)


class CountyWideAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    """Shared by the whole county: every staff member reads them, only the county office changes them."""

    county_only_view = False  # True: hidden below the county level too (e.g. who reviews the drafts)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (
            not self.county_only_view or is_county_level(request.user)
        )

    def has_module_permission(self, request):
        return super().has_module_permission(request)

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request, *args) and _county_writer(request.user)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and _county_writer(request.user)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and _county_writer(request.user)

    def get_list_filter(self, request):
        return _related_only_filters(self, request, super().get_list_filter(request))


def _county_writer(user) -> bool:
    return is_county_level(user) and not is_auditor_only(user)


class ReadOnlyScopedAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_via = "session__host"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
