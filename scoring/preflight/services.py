"""Writes behind the pre-flight check (会前检查): printed documents (audited), the screen's last poll."""

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from reviews.audit import services as audit
from reviews.cycles.models import Session
from scoring.schemes.models import EvaluatorGroup

SLIPS = "documents.slips"  # the code slips PDF, answered to an issue request
PAPER_FORM = "documents.paper_form"  # the paper scoring form (纸质测评表) of one group
PRINTED = (SLIPS, PAPER_FORM)

SCREEN_SEEN_TIMEOUT = 14 * 24 * 3600  # seconds: a screen tried out a week ahead still counts


@transaction.atomic
def document_printed(
    *, actor, session: Session, document: str, group: EvaluatorGroup, count: int = 0
) -> None:
    """Record that a document of the session was downloaded for printing (counted by the pre-flight check)."""
    if document not in PRINTED:
        raise ValueError(f"unknown document {document!r}")
    changes = {"group_id": group.pk, "group": group.name}
    if count:
        changes["count"] = count
    audit.record(actor=actor, action=document, obj=session, organisation=session.host, changes=changes)


def screen_seen_key(session_id: int) -> str:
    return f"screen-seen:{session_id}"


def screen_poll_record(*, session_id: int) -> None:
    """The big screen asked for its state: remember when (the shared cache, no database write per second)."""
    cache.set(screen_seen_key(session_id), timezone.now().timestamp(), SCREEN_SEEN_TIMEOUT)


def screen_last_seen(session_id: int) -> float | None:
    return cache.get(screen_seen_key(session_id))
