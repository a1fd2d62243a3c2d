"""The staff lists (items, findings, 回头看) at scale: pages of 50 in a fixed number of queries at any size,
counts by status done in SQL, and overdue-first pages in exactly the order of the ledger."""

import datetime
import random

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reviews.findings.models import Finding
from reviews.orgs.models import Organisation, OrganisationKind
from reviews.rectification import exports as exports_rectification
from reviews.rectification import selectors
from reviews.rectification import services as services_rectification
from reviews.rectification.models import (
    FollowUpMark,
    FollowUpOutcome,
    FollowUpReview,
    RectificationItem,
    RectificationNotice,
    RectificationStatus,
)

pytestmark = pytest.mark.django_db

STATUSES = list(RectificationStatus.values)


def grow(r, villages: int, seed: int = 7) -> None:
    """`villages` more villages under both townships, 3 findings and 3 items each, in bulk: statuses
    and deadlines mixed, deadlines on both sides of today (many on the same day, to test the ties)."""
    w, rng = r.world, random.Random(seed)
    today = services_rectification.today()
    towns = [w.shijia, w.liaoyang]
    start = Organisation.objects.count()  # grown twice: new codes and notice numbers
    orgs = Organisation.objects.bulk_create(
        Organisation(
            code=f"G{start + n:05d}",
            name=f"扩展村{start + n:05d}党支部",
            kind=OrganisationKind.BRANCH,
            parent=towns[n % 2],
        )
        for n in range(villages)
    )
    for org in orgs:
        org.path = f"{towns[orgs.index(org) % 2].path}{org.pk:08d}/"
        org.depth = 2
    Organisation.objects.bulk_update(orgs, ["path", "depth"])
    sessions = {w.shijia.pk: w.shijia_session, w.liaoyang.pk: w.county_session}
    notices = RectificationNotice.objects.bulk_create(
        RectificationNotice(
            session=sessions[org.parent_id],
            organisation=org,
            host=sessions[org.parent_id].host,
            year=2025,
            number=1000 + start + n,
            issuer="测试",
            issued_on=r.ISSUED_ON,
        )
        for n, org in enumerate(orgs)
    )
    findings = Finding.objects.bulk_create(
        Finding(
            cycle=w.cycle,
            organisation_id=notice.organisation_id,
            source=rng.choice(["superior", "public"]),
            description=f"问题{notice.pk}-{k}",
        )
        for notice in notices
        for k in range(3)
    )
    items = []
    for i, finding in enumerate(findings):
        status = rng.choice(STATUSES)
        deadline = today + datetime.timedelta(days=rng.choice([-40, -3, -3, 0, 5, 5, 60]))
        items.append(
            RectificationItem(
                notice=notices[i // 3],
                cycle=w.cycle,
                organisation_id=finding.organisation_id,
                finding=finding,
                number=i % 3 + 1,
                source=finding.source,
                problem=finding.description,
                measures="整改",
                responsible="书记",
                deadline=deadline,
                original_deadline=deadline,
                status=status,
                verified_at=timezone.now() if status == RectificationStatus.VERIFIED else None,
            )
        )
    RectificationItem.objects.bulk_create(items)


def _get(client, user, url, **params):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return response, len(queries)


def _same_queries_small_and_large(client, rectified, user, url, grow_by=150):
    _get(client, user, url)  # warm the session
    _small, small_queries = _get(client, user, url)
    grow(rectified, grow_by)
    large, large_queries = _get(client, user, url)
    assert large_queries == small_queries, (small_queries, large_queries)
    assert len(large.content) < 500 * 1024
    return large


@pytest.mark.parametrize("who", ["county_staff", "shijia_staff"])
def test_the_items_list_takes_the_same_queries_at_any_size(client, rectified, who):
    url = reverse("rectification:cycle", args=[rectified.world.cycle.pk])
    page = _same_queries_small_and_large(client, rectified, getattr(rectified.world, who), url)
    assert page.content.decode().count('id="item-') == 50 or page.context["page"].paginator.count < 50
    assert len(page.context["rows"]) == 50


def test_the_items_list_counts_every_status_in_one_query(rectified):
    grow(rectified, 40)
    today = services_rectification.today()
    items = RectificationItem.objects.filter(cycle=rectified.world.cycle)
    with CaptureQueriesContext(connection) as queries:
        counts = selectors.item_counts(items, today)
    assert len(queries) == 1
    for status in STATUSES:
        assert counts.by_status[status] == items.filter(status=status).count()
    assert counts.overdue == items.overdue(today).count()
    assert counts.of(RectificationStatus.RETURNED) == (
        items.filter(status=RectificationStatus.RETURNED).count(),
        items.filter(status=RectificationStatus.RETURNED).overdue(today).count(),
    )


@pytest.mark.parametrize(
    "filters",
    [{}, {"status": RectificationStatus.IN_PROGRESS}, {"overdue": "no"}, {"overdue": "yes"}, {"level": "2"}],
)
def test_overdue_first_pages_follow_the_ledger_order_exactly(rectified, filters):
    from reviews.rectification.forms import ItemFilterForm

    grow(rectified, 60)
    today = services_rectification.today()
    form = ItemFilterForm(filters, cycle=rectified.world.cycle)
    items = form.apply(RectificationItem.objects.filter(cycle=rectified.world.cycle), today)
    expected = list(exports_rectification.ordered(items, today).values_list("pk", flat=True))
    counts = selectors.item_counts(form.apply(RectificationItem.objects.all(), today, status=False), today)
    total, overdue = counts.of(form.value("status"))
    assert total == len(expected)
    paginator = Paginator(selectors.OverdueFirst(items, today, total=total, overdue=overdue), 37)
    got = [item.pk for n in paginator.page_range for item in paginator.page(n).object_list]
    assert got == expected


def test_the_findings_page_takes_the_same_queries_at_any_size(client, rectified):
    url = reverse("findings:list", args=[rectified.world.cycle.pk])
    page = _same_queries_small_and_large(client, rectified, rectified.world.county_staff, url)
    assert len(page.context["page"].object_list) == 50


def test_findings_pages_keep_the_tree_order_and_the_counts(client, rectified):
    grow(rectified, 30)
    client.force_login(rectified.world.county_staff)
    url = reverse("findings:list", args=[rectified.world.cycle.pk])
    expected = list(
        Finding.objects.filter(cycle=rectified.world.cycle, source="public")
        .order_by("organisation__path", "-created_at", "-pk")
        .values_list("pk", flat=True)
    )
    got, number = [], 1
    while True:
        page = client.get(url, {"source": "public", "page": number}).context["page"]
        got += [f.pk for f in page.object_list]
        if not page.has_next():
            break
        number += 1
    assert got == expected and page.paginator.count == len(expected)


def _review_with_marks(rectified) -> FollowUpReview:
    w = rectified.world
    review = FollowUpReview.objects.create(
        cycle=w.cycle, scope=w.county, title="回头看", started_on=services_rectification.today()
    )
    verified = RectificationItem.objects.filter(cycle=w.cycle, status=RectificationStatus.VERIFIED)
    for n, item in enumerate(verified.order_by("pk")[:9]):
        FollowUpMark.objects.create(
            review=review, item=item, outcome=FollowUpOutcome.RELAPSED if n % 3 == 0 else FollowUpOutcome.HELD
        )
    return review


def test_the_follow_up_page_takes_the_same_queries_at_any_size(client, rectified):
    grow(rectified, 20)
    review = _review_with_marks(rectified)
    url = reverse("rectification:follow_up", args=[review.pk])
    page = _same_queries_small_and_large(client, rectified, rectified.world.county_staff, url, grow_by=200)
    assert page.context["held"] == 6 and page.context["relapsed"] == 3
    total = services_rectification.follow_up_items(review).count()
    assert page.context["total"] == total and page.context["unmarked"] == total - 9
    assert len(page.context["rows"]) == 50
