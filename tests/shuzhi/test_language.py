from django.urls import reverse


def test_pages_speak_chinese_even_to_an_english_browser(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page["Content-Language"] == "zh-hans"
    assert "述职评议" in page.content.decode()


def test_a_user_can_switch_to_english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("login"))
    assert page["Content-Language"] == "en"
    assert "Duty-report review" in page.content.decode()


def test_the_home_page_links_each_session_to_its_scoring(world, client):
    client.force_login(world.county_staff)
    page = client.get("/").content.decode()
    assert f'href="/manage/scoring/{world.county_session.pk}/"' in page
    assert "2025年度乡镇党委书记抓基层党建工作述职评议会" in page
