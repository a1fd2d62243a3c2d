"""The rectification tallies the database keeps (reviews.rectification.tally) against a recount of the
items after every kind of write: the services' saves, bulk inserts, UPDATEs by hand, deletes, an
organisation moved or re-sectored, a category deleted, and writers racing on one organisation."""

import datetime
import random
import threading
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from reviews.orgs.models import Organisation, Sector
from reviews.rectification import tally
from reviews.rectification.models import (
    CategoryTally,
    ProblemCategory,
    RectificationItem,
    RectificationStatus,
    RectificationTally,
)
from tests.scoring.dashboard.test_province import PROVINCE_LEVELS, Province, province  # noqa: F401

COUNTED = ("items", "pending", "in_progress", "submitted", "returned", "verified")


def _kept() -> tuple[dict, dict]:
    tallies = {
        (t.cycle_id, t.organisation_id): (t.path, t.sector, *(getattr(t, name) for name in COUNTED))
        for t in RectificationTally.objects.filter(items__gt=0)
    }
    categories = {
        (t.cycle_id, t.organisation_id, t.category_id): (t.path, t.items)
        for t in CategoryTally.objects.filter(items__gt=0)
    }
    return tallies, categories


def _recounted() -> tuple[dict, dict]:
    counts: dict[tuple, Counter] = {}
    categories: Counter = Counter()
    organisations = {o.pk: o for o in Organisation.objects.all()}
    for item in RectificationItem.objects.all():
        row = counts.setdefault((item.cycle_id, item.organisation_id), Counter())
        row["items"] += 1
        row[item.status] += 1
        if item.category_id is not None:
            categories[(item.cycle_id, item.organisation_id, item.category_id)] += 1
    return (
        {
            key: (organisations[key[1]].path, organisations[key[1]].sector, *(row[name] for name in COUNTED))
            for key, row in counts.items()
        },
        {key: (organisations[key[1]].path, n) for key, n in categories.items()},
    )


def assert_tallies_right():
    kept, recounted = _kept(), _recounted()
    assert kept[0] == recounted[0]
    assert kept[1] == recounted[1]


def test_the_tallies_follow_every_kind_of_write(province):  # noqa: F811
    assert RectificationItem.objects.count() > 20
    assert_tallies_right()
    rng = random.Random(7)
    items = list(RectificationItem.objects.order_by("pk"))

    # A save of one item (what the services do), then UPDATEs of many at once.
    item = items[0]
    item.status = RectificationStatus.VERIFIED
    item.verified_at = timezone.now()
    item.save()
    assert_tallies_right()
    RectificationItem.objects.filter(pk__in=[i.pk for i in items[1:9]]).update(
        status=RectificationStatus.RETURNED
    )
    assert_tallies_right()

    # Another category, none, and a category deleted (its items' category set to NULL by Django).
    categories = list(ProblemCategory.objects.all())
    for changed in items[9:15]:
        changed.category = rng.choice([*categories, None])
        changed.save(update_fields=["category"])
    assert_tallies_right()
    categories[0].delete()
    assert_tallies_right()

    # An item handed to another organisation, and one deleted.
    moved = items[15]
    other = Organisation.objects.exclude(pk=moved.organisation_id).order_by("-path").first()
    RectificationItem.objects.filter(pk=moved.pk).update(organisation=other)
    assert_tallies_right()
    RectificationItem.objects.filter(pk=items[16].pk).delete()
    assert_tallies_right()

    # An organisation re-sectored, and a subtree moved (the path copied into its tallies).
    with_items = Organisation.objects.get(pk=items[17].organisation_id)
    Organisation.objects.filter(pk=with_items.pk).update(sector=Sector.SCHOOL)
    assert_tallies_right()
    county = Organisation.objects.filter(parent__isnull=False, depth=1).order_by("path").first()
    for org in Organisation.objects.filter(path__startswith=county.path):
        Organisation.objects.filter(pk=org.pk).update(
            path=org.path.replace(county.path, "/00000001/09999999/")
        )
    assert_tallies_right()

    # A transaction rolled back leaves the tallies as they were.
    before = _kept()
    with pytest.raises(RuntimeError), transaction.atomic():
        RectificationItem.objects.update(status=RectificationStatus.PENDING)
        raise RuntimeError
    assert _kept() == before
    assert_tallies_right()


def test_the_tallies_never_go_negative_or_count_an_organisation_without_items(province):  # noqa: F811
    org = RectificationItem.objects.values_list("organisation_id", flat=True).first()
    RectificationItem.objects.filter(organisation_id=org).delete()
    row = RectificationTally.objects.get(organisation_id=org)
    assert (row.items, row.pending, row.in_progress, row.submitted, row.returned, row.verified) == (0,) * 6
    assert not CategoryTally.objects.filter(organisation_id=org, items__gt=0).exists()
    assert not RectificationTally.objects.filter(items__lt=0).exists()
    assert_tallies_right()


def test_a_migration_that_lost_the_triggers_gets_them_back_and_recounts(province):  # noqa: F811
    assert tally.present() == set(tally.TRIGGERS)
    with connection.cursor() as cursor:
        for name, table in zip(tally.TRIGGERS, [tally.ITEMS] * 3 + [tally.ORGANISATIONS], strict=True):
            cursor.execute(
                f"DROP TRIGGER {name} ON {table}"
                if connection.vendor == "postgresql"
                else f"DROP TRIGGER {name}"
            )
    assert tally.present() == set()
    RectificationItem.objects.update(status=RectificationStatus.SUBMITTED)  # unseen by any trigger
    assert _kept() != _recounted()

    call_command("migrate", verbosity=0)  # as after a migration that rebuilt the table on SQLite

    assert tally.present() == set(tally.TRIGGERS)
    assert_tallies_right()
    RectificationItem.objects.filter(pk=RectificationItem.objects.first().pk).update(
        status=RectificationStatus.PENDING
    )
    assert_tallies_right()


@pytest.mark.django_db(transaction=True)
def test_writers_racing_on_one_organisation_keep_its_tally_exact(settings):
    """Threads with their own connections change the items of one organisation at the same moment."""
    settings.TREE_LEVELS = PROVINCE_LEVELS
    Province(counties=1, townships=2, villages=3)
    org = (
        RectificationItem.objects.values("organisation_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()["organisation_id"]
    )
    pks = list(RectificationItem.objects.filter(organisation_id=org).values_list("pk", flat=True))
    assert len(pks) >= 2
    statuses = [RectificationStatus.PENDING, RectificationStatus.IN_PROGRESS, RectificationStatus.SUBMITTED]
    barrier = threading.Barrier(len(pks))
    errors = []

    def work(pk, seed):
        rng = random.Random(seed)
        try:
            barrier.wait()
            for _ in range(30):
                with transaction.atomic():
                    RectificationItem.objects.filter(pk=pk).update(
                        status=rng.choice(statuses), deadline=datetime.date(2027, 1, 1)
                    )
        except Exception as exc:  # the test reports it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(pk, i)) for i, pk in enumerate(pks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert_tallies_right()
