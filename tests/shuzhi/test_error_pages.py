"""Chinese error pages with DEBUG off (as pytest-django runs): 400, 403, 404, 413, 429, 500."""

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _page(response) -> str:
    return response.content.decode()


def test_debug_is_off_here(settings):
    assert settings.DEBUG is False


def test_404_is_chinese(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in _page(response)


def test_403_is_chinese(client, world):
    clerk = User.objects.create_user("clerk", password="pw-clerk", is_staff=True)
    client.force_login(clerk)
    response = client.get("/admin/reviews/organisation/import/")
    assert response.status_code == 403
    assert "无权访问" in _page(response)


@pytest.mark.urls("tests.shuzhi.urls_boom")
def test_500_is_chinese(client, db):
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "服务器错误" in _page(response)
    assert "boom" not in _page(response)


def test_an_oversized_body_gets_a_chinese_413(client, db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    response = client.post("/accounts/login/", {"username": "x", "password": "y" * (1024 * 1024 + 1)})
    assert response.status_code == 413
    page = _page(response)
    assert "提交的数据过大" in page and "超过本页面可接收的 1 MB" in page
    assert "Bad Request" not in page


def test_too_many_fields_get_a_chinese_400(client, db, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 100
    response = client.post("/accounts/login/", {f"f{n}": "1" for n in range(101)})
    assert response.status_code == 400
    page = _page(response)
    assert "请求有误" in page and "字段或文件数量超过" in page
    assert "Bad Request" not in page


def test_a_bad_host_gets_a_chinese_400(client, db):
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "无法识别该请求" in _page(response)


def test_429_is_chinese(client, world):
    for _ in range(5):
        client.post("/accounts/login/", {"username": "shijia", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "shijia", "password": "pw-shijia"})
    assert response.status_code == 429
    assert "尝试次数过多" in _page(response)
