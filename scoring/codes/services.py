"""Issuing, revoking and looking up scoring codes."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from reviews.audit import services as audit
from reviews.cycles.models import Session
from reviews.scope import ensure_can_manage
from scoring.codes import tokens as codes
from scoring.codes.models import Credential, IssueBatch
from scoring.errors import ScoringError
from scoring.schemes.models import (
    EvaluatorGroup,
)

# ---------------------------------------------------------------------------------------------------
# Codes

REPLAY_WINDOW = datetime.timedelta(minutes=15)  # a retry of the same form gets its batch again within this


@dataclass(frozen=True)
class IssuedCode:
    serial: int
    token: str
    short_code: str
    group: EvaluatorGroup
    delegate_name: str = ""
    rehearsal: bool = False  # printed "演练" on the slip

    @property
    def short_display(self) -> str:
        return codes.format_short(self.short_code)


def _batch_codes(batch: IssueBatch, issue_key: str) -> list[IssuedCode]:
    """The codes of an earlier issue by the same form, derived again from its key."""
    credentials = Credential.objects.filter(
        session_id=batch.session_id, serial__gte=batch.first_serial, serial__lte=batch.last_serial
    ).order_by("serial")
    issued = []
    for credential in credentials:
        token = codes.batch_token(issue_key, credential.serial)
        issued.append(
            IssuedCode(
                serial=credential.serial,
                token=token,
                short_code=codes.short_code_for(token),
                group=batch.group,
                delegate_name=credential.delegate_name,
                rehearsal=credential.rehearsal,
            )
        )
    return issued


def issue_batch_for(*, session: Session, issue_key: str) -> IssueBatch | None:
    """The batch an issuing form already made (None when its key is new)."""
    if not issue_key:
        return None
    return (
        IssueBatch.objects.select_related("group")
        .filter(session=session, key_hash=codes.issue_key_hash(issue_key))
        .first()
    )


def codes_beyond_expected(*, group: EvaluatorGroup, count: int) -> int:
    """How many codes over the group's expected number of delegates issuing ``count`` more would make."""
    if not group.expected_delegates:
        return 0
    live = Credential.objects.filter(group=group, revoked=False).count()
    return max(0, live + count - group.expected_delegates)


@transaction.atomic
def credentials_issue(
    *,
    actor,
    session: Session,
    group: EvaluatorGroup,
    count: int,
    names: list[str] | None = None,
    issue_key: str = "",
) -> list[IssuedCode]:
    """Issue `count` codes for a group. The secrets are returned once, for the slips, and never stored.

    With an ``issue_key`` (the issuing form's), one key makes one batch: a second call with the same key
    returns that batch's codes again (same tokens, derived from the key) and issues nothing.
    """
    ensure_can_manage(actor, session.host)
    if issue_key:
        Session.objects.select_for_update(no_key=True).filter(pk=session.pk).first()  # one batch per key
        batch = issue_batch_for(session=session, issue_key=issue_key)
        if batch is not None:
            if timezone.now() - batch.issued_at > REPLAY_WINDOW:
                # The key sits in the page: an old page must not hand out a batch's codes again.
                message = _("This form has already issued its codes. Reload the page to issue more.")
                raise ScoringError(message, code="replayed")
            return _batch_codes(batch, issue_key)
    names = [n.strip() for n in (names or []) if n.strip()]
    if names:
        count = len(names)
    if group.scheme.session_id != session.pk:
        raise ScoringError(_("This evaluator group belongs to another session."), code="group")
    if not 1 <= count <= 2000:
        raise ScoringError(_("Issue between 1 and 2000 codes at a time."), code="count")
    if names and group.anonymous:
        raise ScoringError(_("Names can only be printed on the codes of a named group."), code="names")
    # Serials stay unique; a rehearsal started or cleared meanwhile is seen.
    rehearsal = (
        Session.objects.select_for_update(no_key=True)
        .filter(pk=session.pk)
        .values_list("rehearsal", flat=True)[0]
    )
    start = (
        Credential.objects.filter(session=session)
        .order_by("-serial")
        .values_list("serial", flat=True)
        .first()
        or 0
    ) + 1
    issued = []
    for serial in range(start, start + count):
        token = codes.batch_token(issue_key, serial) if issue_key else codes.new_token()
        short = codes.short_code_for(token)
        name = names[serial - start] if names else ""
        issued.append(
            IssuedCode(
                serial=serial,
                token=token,
                short_code=short,
                group=group,
                delegate_name=name,
                rehearsal=rehearsal,
            )
        )
    Credential.objects.bulk_create(
        Credential(
            session=session,
            group=group,
            serial=code.serial,
            token_hash=codes.token_hash(code.token),
            short_hash=codes.short_hash(code.short_code),
            delegate_name=code.delegate_name,
            rehearsal=rehearsal,
        )
        for code in issued
    )
    if issue_key:
        IssueBatch.objects.create(
            session=session,
            group=group,
            key_hash=codes.issue_key_hash(issue_key),
            first_serial=start,
            count=count,
        )
    audit.record(
        actor=actor,
        action="credentials.issue",
        obj=session,
        organisation=session.host,
        changes={
            "group": group.name,
            "count": count,
            "serials": [start, start + count - 1],
            "rehearsal": rehearsal,
        },
    )
    return issued


@transaction.atomic
def credential_revoke(*, actor, credential: Credential) -> Credential:
    ensure_can_manage(actor, credential.session.host)
    credential = Credential.objects.select_for_update().get(pk=credential.pk)
    if credential.used:
        raise ScoringError(_("This code has already been used; its ballot stays counted."), code="used")
    if not credential.revoked:
        credential.revoked = True
        credential.save(update_fields=["revoked"])
        audit.record(
            actor=actor,
            action="credential.revoke",
            obj=credential,
            organisation=credential.session.host,
            changes={"serial": credential.serial},
        )
    return credential


def credential_lookup(code_text: str, queryset=None) -> tuple[Credential, str] | None:
    """The credential a typed or scanned code belongs to, with its short code; None if unknown."""
    queryset = Credential.objects.all() if queryset is None else queryset
    text = (code_text or "").strip()
    if codes.looks_like_token(text):
        found = queryset.filter(token_hash=codes.token_hash(text)).first()
        return (found, codes.short_code_for(text)) if found else None
    short = codes.normalise_short(text)
    if len(short) != codes.SHORT_LENGTH:
        return None
    found = queryset.filter(short_hash=codes.short_hash(short)).first()
    return (found, short) if found else None


@transaction.atomic
def credentials_revoke_unused(
    *, actor, session: Session, group: EvaluatorGroup | None = None, batch: IssueBatch | None = None
) -> int:
    """Revoke at once every unused code of a group, or of one issue; returns how many were revoked."""
    ensure_can_manage(actor, session.host)
    if group is None and batch is None:
        raise ScoringError(_("Choose an evaluator group or an issue of codes to revoke."), code="what")
    if (group is not None and group.scheme.session_id != session.pk) or (
        batch is not None and batch.session_id != session.pk
    ):
        raise ScoringError(_("This evaluator group belongs to another session."), code="group")
    unused = Credential.objects.select_for_update().filter(session=session, used=False, revoked=False)
    if group is not None:
        unused = unused.filter(group=group)
    if batch is not None:
        unused = unused.filter(serial__gte=batch.first_serial, serial__lte=batch.last_serial)
    serials = sorted(unused.values_list("serial", flat=True))
    if not serials:
        raise ScoringError(_("There is no unused code to revoke."), code="none")
    Credential.objects.filter(session=session, serial__in=serials).update(revoked=True)
    audit.record(
        actor=actor,
        action="credentials.revoke_unused",
        obj=session,
        organisation=session.host,
        changes={
            "group": group.name if group else batch.group.name,
            "batch": [batch.first_serial, batch.last_serial] if batch else None,
            "count": len(serials),
            "serials": [serials[0], serials[-1]],
        },
    )
    return len(serials)


@transaction.atomic
def credentials_revoke_unprinted(*, actor, session: Session, serials: list[int], issue_key: str = "") -> None:
    """Slips that could not be printed: revoke their codes and forget the issue, so a retry issues anew."""
    ensure_can_manage(actor, session.host)
    for credential in Credential.objects.filter(session=session, serial__in=serials).select_related(
        "session__host"
    ):
        credential_revoke(actor=actor, credential=credential)
    if issue_key:
        IssueBatch.objects.filter(session=session, key_hash=codes.issue_key_hash(issue_key)).delete()
