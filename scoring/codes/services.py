"""Issuing, revoking and looking up scoring codes."""

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from reviews.audit import services as audit
from reviews.cycles.models import Session
from reviews.scope import ensure_can_manage
from scoring.codes import tokens as codes
from scoring.codes.models import Credential
from scoring.errors import ScoringError
from scoring.schemes.models import (
    EvaluatorGroup,
)

# ---------------------------------------------------------------------------------------------------
# Codes


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


@transaction.atomic
def credentials_issue(
    *, actor, session: Session, group: EvaluatorGroup, count: int, names: list[str] | None = None
) -> list[IssuedCode]:
    """Issue `count` codes for a group. The secrets are returned once, for the slips, and never stored."""
    ensure_can_manage(actor, session.host)
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
        token = codes.new_token()
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
