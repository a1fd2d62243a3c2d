"""The demo county's topics, drafts and findings: present once, and a second run adds nothing."""

from django.core.management import call_command

from reviews.cycles.models import Report, Session
from reviews.demo.county import COUNTY_SESSION
from reviews.drafts.models import Draft, DraftStatus
from reviews.findings.models import Finding
from reviews.topics.models import TopicCall, TopicSuggestion


def test_the_demo_has_topics_drafts_and_findings_once(db):
    call_command("seed_demo")
    call_command("seed_demo")
    session = Session.objects.get(title=COUNTY_SESSION.title)
    assert TopicCall.objects.filter(session=session, is_open=True).exists()
    assert TopicSuggestion.objects.filter(session=session).count() == 19 * 3
    adopted = Report.objects.filter(session=session).exclude(topic="")
    assert adopted.count() == 10 and all(r.topic_suggestion_id for r in adopted)
    assert sorted(Draft.objects.values_list("status", flat=True)) == sorted(
        [DraftStatus.APPROVED, DraftStatus.IN_REVIEW, DraftStatus.RETURNED]
    )
    assert Finding.objects.filter(cycle=session.cycle).count() == 6
    first = Report.objects.get(session=session, order=1)
    assert first.secretary.user.username == "shijia-shuji"


def test_the_secretary_and_the_reviewer_see_the_demo_drafts(client, db):
    call_command("seed_demo")
    client.login(username="shijia-shuji", password="shuzhi-demo")
    assert "审核通过" in client.get("/reports/mine/").content.decode()
    client.logout()
    client.login(username="demo", password="shuzhi-demo")
    page = client.get("/reports/review/").content.decode()
    assert "中共" in page
