"""Uploads: only docx, pdf, jpg and png whose content matches the name, within the size limit, kept in the
private storage and handed back only to those allowed, as an attachment."""

from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reviews import uploads
from reviews.drafts import services as services_drafts
from reviews.uploads import private_storage
from tests.reviews.drafts.test_support import (
    build_chain,
    docx_bytes,
    exe_upload,
    pdf_upload,
    png_upload,
    private_storage_in,
    submitted,
)


@pytest.fixture(autouse=True)
def storage(tmp_path, settings, monkeypatch):
    return private_storage_in(tmp_path, settings, monkeypatch)


def _code(upload) -> str:
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.check_upload(upload)
    return refused.value.code


# What is accepted


def test_a_pdf_png_jpeg_and_docx_are_accepted():
    assert uploads.check_upload(pdf_upload()) is uploads.PDF
    assert uploads.check_upload(png_upload()) is uploads.PNG
    jpeg = SimpleUploadedFile("现场.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 32)
    assert uploads.check_upload(jpeg) is uploads.JPEG
    assert uploads.check_upload(SimpleUploadedFile("述职报告.docx", docx_bytes())) is uploads.DOCX


def test_an_exe_renamed_pdf_is_refused_by_its_first_bytes():
    assert _code(exe_upload("述职报告.pdf")) == "content"


def test_a_png_renamed_jpg_is_refused():
    assert _code(png_upload("照片.jpg")) == "content"


def test_a_zip_that_is_not_a_word_document_is_refused():
    assert _code(SimpleUploadedFile("报告.docx", docx_bytes(with_document=False))) == "content"
    assert _code(SimpleUploadedFile("报告.docx", b"PK\x03\x04 not really a zip")) == "content"


def test_other_extensions_are_refused_whatever_the_content():
    assert _code(SimpleUploadedFile("报告.exe", b"%PDF-1.7")) == "type"
    assert _code(SimpleUploadedFile("报告.doc", b"\xd0\xcf\x11\xe0")) == "type"
    assert _code(SimpleUploadedFile("报告", b"%PDF-1.7")) == "type"


def test_a_file_over_the_limit_is_refused_with_the_limit(settings):
    settings.UPLOAD_MAX_BYTES = 1024
    big = SimpleUploadedFile("大文件.pdf", b"%PDF-1.7" + b"0" * 2000)
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.check_upload(big)
    assert refused.value.code == "too_large" and "1.0" in refused.value.message


def test_an_empty_file_is_refused():
    assert _code(SimpleUploadedFile("空.pdf", b"")) == "empty"


def test_the_stored_name_keeps_the_original_in_its_own_folder():
    name = uploads.stored_name("C:\\fakepath\\2025年度述职报告.docx")
    folder, base = name.split("/")
    assert base == "2025年度述职报告.docx" and len(folder) == 16


# Where files live


def test_the_private_storage_is_outside_media_and_static():
    location = Path(private_storage().location).resolve()
    public = [
        Path(django_settings.MEDIA_ROOT),
        Path(django_settings.STATIC_ROOT),
        *map(Path, django_settings.STATICFILES_DIRS),
    ]
    for root in public:
        assert not location.is_relative_to(root.resolve()), root
    assert location == Path(django_settings.PRIVATE_MEDIA_ROOT).resolve()


def test_an_uploaded_draft_lands_in_the_private_storage(world, storage):
    chain = build_chain(world)
    draft = services_drafts.draft_save(
        actor=chain.shijia_user, report=world.county_reports[0], text="", item_answers={}, file=pdf_upload()
    )
    path = Path(storage.path(draft.file.name))
    assert path.is_file() and path.is_relative_to(Path(storage.location))
    assert not path.is_relative_to(Path(django_settings.MEDIA_ROOT).resolve())


# Who gets the file back


@pytest.fixture
def with_file(world):
    chain = build_chain(world)
    draft = services_drafts.draft_save(
        actor=chain.shijia_user,
        report=world.county_reports[0],
        text="正文",
        item_answers=chain.answers,
        file=pdf_upload("2025年度 述职报告.pdf"),
    )
    draft = services_drafts.draft_submit(actor=chain.shijia_user, draft=draft)
    return chain, draft


def test_the_secretary_downloads_the_file_as_an_attachment_with_its_name(client, with_file):
    chain, draft = with_file
    client.force_login(chain.shijia_user)
    response = client.get(reverse("drafts:file", args=[draft.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote('2025年度_述职报告.pdf')}" in disposition


@pytest.mark.parametrize("who", ["reviewer1", "county", "root", "shijia"])
def test_the_current_reviewer_and_staff_over_the_organisation_download_it(client, with_file, who):
    # 石匣乡's own staff cover 石匣乡 (their scope is the township and its subtree).
    from django.contrib.auth.models import User

    client.force_login(User.objects.get(username=who))
    assert client.get(reverse("drafts:file", args=[with_file[1].pk])).status_code == 200


@pytest.mark.parametrize("who", ["lichunhua", "reviewer2", "reviewer4", "liaoyang"])
def test_anyone_else_gets_a_404(client, world, with_file, who):
    from django.contrib.auth.models import User

    client.force_login(User.objects.get(username=who))
    assert client.get(reverse("drafts:file", args=[with_file[1].pk])).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, with_file):
    response = client.get(reverse("drafts:file", args=[with_file[1].pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_reviewer_keeps_access_to_a_report_they_decided_on(client, with_file):
    chain, draft = with_file
    services_drafts.draft_review(actor=chain.reviewers[0], draft=draft, decision="approve", comment="")
    client.force_login(chain.reviewers[0])
    assert client.get(reverse("drafts:file", args=[draft.pk])).status_code == 200


def test_a_draft_without_file_is_a_404(client, world):
    chain = build_chain(world)
    draft = submitted(world, chain)
    client.force_login(chain.shijia_user)
    assert client.get(reverse("drafts:file", args=[draft.pk])).status_code == 404


def test_a_file_gone_from_the_disk_is_a_404_not_an_error(client, with_file, storage):
    chain, draft = with_file
    storage.delete(draft.file.name)
    client.force_login(chain.shijia_user)
    assert client.get(reverse("drafts:file", args=[draft.pk])).status_code == 404


def test_the_edit_page_refuses_a_renamed_exe_with_the_reason(client, world):
    chain = build_chain(world)
    client.force_login(chain.shijia_user)
    client.cookies["django_language"] = "en"
    response = client.post(
        reverse("drafts:edit", args=[world.county_reports[0].pk]),
        {"text": "正文", "file": exe_upload(), "action": "save"},
    )
    assert response.status_code == 400
    assert "content is not PDF" in response.content.decode()
