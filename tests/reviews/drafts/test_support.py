"""Shared actors for the draft and findings tests (no tests here): logins for two secretaries, the cycle's
must-answer and bonus items, the four-step chain with one reviewer each, and a private storage in tmp."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile

from reviews.cycles.models import CycleItem, CycleItemKind
from reviews.drafts import services as services_drafts
from reviews.drafts.models import Draft, ReviewStep
from reviews.findings.models import Finding

MUST_ITEMS = ("班子配备情况", "巡视巡察反馈问题整改情况")
BONUS_ITEMS = ("提升组织力的经验做法",)
TEXT_V1 = "\n".join(
    [
        "一、履职情况",
        "今年召开党委会专题研究党建工作6次。",
        "二、存在问题",
        "村级集体经济薄弱。",
        "三、下步打算",
        "抓好换届。",
    ]
)


@dataclass
class Chain:
    steps: list[ReviewStep]
    reviewers: list[User]
    must: list[CycleItem]
    bonus: list[CycleItem]
    shijia_user: User
    liaoyang_user: User

    @property
    def answers(self) -> dict[str, str]:
        return {str(item.pk): f"第{n}部分" for n, item in enumerate(self.must, start=1)}


def build_chain(world) -> Chain:
    """Logins for 王建国 (石匣乡) and 李春华 (辽阳镇); the default chain; a reviewer at every step."""
    shijia_user = User.objects.create_user("wangjianguo", password="pw", first_name="建国", last_name="王")
    world.shijia_secretary.user = shijia_user
    world.shijia_secretary.save()
    liaoyang_user = User.objects.create_user("lichunhua", password="pw")
    world.liaoyang_secretary.user = liaoyang_user
    world.liaoyang_secretary.save()
    must = [
        CycleItem.objects.create(cycle=world.cycle, kind=CycleItemKind.MUST_ANSWER, text=text, order=n)
        for n, text in enumerate(MUST_ITEMS, start=1)
    ]
    bonus = [
        CycleItem.objects.create(cycle=world.cycle, kind=CycleItemKind.BONUS, text=text, order=n)
        for n, text in enumerate(BONUS_ITEMS, start=1)
    ]
    steps = services_drafts.review_chain_default(actor=world.superuser, cycle=world.cycle)
    reviewers = []
    for n, step in enumerate(steps, start=1):
        reviewer = User.objects.create_user(f"reviewer{n}", password="pw", is_staff=n < 4)
        step.reviewers.add(reviewer)
        reviewers.append(reviewer)
    return Chain(steps, reviewers, must, bonus, shijia_user, liaoyang_user)


def private_storage_in(tmp_path, settings, monkeypatch) -> FileSystemStorage:
    """Uploaded drafts and evidence go to tmp, not to the checkout's var/private."""
    storage = FileSystemStorage(location=str(tmp_path / "private"), base_url=None)
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    monkeypatch.setattr(Draft._meta.get_field("file"), "storage", storage)
    monkeypatch.setattr(Finding._meta.get_field("evidence"), "storage", storage)
    return storage


def pdf_upload(name: str = "述职报告.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n", "application/pdf"
    )


def png_upload(name: str = "暗访照片.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")


def docx_bytes(with_document: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        if with_document:
            archive.writestr("word/document.xml", "<w:document/>")
        else:
            archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def exe_upload(name: str = "述职报告.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120, "application/pdf")


def submitted(world, chain: Chain, text: str = TEXT_V1) -> Draft:
    """石匣乡's draft, written and submitted: waiting at step 1."""
    draft = services_drafts.draft_save(
        actor=chain.shijia_user, report=world.county_reports[0], text=text, item_answers=chain.answers
    )
    return services_drafts.draft_submit(actor=chain.shijia_user, draft=draft)


def approve_to(draft: Draft, chain: Chain, steps: int) -> Draft:
    """Approve the draft at the first `steps` steps of the chain."""
    for reviewer in chain.reviewers[:steps]:
        services_drafts.draft_review(actor=reviewer, draft=draft, decision="approve", comment="")
    draft.refresh_from_db()
    return draft
