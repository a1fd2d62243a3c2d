"""The home page: a secretary's own tasks (urgent first), a staff inbox, menu entries that apply."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from reviews.cycles import selectors
from reviews.drafts.models import Draft, DraftStatus
from reviews.rectification import services as rectification_services
from reviews.rectification.models import RectificationItem, RectificationStatus

TODAY = datetime.date(2026, 5, 1)  # after DEADLINE (2026-04-20): the first items are overdue


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def _home(client, user) -> str:
    client.force_login(user)
    return client.get(reverse("home")).content.decode()


def test_a_secretary_sees_own_items_with_overdue_and_returned_first(rectified):
    first, second, third = rectified.shijia_items
    rectification_services.item_progress(actor=rectified.wang, item=second, text="进展")
    rectification_services.item_submit(actor=rectified.wang, item=second, text="已完成")
    rectification_services.item_return(actor=rectified.world.county_staff, item=second, reason="缺少记录")
    tasks = [t for t in selectors.secretary_tasks(rectified.wang, TODAY) if t.kind == "item"]
    assert {t.title for t in tasks} == {first.problem, second.problem, third.problem}
    assert all(t.urgent for t in tasks)  # two overdue, one returned
    later = [
        t for t in selectors.secretary_tasks(rectified.wang, datetime.date(2026, 3, 1)) if t.kind == "item"
    ]
    assert later[0].title == second.problem and later[0].urgent
    assert not any(t.urgent for t in later[1:])


def test_a_secretary_sees_the_draft_due_and_a_returned_draft_first(rectified):
    w = rectified.world
    report = w.county_reports[0]
    tasks = [
        t for t in selectors.secretary_tasks(rectified.wang, datetime.date(2026, 1, 1)) if t.kind == "draft"
    ]
    assert [t.state for t in tasks] == ["初稿截止"] and tasks[0].url == reverse(
        "drafts:edit", args=[report.pk]
    )
    Draft.objects.create(report=report, status=DraftStatus.RETURNED, text="初稿", version=1)
    tasks = [
        t for t in selectors.secretary_tasks(rectified.wang, datetime.date(2026, 1, 1)) if t.kind == "draft"
    ]
    assert [t.state for t in tasks] == ["退回修改"] and tasks[0].urgent


def test_the_secretary_home_page_shows_tasks_and_no_empty_meetings_table(client, rectified):
    html = _home(client, rectified.wang)
    assert 'id="sz-tasks"' in html and rectified.shijia_items[0].problem in html
    assert 'id="sz-sessions-heading"' not in html and 'id="sz-inbox"' not in html
    assert reverse("drafts:mine") in html and reverse("rectification:mine") in html
    assert reverse("dashboard:index") not in html and reverse("admin:index") not in html
    assert reverse("drafts:queue") not in html  # no review step of theirs


def test_staff_get_an_inbox_of_items_awaiting_verification(client, rectified):
    item = rectified.shijia_items[0]
    rectification_services.item_progress(actor=rectified.wang, item=item, text="进展")
    rectification_services.item_submit(actor=rectified.wang, item=item, text="已完成")
    html = _home(client, rectified.world.county_staff)
    inbox = html[html.index('id="sz-inbox"') :]
    assert item.problem in inbox and reverse("rectification:item", args=[item.pk]) in inbox
    assert "待销号" in inbox and 'id="sz-sessions-heading"' in html and 'id="sz-tasks"' not in html
    assert reverse("drafts:queue") in html


def test_township_staff_see_only_their_subtrees_items_in_the_inbox(rectified):
    item = rectified.shijia_items[0]
    rectification_services.item_progress(actor=rectified.wang, item=item, text="进展")
    rectification_services.item_submit(actor=rectified.wang, item=item, text="已完成")
    assert not [t for t in selectors.staff_inbox(rectified.world.liaoyang_staff, TODAY) if t.kind == "verify"]
    assert RectificationItem.objects.filter(status=RectificationStatus.SUBMITTED).count() == 1


def test_the_staff_inbox_lists_drafts_awaiting_their_review(rectified):
    from reviews.drafts.models import ReviewStep

    w = rectified.world
    step = ReviewStep.objects.create(cycle=w.cycle, order=1, title="党建科室负责人")
    step.reviewers.add(w.county_staff)
    draft = Draft.objects.create(
        report=w.county_reports[0], status=DraftStatus.IN_REVIEW, current_step=step, text="初稿", version=1
    )
    tasks = [t for t in selectors.staff_inbox(w.county_staff, TODAY) if t.kind == "review"]
    assert [t.url for t in tasks] == [reverse("drafts:review", args=[draft.pk])]
    assert "党建科室负责人" in tasks[0].state


def test_the_home_page_needs_a_bounded_number_of_queries(client, rectified, django_assert_max_num_queries):
    client.force_login(rectified.wang)
    with django_assert_max_num_queries(16):
        assert client.get(reverse("home")).status_code == 200
