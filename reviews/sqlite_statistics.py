"""SQLite plans from statistics: the planner statistics (sqlite_stat1) kept fresh on the embedded database.

Without statistics SQLite takes any equality on an indexed column as very selective, so for a township
it reads every item of the cycle through the `cycle_id` index instead of the township's organisations
through the path index (`path__subtree`, reviews/orgs/subtree.py) — 1.7 s at 450,000 items instead of
milliseconds. SQLite never gathers statistics by itself (PostgreSQL's autovacuum does), and
`PRAGMA optimize` on SQLite 3.40 only looks at what the current connection has already queried.

So when a connection opens, the big tables are checked (a max(rowid) and the schema: no table scan)
and ANALYZEd when an index has no statistics yet or the table has grown tenfold since they were
gathered: about 1 s for the five tables at province size, paid by one request after an import.
Small databases (tests, a demo) are left alone. Sampling (`analysis_limit`) is not used: its row
counts per key are so far off (1,001 items per cycle instead of 45,000) that the planner goes back
to the cycle index.
"""

from __future__ import annotations

import sqlite3

# The tables a subtree filter joins or pages through; the others are small or read by key.
TABLES = (
    "reviews_organisation",
    "reviews_rectificationitem",
    "reviews_rectificationnotice",
    "reviews_finding",
    "reviews_session",
)
MIN_ROWS = 1000  # below this any plan is fast
GROWTH = 10  # re-gather when the table has grown this many times since


def _stale_tables(raw) -> list[str]:
    try:
        rows = raw.execute("SELECT tbl, idx, stat FROM sqlite_stat1").fetchall()
    except sqlite3.OperationalError:  # no ANALYZE ever: the table does not exist yet
        rows = []
    known: dict[str, dict[str, int]] = {}
    for table, index, stat in rows:
        if index and stat:
            known.setdefault(table, {})[index] = int(str(stat).split()[0])
    stale = []
    for table in TABLES:
        try:
            top = raw.execute(f'SELECT max(rowid) FROM "{table}"').fetchone()[0] or 0
        except sqlite3.OperationalError:  # not migrated yet
            continue
        if top < MIN_ROWS:
            continue
        indexes = {row[1] for row in raw.execute(f'PRAGMA index_list("{table}")')}
        analysed = known.get(table, {})
        if not indexes <= set(analysed) or top > GROWTH * max(analysed.values(), default=0):
            stale.append(table)
    return stale


def refresh(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: ANALYZE the big tables whose statistics are missing or old."""
    if connection.vendor != "sqlite":
        return
    raw = connection.connection  # the DB-API connection: these statements are not the page's queries
    stale = _stale_tables(raw)
    if not stale:
        return
    try:
        for table in stale:
            raw.execute(f'ANALYZE "{table}"')
    except sqlite3.OperationalError:  # locked by a long writer: the next connection tries again
        pass
