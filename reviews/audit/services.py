"""The domain event log: services call `record` for every change of state."""

from django.db import models

from reviews.audit.models import AuditEvent
from reviews.orgs.models import Organisation


def _plain(value):
    if isinstance(value, models.Model):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def diff(before: models.Model | None, after: models.Model) -> dict[str, list]:
    """Concrete fields whose value differs, as {field: [old, new]}; all fields when created."""
    changes = {}
    for field in after._meta.concrete_fields:
        if field.primary_key:
            continue
        new = getattr(after, field.attname)
        old = getattr(before, field.attname) if before is not None else None
        if before is None or old != new:
            if before is None and new in (None, "", False):
                continue
            if field.is_relation:
                # Show the related object's name, not its id.
                old = getattr(before, field.name) if old is not None else None
                new = getattr(after, field.name) if new is not None else None
            changes[field.name] = [_plain(old), _plain(new)]
    return changes


def event(
    *,
    actor,
    action: str,
    obj: models.Model,
    changes: dict | None = None,
    organisation: Organisation | None = None,
) -> AuditEvent:
    """An unsaved entry, for services that write many rows with one bulk_create of their entries."""
    return AuditEvent(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk or ""),
        object_repr=str(obj)[:200],
        organisation=organisation,
        changes=changes or {},
    )


def record(
    *,
    actor,
    action: str,
    obj: models.Model,
    changes: dict | None = None,
    organisation: Organisation | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk or ""),
        object_repr=str(obj)[:200],
        organisation=organisation,
        changes=changes or {},
    )


def previous_state(instance):
    if instance.pk is None:
        return None
    return type(instance).objects.filter(pk=instance.pk).first()


def save_audited(*, actor, instance, organisation, action_prefix: str):
    before = previous_state(instance)
    instance.full_clean()
    instance.save()
    action = f"{action_prefix}.{'create' if before is None else 'update'}"
    changes = diff(before, instance)
    if before is None or changes:
        record(actor=actor, action=action, obj=instance, changes=changes, organisation=organisation)
    return instance
