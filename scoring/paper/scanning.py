"""扫描计票: scanned paper forms, read by ``scoring.paper.scan``, confirmed by one clerk, counted.

The scan plus one confirming clerk replaces the second typist. A form counts exactly as a double-entered
paper ballot counts (``services._count_paper``: 废票 with a reason, the same-grade rule and the over-issue
rule are the tally's, on the PaperBallot rows), only after every flagged item has the clerk's decision.

Anonymity: every printed form of a group is identical and nothing stored here names a delegate. The paper
ballot of a scanned form gets a random form number above the typed range (100000–999999), never the order
in which the sheets were scanned.

Reading a batch takes seconds (≈6 s for 50 pages), so it happens in the request: the batch row is written
first and its ``done`` counter is updated page by page (the upload page polls it); everything the batch
yields — forms, pages, images — is written in one transaction at the end, or nothing is.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from reviews.audit import services as audit
from reviews.cycles.models import Session
from reviews.scope import ensure_can_manage
from scoring import tally
from scoring.errors import ScoringError
from scoring.paper import services
from scoring.paper.models import (
    PaperBallot,
    PaperStatus,
    ScanBatch,
    ScanBatchStatus,
    ScannedForm,
    ScannedPage,
    ScannedState,
)
from scoring.schemes.models import Scheme, ScoringStatus

MAX_BATCH_PAGES = 200  # ≈25 s of reading: more is uploaded in several batches
SCAN_SERIALS = (100_000, 999_999)  # typed forms use 1–99999
NONE = ""  # the clerk's decision "no grade for this item"


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


def _open_scheme(actor, session: Session):
    ensure_can_manage(actor, session.host)
    scheme = Scheme.objects.filter(session=session).first()
    if scheme is None or scheme.scoring_status != ScoringStatus.OPEN:
        raise ScoringError(_("Scanned forms can be uploaded only while scoring is open."), code="not_open")
    return scheme


def _uploads(files: Iterable) -> list[Upload]:
    """The uploaded files, within UPLOAD_MAX_BYTES together (what nginx's client_max_body_size allows)."""
    files = list(files)
    if not files:
        raise ScoringError(_("Choose the scanned PDF or the photos of the forms."), code="no_file")
    total = sum(file.size for file in files)
    if total > settings.UPLOAD_MAX_BYTES:
        raise ScoringError(
            _("The files come to %(size)s; upload at most %(limit)s at a time, in several batches.")
            % {"size": filesizeformat(total), "limit": filesizeformat(settings.UPLOAD_MAX_BYTES)},
            code="too_large",
        )
    return [Upload(name=file.name, data=file.read()) for file in files]


def _pages(uploads: list[Upload]) -> tuple[list, list[tuple[str, int]]]:
    """Every page image of the upload, and where each came from (file name, page in the file)."""
    from scoring.paper.scan.errors import ScanError
    from scoring.paper.scan.pages import file_pages

    images, origins = [], []
    for upload in uploads:
        try:
            pages = file_pages(upload.data)
        except ScanError as error:
            raise ScoringError(f"{upload.name}: {error.message}", code=error.code or "file") from error
        images.extend(pages)
        origins.extend((upload.name, number) for number in range(1, len(pages) + 1))
        if len(images) > MAX_BATCH_PAGES:
            raise ScoringError(
                _("Upload at most %(max)s pages at a time; split the scan into several batches.")
                % {"max": MAX_BATCH_PAGES},
                code="too_many_pages",
            )
    return images, origins


def page_label(origin: tuple[str, int], single: bool) -> str:
    name, number = origin
    return name if single else _("%(file)s, page %(page)s") % {"file": name, "page": number}


def scan_batch_upload(*, actor, session: Session, files: Iterable) -> ScanBatch:
    """Read an upload of scanned pages into forms to review. Refused whole (nothing written) when the
    session is out of scope or closed, a file cannot be opened, or no page at all can be read."""
    import cv2

    from scoring.paper.scan.batch import read_batch
    from scoring.paper.scan.errors import ScanUnsupported
    from scoring.paper.scan.layout import session_layouts

    _open_scheme(actor, session)
    uploads = _uploads(files)
    images, origins = _pages(uploads)
    try:
        layouts = session_layouts(session)
    except ScanUnsupported as error:
        raise ScoringError(error.message, code="points") from error
    batch = ScanBatch.objects.create(session=session, uploaded_by=actor, total=len(images))
    stored: list[str] = []  # image files written: removed again if the batch is not kept

    def progress(done: int) -> None:
        ScanBatch.objects.filter(pk=batch.pk).update(done=done)

    try:
        known = ScannedPage.objects.filter(session=session)
        seen_up_to = known.order_by("-pk").values_list("pk", flat=True).first() or 0
        result = read_batch(
            images,
            session_id=session.pk,
            layouts=layouts,
            known_digests=list(known.values_list("digest", flat=True)),
            known_signatures=[
                (group, number, bytes(signature))
                for group, number, signature in known.values_list("form__group_id", "number", "signature")
            ],
            progress=progress,
        )
        single = {name: sum(1 for o in origins if o[0] == name) == 1 for name, _n in origins}
        problems = [
            {
                "file": origins[p.index][0],
                "page": origins[p.index][1],
                "label": page_label(origins[p.index], single[origins[p.index][0]]),
                "code": p.code,
                "message": p.message,
            }
            for p in result.problems
        ]
        kept = ("duplicate", "incomplete")  # pages of forms: worth a batch row that says why
        if not result.forms and problems and all(p["code"] not in kept for p in problems):
            # Nothing readable at all: a wrong file, not a batch to keep.
            raise ScoringError(
                _("No page of this upload could be read: %(reason)s") % {"reason": problems[0]["message"]},
                code="unreadable",
            )
        with transaction.atomic():
            scheme = services.lock_scheme_for_submit(session.pk)
            if scheme.scoring_status != ScoringStatus.OPEN:
                raise ScoringError(
                    _("Scanned forms can be uploaded only while scoring is open."), code="not_open"
                )
            # Serialise uploads of the session, then look again at pages another upload stored meanwhile.
            Session.objects.select_for_update().filter(pk=session.pk).first()
            forms = _not_stored_meanwhile(result.forms, session, seen_up_to, origins, single, problems)
            for form in forms:
                store_form(batch, session, form, layouts[form.group_id], cv2, stored)
            batch.problems = problems
            batch.done = len(images)
            batch.status = ScanBatchStatus.READ
            batch.save(update_fields=["problems", "done", "status"])
            audit.record(
                actor=actor,
                action="paper.scan_upload",
                obj=session,
                organisation=session.host,
                changes={"pages": len(images), "forms": len(forms), "refused": len(problems)},
            )
    except BaseException:
        _discard(batch, stored)
        raise
    return batch


def _not_stored_meanwhile(forms, session: Session, seen_up_to: int, origins, single, problems: list) -> list:
    """The forms none of whose pages another upload stored while this one was being read."""
    from scoring.paper.scan.reader import same_sheet

    recent = list(
        ScannedPage.objects.filter(session=session, pk__gt=seen_up_to).values_list(
            "digest", "form__group_id", "number", "signature"
        )
    )
    if not recent:
        return list(forms)
    kept = []
    for form in forms:
        twice = [
            index
            for index, page in zip(form.indexes, form.pages, strict=True)
            if any(
                digest == page.digest
                or (
                    (group, number) == (page.group_id, page.page)
                    and same_sheet(bytes(signature), page.signature)
                )
                for digest, group, number, signature in recent
            )
        ]
        if not twice:
            kept.append(form)
            continue
        for index in form.indexes:
            problems.append(
                {
                    "file": origins[index][0],
                    "page": origins[index][1],
                    "label": page_label(origins[index], single[origins[index][0]]),
                    "code": "duplicate",
                    "message": _(
                        "This sheet has been read before (scanned or uploaded twice): not counted again."
                    ),
                }
            )
    return kept


def _discard(batch: ScanBatch, stored: list[str]) -> None:
    storage = ScannedPage._meta.get_field("image").storage
    for name in stored:
        storage.delete(name)
    batch.delete()


def store_form(batch: ScanBatch, session: Session, form, layout, cv2, stored: list[str]) -> ScannedForm:
    boxes = {page.page: page.box_pixels(layout) for page in form.pages}
    page_of = {box.key: page.number for page in layout.pages for box in page.boxes}
    cells = [
        {
            "r": cell.report_id,
            "c": cell.criterion_id,
            "grade": cell.grade,
            "flag": str(cell.flag) if cell.flag is not None else None,
            "confidence": round(float(cell.confidence), 3),
            "page": page_of[cell.key],
            "box": list(boxes[page_of[cell.key]][cell.key]),
        }
        for cell in form.cells
    ]
    scanned = ScannedForm.objects.create(
        batch=batch,
        session=session,
        group_id=form.group_id,
        cells=cells,
        flagged=len(form.flagged),
        to_review=len(form.to_review),
    )
    for page in form.pages:
        ok, encoded = cv2.imencode(".png", page.image)
        if not ok:  # pragma: no cover - OpenCV encodes any uint8 image
            raise ScoringError(_("The page image cannot be stored."), code="image")
        row = ScannedPage(
            form=scanned,
            session=session,
            number=page.page,
            width=int(page.image.shape[1]),
            height=int(page.image.shape[0]),
            digest=page.digest,
            signature=page.signature,
        )
        row.image.save(f"{secrets.token_hex(8)}/p{page.page}.png", ContentFile(encoded.tobytes()), save=False)
        stored.append(row.image.name)
        row.save()
    return scanned


# ---------------------------------------------------------------------------------------------------
# Confirming


def cell_key(cell: Mapping) -> tuple[int, int]:
    return (int(cell["r"]), int(cell["c"]))


def _random_serial(session: Session) -> int:
    low, high = SCAN_SERIALS
    taken = set(PaperBallot.objects.filter(session=session, serial__gte=low).values_list("serial", flat=True))
    while True:
        serial = low + secrets.randbelow(high - low + 1)
        if serial not in taken:
            return serial


def _item_label(cell: Mapping, reports: Mapping[int, str], criteria: Mapping[int, str]) -> str:
    return f"{reports.get(int(cell['r']), '?')} · {criteria.get(int(cell['c']), '?')}"


@transaction.atomic
def scanned_form_confirm(
    *,
    actor,
    form: ScannedForm,
    corrections: Mapping[tuple[int, int], str],
    invalid_reason: str = "",
) -> ScannedForm:
    """A clerk confirms what was read, with corrections ({item: grade value, or "" for no grade}); the
    form is counted as a paper ballot (or a 废票 with the reason). Every flagged item needs a decision."""
    scheme = services._paper_scheme(actor, form.session)
    form = ScannedForm.objects.select_for_update().select_related("session").get(pk=form.pk)
    if form.state != ScannedState.REVIEW:
        raise ScoringError(_("This scanned form has been confirmed already."), code="confirmed")
    if form.group.scheme_id != scheme.pk:
        raise ScoringError(_("This evaluator group belongs to another session."), code="group")
    allowed = {*(grade.value for grade in tally.GRADES), NONE}
    keys = {cell_key(cell) for cell in form.cells}
    for key, value in corrections.items():
        if key not in keys or value not in allowed:
            raise ScoringError(
                _("These corrections do not match the scanned form. Reload the page."), code="tampered"
            )
    invalid_reason = invalid_reason.strip()
    reports = services._session_reports(form.session)
    if not invalid_reason:
        undecided = [cell for cell in form.cells if cell["flag"] and cell_key(cell) not in corrections]
        if undecided:
            criteria = dict(scheme.criteria.values_list("pk", "name"))
            raise ScoringError(
                _("Decide every flagged item before confirming (%(count)s left): %(items)s.")
                % {
                    "count": len(undecided),
                    "items": "；".join(_item_label(c, reports, criteria) for c in undecided[:5]),
                },
                code="undecided",
            )
    marks = {cell_key(cell): cell["grade"] for cell in form.cells if cell["grade"] and not cell["flag"]}
    for key, value in corrections.items():
        if value == NONE:
            marks.pop(key, None)
        else:
            marks[key] = value
    document = (
        {} if invalid_reason else services._marks_document(services.clean_marks(scheme, reports, marks))
    )
    paper = PaperBallot.objects.create(
        session=form.session,
        group=form.group,
        serial=_random_serial(form.session),
        status=PaperStatus.WAITING,
    )
    services._count_paper(paper, document, invalid_reason)
    paper.resolved_by = actor
    paper.save(update_fields=["status", "ballot", "resolved_by"])
    form.state = ScannedState.INVALID if invalid_reason else ScannedState.COUNTED
    form.corrections = {f"{r}-{c}": value for (r, c), value in sorted(corrections.items())}
    form.invalid_reason = invalid_reason
    form.paper_ballot = paper
    form.confirmed_by = actor
    form.confirmed_at = timezone.now()
    form.save(
        update_fields=[
            "state",
            "corrections",
            "invalid_reason",
            "paper_ballot",
            "confirmed_by",
            "confirmed_at",
        ]
    )
    audit.record(
        actor=actor,
        action="paper.scan_confirm",
        obj=form.session,
        organisation=form.session.host,
        changes={"scanned_form": form.pk, "status": paper.status, "corrected": len(corrections)},
    )
    return form
