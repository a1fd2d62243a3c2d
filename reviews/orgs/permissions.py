"""The staff role: model permissions for organisation-department staff (scope is applied separately)."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

STAFF_GROUP_NAME = "组织部工作人员"
STAFF_APPS = ("reviews", "scoring")
READ_ONLY_MODELS = {"auditevent"}


@transaction.atomic
def staff_group_ensure() -> Group:
    """Create or refresh the staff group with every permission of the domain apps."""
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP_NAME)
    perms = Permission.objects.filter(content_type__app_label__in=STAFF_APPS)
    perms = [
        p for p in perms if p.content_type.model not in READ_ONLY_MODELS or p.codename.startswith("view_")
    ]
    group.permissions.set(perms)
    return group
