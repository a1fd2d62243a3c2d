"""Chinese first: every string in the catalogue is translated, and the compiled catalogue is current."""

import re
import subprocess
from gettext import GNUTranslations
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _entries():
    text = PO.read_text(encoding="utf-8")
    for block in text.split("\n\n")[1:]:
        msgid = "".join(re.findall(r'^(?:msgid )?"(.*)"$', block.split("msgstr")[0], re.M))
        msgstr = (
            "".join(re.findall(r'"(.*)"$', block.split("msgstr", 1)[1], re.M)) if "msgstr" in block else ""
        )
        yield block, msgid, msgstr


def test_every_message_has_a_chinese_translation():
    untranslated = [msgid for block, msgid, msgstr in _entries() if msgid and not msgstr]
    assert untranslated == []


def test_no_translation_is_marked_fuzzy():
    assert [msgid for block, msgid, _ in _entries() if "#, fuzzy" in block] == []


def test_the_compiled_catalogue_is_in_use():
    with translation.override("zh-hans"):
        assert gettext("Duty-report review") == "述职评议"
        assert gettext("Party branch") == "党支部"
    with translation.override("en"):
        assert gettext("Party branch") == "Party branch"


def test_the_committed_catalogue_matches_its_source(tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(PO)], check=True)
    with fresh.open("rb") as new, PO.with_suffix(".mo").open("rb") as committed:
        assert GNUTranslations(committed)._catalog == GNUTranslations(new)._catalog, "run make messages"


def test_every_string_in_the_code_is_in_the_catalogue(tmp_path):
    """makemessages on a copy of the sources: a new msgid without its Chinese shows up as untranslated."""
    import shutil
    import sys

    base = Path(settings.BASE_DIR)
    for name in ("manage.py", "shuzhi", "reviews", "scoring", "templates", "locale"):
        source = base / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        else:
            shutil.copy(source, tmp_path / name)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "--no-location"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    text = (tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    missing = []
    for block in text.split("\n\n")[1:]:
        msgid = "".join(re.findall(r'^(?:msgid )?"(.*)"$', block.split("msgstr")[0], re.M))
        msgstr = (
            "".join(re.findall(r'"(.*)"$', block.split("msgstr", 1)[1], re.M)) if "msgstr" in block else ""
        )
        if msgid and (not msgstr or "#, fuzzy" in block):
            missing.append(msgid)
    assert missing == []
