"""The rectification tallies: each organisation's items in a cycle counted by status (RectificationTally)
and by problem category (CategoryTally), kept by database triggers.

Why triggers and not the services: every write path keeps them right, including the bulk hand-over,
the demo data, the benchmarks' COPY, Django's cascades and SET_NULL, a restore and an UPDATE by hand,
and two writers on two app servers serialise on the tally row, not in Python. A province dashboard then
reads 150,000 tally rows instead of 450,000 items joined to their organisations (the page: 1.74 s → 0.47 s).

The organisation's path and sector are copied into the tally (a subtree is one range on the tally's own
index, no join) and kept by a trigger on the organisation. Overdue is not counted here: it depends on
today, so it is read from the owing items past their deadline (a partial index).

SQLite drops a table's triggers when a migration rebuilds the table (ALTER TABLE there is "create a new
table, copy, drop, rename"), so `ensure()` runs after every migrate: it puts back what is missing and
then recounts the tallies from the items.
"""

from django.db import connection as default_connection

from reviews.rectification.models import RectificationStatus

ITEMS = "reviews_rectificationitem"
ORGANISATIONS = "reviews_organisation"
TALLY = "reviews_rectificationtally"
CATEGORY_TALLY = "reviews_categorytally"
STATUSES = [
    (RectificationStatus.PENDING, "pending"),
    (RectificationStatus.IN_PROGRESS, "in_progress"),
    (RectificationStatus.SUBMITTED, "submitted"),
    (RectificationStatus.RETURNED, "returned"),
    (RectificationStatus.VERIFIED, "verified"),
]
TRIGGERS = [
    "shuzhi_tally_item_insert",
    "shuzhi_tally_item_update",
    "shuzhi_tally_item_delete",
    "shuzhi_tally_organisation",
]
_COLUMNS = ", ".join(column for _status, column in STATUSES)


def _is(row: str, status: str, vendor: str) -> str:
    test = f"{row}.status = '{status}'"
    return f"({test})::int" if vendor == "postgresql" else f"({test})"


def _add(row: str, vendor: str) -> list[str]:
    """Count `row` (NEW) in: the organisation's tally, and its category's when it has one (upserts)."""
    values = ", ".join(_is(row, status, vendor) for status, _column in STATUSES)
    sets = ", ".join(f"{column} = {TALLY}.{column} + excluded.{column}" for _status, column in STATUSES)
    return [
        f"INSERT INTO {TALLY} (cycle_id, organisation_id, path, sector, items, {_COLUMNS}) "
        f"SELECT {row}.cycle_id, o.id, o.path, o.sector, 1, {values} FROM {ORGANISATIONS} o "
        f"WHERE o.id = {row}.organisation_id "
        f"ON CONFLICT (cycle_id, organisation_id) DO UPDATE SET items = {TALLY}.items + 1, {sets}",
        f"INSERT INTO {CATEGORY_TALLY} (cycle_id, organisation_id, category_id, path, items) "
        f"SELECT {row}.cycle_id, o.id, {row}.category_id, o.path, 1 FROM {ORGANISATIONS} o "
        f"WHERE o.id = {row}.organisation_id AND {row}.category_id IS NOT NULL "
        f"ON CONFLICT (cycle_id, organisation_id, category_id) "
        f"DO UPDATE SET items = {CATEGORY_TALLY}.items + 1",
    ]


def _remove(row: str, vendor: str) -> list[str]:
    """Uncount `row` (OLD): updates only, so a tally already deleted (a cascade, a flush) stays gone."""
    sets = ", ".join(f"{column} = {column} - {_is(row, status, vendor)}" for status, column in STATUSES)
    return [
        f"UPDATE {TALLY} SET items = items - 1, {sets} "
        f"WHERE cycle_id = {row}.cycle_id AND organisation_id = {row}.organisation_id",
        f"UPDATE {CATEGORY_TALLY} SET items = items - 1 WHERE cycle_id = {row}.cycle_id "
        f"AND organisation_id = {row}.organisation_id AND category_id = {row}.category_id",
    ]


_ITEM_CHANGED = (
    "OLD.status {ne} NEW.status OR OLD.cycle_id {ne} NEW.cycle_id "
    "OR OLD.organisation_id {ne} NEW.organisation_id OR OLD.category_id {ne} NEW.category_id"
)
_ORGANISATION_CHANGED = "OLD.path {ne} NEW.path OR OLD.sector {ne} NEW.sector"
_ORGANISATION_COPY = [
    f"UPDATE {TALLY} SET path = NEW.path, sector = NEW.sector WHERE organisation_id = NEW.id",
    f"UPDATE {CATEGORY_TALLY} SET path = NEW.path WHERE organisation_id = NEW.id",
]


def _sqlite_statements() -> list[str]:
    def trigger(name: str, event: str, table: str, body: list[str], when: str = "") -> str:
        condition = f" WHEN {when}" if when else ""
        statements = "".join(f"{s};\n" for s in body)
        return (
            f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {event} ON {table}{condition} BEGIN\n{statements}END"
        )

    ne = "IS NOT"
    return [
        trigger("shuzhi_tally_item_insert", "INSERT", ITEMS, _add("NEW", "sqlite")),
        trigger(
            "shuzhi_tally_item_update",
            "UPDATE OF status, cycle_id, organisation_id, category_id",
            ITEMS,
            [*_remove("OLD", "sqlite"), *_add("NEW", "sqlite")],
            _ITEM_CHANGED.format(ne=ne),
        ),
        trigger("shuzhi_tally_item_delete", "DELETE", ITEMS, _remove("OLD", "sqlite")),
        trigger(
            "shuzhi_tally_organisation",
            "UPDATE OF path, sector",
            ORGANISATIONS,
            _ORGANISATION_COPY,
            _ORGANISATION_CHANGED.format(ne=ne),
        ),
    ]


def _postgresql_statements() -> list[str]:
    def function(name: str, body: str) -> str:
        return (
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{body}RETURN NULL;\nEND $$"
        )

    def block(statements: list[str]) -> str:
        return "".join(f"  {s};\n" for s in statements)

    item_body = (
        "IF TG_OP IN ('UPDATE', 'DELETE') THEN\n"
        + block(_remove("OLD", "postgresql"))
        + "END IF;\nIF TG_OP IN ('UPDATE', 'INSERT') THEN\n"
        + block(_add("NEW", "postgresql"))
        + "END IF;\n"
    )
    ne = "IS DISTINCT FROM"
    return [
        function("shuzhi_tally_item", item_body),
        function("shuzhi_tally_organisation_copy", block(_ORGANISATION_COPY)),
        f"DROP TRIGGER IF EXISTS shuzhi_tally_item_insert ON {ITEMS}",
        f"CREATE TRIGGER shuzhi_tally_item_insert AFTER INSERT ON {ITEMS} "
        "FOR EACH ROW EXECUTE FUNCTION shuzhi_tally_item()",
        f"DROP TRIGGER IF EXISTS shuzhi_tally_item_update ON {ITEMS}",
        f"CREATE TRIGGER shuzhi_tally_item_update AFTER UPDATE OF status, cycle_id, organisation_id, "
        f"category_id ON {ITEMS} FOR EACH ROW WHEN ({_ITEM_CHANGED.format(ne=ne)}) "
        "EXECUTE FUNCTION shuzhi_tally_item()",
        f"DROP TRIGGER IF EXISTS shuzhi_tally_item_delete ON {ITEMS}",
        f"CREATE TRIGGER shuzhi_tally_item_delete AFTER DELETE ON {ITEMS} "
        "FOR EACH ROW EXECUTE FUNCTION shuzhi_tally_item()",
        f"DROP TRIGGER IF EXISTS shuzhi_tally_organisation ON {ORGANISATIONS}",
        f"CREATE TRIGGER shuzhi_tally_organisation AFTER UPDATE OF path, sector ON {ORGANISATIONS} "
        f"FOR EACH ROW WHEN ({_ORGANISATION_CHANGED.format(ne=ne)}) "
        "EXECUTE FUNCTION shuzhi_tally_organisation_copy()",
    ]


def statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return _postgresql_statements()
    if vendor == "sqlite":
        return _sqlite_statements()
    raise NotImplementedError(f"the rectification tallies need SQLite or PostgreSQL, not {vendor}")


def present(connection=default_connection) -> set[str]:
    """The tally triggers the database has."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT DISTINCT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname = ANY(%s)",
                [TRIGGERS],
            )
        else:
            marks = ", ".join(["%s"] * len(TRIGGERS))
            cursor.execute(
                f"SELECT name FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})", TRIGGERS
            )
        return {name for (name,) in cursor.fetchall()}


def install(connection=default_connection) -> None:
    with connection.cursor() as cursor:
        for statement in statements(connection.vendor):
            cursor.execute(statement)


def recount(connection=default_connection) -> None:
    """Every tally counted again from the items (set-based: two DELETEs and two INSERT … SELECTs)."""
    counts = ", ".join(
        f"SUM(CASE WHEN i.status = '{status}' THEN 1 ELSE 0 END)" for status, _column in STATUSES
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TALLY}")
        cursor.execute(f"DELETE FROM {CATEGORY_TALLY}")
        cursor.execute(
            f"INSERT INTO {TALLY} (cycle_id, organisation_id, path, sector, items, {_COLUMNS}) "
            f"SELECT i.cycle_id, i.organisation_id, o.path, o.sector, COUNT(*), {counts} "
            f"FROM {ITEMS} i JOIN {ORGANISATIONS} o ON o.id = i.organisation_id "
            "GROUP BY i.cycle_id, i.organisation_id, o.path, o.sector"
        )
        cursor.execute(
            f"INSERT INTO {CATEGORY_TALLY} (cycle_id, organisation_id, category_id, path, items) "
            f"SELECT i.cycle_id, i.organisation_id, i.category_id, o.path, COUNT(*) "
            f"FROM {ITEMS} i JOIN {ORGANISATIONS} o ON o.id = i.organisation_id "
            "WHERE i.category_id IS NOT NULL GROUP BY i.cycle_id, i.organisation_id, i.category_id, o.path"
        )


def ensure(connection=default_connection) -> bool:
    """Install the triggers that are missing and recount; True when something was missing."""
    if present(connection) == set(TRIGGERS):
        return False
    install(connection)
    recount(connection)
    return True
