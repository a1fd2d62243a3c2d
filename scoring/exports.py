"""Exports of a session's scoring results, pretix-style: one small interface, rendered to bytes.

Every export has an ``identifier``, a ``verbose_name`` and ``render(session) -> (filename, content_type,
bytes)``; staff views send the bytes with :func:`attachment_response`, the management commands write
them to a file. The numbers come from :func:`scoring.selectors.session_tally`, never recomputed here,
except the weighted per-item mean of the breakdown sheet (see :func:`_weighted_mean`).
"""

from __future__ import annotations

from reviews.cycles.models import Session

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
CSV = "text/csv; charset=utf-8"


# ---------------------------------------------------------------------------------------------------
# The interface


class Export:
    """One downloadable rendering of a session's data."""

    identifier: str = ""
    verbose_name = ""

    def render(self, session: Session) -> tuple[str, str, bytes]:
        """(file name, content type, content)."""
        raise NotImplementedError
