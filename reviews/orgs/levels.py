"""Administrative levels of the organisation tree: 省级, 市级, 县级, 乡镇级, 村级.

One deployment serves one tree whose levels are uniform by depth, named by the setting
``TREE_LEVELS`` (environment ``TREE_LEVELS``, default ``county,township,village``): the level of the
root first, then one per depth below it; deeper organisations take the last level (a village's
sub-branches count as village level). A province without cities is ``province,county,township,village``,
a city ``city,county,township,village``. The depth is already on every organisation, so nothing is stored
per organisation and no import has to fill a column.

Levels are numbered relative to the county (the product's first unit), so a county deployment keeps the
numbers it always had: province −2, city −1, county 0, township 1, village 2.
"""

from __future__ import annotations

from itertools import pairwise

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    PROVINCE = -2, _("Province level")  # 省级
    CITY = -1, _("City level")  # 市级
    COUNTY = 0, _("County level")  # 县级
    TOWNSHIP = 1, _("Township level")  # 乡镇级
    VILLAGE = 2, _("Village level")  # 村级


DEFAULT_TREE_LEVELS = "county,township,village"
_BY_NAME = {level.name.lower(): level for level in Level}


def tree_levels() -> list[Level]:
    """The levels by depth, from the setting: strictly descending from the root, ending with villages."""
    names = getattr(settings, "TREE_LEVELS", None) or DEFAULT_TREE_LEVELS.split(",")
    try:
        levels = [_BY_NAME[name.strip().lower()] for name in names]
    except KeyError as error:
        raise ImproperlyConfigured(
            f"TREE_LEVELS: unknown level {error.args[0]!r}; use {', '.join(_BY_NAME)}"
        ) from None
    if any(a >= b for a, b in pairwise(levels)) or levels[-1] != Level.VILLAGE:
        raise ImproperlyConfigured("TREE_LEVELS: levels go down from the root and end with village")
    return levels


def level_of_depth(depth: int) -> Level:
    """The level of an organisation at `depth` (0 = the root)."""
    levels = tree_levels()
    return levels[min(max(depth, 0), len(levels) - 1)]


def depths_of(level: Level) -> tuple[int, int | None]:
    """The depths of a level as (first, last); last None = every depth from first down (the bottom level)."""
    levels = tree_levels()
    depth = levels.index(level)
    return (depth, None) if depth == len(levels) - 1 else (depth, depth)


def level_label(depth: int) -> str:
    return str(level_of_depth(depth).label)


CHILDREN_HEADINGS = {
    Level.CITY: _("Rectification by city"),
    Level.COUNTY: _("Rectification by county"),
    Level.TOWNSHIP: _("Rectification by township"),
    Level.VILLAGE: _("Rectification by village and unit"),
}
