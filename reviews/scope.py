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
    lookup = f"{via}__path__startswith" if via else "path__startswith"
    return queryset.filter(**{lookup: root.path})


def visible_organisations(user) -> QuerySet:
    return restrict(Organisation.objects.all(), user)


def can_manage(user, organisation: Organisation | None) -> bool:
    if organisation is None:
        return user.is_superuser
    root = scope_root(user)
    return root is None or organisation.path.startswith(root.path)


def ensure_can_manage(user, organisation: Organisation | None) -> None:
    if user is not None and not can_manage(user, organisation):
        raise PermissionDenied(_("This organisation is outside your scope."))


def get_visible_or_404(queryset: QuerySet, user, via: str = "", **lookup) -> Model:
    obj = restrict(queryset, user, via).filter(**lookup).first()
    if obj is None:
        raise Http404(_("Not found, or outside your scope."))
    return obj


def staff_required(view: Callable) -> Callable:
    """Logged in (else the login page) and staff (else 403); the scope is checked per object."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


ORGANISATION_FIELDS = {"organisation", "parent", "host"}


class ScopedAdminMixin:
    """Lists, choices and object access limited to the user's subtree."""

    scope_via: str = "organisation"

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user, self.scope_via)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and self.model._default_manager.filter(pk=object_id).exists():
            # Exists, but outside the user's subtree: refuse rather than pretend it was deleted.
            raise PermissionDenied(_("This record is outside your scope."))
        return obj

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ORGANISATION_FIELDS:
            kwargs["queryset"] = visible_organisations(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyScopedAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_via = "session__host"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
