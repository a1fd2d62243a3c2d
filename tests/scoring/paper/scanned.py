"""Filled-in machine-readable forms of a test session, as the files a clerk uploads (synthetic, 150 dpi)."""

import cv2
import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile

from scoring.paper.models import ScannedPage
from scoring.paper.scan import synthetic
from scoring.paper.scan.layout import form_layout


def sheets(session, group, picks_list, *, double=(), seed=1, distortion="scanner"):
    """One page per form: ``picks_list`` gives, per form, the grade index (0 = 好 … 3 = 差) of every item;
    ``double`` lists (form index, item) pairs marked twice (the reader flags them)."""
    layout = form_layout(session, group)
    images = []
    for number, picks in enumerate(picks_list):
        kinds = {key: "double" if (number, key) in double else "tick" for key in layout.keys}
        pages = synthetic.synthetic_form(
            layout, seed=seed + number, distortion=distortion, kinds=kinds, picks=picks, dpi=150
        )
        images.extend(page.image for page in pages)
    return layout, images


def png(image, name="photo.png") -> SimpleUploadedFile:
    ok, encoded = cv2.imencode(".png", image)
    assert ok
    return SimpleUploadedFile(name, encoded.tobytes(), content_type="image/png")


def grade_of(index: int) -> str:
    return synthetic.grade_values()[index]


@pytest.fixture
def scan_storage(tmp_path, settings, monkeypatch):
    storage = FileSystemStorage(location=str(tmp_path / "private"), base_url=None)
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    monkeypatch.setattr(ScannedPage._meta.get_field("image"), "storage", storage)
    return storage
