"""Planner statistics on SQLite: gathered for a big table that has none or has outgrown them, never for a
small one, and with them a township's items are found from the path index."""

import sqlite3
from types import SimpleNamespace

import pytest

from reviews import sqlite_statistics


def _database(rows: int):
    raw = sqlite3.connect(":memory:")
    raw.execute("CREATE TABLE reviews_organisation (id INTEGER PRIMARY KEY, path TEXT)")
    raw.execute("CREATE INDEX organisation_path ON reviews_organisation (path)")
    raw.execute(
        "CREATE TABLE reviews_rectificationitem (id INTEGER PRIMARY KEY, cycle_id INT, organisation_id INT)"
    )
    raw.execute("CREATE INDEX item_cycle ON reviews_rectificationitem (cycle_id)")
    raw.execute("CREATE INDEX item_organisation ON reviews_rectificationitem (organisation_id)")
    raw.executemany(
        "INSERT INTO reviews_organisation VALUES (?, ?)",
        ((n, f"/00000001/{n:08d}/") for n in range(1, rows + 1)),
    )
    raw.executemany(
        "INSERT INTO reviews_rectificationitem VALUES (?, 1, ?)",
        ((n, n // 3 + 1) for n in range(1, 3 * rows + 1)),
    )
    return raw


def _refresh(raw):
    sqlite_statistics.refresh(None, SimpleNamespace(vendor="sqlite", connection=raw))


def _plan(raw) -> str:
    rows = raw.execute(
        "EXPLAIN QUERY PLAN SELECT count(*) FROM reviews_rectificationitem i JOIN reviews_organisation o "
        "ON i.organisation_id = o.id WHERE i.cycle_id = 1 AND o.path >= '/00000001/00000007/' "
        "AND o.path < '/00000001/000000070'"
    ).fetchall()
    return " ".join(row[-1] for row in rows)


def test_a_big_table_without_statistics_is_analysed_when_a_connection_opens():
    raw = _database(2000)
    assert "item_cycle" in _plan(raw)  # without statistics: every item of the cycle is read
    _refresh(raw)
    analysed = {row[0] for row in raw.execute("SELECT idx FROM sqlite_stat1")}
    assert {"organisation_path", "item_cycle", "item_organisation"} <= analysed
    assert "organisation_path" in _plan(raw) and "item_cycle" not in _plan(raw)


def test_fresh_statistics_are_not_gathered_again():
    raw = _database(2000)
    _refresh(raw)
    assert sqlite_statistics._stale_tables(raw) == []
    raw.execute("UPDATE sqlite_stat1 SET stat = '150 1' WHERE idx = 'organisation_path'")
    assert sqlite_statistics._stale_tables(raw) == ["reviews_organisation"]  # grown more than tenfold


def test_a_new_index_without_statistics_makes_its_table_stale():
    raw = _database(2000)
    _refresh(raw)
    raw.execute(
        "CREATE INDEX item_cycle_organisation ON reviews_rectificationitem (cycle_id, organisation_id)"
    )
    assert sqlite_statistics._stale_tables(raw) == ["reviews_rectificationitem"]


def test_a_small_database_is_left_alone():
    raw = _database(100)
    _refresh(raw)
    with pytest.raises(sqlite3.OperationalError):  # ANALYZE never ran: no statistics table at all
        raw.execute("SELECT * FROM sqlite_stat1")


def test_other_databases_are_left_alone():
    touched = []
    sqlite_statistics.refresh(None, SimpleNamespace(vendor="postgresql", connection=touched))
    assert touched == []
