"""The subtree filter: every organisation whose materialised path starts with a prefix, by an index.

Paths are zero-padded ids between slashes ("/00000001/00000005/"), so the subtree of "/00000001/" is
every path from "/00000001/" up to, not including, "/000000010" (the prefix with its last character
raised by one: "/" is just below "0"). That range is what the path index answers.

- SQLite: `path LIKE 'p%' ESCAPE '\\'` (Django's `startswith`) cannot use an index (SQLite's LIKE is
  case-insensitive unless the column is NOCASE or case_sensitive_like is set), so a township page read
  every item of the province. Here it is `path >= 'p' AND path < 'q'`: a range on the path index.
- PostgreSQL: `path LIKE 'p%'` already uses the `…_like` (varchar_pattern_ops) index Django makes for
  an indexed CharField, and does so under any database collation; a plain range would follow the
  collation, whose order need not put "/" before the digits. So there it stays `startswith`.

Use `path__subtree=prefix` (registered on Organisation.path only, so joined lookups work too:
`organisation__path__subtree`), or `subtree_q(prefix, via=…)`. The prefix must be a plain string.
"""

from __future__ import annotations

from django.db.models import Lookup, Q
from django.db.models.lookups import StartsWith


def upper_bound(prefix: str) -> str:
    """The first string after every string that starts with `prefix` (in code-point order)."""
    if not prefix:
        raise ValueError("A subtree prefix cannot be empty.")
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


class Subtree(Lookup):
    lookup_name = "subtree"
    prepare_rhs = False

    def get_prep_lookup(self):
        if not isinstance(self.rhs, str):
            raise TypeError("path__subtree takes a path string, not an expression.")
        upper_bound(self.rhs)  # refuses an empty prefix
        return self.rhs

    def as_sql(self, compiler, connection):
        return StartsWith(self.lhs, self.rhs).as_sql(compiler, connection)

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        params = [*lhs_params, self.rhs, *lhs_params, upper_bound(self.rhs)]
        return f"({lhs} >= %s AND {lhs} < %s)", params


def subtree_q(prefix: str, via: str = "") -> Q:
    """A filter for the subtree under `prefix`; `via` is the lookup to the organisation ('' = itself)."""
    return Q(**{f"{via}__path__subtree" if via else "path__subtree": prefix})
