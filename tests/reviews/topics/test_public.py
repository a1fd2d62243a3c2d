"""The public page for proposing a topic: no login, guarded by length limits, a honeypot and a rate limit."""

import pytest
from django.urls import reverse

from reviews.topics import services as topics
from reviews.topics.models import SuggestionSource, TopicSuggestion
from tests.reviews.topics.test_services import zh


@pytest.fixture
def call(world):
    return topics.topic_call_open(actor=world.county_staff, session=world.county_session)


def _url(call) -> str:
    return reverse("topics:propose", args=[call.token])


def _form(world, **change) -> dict:
    return {
        "organisation": str(world.shijia.pk),
        "source": SuggestionSource.PARTY_MEMBER,
        "text": "希望书记讲讲村级集体经济怎么壮大",
        "name": "",
        "phone": "",
        "website": "",
    } | change


def test_the_page_shows_the_session_its_reporters_and_the_whole_session_choice(client, world, call):
    response = client.get(_url(call))
    page = response.content.decode()
    assert response.status_code == 200
    for text in (world.county_session.title, world.county.name, world.shijia.name, world.liaoyang.name):
        assert text in page
    assert zh("The whole session (every reporter)") in page
    assert zh("Propose a topic for the party secretaries' duty reports") in page
    assert 'name="website"' in page  # the honeypot is in the form…
    assert world.shijia_v1.name not in page  # …and only the session's reporters are offered
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_it_needs_no_login_and_thanks_the_proposer(client, world, call):
    response = client.post(_url(call), _form(world, name="李四", phone="13812345678"))
    assert response.status_code == 302 and response["Location"] == reverse("topics:thanks", args=[call.token])
    suggestion = TopicSuggestion.objects.get()
    assert (suggestion.organisation, suggestion.source, suggestion.name, suggestion.phone) == (
        world.shijia,
        SuggestionSource.PARTY_MEMBER,
        "李四",
        "13812345678",
    )
    thanks = client.get(response["Location"]).content.decode()
    assert zh("Thank you for your suggestion") in thanks and world.county_session.title in thanks


def test_a_suggestion_for_the_whole_session(client, world, call):
    client.post(_url(call), _form(world, organisation="session", source=SuggestionSource.PUBLIC))
    assert TopicSuggestion.objects.get().organisation is None


def test_the_honeypot_stores_nothing_but_says_thank_you(client, world, call):
    response = client.post(_url(call), _form(world, website="http://spam.example"), follow=True)
    assert response.status_code == 200
    assert zh("Thank you for your suggestion") in response.content.decode()
    assert not TopicSuggestion.objects.exists()


def test_after_twenty_suggestions_an_address_waits(client, world, call):
    for i in range(20):
        response = client.post(_url(call), _form(world, text=f"第{i}条：集体经济怎么发展"))
        assert response.status_code == 302
    response = client.post(_url(call), _form(world, text="第二十一条：集体经济怎么发展"))
    assert response.status_code == 429
    assert zh("Too many suggestions") in response.content.decode()
    assert TopicSuggestion.objects.count() == 20
    # Another address is not held up.
    other = client.post(_url(call), _form(world, text="另一台手机：集体经济"), REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 302 and TopicSuggestion.objects.count() == 21


def test_honeypot_posts_count_against_the_limit_too(client, world, call):
    for _ in range(20):
        client.post(_url(call), _form(world, website="x"))
    assert client.post(_url(call), _form(world)).status_code == 429
    assert not TopicSuggestion.objects.exists()


def test_refused_forms_do_not_count_against_the_limit(client, world, call):
    for _ in range(25):
        assert client.post(_url(call), _form(world, text="短")).status_code == 400
    assert client.post(_url(call), _form(world)).status_code == 302


@pytest.mark.parametrize("trusted_proxies", [0, 1])
def test_a_forged_forwarded_for_per_post_gains_no_allowance(client, world, call, settings, trusted_proxies):
    settings.TRUSTED_PROXY_COUNT = trusted_proxies
    real = "203.0.113.50"
    peer = "127.0.0.1" if trusted_proxies else real  # nginx appends the address it saw
    statuses = [
        client.post(
            _url(call),
            _form(world, text=f"第{i}条：集体经济怎么发展"),
            REMOTE_ADDR=peer,
            HTTP_X_FORWARDED_FOR=f"10.8.0.{i}, {real}" if trusted_proxies else f"10.8.0.{i}",
        ).status_code
        for i in range(60)
    ]
    assert statuses.count(302) == 20 and statuses.count(429) == 40
    assert TopicSuggestion.objects.count() == 20


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"text": "集体经济"}, "text"),  # 4 characters: too short
        ({"text": "长" * 501}, "text"),
        ({"text": ""}, "text"),
        ({"name": "名" * 41}, "name"),
        ({"phone": "110"}, "phone"),
        ({"source": SuggestionSource.SUPERIOR}, "source"),
        ({"source": ""}, "source"),
        ({"organisation": ""}, "organisation"),
    ],
)
def test_a_wrong_field_is_shown_and_nothing_is_stored(client, world, call, change, field):
    response = client.post(_url(call), _form(world, **change))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert 'class="tp-error"' in response.content.decode()
    assert not TopicSuggestion.objects.exists()


def test_the_text_typed_stays_in_the_form_when_refused(client, world, call):
    response = client.post(_url(call), _form(world, text="长" * 501, name="王五"))
    page = response.content.decode()
    assert "长" * 501 in page and 'value="王五"' in page


def test_an_organisation_not_reporting_at_the_session_is_refused(client, world, call):
    # 石匣村 reports at the 石匣乡 session, not at this one; a forged form is refused all the same.
    response = client.post(_url(call), _form(world, organisation=str(world.shijia_v1.pk)))
    assert response.status_code == 400
    assert not TopicSuggestion.objects.exists()


def test_a_refusal_by_the_service_is_shown_beside_its_field(client, world, call, monkeypatch):
    def refuse(**fields):
        raise topics.TopicError("该党组织已不在本次会议述职。", code="organisation", field="organisation")

    monkeypatch.setattr(topics, "suggestion_submit_public", refuse)
    response = client.post(_url(call), _form(world))
    assert response.status_code == 400
    assert response.context["form"].errors["organisation"] == ["该党组织已不在本次会议述职。"]


def test_a_call_closed_while_the_form_was_open_says_so(client, world, call, monkeypatch):
    def closed(**fields):
        raise topics.TopicError("closed", code="closed")

    monkeypatch.setattr(topics, "suggestion_submit_public", closed)
    response = client.post(_url(call), _form(world))
    assert zh("The call for topics has closed") in response.content.decode()


def test_a_closed_call_says_so_and_stores_nothing(client, world, call):
    topics.topic_call_close(actor=world.county_staff, session=world.county_session)
    page = client.get(_url(call))
    assert page.status_code == 200
    assert zh("The call for topics has closed") in page.content.decode()
    assert 'name="text"' not in page.content.decode()
    response = client.post(_url(call), _form(world))
    assert zh("The call for topics has closed") in response.content.decode()
    assert not TopicSuggestion.objects.exists()


def test_an_unknown_link_is_a_clear_404(client, db):
    response = client.get(reverse("topics:propose", args=["no-such-token"]))
    assert response.status_code == 404
    assert zh("Link not found") in response.content.decode()
    assert client.post(reverse("topics:propose", args=["no-such-token"]), {}).status_code == 404
    assert client.get(reverse("topics:thanks", args=["no-such-token"])).status_code == 404


def test_the_page_is_in_chinese_by_default(client, world, call):
    page = client.get(_url(call)).content.decode()
    assert 'lang="zh-hans"' in page
    assert zh("Party member") == "党员" and "党员" in page and "群众" in page and "其他" in page
