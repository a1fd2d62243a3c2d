"""Per-client throttles with exact, shared counts: sliding windows of atomic counters in the database.

A `Limit` allows `allowance` events per client address in a sliding WINDOW_SECONDS (plus, optionally,
the window total of a credit counter). Counts are kept per one-minute bucket in one table every
worker and server shares (scoring_throttle_counter); a window is the sum of its last ten buckets.

`counter_add` is one `INSERT … ON CONFLICT … DO UPDATE SET n = n + … RETURNING n` statement (SQLite
≥ 3.35 and PostgreSQL): parallel requests never lose an update and each sees its own result, so
`reserve` — take one unit first, do the work only if it was within the allowance — cannot overshoot.
Not Django's cache: its `incr` is a read then a write on the database and file backends, and the
local-memory backend is per process.

Addresses come from shuzhi.client (trusted proxies only) and are stored as keyed hashes; IPv6
clients count by their /64, which one subscriber usually holds whole.
"""

import hashlib
import hmac
import ipaddress
import math
import random
import time
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.http import HttpRequest

from shuzhi.client import client_address

WINDOW_SECONDS = 10 * 60
BUCKET_SECONDS = 60
PRUNE_ONE_IN = 200  # one write in this many also deletes expired rows


@dataclass(frozen=True)
class Limit:
    name: str
    allowance: int
    credit: str = ""  # a counter whose window total adds to the allowance


# ---------------------------------------------------------------------------------------------------
# The counters


def _table():
    return apps.get_model("scoring", "ThrottleCounter")


def counter_add(key: str, amount: int, *, expires: int) -> int:
    """Add `amount` to the counter `key` (created at 0) in one statement; return its new value."""
    q = connection.ops.quote_name
    table, k, n, exp = q(_table()._meta.db_table), q("key"), q("n"), q("expires")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({k}, {n}, {exp}) VALUES (%s, %s, %s) "
            f"ON CONFLICT ({k}) DO UPDATE SET {n} = {table}.{n} + excluded.{n}, "
            f"{exp} = CASE WHEN excluded.{exp} > {table}.{exp} THEN excluded.{exp} ELSE {table}.{exp} END "
            f"RETURNING {n}",
            [key, amount, expires],
        )
        value = cursor.fetchone()[0]
    if random.randrange(PRUNE_ONE_IN) == 0:
        counters_prune()
    return value


def counters_get(keys: list[str]) -> dict[str, int]:
    """The current value of each key (absent keys are 0), in one query."""
    found = dict(_table().objects.filter(key__in=keys).values_list("key", "n"))
    return {key: found.get(key, 0) for key in keys}


def counters_prune(now: float | None = None) -> int:
    """Delete the rows whose bucket has left every window; return how many."""
    now = time.time() if now is None else now
    deleted, _ = _table().objects.filter(expires__lt=int(now)).delete()
    return deleted


# ---------------------------------------------------------------------------------------------------
# Clients and buckets


def address_key(request: HttpRequest) -> str:
    """The client, as a keyed hash of its address (IPv6: of its /64 network)."""
    address = client_address(request)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        pass
    else:
        if ip.version == 6 and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        address = str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)
    secret = hashlib.sha256(f"shuzhi:throttle:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()[:32]


def _buckets(now: float) -> list[int]:
    """The buckets of the window ending now, oldest first."""
    current = int(now // BUCKET_SECONDS)
    return list(range(current - WINDOW_SECONDS // BUCKET_SECONDS + 1, current + 1))


def _key(name: str, who: str, bucket: int) -> str:
    return f"{name}:{who}:{bucket}"


def _expires(bucket: int) -> int:
    return bucket * BUCKET_SECONDS + WINDOW_SECONDS


@dataclass
class Window:
    limit: Limit
    who: str
    now: float
    used: dict[int, int]  # bucket → count
    credits: dict[int, int]

    @property
    def allowance(self) -> int:
        return self.limit.allowance + sum(self.credits.values())

    @property
    def total(self) -> int:
        return sum(self.used.values())

    def minutes_left(self) -> int:
        """0 while under the allowance; otherwise minutes (rounded up) until enough of it ages out."""
        total, allowance = self.total, self.allowance
        if total < allowance:
            return 0
        for bucket in sorted(self.used):
            total -= self.used[bucket]
            allowance -= self.credits.get(bucket, 0)
            if total < allowance:
                return max(1, math.ceil((_expires(bucket) - self.now) / 60))
        return math.ceil(WINDOW_SECONDS / 60)


def window(limit: Limit, request: HttpRequest, now: float | None = None) -> Window:
    now = time.time() if now is None else now
    who, buckets = address_key(request), _buckets(now)
    names = [limit.name, limit.credit] if limit.credit else [limit.name]
    counts = counters_get([_key(name, who, b) for name in names for b in buckets])
    used = {b: counts[_key(limit.name, who, b)] for b in buckets}
    credits = {b: counts[_key(limit.credit, who, b)] for b in buckets} if limit.credit else {}
    return Window(limit, who, now, used, credits)


def minutes_blocked(limit: Limit, request: HttpRequest) -> int:
    return window(limit, request).minutes_left()


# ---------------------------------------------------------------------------------------------------
# Reserve first, give back when the work did not count


@dataclass
class Reservation:
    minutes: int  # > 0: refused, nothing taken
    key: str = ""
    expires: int = 0

    def give_back(self) -> None:
        if self.key:
            counter_add(self.key, -1, expires=self.expires)
            self.key = ""


def reserve(limit: Limit, request: HttpRequest) -> Reservation:
    """One unit of `limit` for this client, or the minutes it must wait. Exact under concurrency."""
    current = window(limit, request)
    minutes = current.minutes_left()
    if minutes:
        return Reservation(minutes)  # nothing written: a flood of refused requests costs one read each
    bucket = max(current.used)
    key, expires = _key(limit.name, current.who, bucket), _expires(bucket)
    current.used[bucket] = counter_add(key, 1, expires=expires)
    if current.total > current.allowance:  # others took the last units meanwhile
        counter_add(key, -1, expires=expires)
        current.used[bucket] -= 1
        return Reservation(current.minutes_left() or 1)
    return Reservation(0, key, expires)


def count(name: str, request: HttpRequest) -> None:
    """Count one event of the counter `name` for this client (one statement)."""
    bucket = _buckets(time.time())[-1]
    counter_add(_key(name, address_key(request), bucket), 1, expires=_expires(bucket))


def record(limit: Limit, request: HttpRequest) -> int:
    """Count one event of `limit` without asking; return the minutes the client must now wait."""
    count(limit.name, request)
    return window(limit, request).minutes_left()
