"""Probe the code-guessing throttle as issue 10 did, over HTTP (Django's test client), and print the numbers.

    .venv/bin/python bench/throttle.py            # this checkout
    .venv/bin/python bench/throttle.py OTHER_DIR  # another checkout, e.g. an older commit for "before"

Four scenarios, each on a fresh SQLite database (DEBUG off, so the settings production uses):
1. forged X-Forwarded-For: 300 wrong codes, each with a new forged header, through nginx as the README
   configures it (old block: the client's header passed on untouched; new block: nginx appends the peer);
   and 60 topic proposals the same way;
2. 12 threads × 10 wrong codes at once from one address;
3. a meeting hall: 300 delegates behind one address, 10 % of them mistype their code once;
4. one client sending 5,000 wrong codes a minute (fake clock), for one minute and for an hour.
"Evaluated" = answered with anything but 429.
"""

import os
import random
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)
os.chdir(ROOT)
WORK = tempfile.mkdtemp(prefix="shuzhi-throttle-")
os.environ.update(
    DEBUG="false",
    SECRET_KEY="bench-" + "x" * 50,
    ALLOWED_HOSTS="testserver",
    BEHIND_HTTPS_PROXY="true",
    DATABASE_URL=f"sqlite:///{WORK}/bench.sqlite3",
    LOG_LEVEL="CRITICAL",
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuzhi.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

setup_test_environment()
settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
PROXY, CLIENT, HALL = "127.0.0.1", "203.0.113.50", "198.51.100.7"
_real_time = time.time


def _fresh():
    """An empty database with the county world and 300 codes; an empty cache."""
    from tests.scoring.conftest import ScoredWorld

    call_command("flush", interactive=False, verbosity=0)
    cache.clear()
    time.time = _real_time
    return ScoredWorld(codes_per_group=150)


def _wrong(rng) -> str:
    return "".join(rng.choice("23456789ABCDEFGHJKMNPQRSTUVWXYZ") for _ in range(10))


def _entry(client, code, **headers):
    return client.post("/vote/", {"code": code}, **headers).status_code


def forged_forwarded_for():
    rng = random.Random(1)
    for label, forwarded in (
        ("old nginx block (client header passed on)", lambda f: f),
        ("new nginx block ($proxy_add_x_forwarded_for)", lambda f: f"{f}, {CLIENT}"),
    ):
        _fresh()
        client = Client()
        statuses = [
            _entry(
                client,
                _wrong(rng),
                REMOTE_ADDR=PROXY,
                HTTP_X_FORWARDED_FOR=forwarded(f"10.9.{i // 250}.{i % 250}"),
            )
            for i in range(300)
        ]
        print(
            f"1. forged X-Forwarded-For, {label}: {sum(s != 429 for s in statuses)} of 300 guesses evaluated"
        )
        world = _fresh()
        from reviews.topics import services as topics
        from reviews.topics.models import TopicSuggestion

        call = topics.topic_call_open(actor=world.county_staff, session=world.county_session)
        for i in range(60):
            client.post(
                f"/topics/p/{call.token}/",
                {
                    "organisation": str(world.shijia.pk),
                    "source": "party_member",
                    "text": f"第{i}条建议：集体经济怎么发展",
                },
                REMOTE_ADDR=PROXY,
                HTTP_X_FORWARDED_FOR=forwarded(f"10.8.0.{i}"),
            )
        print(f"   topic form, {label}: {TopicSuggestion.objects.count()} of 60 forged proposals stored")


def parallel_guesses():
    _fresh()
    rng = random.Random(2)
    guesses = [[_wrong(rng) for _ in range(10)] for _ in range(12)]
    barrier = threading.Barrier(12)
    statuses = []

    def run(batch):
        client = Client()
        barrier.wait()
        try:
            statuses.extend(
                _entry(client, code, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT) for code in batch
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(batch,)) for batch in guesses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    evaluated = sum(s != 429 for s in statuses)
    print(f"2. 12 parallel clients × 10 guesses, one address: {evaluated} of 120 evaluated")


def hall():
    world = _fresh()
    rng = random.Random(3)
    delegates = [c.short_display for c in world.leader_codes + world.delegate_codes]
    clumsy = set(rng.sample(range(300), 30))
    steps = [(i, "typo") for i in clumsy] + [(i, "code") for i in range(300)]
    rng.shuffle(steps)
    for i in clumsy:  # a typo comes before its retry
        typo, retry = steps.index((i, "typo")), steps.index((i, "code"))
        if retry < typo:
            steps[typo], steps[retry] = steps[retry], steps[typo]
    client, got_in, refused = Client(), 0, 0
    for i, kind in steps:
        code = delegates[i]
        typed = code if kind == "code" else code[:-1] + ("2" if code[-1] != "2" else "3")
        status = _entry(client, typed, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=HALL)
        if kind == "code":
            got_in += status == 302
            refused += status == 429
    print(
        f"3. hall of 300 behind one address, 30 mistype once: {got_in} of 300 got in, {refused} refused (429)"
    )


def fast_guesser():
    _fresh()
    rng = random.Random(4)
    clock = [1_700_000_000.0]
    time.time = lambda: clock[0]
    client = Client()
    per_minute = []
    for minute in range(60):
        # Minute 0 at the full rate; later ones sampled (100 a minute): a freed unit goes at once either way.
        count = 5000 if minute == 0 else 100
        evaluated = 0
        for _ in range(count):
            evaluated += _entry(client, _wrong(rng), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT) != 429
            clock[0] += 60 / count
        per_minute.append(evaluated)
    time.time = _real_time
    print(
        f"4. one client at 5,000 guesses a minute: {per_minute[0]} evaluated in the first minute, "
        f"at most {max(per_minute)} in any minute, {sum(per_minute)} in the first hour"
    )


if __name__ == "__main__":
    call_command("migrate", verbosity=0)
    print(f"checkout: {ROOT}")
    forged_forwarded_for()
    parallel_guesses()
    hall()
    fast_guesser()
