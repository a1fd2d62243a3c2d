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
