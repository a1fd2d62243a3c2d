"""The demo's 扫描计票: a scanned batch on 石匣乡's session — a few photographed forms read and waiting for a
clerk, one of them with a double-marked item to settle. The forms are drawn by the synthetic generator
(``scoring.paper.scan.synthetic``) on the session's real machine-readable form and read by the real reader."""

from django.contrib.auth import get_user_model
from django.db import transaction

from reviews.cycles.models import Session
from reviews.demo.county import SHIJIA_SESSION
from scoring.paper.models import ScanBatch, ScanBatchStatus
from scoring.paper.scanning import store_form
from scoring.schemes.models import EvaluatorGroup

DEMO_SCANNED_FORMS = 4
DEMO_SEED = 2025


def demo_scan_seed() -> int:
    """Add the scanned batch once; returns the number of forms read (0 when already there or not ready)."""
    import cv2

    from scoring.paper.scan import synthetic
    from scoring.paper.scan.batch import read_batch
    from scoring.paper.scan.layout import session_layouts

    session = Session.objects.filter(title=SHIJIA_SESSION.title, host__code=SHIJIA_SESSION.host_code).first()
    clerk = get_user_model().objects.filter(username="shijia").first()
    if session is None or clerk is None or ScanBatch.objects.filter(session=session).exists():
        return 0
    group = EvaluatorGroup.objects.filter(scheme__session=session, order=2).first()
    if group is None:
        return 0
    layouts = session_layouts(session)
    layout = layouts[group.pk]
    images = []
    for number in range(DEMO_SCANNED_FORMS):
        kinds = {key: "fill" if i % 5 == 0 else "tick" for i, key in enumerate(layout.keys)}
        if number == 1:
            kinds[layout.keys[3]] = "double"  # one item to settle by the clerk
        picks = {key: (number + i // 3) % 3 for i, key in enumerate(layout.keys)}
        pages = synthetic.synthetic_form(
            layout,
            seed=DEMO_SEED + number,
            distortion="phone" if number % 2 else "scanner",
            kinds=kinds,
            picks=picks,
        )
        images.extend(page.image for page in pages)
    result = read_batch(images, session_id=session.pk, layouts=layouts)
    stored: list[str] = []
    with transaction.atomic():
        batch = ScanBatch.objects.create(
            session=session,
            uploaded_by=clerk,
            status=ScanBatchStatus.READ,
            total=len(images),
            done=len(images),
        )
        for form in result.forms:
            store_form(batch, session, form, layouts[form.group_id], cv2, stored)
        batch.problems = [
            {
                "file": "demo.jpg",
                "page": p.index + 1,
                "label": f"demo.jpg #{p.index + 1}",
                "code": p.code,
                "message": p.message,
            }
            for p in result.problems
        ]
        batch.save(update_fields=["problems"])
    return len(result.forms)
