"""Roles (separation of duties, as 等级保护 assesses it), each a group of model permissions.

- 系统管理员 (accounts): logins, staff profiles (who sees which subtree), groups;
  reads organisations to pick a scope.
- 业务人员 (operators): everything else — the tree, people, cycles, sessions, topics,
  drafts, scoring, rectification; reads the audit log of its subtree; no account permission.
- 审计员 (auditors): reads the audit log, nothing else; reviews.scope.is_auditor_only
  refuses every write of an account whose only role this is (admin, staff pages, services).

Scope (which subtree) is separate: it comes from the account's staff profile. `roles_ensure`
creates or refreshes the groups; it runs after every `migrate` (reviews.apps) and as
`manage.py roles_ensure`.
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from reviews.scope import AUDITOR_GROUP_NAME

OPERATOR_GROUP_NAME = "业务人员"
ACCOUNTS_GROUP_NAME = "系统管理员"
STAFF_GROUP_NAME = OPERATOR_GROUP_NAME  # the role every organisation-department staff account gets
LEGACY_STAFF_GROUP_NAME = "组织部工作人员"  # the single staff group before the roles were separated

STAFF_APPS = ("reviews", "scoring")
READ_ONLY_MODELS = {"auditevent"}
ACCOUNT_MODELS = {("auth", "user"), ("auth", "group"), ("reviews", "staffprofile")}


def _of(pairs) -> Q:
    q = Q(pk__in=[])
    for app_label, model in pairs:
        q |= Q(content_type__app_label=app_label, content_type__model=model)
    return q


def operator_permissions() -> list[Permission]:
    perms = Permission.objects.filter(content_type__app_label__in=STAFF_APPS).select_related("content_type")
    return [
        p
        for p in perms
        if (p.content_type.app_label, p.content_type.model) not in ACCOUNT_MODELS
        and (p.content_type.model not in READ_ONLY_MODELS or p.codename.startswith("view_"))
    ]


def accounts_permissions() -> list[Permission]:
    accounts = Permission.objects.filter(_of(ACCOUNT_MODELS))
    organisations = Permission.objects.filter(codename="view_organisation", content_type__app_label="reviews")
    return [*accounts, *organisations]


def auditor_permissions() -> list[Permission]:
    return list(Permission.objects.filter(codename="view_auditevent", content_type__app_label="reviews"))


ROLES = {
    OPERATOR_GROUP_NAME: operator_permissions,
    ACCOUNTS_GROUP_NAME: accounts_permissions,
    AUDITOR_GROUP_NAME: auditor_permissions,
}


@transaction.atomic
def roles_ensure() -> dict[str, Group]:
    """Create or refresh the three role groups (a legacy staff group becomes the operators' group)."""
    legacy = Group.objects.filter(name=LEGACY_STAFF_GROUP_NAME).first()
    if legacy is not None and not Group.objects.filter(name=OPERATOR_GROUP_NAME).exists():
        legacy.name = OPERATOR_GROUP_NAME
        legacy.save(update_fields=["name"])
    groups = {}
    for name, permissions in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions())
        groups[name] = group
    return groups


def staff_group_ensure() -> Group:
    """The operators' group (业务人员), refreshed with the other roles."""
    return roles_ensure()[OPERATOR_GROUP_NAME]
