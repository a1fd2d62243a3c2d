"""Uploaded files to page images: multi-page PDF, JPEG with EXIF orientation, PNG; other files refused."""

import io

import numpy as np
import pytest
from PIL import Image

from scoring.paper.scan import pages
from scoring.paper.scan.errors import ScanError


def _pdf(sizes) -> bytes:
    images = [Image.new("L", size, 255) for size in sizes]
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=100)
    return out.getvalue()


def test_every_page_of_a_pdf_becomes_a_greyscale_image():
    data = _pdf([(827, 1169), (1169, 827), (827, 1169)])  # A4 at 100 dpi: portrait, landscape, portrait
    result = pages.file_pages(data, dpi=50)
    assert [p.shape for p in result] == [(585, 414), (414, 585), (585, 414)]
    assert all(p.dtype == np.uint8 and p.ndim == 2 and p.min() > 240 for p in result)


def test_a_phone_photo_is_turned_upright_by_its_exif_orientation():
    photo = Image.new("RGB", (400, 300), (255, 255, 255))
    photo.paste((0, 0, 0), (0, 0, 40, 40))  # a dark corner, top-left as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned: display rotated 90° clockwise
    out = io.BytesIO()
    photo.save(out, format="JPEG", exif=exif)
    page = pages.file_pages(out.getvalue())[0]
    assert page.shape == (400, 300)
    assert page[:40, -40:].mean() < 30  # the dark corner is now top-right


def test_a_png_is_one_page():
    out = io.BytesIO()
    Image.new("RGBA", (50, 70), (10, 20, 30, 255)).save(out, format="PNG")
    [page] = pages.file_pages(out.getvalue())
    assert page.shape == (70, 50) and page.max() < 40


@pytest.mark.parametrize("data", [b"not an image", b"%PDF-1.7 broken"])
def test_other_files_are_refused(data):
    with pytest.raises(ScanError) as refused:
        pages.file_pages(data)
    assert refused.value.code in ("image", "pdf")
