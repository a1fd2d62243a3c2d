"""Writes to the organisation tree, people and posts, each audited."""

from __future__ import annotations

from django.db import transaction

from reviews.audit import services as audit
from reviews.audit.services import previous_state, save_audited
from reviews.orgs.models import Appointment, Organisation, Person, StaffProfile
from reviews.scope import ensure_can_manage


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


@transaction.atomic
def appointment_save(*, actor, appointment: Appointment) -> Appointment:
    """Save an appointment; the organisation row is locked so two overlapping secretaries cannot slip in."""
    ensure_can_manage(actor, appointment.organisation)
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
    return save_audited(actor=actor, instance=person, organisation=None, action_prefix="person")
