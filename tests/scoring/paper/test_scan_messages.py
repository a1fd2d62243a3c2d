"""Every message of the scan package has its Chinese in the catalogue."""

import ast
import re
from pathlib import Path

from django.conf import settings

PACKAGE = Path(settings.BASE_DIR) / "scoring" / "paper" / "scan"
MAIN = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def msgids_in_code() -> set[str]:
    found = set()
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "gettext", "gettext_lazy")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add(node.args[0].value)
    return found


def catalogue(path: Path) -> dict[str, str]:
    """msgid → msgstr of a PO file (continuation lines joined)."""
    entries, key, field = {}, None, None
    for line in [*path.read_text().splitlines(), ""]:
        if line.startswith(("msgid ", "msgstr ")):
            field, _, rest = line.partition(" ")
            if field == "msgid":
                key = ast.literal_eval(rest)
            else:
                entries[key] = ast.literal_eval(rest)
        elif line.startswith('"') and field:
            if field == "msgid":
                key += ast.literal_eval(line)
            else:
                entries[key] += ast.literal_eval(line)
        else:
            field = None
    entries.pop("", None)
    return entries


def test_every_scan_message_has_a_chinese_translation():
    ids = msgids_in_code()
    assert len(ids) > 20
    known = catalogue(MAIN)
    missing = sorted(i for i in ids if not known.get(i))
    assert missing == []
    assert all(re.search(r"[\u4e00-\u9fff]", known[i]) for i in ids)
    instruction = "Fill the box or tick it with a black or blue pen; choose only one grade per item."
    assert known[instruction].startswith("请用黑色或蓝色笔涂满方框或打钩，每项只选一个")
