"""点题 end to end: a party member proposes a topic on a phone, staff classify and adopt it, and the topic
shows on that reporter's line — on the staff page and on the delegate's ballot."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from reviews.cycles.models import Report
from reviews.topics import services as topics
from reviews.topics.models import SuggestionSource, TopicCategory, TopicSuggestion
from tests.reviews.topics.test_services import zh
from tests.scoring.conftest import ScoredWorld

TOPIC = "希望王书记讲讲石匣乡村级集体经济怎么壮大"


@pytest.fixture
def world(live_server, transactional_db):
    """Built after the live server is up, in the transactional database it serves."""
    world = ScoredWorld()
    world.call = topics.topic_call_open(actor=world.county_staff, session=world.session)
    # Someone from the public already asked for something else for 石匣乡.
    topics.suggestion_enter(
        actor=world.county_staff,
        session=world.session,
        organisation=world.shijia,
        text="乡镇便民服务中心办事效率",
        source=SuggestionSource.PUBLIC,
    )
    return world


def _staff_page(new_page, live_server, user):
    client = Client()
    client.force_login(user)
    page = new_page(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return page


def test_a_member_proposes_on_a_phone_and_staff_adopt_it_as_the_topic(
    world, live_server, page, new_page, tmp_path
):
    # 1. A party member scans the poster: a phone-sized page, no login.
    page.goto(f"{live_server.url}/topics/p/{world.call.token}/")
    expect(page.get_by_text(world.session.title)).to_be_visible()
    page.select_option("select[name=organisation]", label=world.shijia.name)
    page.locator("input[name=source][value=party_member]").check()
    page.fill("textarea[name=text]", TOPIC)
    page.fill("input[name=name]", "赵党员")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
    expect(page.locator(".tp-hp")).not_to_be_in_viewport()  # the honeypot is out of sight
    page.screenshot(path=str(tmp_path / "propose.png"), full_page=True)
    page.locator("button[type=submit]").click()
    expect(page.get_by_role("heading", name=zh("Thank you for your suggestion"))).to_be_visible()

    suggestion = TopicSuggestion.objects.get(text=TOPIC)
    assert (suggestion.organisation, suggestion.source, suggestion.name) == (
        world.shijia,
        SuggestionSource.PARTY_MEMBER,
        "赵党员",
    )

    # 2. Staff classify it and adopt it as 石匣乡's topic.
    # Categories come from a data migration, which a transactional test database loses between tests.
    economy, _ = TopicCategory.objects.get_or_create(name="集体经济", defaults={"order": 1})
    staff = _staff_page(new_page, live_server, world.county_staff)
    staff.goto(f"{live_server.url}/topics/{world.session.pk}/")
    report = Report.objects.get(session=world.session, organisation=world.shijia)
    line = staff.locator(f"#org-{report.pk}")
    line.locator(f"select[name=category-{suggestion.pk}]").select_option(str(economy.pk))
    line.locator("button[name=save]").click()
    expect(line.locator("[data-ranking] [data-category]").first).to_have_attribute(
        "data-category", "集体经济"
    )

    line = staff.locator(f"#org-{report.pk}")
    line.locator(f"button[name=suggestion][value='{suggestion.pk}']").click()
    expect(staff.locator(f"#org-{report.pk} [data-topic]")).to_contain_text(TOPIC)
    staff.screenshot(path=str(tmp_path / "staff.png"), full_page=True)
    report.refresh_from_db()
    assert report.topic == TOPIC

    # 3. The delegate's ballot shows it on 石匣乡's line.
    page.goto(f"{live_server.url}/vote/{world.leader_codes[0].token}/")
    head = page.locator(".bl-reporter-head", has=page.locator(".bl-org", has_text=world.shijia.name))
    expect(head.locator(".bl-topic")).to_contain_text(TOPIC)
    other = page.locator(".bl-reporter-head", has=page.locator(".bl-org", has_text=world.liaoyang.name))
    expect(other.locator(".bl-topic")).to_have_count(0)
    assert (tmp_path / "propose.png").stat().st_size > 10_000
