"""The size limits of an uploaded .xlsx; `xlsx_reader` enforces them while it reads the rows, and
`check_xlsx` checks a file against them without reading it.

openpyxl loads the whole shared-string table when it opens a workbook, even in read-only mode, and
fills every missing row up to the last row index a sheet names: a 308 KB file holding one huge shared
string kept a worker at ~670 MB, and a 5 MB file of a million empty rows parsed for 97 s. This module
streams the zip members through expat in small chunks, counting as it goes, and stops at the first
limit crossed, so a hostile file is refused in milliseconds with little memory:

- the zip: at most MAX_MEMBERS members, MAX_UNCOMPRESSED bytes in all once unpacked (zipfile never
  unpacks more than a member declares), MAX_OTHER_MEMBER for any member that is not a sheet or the
  shared-string table (styles, properties …: openpyxl reads those whole);
- each sheet: row numbers up to MAX_SHEET_ROWS (empty rows count: they are rows openpyxl makes),
  column numbers up to MAX_COLUMNS; the workbook: at most MAX_CELLS cells and shared strings;
- every text (shared string, inline string, cell value, formula): at most MAX_TEXT characters.
"""

import re
import zipfile
from dataclasses import dataclass, field
from xml.parsers import expat

MAX_MEMBERS = 200
MAX_UNCOMPRESSED = 400 * 1024 * 1024  # a 150,000-organisation workbook unpacks to ~60 MB
MAX_OTHER_MEMBER = 8 * 1024 * 1024
MAX_SHEET_ROWS = 210_000  # the importer's 200,000 data rows, a header and room for stray blank rows
MAX_COLUMNS = 100
MAX_CELLS = 3_000_000  # 200,000 rows of both sheets (11 columns) and their shared strings
MAX_TEXT = 2_000

CHUNK = 64 * 1024
_SHEET = re.compile(r"xl/worksheets/[^/]+\.xml", re.I)
_SHARED = re.compile(r"xl/sharedStrings\.xml", re.I)
_CELL_REF = re.compile(r"([A-Z]{1,3})(\d+)$")
_TEXT_ELEMENTS = {"t", "v", "f"}


@dataclass
class LimitExceeded(Exception):
    """Which limit a file crossed: `code` names it, `params` hold the numbers for the message."""

    code: str
    params: dict = field(default_factory=dict)


def check_xlsx(archive: zipfile.ZipFile) -> int:
    """Raise LimitExceeded at the first limit the workbook crosses; else the rows of all its sheets."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise LimitExceeded("too_many_parts", {"limit": MAX_MEMBERS})
    if sum(member.file_size for member in members) > MAX_UNCOMPRESSED:
        raise LimitExceeded("too_large_unpacked", {"limit": MAX_UNCOMPRESSED // (1024 * 1024)})
    counter = _Counter()
    for member in members:
        name = member.filename
        if _SHEET.fullmatch(name) or _SHARED.fullmatch(name):
            _scan(archive, member, counter, sheet=bool(_SHEET.fullmatch(name)))
        elif member.file_size > MAX_OTHER_MEMBER:
            raise LimitExceeded("too_large_unpacked", {"limit": MAX_UNCOMPRESSED // (1024 * 1024)})
    return counter.rows


class _Counter:
    def __init__(self):
        self.cells = 0
        self.rows = 0


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _scan(archive: zipfile.ZipFile, member: zipfile.ZipInfo, counter: _Counter, *, sheet: bool) -> None:
    """Stream one sheet or the shared-string table; a cell's or a string's text is all its runs."""
    item = "c" if sheet else "si"  # what one cell (or one shared string) is in this member
    state = {"row": 0, "length": 0, "in_text": 0}

    def start(name: str, attributes: dict) -> None:
        local = name.rsplit(":", 1)[-1]
        if local in _TEXT_ELEMENTS:
            state["in_text"] += 1
        elif local == item:
            state["length"] = 0
            counter.cells += 1
            if counter.cells > MAX_CELLS:
                raise LimitExceeded("too_many_cells", {"limit": MAX_CELLS})
            match = _CELL_REF.match(attributes.get("r", "")) if sheet else None
            if match is not None:
                if _column_number(match.group(1)) > MAX_COLUMNS:
                    raise LimitExceeded("too_many_columns", {"limit": MAX_COLUMNS})
                if int(match.group(2)) > MAX_SHEET_ROWS:
                    raise LimitExceeded("too_many_sheet_rows", {"limit": MAX_SHEET_ROWS})
        elif sheet and local == "row":
            number = attributes.get("r", "")
            state["row"] = int(number) if number.isdigit() else state["row"] + 1
            if state["row"] > MAX_SHEET_ROWS:
                raise LimitExceeded("too_many_sheet_rows", {"limit": MAX_SHEET_ROWS})
            counter.rows += 1

    def end(name: str) -> None:
        if name.rsplit(":", 1)[-1] in _TEXT_ELEMENTS:
            state["in_text"] -= 1

    def characters(data: str) -> None:
        if state["in_text"] > 0:
            state["length"] += len(data)
            if state["length"] > MAX_TEXT:
                raise LimitExceeded("text_too_long", {"limit": MAX_TEXT})

    def no_doctype(*args) -> None:
        raise LimitExceeded("doctype")  # no workbook needs one; entity tricks do

    parser = expat.ParserCreate()
    parser.buffer_text = True  # one call per text run, not per line
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.StartDoctypeDeclHandler = no_doctype
    parser.EntityDeclHandler = no_doctype
    with archive.open(member) as stream:
        while chunk := stream.read(CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
