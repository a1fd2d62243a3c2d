"""Sending a file: a name every OS accepts, the Chinese name kept (RFC 6266/5987), never cached.

Slips carry secret codes, drafts and results are not public: every download is private and not stored by
caches. Both apps send their files through here.
"""

import re
import unicodedata
from urllib.parse import quote

from django.http import FileResponse, HttpResponse

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def safe_filename(name: str) -> str:
    """A file name any OS accepts: path separators, reserved and control characters become '_'."""
    name = _UNSAFE.sub("_", unicodedata.normalize("NFC", name)).strip(" .")
    return name or "download"


def _disposition(kind: str, filename: str, fallback: str) -> str:
    filename = safe_filename(filename)
    if not fallback:
        if filename.isascii():
            fallback = filename
        else:  # old clients that ignore filename* get a plain name with the right extension
            _stem, dot, extension = filename.rpartition(".")
            fallback = f"download.{extension}" if dot and extension.isascii() else "download"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _private(response: HttpResponse, content: bytes) -> HttpResponse:
    response["Content-Length"] = str(len(content))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def attachment_response(
    filename: str, content_type: str, content: bytes, *, fallback: str = ""
) -> HttpResponse:
    """A download saved under `filename` (`fallback`: the ASCII name for old clients)."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = _disposition("attachment", filename, fallback)
    return _private(response, content)


def file_attachment_response(filename: str, content_type: str, handle) -> FileResponse:
    """A stored file sent in chunks (a 40 MB ledger never sits in a worker's memory); `handle` is open
    for reading in binary and closed by the response."""
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = _disposition("attachment", filename, "")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def pdf_inline_response(pdf: bytes, filename: str) -> HttpResponse:
    """A PDF the browser shows, saved under `filename` when the user saves it."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = _disposition("inline", filename, "")
    return _private(response, pdf)
