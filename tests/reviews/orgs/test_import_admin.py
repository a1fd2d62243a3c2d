"""The Excel import in the organisation admin: upload → preview → confirm, and the template."""

import io
import uuid
from urllib.parse import quote

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reviews.orgs.import_admin import SESSION_KEY
from reviews.orgs.imports import ORG_HEADERS, TEMPLATE_FILENAME
from reviews.orgs.models import Organisation
from tests.reviews.orgs.test_import import NEW_SECRETARIES, NEW_TOWN, stored, workbook

UPLOAD = "admin:reviews_organisation_import"
CONFIRM = "admin:reviews_organisation_import_confirm"
TEMPLATE = "admin:reviews_organisation_import_template"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.LANGUAGE_CODE = "en"
    return tmp_path / "imports"


def upload(client, data: bytes, name: str = "orgs.xlsx"):
    return client.post(reverse(UPLOAD), {"file": SimpleUploadedFile(name, data)}, HTTP_ACCEPT_LANGUAGE="en")


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_upload_page_offers_the_form_and_the_template(world, client):
    client.force_login(world.county_staff)
    page = client.get(reverse(UPLOAD), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'type="file"' in html and reverse(TEMPLATE) in html
    assert reverse("admin:reviews_organisation_changelist") in html  # breadcrumbs


def test_upload_preview_confirm_imports_the_file(world, client, media):
    client.force_login(world.county_staff)
    before = stored()

    preview = upload(client, workbook(NEW_TOWN, NEW_SECRETARIES))

    assert preview.status_code == 200
    assert preview.templates[0].name == "admin/reviews/organisation/import_preview.html"
    assert preview.context["counts"]["organisations_created"] == 3
    html = preview.content.decode()
    assert "中共新华镇委员会" in html and "张新" in html
    assert stored() == before  # a preview writes nothing
    token = client.session[SESSION_KEY]
    assert (media / f"{token}.xlsx").is_file()

    done = client.post(reverse(CONFIRM), {"token": token})

    assert done.status_code == 302 and done.url == reverse("admin:reviews_organisation_changelist")
    assert Organisation.objects.get(code="T03V01").parent.code == "T03"
    assert not (media / f"{token}.xlsx").exists()
    assert SESSION_KEY not in client.session
    assert any("Party organisations created: 3" in text for text in texts(done))


def test_the_preview_shows_an_update_as_old_and_new(world, client):
    client.force_login(world.county_staff)
    rows = [("T01V01", "石匣村党总支", "", "T01", "党支部", "农村")]
    html = upload(client, workbook(rows, [("T01", "赵六", "男", "", "2025-06-01")])).content.decode()
    assert "name: 石匣村党支部 → 石匣村党总支" in html
    assert "Hand-over: 王建国's term from 2021-01-01 ends on 2025-05-31." in html


def test_a_file_with_problems_shows_them_and_writes_nothing(world, client, media):
    client.force_login(world.county_staff)
    before = stored()
    rows = [("T01V09", "九号党支部", "", "X99", "党支部", "")]
    page = upload(client, workbook(rows, [("T01V01", "钱七", "女", "", "昨天")]))
    assert page.status_code == 200
    assert [(p.sheet, p.row, p.column, p.code) for p in page.context["problems"]] == [
        ("党组织", 2, "上级编码", "unknown_parent"),
        ("书记", 2, "任职日期", "bad_date"),
    ]
    html = page.content.decode()
    assert "<td>上级编码</td>" in html and "The parent code “X99”" in html
    assert stored() == before
    assert SESSION_KEY not in client.session
    assert not media.exists() or not any(media.iterdir())


def test_township_staff_are_told_when_the_file_reaches_outside_their_subtree(world, client):
    client.force_login(world.shijia_staff)
    page = upload(client, workbook([("T02V03", "辽阳新村党支部", "", "T02", "党支部", "农村")]))
    assert [p.code for p in page.context["problems"]] == ["out_of_scope"]
    assert not Organisation.objects.filter(code="T02V03").exists()


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("orgs.xls", b"x", "Choose an Excel workbook saved as .xlsx."),
        ("orgs.xlsx", b"x" * 2048, "The file is larger than"),
    ],
)
def test_the_form_refuses_other_files_and_big_ones(world, client, settings, name, data, error):
    settings.IMPORT_MAX_BYTES = 1024
    client.force_login(world.county_staff)
    page = upload(client, data, name)
    assert error in page.content.decode()
    assert page.context["problems"] == []


def test_a_file_that_is_not_a_workbook_gets_a_message_not_an_error_page(world, client):
    client.force_login(world.county_staff)
    page = upload(client, b"PK\x03\x04 not really")
    assert page.status_code == 200
    assert [p.code for p in page.context["problems"]] == ["not_xlsx"]


@pytest.mark.parametrize("token", ["", "../../settings", str(uuid.uuid4())])
def test_confirm_with_an_unknown_token_sends_back_to_the_upload(world, client, token):
    client.force_login(world.county_staff)
    upload(client, workbook(NEW_TOWN))
    before = stored()
    response = client.post(reverse(CONFIRM), {"token": token})
    assert response.status_code == 302 and response.url == reverse(UPLOAD)
    assert any("unknown or has expired" in text for text in texts(response))
    assert stored() == before


def test_confirm_refuses_a_file_the_database_no_longer_accepts(world, client):
    client.force_login(world.county_staff)
    upload(client, workbook(NEW_TOWN))
    Organisation.objects.filter(code="T01").update(code="T01-renamed")  # the parent the file names is gone
    before = stored()
    page = client.post(reverse(CONFIRM), {"token": client.session[SESSION_KEY]})
    assert page.status_code == 200
    assert [p.code for p in page.context["problems"]] == ["unknown_parent"]
    assert stored() == before


def test_confirm_only_accepts_post(world, client):
    client.force_login(world.county_staff)
    assert client.get(reverse(CONFIRM)).status_code == 405


def test_the_template_downloads_with_its_chinese_name(world, client):
    client.force_login(world.county_staff)
    response = client.get(reverse(TEMPLATE))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"filename*=UTF-8''{quote(TEMPLATE_FILENAME)}" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert [c.value for c in book["党组织"][1]] == list(ORG_HEADERS)


def test_staff_without_the_add_permission_are_refused(world, client, django_user_model):
    reader = django_user_model.objects.create_user("reader", is_staff=True)
    client.force_login(reader)
    assert client.get(reverse(UPLOAD)).status_code == 403
    assert client.get(reverse(TEMPLATE)).status_code == 403
    assert client.post(reverse(CONFIRM), {"token": ""}).status_code == 403
