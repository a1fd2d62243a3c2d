"""Uploaded report drafts and evidence: what is accepted, how it is named, how it is handed back.

Only Word (.docx), PDF, JPG and PNG files are accepted, and the extension must agree with the content
(an .exe renamed .pdf is refused by its first bytes). Files are kept by the private storage, outside the
web root; the only way back out is `serve`, called by a view after it has checked who is asking.
"""

from __future__ import annotations

import posixpath
import secrets
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

MAX_NAME_CHARS = 120


@dataclass(frozen=True)
class Kind:
    label: str
    content_type: str


PDF = Kind("PDF", "application/pdf")
DOCX = Kind("Word (.docx)", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
JPEG = Kind("JPG", "image/jpeg")
PNG = Kind("PNG", "image/png")
KINDS = {"pdf": PDF, "docx": DOCX, "jpg": JPEG, "jpeg": JPEG, "png": PNG}
ACCEPT = ".docx,.pdf,.jpg,.jpeg,.png"

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ZIP_SIGNATURE = b"PK\x03\x04"


class UploadRefused(Exception):
    """A file that is not accepted, with the reason for the person who uploaded it."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def extension(name: str) -> str:
    return posixpath.splitext(name)[1].lower().lstrip(".")


def _sniff(upload: UploadedFile) -> Kind | None:
    """What the file's first bytes say it is (a .docx is a zip holding word/document.xml)."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(PNG_SIGNATURE):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(ZIP_SIGNATURE):
        try:
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        finally:
            upload.seek(0)
        return DOCX if "word/document.xml" in names else None
    return None


def check_upload(upload: UploadedFile) -> Kind:
    """The kind of an acceptable upload; UploadRefused with a specific message otherwise."""
    kind = KINDS.get(extension(upload.name or ""))
    if kind is None:
        raise UploadRefused(_("Only Word (.docx), PDF, JPG and PNG files can be uploaded."), code="type")
    if not upload.size:
        raise UploadRefused(_("The file is empty."), code="empty")
    if upload.size > settings.UPLOAD_MAX_BYTES:
        raise UploadRefused(
            _("The file is %(size)s; files up to %(limit)s can be uploaded.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(settings.UPLOAD_MAX_BYTES)},
            code="too_large",
        )
    if _sniff(upload) is not kind:
        raise UploadRefused(
            _(
                "The file's content is not %(kind)s, whatever its name says; "
                "it may be another type of file renamed. Save it again as %(kind)s and upload that."
            )
            % {"kind": kind.label},
            code="content",
        )
    return kind


def _clean_name(name: str) -> str:
    # Browsers may send a whole path ("C:\\fakepath\\报告.docx"); keep the last part, within bounds.
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "file"
    stem, dot, ext = base.rpartition(".")
    if not dot:
        return base[:MAX_NAME_CHARS]
    return f"{stem[: MAX_NAME_CHARS - len(ext) - 1]}.{ext.lower()}"


def stored_name(original: str) -> str:
    """A name for the storage: a random folder keeps the original name free of collision suffixes."""
    return f"{secrets.token_hex(8)}/{_clean_name(original)}"


def original_name(file: FieldFile) -> str:
    """The name the file was uploaded under (as far as the storage's name rules kept it)."""
    return posixpath.basename(file.name or "")


def serve(file: FieldFile) -> FileResponse:
    """The file as a download: never shown inline, never sniffed into another type, never cached."""
    kind = KINDS.get(extension(file.name or ""))
    if not file or kind is None:
        raise Http404
    try:
        handle = file.storage.open(file.name, "rb")
    except (FileNotFoundError, OSError) as error:
        raise Http404 from error
    response = FileResponse(
        handle, as_attachment=True, filename=original_name(file), content_type=kind.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def private_storage():
    """Uploaded drafts and evidence live outside the web root; views check who may read them."""
    from django.core.files.storage import FileSystemStorage

    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


def checked_upload(upload):
    """A form's clean_<file>: the upload as given, or a ValidationError with the refusal's message."""
    from django import forms

    if upload:
        try:
            check_upload(upload)
        except UploadRefused as refused:
            raise forms.ValidationError(refused.message, code=refused.code) from refused
    return upload
