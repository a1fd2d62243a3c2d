"""Issuing, revoking and looking up scoring codes."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from reviews.audit import services as audit
from reviews.cycles.models import Session
from reviews.scope import ensure_can_manage
from scoring.codes import tokens as codes
from scoring.codes.models import BatchStatus, Credential, IssueBatch
from scoring.errors import ScoringError
from scoring.schemes.models import EvaluatorGroup, Scheme, ScoringStatus

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


def batch_codes(batch: IssueBatch, issue_key: str) -> list[IssuedCode]:
    """Every code of a batch, derived from its form's key: the serials, names and rehearsal it reserved."""
    names = list(batch.names or [])
    issued = []
    for index, serial in enumerate(range(batch.first_serial, batch.last_serial + 1)):
        token = codes.batch_token(issue_key, serial)
        issued.append(
            IssuedCode(
                serial=serial,
                token=token,
                short_code=codes.short_code_for(token),
                group=batch.group,
                delegate_name=names[index] if index < len(names) else "",
                rehearsal=batch.rehearsal,
            )
        )
    return issued


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


def failed_form_message() -> str:
    return _(
        "The slips of this form could not be printed and no code was issued. Reload the page to issue codes."
    )


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
    printing = (
        IssueBatch.objects.filter(group=group, status=BatchStatus.RENDERING).aggregate(n=Sum("count"))["n"]
        or 0
    )
    return max(0, live + printing + count - group.expected_delegates)


def _next_serial(session: Session) -> int:
    """After every code and every serial a batch reserved (a failed batch's serials are not used again)."""
    codes_max = Credential.objects.filter(session=session).aggregate(n=Max("serial"))["n"] or 0
    batches_max = (
        IssueBatch.objects.filter(session=session)
        .annotate(last=F("first_serial") + F("count") - 1)
        .aggregate(n=Max("last"))["n"]
        or 0
    )
    return max(codes_max, batches_max) + 1


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
            if batch.status == BatchStatus.FAILED:
                raise ScoringError(failed_form_message(), code="failed")
            if batch.status == BatchStatus.RENDERING:
                raise ScoringError(_("The slips of this form are still being printed."), code="printing")
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
    start = _next_serial(session)
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


# ---------------------------------------------------------------------------------------------------
# Slips as a background job: codes live only once their slips are printed

SLIPS_JOB = "codes.slips"


def _scoring_closed(session: Session) -> bool:
    return Scheme.objects.filter(session=session, scoring_status=ScoringStatus.CLOSED).exists()


@transaction.atomic
def slips_issue_start(
    *,
    actor,
    session: Session,
    group: EvaluatorGroup,
    count: int,
    names: list[str] | None = None,
    issue_key: str,
) -> IssueBatch:
    """Reserve a batch's serials and start the job that prints its slips; no code exists yet.

    One key makes one batch and one job: a second call with the same key (a double click, a second
    thread) gets that batch back, with its job. The key stays in the job's parameters only until the job
    ends (the tokens are derived from it); the batch keeps only its keyed hash.
    """
    from reviews.jobs import services as jobs

    ensure_can_manage(actor, session.host)
    if not issue_key:
        raise ValueError("slips are issued with the form's key")
    Session.objects.select_for_update(no_key=True).filter(pk=session.pk).first()  # one batch per key
    batch = issue_batch_for(session=session, issue_key=issue_key)
    if batch is not None:
        if timezone.now() - batch.issued_at > REPLAY_WINDOW:
            message = _("This form has already issued its codes. Reload the page to issue more.")
            raise ScoringError(message, code="replayed")
        if batch.status == BatchStatus.READY and batch.job_id is None:
            # Issued as a list (CSV) by the same form: print the same codes; nothing is issued.
            job = jobs.job_start(
                kind=SLIPS_JOB,
                actor=actor,
                organisation=session.host,
                params={"batch": batch.pk, "session": session.pk, "issue_key": issue_key, "reprint": True},
            )
            batch.job = job
            batch.save(update_fields=["job"])
        return batch
    names = [n.strip() for n in (names or []) if n.strip()]
    if names:
        count = len(names)
    _check_issue(session=session, group=group, count=count, names=names)
    rehearsal = Session.objects.filter(pk=session.pk).values_list("rehearsal", flat=True)[0]
    batch = IssueBatch.objects.create(
        session=session,
        group=group,
        key_hash=codes.issue_key_hash(issue_key),
        first_serial=_next_serial(session),
        count=count,
        status=BatchStatus.RENDERING,
        rehearsal=rehearsal,
        names=names,
    )
    batch.job = jobs.job_start(
        kind=SLIPS_JOB,
        actor=actor,
        organisation=session.host,
        params={"batch": batch.pk, "session": session.pk, "issue_key": issue_key},
    )
    batch.save(update_fields=["job"])
    audit.record(
        actor=actor,
        action="credentials.slips_start",
        obj=session,
        organisation=session.host,
        changes={
            "group": group.name,
            "count": count,
            "serials": [batch.first_serial, batch.last_serial],
            "rehearsal": rehearsal,
        },
    )
    return batch


def _check_issue(*, session: Session, group: EvaluatorGroup, count: int, names: list[str]) -> None:
    if group.scheme.session_id != session.pk:
        raise ScoringError(_("This evaluator group belongs to another session."), code="group")
    if not 1 <= count <= 2000:
        raise ScoringError(_("Issue between 1 and 2000 codes at a time."), code="count")
    if names and group.anonymous:
        raise ScoringError(_("Names can only be printed on the codes of a named group."), code="names")
    if _scoring_closed(session):
        raise ScoringError(_("Scoring has closed: no more codes can be issued."), code="closed")


@transaction.atomic
def slips_ready(*, batch_id: int, job, issued: list[IssuedCode]) -> IssueBatch:
    """The slips exist: create the batch's codes and mark it ready, in one transaction.

    Refused (nothing written) when the batch is no longer printing (failed, or a rehearsal cleared it),
    when this run of the job is no longer the live one (recovered after a restart), when a rehearsal
    started or ended meanwhile (the slips would say the wrong thing), or when scoring has closed.
    """
    from reviews.jobs.models import Job, JobStatus

    batch = (
        IssueBatch.objects.select_for_update(of=("self",))
        .select_related("session__host", "group")
        .filter(pk=batch_id)
        .first()
    )
    live = Job.objects.select_for_update().filter(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts)
    if batch is None or batch.status != BatchStatus.RENDERING or batch.job_id != job.pk or not live.exists():
        raise ScoringError(_("These slips are no longer wanted: their issue was cancelled."), code="gone")
    session = batch.session
    rehearsal = (
        Session.objects.select_for_update(no_key=True)
        .filter(pk=session.pk)
        .values_list("rehearsal", flat=True)[0]
    )
    if rehearsal != batch.rehearsal:
        raise ScoringError(
            _("A rehearsal started or ended while the slips were printed. Issue the codes again."),
            code="rehearsal",
        )
    if _scoring_closed(session):
        raise ScoringError(_("Scoring has closed: no more codes can be issued."), code="closed")
    Credential.objects.bulk_create(
        (
            Credential(
                session=session,
                group=batch.group,
                serial=code.serial,
                token_hash=codes.token_hash(code.token),
                short_hash=codes.short_hash(code.short_code),
                delegate_name=code.delegate_name,
                rehearsal=batch.rehearsal,
            )
            for code in issued
        ),
        batch_size=1000,
    )
    batch.status = BatchStatus.READY
    batch.save(update_fields=["status"])
    Job.objects.filter(pk=job.pk).update(params=_without_key(job.params))
    actor = job.created_by
    audit.record(
        actor=actor,
        action="credentials.issue",
        obj=session,
        organisation=session.host,
        changes={
            "group": batch.group.name,
            "count": batch.count,
            "serials": [batch.first_serial, batch.last_serial],
            "rehearsal": batch.rehearsal,
        },
    )
    from scoring.preflight import services as preflight_services

    preflight_services.document_printed(
        actor=actor, session=session, document=preflight_services.SLIPS, group=batch.group, count=batch.count
    )
    return batch


def _without_key(params: dict) -> dict:
    return {name: value for name, value in (params or {}).items() if name != "issue_key"}


def slips_failed(job) -> None:
    """The slips job failed for good (inside job_fail's transaction): no code of its batch stays live.

    Its codes exist only if the PDF was drawn but could not be kept; nobody has seen them, so they are
    deleted. The batch is marked failed (its serials are not used again) and the key forgotten.
    """
    from reviews.jobs.models import Job

    Job.objects.filter(pk=job.pk).update(params=_without_key(job.params))
    if job.params.get("reprint"):
        return
    batch = (
        IssueBatch.objects.select_for_update(of=("self",))
        .select_related("session__host", "group")
        .filter(pk=job.params.get("batch"), job_id=job.pk)
        .first()
    )
    if batch is None or batch.status == BatchStatus.FAILED:
        return
    deleted, _detail = Credential.objects.filter(
        session_id=batch.session_id,
        serial__gte=batch.first_serial,
        serial__lte=batch.last_serial,
        used=False,
    ).delete()
    batch.status = BatchStatus.FAILED
    batch.save(update_fields=["status"])
    audit.record(
        actor=None,
        action="credentials.slips_failed",
        obj=batch.session,
        organisation=batch.session.host,
        changes={
            "group": batch.group.name,
            "count": batch.count,
            "serials": [batch.first_serial, batch.last_serial],
            "codes_deleted": deleted,
        },
    )


def slips_files_delete(*, session_id: int) -> int:
    """Delete the slips PDFs of a session's batches (they hold the codes' secrets). Returns how many."""
    from reviews.jobs.models import Job
    from reviews.jobs.services import job_result_delete

    deleted = 0
    for job in Job.objects.filter(kind=SLIPS_JOB, params__session=session_id).exclude(result=""):
        job_result_delete(job=job)
        deleted += 1
    return deleted
