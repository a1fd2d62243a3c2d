"""Uploaded files → page images (greyscale numpy arrays), ready for ``reader.read_page``.

PDF pages are rasterised with pypdfium2 (PDFium, the renderer of Chromium: maintained, wheels with no
system dependency, fast and tolerant of the odd PDFs office scanners write). JPEG and PNG are decoded
with Pillow, turned upright by their EXIF orientation (a phone stores a portrait photo sideways with an
orientation tag) and converted to luminance.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ScanError

PDF_DPI = 200  # enough for 5.5 mm boxes and the QR code; a 50-page batch stays quick
MAX_PAGES = 500
MAX_PIXELS = 60_000_000  # a 60-megapixel photo at most (Pillow refuses decompression bombs beyond)


def is_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF")


def pdf_pages(data: bytes, *, dpi: int = PDF_DPI) -> Iterator[np.ndarray]:
    """Each page of a PDF as a greyscale image, in order."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ScanError(_("The PDF file cannot be opened: %(error)s") % {"error": exc}, code="pdf") from exc
    try:
        if len(document) > MAX_PAGES:
            raise ScanError(
                _("The PDF has %(count)s pages; upload at most %(max)s at a time.")
                % {"count": len(document), "max": MAX_PAGES},
                code="pdf_pages",
            )
        for index in range(len(document)):
            page = document[index]
            try:
                bitmap = page.render(scale=dpi / 72, grayscale=True)
                array = bitmap.to_numpy()
                yield np.ascontiguousarray(array[:, :, 0] if array.ndim == 3 else array)
            finally:
                page.close()
    finally:
        document.close()


def image_page(data: bytes) -> np.ndarray:
    """A JPEG or PNG (or any image Pillow reads) as a greyscale image, upright by its EXIF orientation."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ScanError(_("The image is too large."), code="image_size")
            upright = ImageOps.exif_transpose(image)
            return np.asarray(upright.convert("L"))
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ScanError(_("This file is neither a PDF nor an image."), code="image") from exc


def file_pages(data: bytes, *, dpi: int = PDF_DPI) -> list[np.ndarray]:
    """The pages of one uploaded file: every page of a PDF, or the one image."""
    return list(pdf_pages(data, dpi=dpi)) if is_pdf(data) else [image_page(data)]
