from django.test import Client


def test_a_post_without_csrf_token_gets_a_friendly_chinese_page(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/vote/ABCDE-FGHJK/submit/", {"submission": "x"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "请刷新页面" in page and "没有保存任何内容" in page
