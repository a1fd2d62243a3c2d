"""State-changing operations of the reviews app: one function each, atomic and audited."""

from django.db import transaction

from . import audit
from .models import Appointment, Cycle, Organisation, Person, Report, Session, StaffProfile, secretary_on
from .scope import ensure_can_manage


def _previous(instance):
    if instance.pk is None:
        return None
    return type(instance).objects.filter(pk=instance.pk).first()


def _save(*, actor, instance, organisation, action_prefix: str):
    before = _previous(instance)
    instance.full_clean()
    instance.save()
    action = f"{action_prefix}.{'create' if before is None else 'update'}"
    changes = audit.diff(before, instance)
    if before is None or changes:
        audit.record(actor=actor, action=action, obj=instance, changes=changes, organisation=organisation)
    return instance


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
        before = _previous(organisation)
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
    return _save(
        actor=actor, instance=appointment, organisation=appointment.organisation, action_prefix="appointment"
    )


@transaction.atomic
def cycle_save(*, actor, cycle: Cycle) -> Cycle:
    return _save(actor=actor, instance=cycle, organisation=None, action_prefix="cycle")


@transaction.atomic
def session_save(*, actor, session: Session) -> Session:
    ensure_can_manage(actor, session.host)
    return _save(actor=actor, instance=session, organisation=session.host, action_prefix="session")


@transaction.atomic
def report_save(*, actor, report: Report) -> Report:
    """Save a reporter's slot; an empty secretary is resolved from appointments at the session date."""
    ensure_can_manage(actor, report.organisation)
    if report.secretary_id is None and report.organisation_id:
        report.secretary = secretary_on(report.organisation, report.session.date)
    return _save(actor=actor, instance=report, organisation=report.organisation, action_prefix="report")


@transaction.atomic
def report_delete(*, actor, report: Report) -> None:
    ensure_can_manage(actor, report.organisation)
    audit.record(actor=actor, action="report.delete", obj=report, organisation=report.organisation)
    report.delete()


@transaction.atomic
def staff_profile_save(*, actor, profile: StaffProfile) -> StaffProfile:
    ensure_can_manage(actor, profile.organisation)
    return _save(
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
    return _save(actor=actor, instance=person, organisation=None, action_prefix="person")
