"""Rectification pages: every step allowed and refused (through the services and the pages), who may see
and do what, overdue counted in Asia/Shanghai days, evidence in and out, the secretary's and staff's lists.

Helpers at the top (Clock, bring, snapshot, ...) are shared with test_ledger and test_follow_up_pages.
"""

from __future__ import annotations

import datetime
import re
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import FileSystemStorage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from reviews.audit.models import AuditEvent
from reviews.cycles.models import Report
from reviews.handover import services as handover_services
from reviews.rectification import services as rectification_services
from reviews.rectification.models import (
    RectificationEvent,
    RectificationEventKind,
    RectificationItem,
    RectificationStatus,
)
from tests.conftest import make_org, make_secretary
from tests.reviews.drafts.test_support import exe_upload, pdf_upload, png_upload

UTC = datetime.UTC
# 2026-03-01 10:00 in Shanghai: after the notices, before every deadline.
BEFORE_DEADLINES = datetime.datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


class Clock:
    """timezone.now(), set by the test; everything (events, today()) reads it."""

    def __init__(self, moment: datetime.datetime) -> None:
        self.moment = moment

    def set(self, moment: datetime.datetime) -> None:
        self.moment = moment

    def now(self) -> datetime.datetime:
        return self.moment


@pytest.fixture(autouse=True)
def clock():
    clock = Clock(BEFORE_DEADLINES)
    with mock.patch("django.utils.timezone.now", side_effect=clock.now):
        yield clock


@pytest.fixture(autouse=True)
def chinese_after():
    """The locale middleware leaves the request's language active: later tests expect the default again."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def evidence_storage(tmp_path, settings, monkeypatch):
    storage = FileSystemStorage(location=str(tmp_path / "private"), base_url=None)
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    monkeypatch.setattr(RectificationEvent._meta.get_field("evidence"), "storage", storage)
    return storage


def as_user(client, user):
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def responsible_for(r, item: RectificationItem):
    return {r.world.shijia.pk: r.wang, r.world.liaoyang.pk: r.li, r.world.shijia_v1.pk: r.zhao}[
        item.organisation_id
    ]


def verifier_for(r, item: RectificationItem):
    return (
        r.world.county_staff if item.notice.session_id == r.world.county_session.pk else r.world.shijia_staff
    )


def bring(r, item: RectificationItem, status: str) -> RectificationItem:
    """Take a pending item to `status` through the services."""
    secretary, staff = responsible_for(r, item), verifier_for(r, item)
    if status != RectificationStatus.PENDING:
        rectification_services.item_progress(actor=secretary, item=item, text="已召开专题会议，制定整改方案")
    if status in (RectificationStatus.SUBMITTED, RectificationStatus.VERIFIED, RectificationStatus.RETURNED):
        rectification_services.item_submit(actor=secretary, item=item, text="台账已补齐")
    if status == RectificationStatus.VERIFIED:
        rectification_services.item_verify(actor=staff, item=item, text="经核查属实")
    if status == RectificationStatus.RETURNED:
        rectification_services.item_return(actor=staff, item=item, reason="缺少会议记录照片")
    item.refresh_from_db()
    assert item.status == status
    return item


def snapshot(item: RectificationItem) -> tuple:
    """Everything a refused step must leave as it was."""
    item.refresh_from_db()
    return (
        item.status,
        item.deadline,
        item.original_deadline,
        item.return_reason,
        item.verified_at,
        item.last_update_at,
        item.status_changed_at,
        RectificationEvent.objects.filter(item=item).count(),
        AuditEvent.objects.count(),
    )


def shanghai(year, month, day, hour=0, minute=0, second=0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=UTC) - datetime.timedelta(hours=8)


def add_villages(r, count: int) -> list[RectificationItem]:
    """`count` more villages under 石匣乡, each with a secretary and one item issued by 石匣乡."""
    w = r.world
    items = []
    for n in range(count):
        org = make_org(f"T01X{n:02d}", f"新建村{n:02d}党支部", w.shijia)
        secretary = make_secretary(org, f"书记{n:02d}")
        Report.objects.create(session=w.shijia_session, organisation=org, secretary=secretary, order=n + 2)
        from reviews.findings.models import Finding, FindingSource

        finding = Finding.objects.create(
            cycle=w.cycle, organisation=org, source=FindingSource.SUPERIOR, description=f"问题{n:02d}"
        )
        notice = handover_services.notice_issue(
            actor=w.shijia_staff,
            session=w.shijia_session,
            organisation=org,
            items=[
                handover_services.ItemDraft(
                    finding=finding,
                    problem=finding.description,
                    measures="整改",
                    responsible="书记",
                    deadline=r.DEADLINE,
                )
            ],
            issued_on=r.ISSUED_ON,
        )
        items.append(notice.items.get())
    return items


# ---------------------------------------------------------------------------------------------------
# Every step through the services


def test_progress_takes_a_pending_item_into_rectification(rectified):
    item = rectified.shijia_items[0]
    event = rectification_services.item_progress(actor=rectified.wang, item=item, text="已召开专题会议")
    item.refresh_from_db()
    assert item.status == RectificationStatus.IN_PROGRESS
    assert event.kind == RectificationEventKind.PROGRESS and event.text == "已召开专题会议"
    assert item.last_update_at == BEFORE_DEADLINES
    assert (
        AuditEvent.objects.filter(action="rectification_item.progress", object_id=str(item.pk)).count() == 1
    )


def test_progress_again_keeps_the_item_in_rectification_and_adds_an_event(rectified):
    item = bring(rectified, rectified.shijia_items[0], RectificationStatus.IN_PROGRESS)
    rectification_services.item_progress(actor=rectified.wang, item=item, text="第二次进展")
    item.refresh_from_db()
    assert item.status == RectificationStatus.IN_PROGRESS
    assert item.events.filter(kind=RectificationEventKind.PROGRESS).count() == 2


def test_submit_after_progress_waits_for_verification(rectified):
    item = bring(rectified, rectified.shijia_items[0], RectificationStatus.IN_PROGRESS)
    rectification_services.item_submit(actor=rectified.wang, item=item, text="已整改到位")
    item.refresh_from_db()
    assert item.status == RectificationStatus.SUBMITTED
    assert item.events.last().kind == RectificationEventKind.SUBMITTED


def test_verify_closes_a_submitted_item(rectified):
    item = bring(rectified, rectified.shijia_items[0], RectificationStatus.SUBMITTED)
    rectification_services.item_verify(actor=rectified.world.county_staff, item=item, text="")
    item.refresh_from_db()
    assert item.status == RectificationStatus.VERIFIED
    assert item.verified_by == rectified.world.county_staff and item.verified_at == BEFORE_DEADLINES


def test_return_sends_a_submitted_item_back_with_the_reason(rectified):
    item = bring(rectified, rectified.shijia_items[0], RectificationStatus.SUBMITTED)
    rectification_services.item_return(actor=rectified.world.county_staff, item=item, reason="缺少佐证材料")
    item.refresh_from_db()
    assert item.status == RectificationStatus.RETURNED and item.return_reason == "缺少佐证材料"


def test_a_returned_item_goes_back_into_rectification_with_progress_and_can_be_submitted_again(rectified):
    item = bring(rectified, rectified.shijia_items[0], RectificationStatus.RETURNED)
    rectification_services.item_progress(actor=rectified.wang, item=item, text="补充了会议照片")
    item.refresh_from_db()
    assert item.status == RectificationStatus.IN_PROGRESS
    rectification_services.item_submit(actor=rectified.wang, item=item, text="再次申请销号")
    item.refresh_from_db()
    assert item.status == RectificationStatus.SUBMITTED and item.return_reason == ""


def test_extend_moves_the_deadline_and_keeps_the_original(rectified):
    item = rectified.shijia_items[0]
    new = datetime.date(2026, 6, 30)
    event = rectification_services.item_extend(
        actor=rectified.world.county_staff, item=item, new_deadline=new, reason="汛期"
    )
    item.refresh_from_db()
    assert item.deadline == new and item.original_deadline == rectified.DEADLINE and item.is_extended
    assert (event.old_deadline, event.new_deadline) == (rectified.DEADLINE, new)
    assert item.status == RectificationStatus.PENDING


@pytest.mark.parametrize(
    ("status", "step", "code"),
    [
        (RectificationStatus.PENDING, "submit", "no_progress"),
        (RectificationStatus.RETURNED, "submit", "returned"),
        (RectificationStatus.SUBMITTED, "submit", "state"),
        (RectificationStatus.VERIFIED, "submit", "state"),
        (RectificationStatus.SUBMITTED, "progress", "state"),
        (RectificationStatus.VERIFIED, "progress", "state"),
        (RectificationStatus.PENDING, "verify", "state"),
        (RectificationStatus.IN_PROGRESS, "verify", "state"),
        (RectificationStatus.RETURNED, "verify", "state"),
        (RectificationStatus.VERIFIED, "verify", "state"),
        (RectificationStatus.PENDING, "return", "state"),
        (RectificationStatus.IN_PROGRESS, "return", "state"),
        (RectificationStatus.RETURNED, "return", "state"),
        (RectificationStatus.VERIFIED, "return", "state"),
        (RectificationStatus.VERIFIED, "extend", "state"),
        (RectificationStatus.SUBMITTED, "return_without_reason", "no_reason"),
        (RectificationStatus.PENDING, "extend_without_reason", "no_reason"),
        (RectificationStatus.PENDING, "extend_not_later", "deadline"),
        (RectificationStatus.PENDING, "extend_earlier", "deadline"),
        (RectificationStatus.PENDING, "progress_empty", "empty"),
        (RectificationStatus.IN_PROGRESS, "submit_empty", "empty"),
    ],
)
def test_a_refused_step_changes_nothing_and_records_nothing(rectified, status, step, code):
    item = bring(rectified, rectified.shijia_items[0], status)
    secretary, staff = rectified.wang, rectified.world.county_staff
    calls = {
        "submit": lambda: rectification_services.item_submit(actor=secretary, item=item, text="申请销号"),
        "submit_empty": lambda: rectification_services.item_submit(actor=secretary, item=item, text="  "),
        "progress": lambda: rectification_services.item_progress(actor=secretary, item=item, text="进展"),
        "progress_empty": lambda: rectification_services.item_progress(actor=secretary, item=item, text=""),
        "verify": lambda: rectification_services.item_verify(actor=staff, item=item),
        "return": lambda: rectification_services.item_return(actor=staff, item=item, reason="理由"),
        "return_without_reason": lambda: rectification_services.item_return(
            actor=staff, item=item, reason=" "
        ),
        "extend": lambda: rectification_services.item_extend(
            actor=staff, item=item, new_deadline=datetime.date(2026, 9, 1), reason="理由"
        ),
        "extend_without_reason": lambda: rectification_services.item_extend(
            actor=staff, item=item, new_deadline=datetime.date(2026, 9, 1), reason=""
        ),
        "extend_not_later": lambda: rectification_services.item_extend(
            actor=staff, item=item, new_deadline=rectified.DEADLINE, reason="理由"
        ),
        "extend_earlier": lambda: rectification_services.item_extend(
            actor=staff, item=item, new_deadline=datetime.date(2026, 3, 1), reason="理由"
        ),
    }
    before = snapshot(item)
    with pytest.raises(rectification_services.RectificationError) as refused:
        calls[step]()
    assert refused.value.code == code and refused.value.message
    assert snapshot(item) == before


@pytest.mark.parametrize(
    ("who", "step"),
    [
        ("county_staff", "progress"),
        ("county_staff", "submit"),
        ("wang", "verify"),
        ("wang", "return"),
        ("wang", "extend"),
        ("shijia_staff", "verify"),
        ("li", "progress"),
    ],
)
def test_acting_outside_ones_role_is_refused_by_the_services(rectified, who, step):
    item = bring(rectified, rectified.shijia_items[0], RectificationStatus.SUBMITTED)
    actor = getattr(rectified, who, None) or getattr(rectified.world, who)
    calls = {
        "progress": lambda: rectification_services.item_progress(actor=actor, item=item, text="进展"),
        "submit": lambda: rectification_services.item_submit(actor=actor, item=item, text="申请"),
        "verify": lambda: rectification_services.item_verify(actor=actor, item=item),
        "return": lambda: rectification_services.item_return(actor=actor, item=item, reason="理由"),
        "extend": lambda: rectification_services.item_extend(
            actor=actor, item=item, new_deadline=datetime.date(2026, 9, 1), reason="理由"
        ),
    }
    before = snapshot(item)
    with pytest.raises(PermissionDenied):
        calls[step]()
    assert snapshot(item) == before


# ---------------------------------------------------------------------------------------------------
# Every step through the pages


def _post(client, step: str, item: RectificationItem, data: dict | None = None, **extra):
    fields = {f"{step}-{name}": value for name, value in (data or {}).items()}
    return client.post(reverse(f"rectification:{step}", args=[item.pk]), fields, **extra)


def test_the_whole_path_through_the_pages(client, rectified):
    item = rectified.shijia_items[0]
    url = reverse("rectification:item", args=[item.pk])
    secretary = as_user(client, rectified.wang)
    response = _post(secretary, "progress", item, {"text": "已召开专题会议"})
    assert response.status_code == 302 and response["Location"] == url
    item.refresh_from_db()
    assert item.status == RectificationStatus.IN_PROGRESS
    page = secretary.get(url)
    assert "Progress reported." in page.content.decode()
    assert _post(secretary, "submit", item, {"text": "台账已补齐"}).status_code == 302
    item.refresh_from_db()
    assert item.status == RectificationStatus.SUBMITTED
    staff = as_user(client, rectified.world.county_staff)
    assert _post(staff, "return", item, {"reason": "缺少会议记录"}).status_code == 302
    item.refresh_from_db()
    assert (item.status, item.return_reason) == (RectificationStatus.RETURNED, "缺少会议记录")
    secretary = as_user(client, rectified.wang)
    assert "缺少会议记录" in secretary.get(reverse("rectification:mine")).content.decode()
    assert _post(secretary, "progress", item, {"text": "补充了照片"}).status_code == 302
    assert _post(secretary, "submit", item, {"text": "再次申请"}).status_code == 302
    staff = as_user(client, rectified.world.county_staff)
    assert _post(staff, "verify", item, {"text": "属实"}).status_code == 302
    item.refresh_from_db()
    assert item.status == RectificationStatus.VERIFIED and item.verified_by == rectified.world.county_staff
    kinds = list(item.events.order_by("at", "pk").values_list("kind", flat=True))
    assert kinds == ["issued", "progress", "submitted", "returned", "progress", "submitted", "verified"]


def test_the_page_shows_only_the_forms_the_user_may_use_now(client, rectified):
    item = rectified.shijia_items[0]
    url = reverse("rectification:item", args=[item.pk])
    forms = re.compile(r'action="/rectification/item/\d+/(\w+)/"')
    assert set(forms.findall(as_user(client, rectified.wang).get(url).content.decode())) == {"progress"}
    assert set(forms.findall(as_user(client, rectified.world.county_staff).get(url).content.decode())) == {
        "extend"
    }
    bring(rectified, item, RectificationStatus.IN_PROGRESS)
    assert set(forms.findall(as_user(client, rectified.wang).get(url).content.decode())) == {
        "progress",
        "submit",
    }
    rectification_services.item_submit(actor=rectified.wang, item=item, text="申请")
    assert set(forms.findall(as_user(client, rectified.wang).get(url).content.decode())) == set()
    assert set(forms.findall(as_user(client, rectified.world.county_staff).get(url).content.decode())) == {
        "verify",
        "return",
        "extend",
    }
    rectification_services.item_verify(actor=rectified.world.county_staff, item=item)
    assert (
        set(forms.findall(as_user(client, rectified.world.county_staff).get(url).content.decode())) == set()
    )
    # Township staff read the county's item about their township but get no form.
    page = as_user(client, rectified.world.shijia_staff).get(url)
    assert page.status_code == 200 and set(forms.findall(page.content.decode())) == set()


def test_the_page_shows_the_item_its_commitments_and_its_record(client, rectified):
    item = rectified.shijia_items[0]
    RectificationItem.objects.filter(pk=item.pk).update(
        commit_analyse="思想上不重视", commit_correct="逐月补记", commit_establish="建立月查制度"
    )
    rectification_services.item_extend(
        actor=rectified.world.county_staff, item=item, new_deadline=datetime.date(2026, 6, 30), reason="汛期"
    )
    page = as_user(client, rectified.wang).get(reverse("rectification:item", args=[item.pk])).content.decode()
    for text in (
        item.problem,
        "每月检查支部台账",
        "组织生活",
        "Found by the superior committee",
        "思想上不重视",
        "逐月补记",
        "建立月查制度",
        "2026-04-20 → 2026-06-30",
        "<del>2026-04-20</del>",
        "汛期",
        "Deadline extended",
        "Issued",
    ):
        assert text in page, text


@pytest.mark.parametrize(
    ("status", "who", "step", "data", "expected"),
    [
        (RectificationStatus.PENDING, "wang", "submit", {"text": "申请"}, 409),
        (RectificationStatus.RETURNED, "wang", "submit", {"text": "申请"}, 409),
        (RectificationStatus.SUBMITTED, "wang", "submit", {"text": "申请"}, 409),
        (RectificationStatus.SUBMITTED, "wang", "progress", {"text": "进展"}, 409),
        (RectificationStatus.VERIFIED, "wang", "progress", {"text": "进展"}, 409),
        (RectificationStatus.PENDING, "county_staff", "verify", {}, 409),
        (RectificationStatus.IN_PROGRESS, "county_staff", "verify", {}, 409),
        (RectificationStatus.VERIFIED, "county_staff", "verify", {}, 409),
        (RectificationStatus.RETURNED, "county_staff", "return", {"reason": "理由"}, 409),
        (
            RectificationStatus.VERIFIED,
            "county_staff",
            "extend",
            {"new_deadline": "2026-09-01", "reason": "r"},
            409,
        ),
        (RectificationStatus.SUBMITTED, "county_staff", "return", {"reason": ""}, 400),
        (
            RectificationStatus.PENDING,
            "county_staff",
            "extend",
            {"new_deadline": "2026-09-01", "reason": ""},
            400,
        ),
        (
            RectificationStatus.PENDING,
            "county_staff",
            "extend",
            {"new_deadline": "2026-04-20", "reason": "r"},
            400,
        ),
        (RectificationStatus.PENDING, "county_staff", "extend", {"new_deadline": "", "reason": "r"}, 400),
        (RectificationStatus.PENDING, "county_staff", "extend", {"new_deadline": "明天", "reason": "r"}, 400),
        (RectificationStatus.PENDING, "wang", "progress", {"text": ""}, 400),
        (RectificationStatus.IN_PROGRESS, "wang", "submit", {"text": ""}, 400),
    ],
)
def test_a_refused_step_through_the_page_says_why_and_changes_nothing(
    client, rectified, status, who, step, data, expected
):
    item = bring(rectified, rectified.shijia_items[0], status)
    user = getattr(rectified, who, None) or getattr(rectified.world, who)
    before = snapshot(item)
    response = _post(as_user(client, user), step, item, data)
    assert response.status_code == expected
    assert 'id="sz-errors"' in response.content.decode()
    assert snapshot(item) == before


def test_state_refusals_show_the_services_message(client, rectified):
    item = rectified.shijia_items[0]
    response = _post(as_user(client, rectified.wang), "submit", item, {"text": "申请"})
    assert response.status_code == 409
    assert "Report the progress made before asking for verification." in response.content.decode()
    bring(rectified, item, RectificationStatus.SUBMITTED)
    response = _post(as_user(client, rectified.world.county_staff), "return", item, {"reason": ""})
    assert "Give the reason for returning the item." in response.content.decode()


def test_submitting_or_verifying_twice_gives_the_state_message_not_an_error(client, rectified):
    item = bring(rectified, rectified.shijia_items[0], RectificationStatus.IN_PROGRESS)
    secretary = as_user(client, rectified.wang)
    assert _post(secretary, "submit", item, {"text": "申请"}).status_code == 302
    again = _post(secretary, "submit", item, {"text": "申请"})
    assert again.status_code == 409 and "Awaiting verification" in again.content.decode()
    assert item.events.filter(kind=RectificationEventKind.SUBMITTED).count() == 1
    staff = as_user(client, rectified.world.county_staff)
    assert _post(staff, "verify", item).status_code == 302
    again = _post(staff, "verify", item)
    assert (
        again.status_code == 409
        and "only an item awaiting verification can be verified" in again.content.decode()
    )
    assert item.events.filter(kind=RectificationEventKind.VERIFIED).count() == 1


def test_extend_through_the_page(client, rectified):
    item = rectified.shijia_items[0]
    response = _post(
        as_user(client, rectified.world.county_staff),
        "extend",
        item,
        {"new_deadline": "2026-06-30", "reason": "汛期"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.deadline == datetime.date(2026, 6, 30) and item.original_deadline == rectified.DEADLINE
    assert "The deadline is now 2026-06-30." in client.get(response["Location"]).content.decode()


def test_steps_only_take_posts(client, rectified):
    item = rectified.shijia_items[0]
    assert (
        as_user(client, rectified.wang).get(reverse("rectification:progress", args=[item.pk])).status_code
        == 405
    )


# ---------------------------------------------------------------------------------------------------
# Who may see and do what


def test_another_organisations_secretary_gets_not_found(client, rectified):
    item = rectified.shijia_items[0]
    li = as_user(client, rectified.li)
    assert li.get(reverse("rectification:item", args=[item.pk])).status_code == 404
    before = snapshot(item)
    assert _post(li, "progress", item, {"text": "冒充"}).status_code in (403, 404)
    assert snapshot(item) == before
    zhao = as_user(client, rectified.zhao)  # the village's secretary does not see the township's items
    assert zhao.get(reverse("rectification:item", args=[item.pk])).status_code == 404


def test_township_staff_read_their_townships_county_item_but_cannot_verify_it(client, rectified):
    item = bring(rectified, rectified.shijia_items[0], RectificationStatus.SUBMITTED)
    staff = as_user(client, rectified.world.shijia_staff)
    assert staff.get(reverse("rectification:item", args=[item.pk])).status_code == 200
    before = snapshot(item)
    assert _post(staff, "verify", item).status_code == 403
    assert _post(staff, "return", item, {"reason": "理由"}).status_code == 403
    assert _post(staff, "extend", item, {"new_deadline": "2026-09-01", "reason": "r"}).status_code == 403
    assert snapshot(item) == before


def test_township_staff_verify_the_items_their_committee_issued(client, rectified):
    item = bring(rectified, rectified.village_item, RectificationStatus.SUBMITTED)
    assert _post(as_user(client, rectified.world.shijia_staff), "verify", item).status_code == 302
    item.refresh_from_db()
    assert item.status == RectificationStatus.VERIFIED


def test_staff_outside_the_subtree_get_not_found(client, rectified):
    item = rectified.village_item
    staff = as_user(client, rectified.world.liaoyang_staff)
    assert staff.get(reverse("rectification:item", args=[item.pk])).status_code == 404
    before = snapshot(item)
    assert _post(staff, "extend", item, {"new_deadline": "2026-09-01", "reason": "r"}).status_code == 404
    assert snapshot(item) == before


def test_a_secretary_cannot_verify_their_own_item(client, rectified):
    item = bring(rectified, rectified.shijia_items[0], RectificationStatus.SUBMITTED)
    before = snapshot(item)
    assert _post(as_user(client, rectified.wang), "verify", item).status_code == 403
    assert snapshot(item) == before


def test_staff_cannot_report_progress(client, rectified):
    item = rectified.shijia_items[0]
    before = snapshot(item)
    assert (
        _post(as_user(client, rectified.world.county_staff), "progress", item, {"text": "代报"}).status_code
        == 403
    )
    assert _post(client, "submit", item, {"text": "代报"}).status_code == 403
    assert snapshot(item) == before


def test_the_person_named_responsible_acts_too(client, rectified):
    from django.contrib.auth.models import User

    from reviews.orgs.models import Person

    user = User.objects.create_user("deputy", password="pw")
    person = Person.objects.create(name="张副书记", user=user)
    item = rectified.shijia_items[1]
    RectificationItem.objects.filter(pk=item.pk).update(responsible_person=person)
    deputy = as_user(client, user)
    assert _post(deputy, "progress", item, {"text": "已落实"}).status_code == 302
    assert item.problem in deputy.get(reverse("rectification:mine")).content.decode()


def test_anonymous_users_are_sent_to_log_in(client, rectified):
    item = rectified.shijia_items[0]
    for url in (
        reverse("rectification:mine"),
        reverse("rectification:item", args=[item.pk]),
        reverse("rectification:cycle", args=[rectified.world.cycle.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert (
        client.post(reverse("rectification:progress", args=[item.pk]), {"progress-text": "x"}).status_code
        == 302
    )
    assert rectified.shijia_items[0].events.count() == 1


# ---------------------------------------------------------------------------------------------------
# Evidence


def test_evidence_is_uploaded_with_progress_and_handed_back_to_readers_only(client, rectified):
    item = rectified.shijia_items[0]
    secretary = as_user(client, rectified.wang)
    response = _post(
        secretary, "progress", item, {"text": "会议照片", "evidence": png_upload("会议照片.png")}
    )
    assert response.status_code == 302
    event = item.events.get(kind=RectificationEventKind.PROGRESS)
    assert event.evidence.name.endswith("会议照片.png")
    url = reverse("rectification:evidence", args=[item.pk, event.pk])
    assert url in secretary.get(reverse("rectification:item", args=[item.pk])).content.decode()
    download = secretary.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"\x89PNG")
    assert download["Content-Disposition"].startswith("attachment")
    assert as_user(client, rectified.world.county_staff).get(url).status_code == 200
    assert as_user(client, rectified.world.shijia_staff).get(url).status_code == 200
    assert as_user(client, rectified.li).get(url).status_code == 404
    assert as_user(client, rectified.world.liaoyang_staff).get(url).status_code == 404


def test_evidence_of_another_item_or_without_a_file_is_not_found(client, rectified):
    item, other = rectified.shijia_items[0], rectified.shijia_items[1]
    rectification_services.item_progress(
        actor=rectified.wang, item=item, text="附件", evidence=pdf_upload("方案.pdf")
    )
    event = item.events.get(kind=RectificationEventKind.PROGRESS)
    secretary = as_user(client, rectified.wang)
    assert secretary.get(reverse("rectification:evidence", args=[item.pk, event.pk])).status_code == 200
    assert secretary.get(reverse("rectification:evidence", args=[other.pk, event.pk])).status_code == 404
    issued = item.events.get(kind=RectificationEventKind.ISSUED)
    assert secretary.get(reverse("rectification:evidence", args=[item.pk, issued.pk])).status_code == 404


def test_a_submission_carries_evidence_too(client, rectified):
    item = bring(rectified, rectified.shijia_items[0], RectificationStatus.IN_PROGRESS)
    response = _post(
        as_user(client, rectified.wang), "submit", item, {"text": "完成", "evidence": pdf_upload()}
    )
    assert response.status_code == 302
    assert item.events.get(kind=RectificationEventKind.SUBMITTED).evidence.name.endswith(".pdf")


def test_a_bad_file_is_refused_with_the_uploads_message_and_nothing_recorded(client, rectified):
    item = rectified.shijia_items[0]
    before = snapshot(item)
    response = _post(
        as_user(client, rectified.wang),
        "progress",
        item,
        {"text": "附件", "evidence": exe_upload("照片.pdf")},
    )
    assert response.status_code == 400
    assert "whatever its name says" in response.content.decode()
    assert snapshot(item) == before


def test_the_service_refuses_a_bad_file_too_and_keeps_the_item(rectified):
    item = rectified.shijia_items[0]
    before = snapshot(item)
    with pytest.raises(rectification_services.RectificationError) as refused:
        rectification_services.item_progress(
            actor=rectified.wang, item=item, text="附件", evidence=exe_upload("照片.pdf")
        )
    assert refused.value.code == "upload_content"
    assert snapshot(item) == before


# ---------------------------------------------------------------------------------------------------
# Overdue, counted in Shanghai days


def test_an_item_is_overdue_from_midnight_after_its_deadline_in_shanghai(client, rectified):
    item = rectified.shijia_items[0]  # deadline 2026-04-20
    assert item.deadline == datetime.date(2026, 4, 20)
    list_url = reverse("rectification:cycle", args=[rectified.world.cycle.pk])
    marker = f'id="item-{item.pk}" class="table-danger"'

    def page(user, url):
        response = as_user(client, user).get(url)
        assert response.status_code == 200
        return response.content.decode()

    last_second = datetime.datetime(2026, 4, 20, 15, 59, 59, tzinfo=UTC)  # 23:59:59 in Shanghai
    with mock.patch("django.utils.timezone.now", return_value=last_second):
        assert rectification_services.today() == datetime.date(2026, 4, 20)
        assert (
            not RectificationItem.objects.overdue(rectification_services.today()).filter(pk=item.pk).exists()
        )
        assert (
            RectificationItem.objects.not_overdue(rectification_services.today()).filter(pk=item.pk).exists()
        )
        assert not item.is_overdue(rectification_services.today())
        listing = page(rectified.world.county_staff, list_url)
        assert f'<tr id="item-{item.pk}"' in listing and marker not in listing
        assert 'data-overdue="1"' not in page(rectified.wang, reverse("rectification:mine"))

    midnight = datetime.datetime(2026, 4, 20, 16, 0, 0, tzinfo=UTC)  # 00:00:00 on the 21st in Shanghai
    with mock.patch("django.utils.timezone.now", return_value=midnight):
        assert rectification_services.today() == datetime.date(2026, 4, 21)
        assert RectificationItem.objects.overdue(rectification_services.today()).filter(pk=item.pk).exists()
        assert (
            not RectificationItem.objects.not_overdue(rectification_services.today())
            .filter(pk=item.pk)
            .exists()
        )
        assert item.is_overdue(rectification_services.today())
        assert marker in page(rectified.world.county_staff, list_url)
        mine = page(rectified.wang, reverse("rectification:mine"))
        assert mine.count('data-overdue="1"') == 2 and "Overdue" in mine


def test_submitted_and_verified_items_are_never_overdue(rectified, clock):
    submitted = bring(rectified, rectified.shijia_items[0], RectificationStatus.SUBMITTED)
    verified = bring(rectified, rectified.shijia_items[2], RectificationStatus.VERIFIED)
    returned = bring(rectified, rectified.liaoyang_items[0], RectificationStatus.RETURNED)
    clock.set(shanghai(2026, 12, 31, 12))
    overdue = set(
        RectificationItem.objects.overdue(rectification_services.today()).values_list("pk", flat=True)
    )
    assert submitted.pk not in overdue and verified.pk not in overdue
    assert returned.pk in overdue and rectified.village_item.pk in overdue
    assert not submitted.is_overdue(rectification_services.today()) and not verified.is_overdue(
        rectification_services.today()
    )


# ---------------------------------------------------------------------------------------------------
# The secretary's list


def test_the_secretary_sees_their_items_grouped_by_notice(client, rectified, clock):
    bring(rectified, rectified.shijia_items[2], RectificationStatus.RETURNED)
    clock.set(shanghai(2026, 4, 25, 9))  # items 1 and 3 overdue, item 2 (deadline 5-20) not
    page = as_user(client, rectified.wang).get(reverse("rectification:mine")).content.decode()
    notice = rectified.shijia_notice
    assert notice.reference in page and notice.session.title in page and notice.issuer in page
    for item in rectified.shijia_items:
        assert reverse("rectification:item", args=[item.pk]) in page
    assert rectified.liaoyang_items[0].problem not in page
    assert rectified.village_item.problem not in page
    assert "缺少会议记录照片" in page  # the return reason
    assert page.count('data-overdue="1"') == 2
    assert 'data-status="returned"' in page and "Returned" in page
    assert "2 overdue" in page


def test_the_secretarys_list_shows_an_extended_deadline_with_the_original(client, rectified):
    item = rectified.shijia_items[0]
    rectification_services.item_extend(
        actor=rectified.world.county_staff, item=item, new_deadline=datetime.date(2026, 6, 30), reason="汛期"
    )
    page = as_user(client, rectified.wang).get(reverse("rectification:mine")).content.decode()
    assert "2026-06-30" in page and "<del>2026-04-20</del>" in page


def test_a_login_without_items_sees_the_empty_message(client, rectified):
    from django.contrib.auth.models import User

    from reviews.orgs.models import Person

    user = User.objects.create_user("nobody", password="pw")
    Person.objects.create(name="无事项", user=user)
    page = as_user(client, user).get(reverse("rectification:mine"))
    assert page.status_code == 200
    assert "No rectification item has been handed over to you." in page.content.decode()
    page = as_user(client, rectified.world.county_staff).get(reverse("rectification:mine")).content.decode()
    assert "Your login is not linked to a secretary" in page


def test_staff_who_are_secretaries_see_their_items(client, rectified):
    rectified.wang.is_staff = True
    rectified.wang.save()
    page = as_user(client, rectified.wang).get(reverse("rectification:mine")).content.decode()
    assert rectified.shijia_items[0].problem[:20] in page


# ---------------------------------------------------------------------------------------------------
# Staff's list of a cycle


def _list(client, user, rectified, **params):
    return as_user(client, user).get(reverse("rectification:cycle", args=[rectified.world.cycle.pk]), params)


def _row_ids(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr id="item-(\d+)"', page)]


def test_county_staff_see_every_item_and_township_staff_their_subtree(client, rectified):
    everything = {item.pk for item in RectificationItem.objects.all()}
    assert (
        set(_row_ids(_list(client, rectified.world.county_staff, rectified).content.decode())) == everything
    )
    shijia = set(_row_ids(_list(client, rectified.world.shijia_staff, rectified).content.decode()))
    assert shijia == {i.pk for i in rectified.shijia_items} | {rectified.village_item.pk}
    liaoyang = set(_row_ids(_list(client, rectified.world.liaoyang_staff, rectified).content.decode()))
    assert liaoyang == {i.pk for i in rectified.liaoyang_items}


def test_the_list_is_for_staff_only(client, rectified):
    assert _list(client, rectified.wang, rectified).status_code == 403


def test_the_list_filters(client, rectified, clock):
    w = rectified.world
    bring(rectified, rectified.shijia_items[1], RectificationStatus.SUBMITTED)
    staff = w.county_staff

    def ids(**params):
        return set(_row_ids(_list(client, staff, rectified, **params).content.decode()))

    assert ids(level="2") == {rectified.village_item.pk}
    assert ids(level="1") == {i.pk for i in rectified.shijia_items + rectified.liaoyang_items}
    assert ids(level="0") == set()
    assert ids(sector="rural") == {rectified.village_item.pk}
    assert ids(status="submitted") == {rectified.shijia_items[1].pk}
    assert ids(q="辽阳") == {i.pk for i in rectified.liaoyang_items}
    assert ids(session=str(w.shijia_session.pk)) == {rectified.village_item.pk}
    assert ids(status="nonsense") == {i.pk for i in RectificationItem.objects.all()}
    clock.set(shanghai(2026, 4, 25, 9))
    overdue = {rectified.shijia_items[0].pk, rectified.shijia_items[2].pk, rectified.village_item.pk}
    overdue |= {i.pk for i in rectified.liaoyang_items}
    assert ids(overdue="yes") == overdue
    assert ids(overdue="no") == {rectified.shijia_items[1].pk}


def test_the_list_counts_statuses_and_puts_overdue_items_first(client, rectified, clock):
    bring(rectified, rectified.shijia_items[1], RectificationStatus.IN_PROGRESS)
    bring(rectified, rectified.liaoyang_items[0], RectificationStatus.SUBMITTED)
    rectification_services.item_extend(
        actor=rectified.world.county_staff,
        item=rectified.liaoyang_items[1],
        new_deadline=datetime.date(2026, 4, 30),
        reason="延期",
    )
    clock.set(shanghai(2026, 4, 25, 9))
    page = _list(client, rectified.world.county_staff, rectified).content.decode()
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', page))
    assert counts == {
        "all": "6",
        "pending": "4",
        "in_progress": "1",
        "submitted": "1",
        "verified": "0",
        "returned": "0",
        "overdue": "3",
    }
    rows = _row_ids(page)
    # Overdue first (deadline 4-20, tree order), then by deadline: 4-20 submitted, 4-30 extended, 5-20.
    assert rows[:3] == [rectified.shijia_items[0].pk, rectified.shijia_items[2].pk, rectified.village_item.pk]
    assert rows[3:] == [
        rectified.liaoyang_items[0].pk,
        rectified.liaoyang_items[1].pk,
        rectified.shijia_items[1].pk,
    ]


def test_the_list_names_each_organisations_secretary_and_links_the_ledger_with_its_filters(client, rectified):
    w = rectified.world
    page = _list(client, w.county_staff, rectified, level="1", status="pending", q="石匣").content.decode()
    assert "王建国" in page and "赵小军" not in page
    ledger = reverse("rectification:ledger", args=[w.cycle.pk])
    link = re.search(r'action="([^"]+)" id="sz-ledger-link"', page).group(1).replace("&amp;", "&")
    assert link.startswith(ledger + "?")
    assert set(link.split("?", 1)[1].split("&")) == {"level=1", "status=pending", "q=%E7%9F%B3%E5%8C%A3"}


def test_the_list_is_paginated(client, rectified, monkeypatch):
    from reviews.rectification import views as views_rectification

    monkeypatch.setattr(views_rectification, "PER_PAGE", 4)
    first = _row_ids(_list(client, rectified.world.county_staff, rectified).content.decode())
    second = _row_ids(_list(client, rectified.world.county_staff, rectified, page="2").content.decode())
    assert len(first) == 4 and len(second) == 2 and not set(first) & set(second)


def test_the_list_takes_a_fixed_number_of_queries(client, rectified, django_assert_max_num_queries):
    staff = as_user(client, rectified.world.county_staff)
    url = reverse("rectification:cycle", args=[rectified.world.cycle.pk])
    staff.get(url)  # warm the session and the caches
    with CaptureQueriesContext(connection) as small:
        assert staff.get(url).status_code == 200
    add_villages(rectified, 12)
    more = RectificationItem.objects.filter(organisation__name__startswith="新建村")
    RectificationItem.objects.filter(pk__in=list(more.values_list("pk", flat=True)[:4])).update(
        status=RectificationStatus.IN_PROGRESS
    )
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = staff.get(url).content.decode()
    assert len(_row_ids(page)) == 18 and "书记11" in page


def test_every_page_renders_in_chinese(client, rectified):
    """The default language: no template or format error outside English."""
    item = bring(rectified, rectified.shijia_items[0], RectificationStatus.SUBMITTED)
    client.force_login(rectified.wang)
    mine = client.get(reverse("rectification:mine"))
    assert mine.status_code == 200 and mine["Content-Language"] == "zh-hans"
    assert client.get(reverse("rectification:item", args=[item.pk])).status_code == 200
    client.force_login(rectified.world.county_staff)
    for url in (
        reverse("rectification:item", args=[item.pk]),
        reverse("rectification:cycle", args=[rectified.world.cycle.pk]) + "?overdue=yes&level=1",
        reverse("rectification:follow_ups"),
    ):
        response = client.get(url)
        assert response.status_code == 200 and 'lang="zh-hans"' in response.content.decode(), url
    started = client.post(reverse("rectification:ledger", args=[rectified.world.cycle.pk]))
    job = client.get(started["Location"])
    assert job.status_code == 200
    assert 'lang="zh-hans"' in job.content.decode() and "整改台账" in job.content.decode()
