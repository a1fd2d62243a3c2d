"""The demo writes scanned page images: into a temporary folder here, never the working copy's var/."""

import pytest
from django.core.files.storage import FileSystemStorage

from scoring.paper.models import ScannedPage


@pytest.fixture(autouse=True)
def demo_scan_storage(tmp_path, settings, monkeypatch):
    storage = FileSystemStorage(location=str(tmp_path / "private"), base_url=None)
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    monkeypatch.setattr(ScannedPage._meta.get_field("image"), "storage", storage)
    return storage
