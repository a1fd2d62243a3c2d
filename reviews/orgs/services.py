"""Writes to the organisation tree, people and posts, each audited."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from reviews.audit import services as audit
from reviews.audit.services import previous_state, save_audited
from reviews.orgs.models import Appointment, Organisation, Person, StaffProfile
from reviews.scope import (
    covers_person,
    current_post_organisations,
    ensure_can_manage,
    ensure_may_write,
    scope_root,
    scoped_users,
)


@transaction.atomic
def organisation_save(*, actor, organisation: Organisation) -> Organisation:
    """Create or update an organisation and keep its subtree's paths in step."""
    if organisation.parent_id:
        ensure_can_manage(actor, organisation.parent)
    else:
        ensure_can_manage(actor, None)
    if organisation.pk:
        ensure_can_manage(actor, Organisation.objects.get(pk=organisation.pk))
    old_path = organisation.path
    if organisation.pk is None:
        organisation.full_clean(exclude=["path"])
        organisation.save()
        before = None
    else:
        before = previous_state(organisation)
        organisation.full_clean()
    organisation.path = organisation.computed_path()
    organisation.depth = organisation.path.count(Organisation.PATH_SEPARATOR) - 2
    organisation.save()
    if old_path and old_path != organisation.path:
        _move_descendants(old_path, organisation.path)
    changes = audit.diff(before, organisation)
    if before is None or changes:
        action = "organisation.create" if before is None else "organisation.update"
        audit.record(actor=actor, action=action, obj=organisation, changes=changes, organisation=organisation)
    return organisation


def _move_descendants(old_path: str, new_path: str) -> None:
    descendants = list(Organisation.objects.filter(path__subtree=old_path).exclude(path=old_path))
    for org in descendants:
        org.path = new_path + org.path[len(old_path) :]
        org.depth = org.path.count(Organisation.PATH_SEPARATOR) - 2
    Organisation.objects.bulk_update(descendants, ["path", "depth"], batch_size=500)


def _ensure_covers_person(actor, person: Person, exclude_appointment=None) -> None:
    """Only staff whose scope holds every current post of a person change the person or its login."""
    if actor is not None and not covers_person(actor, person, exclude_appointment):
        raise PermissionDenied(_("This person holds a post outside your scope."))


@transaction.atomic
def appointment_save(*, actor, appointment: Appointment) -> Appointment:
    """Save an appointment; the organisation row is locked so two overlapping secretaries cannot slip in.

    Posting someone who holds a post elsewhere takes staff whose scope covers all of their posts: otherwise a
    township could take over another township's secretary (and their login) by giving them a post of its own.
    """
    ensure_can_manage(actor, appointment.organisation)
    if appointment.pk:
        ensure_can_manage(actor, Appointment.objects.get(pk=appointment.pk).organisation)
    if appointment.person_id:
        _ensure_covers_person(actor, appointment.person, exclude_appointment=appointment.pk)
    Organisation.objects.select_for_update().filter(pk=appointment.organisation_id).first()
    return save_audited(
        actor=actor, instance=appointment, organisation=appointment.organisation, action_prefix="appointment"
    )


@transaction.atomic
def staff_profile_save(*, actor, profile: StaffProfile) -> StaffProfile:
    ensure_can_manage(actor, profile.organisation)
    return save_audited(
        actor=actor, instance=profile, organisation=profile.organisation, action_prefix="staff_profile"
    )


@transaction.atomic
def appointment_delete(*, actor, appointment: Appointment) -> None:
    ensure_can_manage(actor, appointment.organisation)
    audit.record(
        actor=actor, action="appointment.delete", obj=appointment, organisation=appointment.organisation
    )
    appointment.delete()


@transaction.atomic
def person_save(*, actor, person: Person) -> Person:
    """Save a person; linking a login takes a scope that covers all of the person's current posts.

    Audited under the organisations of the person's current posts, so each of their owners sees it.
    """
    ensure_may_write(actor)
    before = Person.objects.filter(pk=person.pk).first() if person.pk else None
    _ensure_covers_person(actor, person)
    linking = person.user_id and (before is None or before.user_id != person.user_id)
    login = User.objects.filter(pk=person.user_id)
    if actor is not None and linking and not scoped_users(login, actor).exists():
        raise PermissionDenied(_("This login account is outside your scope."))
    organisations = current_post_organisations(person) if person.pk else []
    if not organisations and actor is not None and actor.is_authenticated:
        root = scope_root(actor)
        organisations = [root] if root is not None and root.pk else []
    saved = save_audited(
        actor=actor,
        instance=person,
        organisation=organisations[0] if organisations else None,
        action_prefix="person",
    )
    if len(organisations) > 1 and (before is None or audit.diff(before, saved)):
        for organisation in organisations[1:]:
            audit.record(
                actor=actor,
                action="person.update",
                obj=saved,
                changes=audit.diff(before, saved),
                organisation=organisation,
            )
    return saved


# ---------------------------------------------------------------------------------------------------
# Accounts (the 系统管理员 role): every change on record under the account's organisation, no password hash


def _account_organisation(actor, user: User):
    profile = StaffProfile.objects.filter(user=user).select_related("organisation").first()
    if profile is not None:
        return profile.organisation
    person = Person.objects.filter(user=user).first()
    organisations = current_post_organisations(person) if person is not None else []
    if organisations:
        return organisations[0]
    root = scope_root(actor) if actor is not None and actor.is_authenticated else None
    return root if root is not None and root.pk else None


def _account_changes(before, user: User) -> dict:
    changes = audit.diff(before, user)
    changes.pop("last_login", None)
    if "password" in changes:
        changes["password"] = ["", "(changed)"]
    return changes


@transaction.atomic
def account_save(*, actor, user: User) -> User:
    """Save a login from the accounts admin; audited without the password hash."""
    ensure_may_write(actor)
    before = previous_state(user)
    user.save()
    changes = _account_changes(before, user)
    if before is None or changes:
        action = "account.create" if before is None else "account.update"
        audit.record(
            actor=actor,
            action=action,
            obj=user,
            changes=changes,
            organisation=_account_organisation(actor, user),
        )
    return user


@transaction.atomic
def account_roles_set(*, actor, user: User, groups) -> None:
    """Which roles (groups) a login has; the change is logged by name."""
    ensure_may_write(actor)
    before = sorted(user.groups.values_list("name", flat=True))
    user.groups.set(groups)
    after = sorted(user.groups.values_list("name", flat=True))
    if before != after:
        audit.record(
            actor=actor,
            action="account.roles",
            obj=user,
            changes={"groups": ["、".join(before), "、".join(after)]},
            organisation=_account_organisation(actor, user),
        )


@transaction.atomic
def account_delete(*, actor, user: User) -> None:
    ensure_may_write(actor)
    audit.record(
        actor=actor, action="account.delete", obj=user, organisation=_account_organisation(actor, user)
    )
    user.delete()


@transaction.atomic
def role_save(*, actor, group, permissions) -> None:
    """A role (group) and its permissions, from the accounts admin; audited under the county."""
    from reviews.scope import county_organisation

    ensure_may_write(actor)
    before = previous_state(group)
    old = sorted(before.permissions.values_list("codename", flat=True)) if before is not None else []
    group.save()
    group.permissions.set(permissions)
    new = sorted(group.permissions.values_list("codename", flat=True))
    changes = audit.diff(before, group)
    if old != new:
        changes["permissions"] = [" ".join(old), " ".join(new)]
    if before is None or changes:
        audit.record(
            actor=actor,
            action="role.create" if before is None else "role.update",
            obj=group,
            changes=changes,
            organisation=county_organisation(actor),
        )


@transaction.atomic
def role_delete(*, actor, group) -> None:
    from reviews.scope import county_organisation

    ensure_may_write(actor)
    audit.record(actor=actor, action="role.delete", obj=group, organisation=county_organisation(actor))
    group.delete()


def account_password_set_record(*, actor, user: User) -> None:
    """An administrator set a login's password (the admin's own form saved it): on record, no hash."""
    audit.record(
        actor=actor,
        action="account.password",
        obj=user,
        changes={"password": ["", "(changed)"]},
        organisation=_account_organisation(actor, user),
    )
