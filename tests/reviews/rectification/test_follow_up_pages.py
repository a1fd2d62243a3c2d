"""回头看: staff start a follow-up review of a cycle's verified items in their scope and mark each held or
relapsed; a relapse needs a note; only verified items are looked at; other subtrees are not found."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from reviews.audit.models import AuditEvent
from reviews.rectification import services as rect
from reviews.rectification.models import FollowUpMark, FollowUpOutcome, FollowUpReview, RectificationStatus
from tests.reviews.rectification import test_pages as pages
from tests.reviews.rectification.test_pages import (
    BEFORE_DEADLINES,
    as_user,
    bring,
)

# The pages' autouse fixtures: Chinese after each test, uploads in a temporary folder, and the clock at
# 2026-03-01 10:00 in Shanghai.
chinese_after = pages.chinese_after
clock = pages.clock
evidence_storage = pages.evidence_storage


@pytest.fixture
def verified(rectified):
    """石匣乡's first item and 石匣村's item verified closed, 辽阳镇's first item too; the rest still open."""
    return [
        bring(rectified, rectified.shijia_items[0], RectificationStatus.VERIFIED),
        bring(rectified, rectified.village_item, RectificationStatus.VERIFIED),
        bring(rectified, rectified.liaoyang_items[0], RectificationStatus.VERIFIED),
    ]


def _start(user, rectified, scope, title="") -> FollowUpReview:
    return rect.follow_up_start(actor=user, cycle=rectified.world.cycle, scope=scope, title=title)


def _mark(client, review, item, **data):
    fields = {f"item{item.pk}-{name}": value for name, value in data.items()}
    return client.post(reverse("rectification:follow_up_mark", args=[review.pk, item.pk]), fields)


def _counts(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-count="(\w+)">(\d+)<', page))


# ---------------------------------------------------------------------------------------------------
# Starting one


def test_staff_start_a_follow_up_review_from_the_page(client, rectified):
    w = rectified.world
    staff = as_user(client, w.county_staff)
    response = staff.post(
        reverse("rectification:follow_ups"),
        {"cycle": w.cycle.pk, "scope": w.county.pk, "title": "2026年回头看"},
    )
    review = FollowUpReview.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "rectification:follow_up", args=[review.pk]
    )
    assert (review.title, review.scope, review.cycle, review.started_by) == (
        "2026年回头看",
        w.county,
        w.cycle,
        w.county_staff,
    )
    assert review.started_on == BEFORE_DEADLINES.date()
    assert AuditEvent.objects.filter(action="follow_up.start").count() == 1
    page = staff.get(reverse("rectification:follow_ups")).content.decode()
    assert "2026年回头看" in page and reverse("rectification:follow_up", args=[review.pk]) in page


def test_an_empty_title_is_named_after_the_cycle(client, rectified):
    w = rectified.world
    as_user(client, w.county_staff).post(
        reverse("rectification:follow_ups"), {"cycle": w.cycle.pk, "scope": w.shijia.pk, "title": ""}
    )
    assert FollowUpReview.objects.get().title == "Follow-up of 2025年度抓基层党建工作述职评议 rectification"


def test_township_staff_can_only_start_one_in_their_subtree(client, rectified):
    w = rectified.world
    staff = as_user(client, w.shijia_staff)
    page = staff.get(reverse("rectification:follow_ups")).content.decode()
    assert w.shijia_v1.name not in page  # no list of every organisation: the picker searches
    found = staff.get(reverse("orgs:search"), {"q": "党"}).json()["results"]
    assert w.shijia_v1.pk in {r["id"] for r in found} and w.liaoyang.pk not in {r["id"] for r in found}
    response = staff.post(reverse("rectification:follow_ups"), {"cycle": w.cycle.pk, "scope": w.county.pk})
    assert response.status_code == 400 and not FollowUpReview.objects.exists()
    assert 'role="alert"' in response.content.decode()
    with pytest.raises(PermissionDenied):
        _start(w.shijia_staff, rectified, w.liaoyang)
    assert (
        staff.post(
            reverse("rectification:follow_ups"), {"cycle": w.cycle.pk, "scope": w.shijia.pk}
        ).status_code
        == 302
    )
    assert FollowUpReview.objects.get().scope == w.shijia


def test_follow_up_pages_are_for_staff_only(client, rectified):
    review = _start(rectified.world.county_staff, rectified, rectified.world.county)
    secretary = as_user(client, rectified.wang)
    assert secretary.get(reverse("rectification:follow_ups")).status_code == 403
    assert secretary.get(reverse("rectification:follow_up", args=[review.pk])).status_code == 403
    assert (
        secretary.post(reverse("rectification:follow_ups"), {"cycle": rectified.world.cycle.pk}).status_code
        == 403
    )
    with pytest.raises(PermissionDenied):
        _start(rectified.wang, rectified, rectified.world.shijia)


# ---------------------------------------------------------------------------------------------------
# The review's items and marks


def test_the_review_lists_the_verified_items_of_its_scope(client, rectified, verified):
    review = _start(rectified.world.county_staff, rectified, rectified.world.shijia)
    page = as_user(client, rectified.world.county_staff).get(
        reverse("rectification:follow_up", args=[review.pk])
    )
    content = page.content.decode()
    rows = {int(pk) for pk in re.findall(r'<tr id="item-(\d+)"', content)}
    assert rows == {verified[0].pk, verified[1].pk}  # not 辽阳镇's, not the open ones
    assert _counts(content) == {"held": "0", "relapsed": "0", "unmarked": "2"}


def test_marking_an_item_held(client, rectified, verified):
    review = _start(rectified.world.county_staff, rectified, rectified.world.county)
    staff = as_user(client, rectified.world.county_staff)
    response = _mark(staff, review, verified[0], outcome="held", note="")
    assert response.status_code == 302
    assert (
        response["Location"]
        == reverse("rectification:follow_up", args=[review.pk]) + f"#item-{verified[0].pk}"
    )
    mark = FollowUpMark.objects.get()
    assert (mark.item, mark.outcome, mark.marked_by) == (
        verified[0],
        FollowUpOutcome.HELD,
        rectified.world.county_staff,
    )
    page = staff.get(reverse("rectification:follow_up", args=[review.pk])).content.decode()
    assert _counts(page) == {"held": "1", "relapsed": "0", "unmarked": "2"}
    assert 'data-mark="held"' in page
    listing = staff.get(reverse("rectification:follow_ups")).content.decode()
    assert re.search(r'<td class="text-end">1</td>\s*<td class="text-end">0</td>', listing)


def test_marking_relapsed_needs_a_note(client, rectified, verified):
    review = _start(rectified.world.county_staff, rectified, rectified.world.county)
    staff = as_user(client, rectified.world.county_staff)
    response = _mark(staff, review, verified[1], outcome="relapsed", note="  ")
    assert response.status_code == 400
    assert "Say how the problem came back." in response.content.decode()
    assert not FollowUpMark.objects.exists()
    assert _mark(staff, review, verified[1], outcome="relapsed", note="活动室又被占用").status_code == 302
    mark = FollowUpMark.objects.get()
    assert (mark.outcome, mark.note) == (FollowUpOutcome.RELAPSED, "活动室又被占用")
    page = staff.get(reverse("rectification:follow_up", args=[review.pk])).content.decode()
    assert _counts(page) == {"held": "0", "relapsed": "1", "unmarked": "2"} and "活动室又被占用" in page


def test_a_mark_can_be_changed(client, rectified, verified):
    review = _start(rectified.world.county_staff, rectified, rectified.world.county)
    staff = as_user(client, rectified.world.county_staff)
    _mark(staff, review, verified[0], outcome="held")
    _mark(staff, review, verified[0], outcome="relapsed", note="反弹")
    assert list(FollowUpMark.objects.values_list("outcome", "note")) == [("relapsed", "反弹")]


def test_a_mark_without_an_outcome_is_refused(client, rectified, verified):
    review = _start(rectified.world.county_staff, rectified, rectified.world.county)
    response = _mark(as_user(client, rectified.world.county_staff), review, verified[0], note="x")
    assert response.status_code == 400 and "Choose held or relapsed." in response.content.decode()
    response = _mark(client, review, verified[0], outcome="forgotten")
    assert response.status_code == 400 and not FollowUpMark.objects.exists()


def test_an_item_not_verified_is_refused(client, rectified, verified):
    review = _start(rectified.world.county_staff, rectified, rectified.world.county)
    open_item = bring(rectified, rectified.shijia_items[1], RectificationStatus.SUBMITTED)
    response = _mark(as_user(client, rectified.world.county_staff), review, open_item, outcome="held")
    assert response.status_code == 409
    assert (
        "Only items verified closed in this cycle and scope are looked at again." in response.content.decode()
    )
    assert not FollowUpMark.objects.exists()
    with pytest.raises(rect.RectificationError) as refused:
        rect.follow_up_mark(actor=rectified.world.county_staff, review=review, item=open_item, outcome="held")
    assert refused.value.code == "not_in_review"


def test_an_item_outside_the_reviews_scope_is_refused(client, rectified, verified):
    review = _start(rectified.world.county_staff, rectified, rectified.world.shijia)
    response = _mark(as_user(client, rectified.world.county_staff), review, verified[2], outcome="held")
    assert response.status_code == 409 and not FollowUpMark.objects.exists()


def test_other_subtrees_do_not_see_the_review(client, rectified, verified):
    w = rectified.world
    review = _start(w.shijia_staff, rectified, w.shijia, title="石匣乡回头看")
    liaoyang = as_user(client, w.liaoyang_staff)
    assert liaoyang.get(reverse("rectification:follow_up", args=[review.pk])).status_code == 404
    assert "石匣乡回头看" not in liaoyang.get(reverse("rectification:follow_ups")).content.decode()
    assert _mark(liaoyang, review, verified[1], outcome="held").status_code == 404
    assert not FollowUpMark.objects.exists()
    county = as_user(client, w.county_staff)
    assert "石匣乡回头看" in county.get(reverse("rectification:follow_ups")).content.decode()
    assert _mark(as_user(client, w.shijia_staff), review, verified[1], outcome="held").status_code == 302


def test_the_service_refuses_staff_outside_the_scope(rectified, verified):
    review = _start(rectified.world.shijia_staff, rectified, rectified.world.shijia)
    with pytest.raises(PermissionDenied):
        rect.follow_up_mark(
            actor=rectified.world.liaoyang_staff, review=review, item=verified[1], outcome="held"
        )
    assert not FollowUpMark.objects.exists()
