"""The Chinese of strings not yet merged into the main catalogue (locale/pending/harden.po) is in use."""

import re
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, ngettext

PO = Path(settings.BASE_DIR) / "locale" / "pending" / "harden.po"


def _entries() -> list[tuple[str, str, str]]:
    """(msgid, msgid_plural, msgstr or msgstr[0]) of every entry but the header."""
    entries = []
    for block in PO.read_text(encoding="utf-8").split("\n\n")[1:]:
        parts = re.split(r"^(msgid|msgid_plural|msgstr|msgstr\[0\]) ", block, flags=re.M)
        fields = {parts[i]: "".join(re.findall(r'"(.*)"', parts[i + 1])) for i in range(1, len(parts), 2)}
        entries.append(
            (fields["msgid"], fields.get("msgid_plural", ""), fields.get("msgstr") or fields["msgstr[0]"])
        )
    return entries


def test_every_pending_string_has_chinese():
    entries = _entries()
    assert len(entries) >= 15
    assert all(msgstr and re.search(r"[\u4e00-\u9fff]", msgstr) for _, _, msgstr in entries)


def test_the_compiled_pending_catalogue_is_current():
    with translation.override("zh-hans"):
        for msgid, plural, msgstr in _entries():
            translated = ngettext(msgid, plural, 2) if plural else gettext(msgid)
            assert translated == msgstr.replace('\\"', '"'), msgid
