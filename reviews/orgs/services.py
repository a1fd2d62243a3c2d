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
    descendants = list(Organisation.objects.filter(path__startswith=old_path).exclude(path=old_path))
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
