"""Read the rows of named sheets of an .xlsx in one streamed pass that also enforces xlsx_limits.

Why not openpyxl (which writes every workbook here): reading, even in read-only mode, it builds an object
per cell and first scans a sheet without a <dimension> for its size; at 150,000 organisations and their
secretaries that was ~80 % of the import's time (a profile: 20 of 24 s at 15,000 rows), on top of the
separate limit scan. Here expat streams each sheet in 64 KB chunks, counts against the same limits as
`xlsx_limits.check_xlsx` as it goes (row numbers, columns, cells, text length, members' sizes) and hands
each row's values to a callback: values as openpyxl gives them with `data_only=True` (text, int or
float, a datetime for a number in a date format, a bool; a formula's cached value).
"""

import posixpath
import re
import zipfile
from collections.abc import Callable
from xml.etree import ElementTree
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from reviews.orgs import xlsx_limits
from reviews.orgs.xlsx_limits import LimitExceeded

MAX_SHARED_CHARS = 40_000_000  # all shared strings together (kept in memory while the sheets are read)

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_SHEET = re.compile(r"xl/worksheets/[^/]+\.xml", re.I)
_SHARED = re.compile(r"xl/sharedStrings\.xml", re.I)

RowCallback = Callable[[str, int, list], None]  # (sheet name, Excel row number, values from column A)


def read_xlsx(archive: zipfile.ZipFile, sheets: tuple[str, ...], on_row: RowCallback) -> tuple[set[str], int]:
    """Call `on_row` for every row of the named sheets (in that order); the names found and rows scanned.

    Raises LimitExceeded at the first limit crossed (code "doctype" for a DTD); any other exception
    means the file is not a readable workbook.
    """
    members = archive.infolist()
    if len(members) > xlsx_limits.MAX_MEMBERS:
        raise LimitExceeded("too_many_parts", {"limit": xlsx_limits.MAX_MEMBERS})
    if sum(member.file_size for member in members) > xlsx_limits.MAX_UNCOMPRESSED:
        raise LimitExceeded("too_large_unpacked", {"limit": xlsx_limits.MAX_UNCOMPRESSED // (1024 * 1024)})
    for member in members:
        big = member.file_size > xlsx_limits.MAX_OTHER_MEMBER
        if big and not (_SHEET.fullmatch(member.filename) or _SHARED.fullmatch(member.filename)):
            raise LimitExceeded(
                "too_large_unpacked", {"limit": xlsx_limits.MAX_UNCOMPRESSED // (1024 * 1024)}
            )
    names = {member.filename for member in members}
    workbook = _xml(archive, "xl/workbook.xml")
    properties = workbook.find(f"{_MAIN}workbookPr")
    epoch = (
        CALENDAR_MAC_1904
        if properties is not None and properties.get("date1904", "0") in ("1", "true")
        else CALENDAR_WINDOWS_1900
    )
    targets = {}
    if "xl/_rels/workbook.xml.rels" in names:
        for rel in _xml(archive, "xl/_rels/workbook.xml.rels").iter(f"{_PKG_REL}Relationship"):
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            targets[rel.get("Id")] = path
    by_name = {
        sheet.get("name"): targets.get(sheet.get(f"{_REL}id"), "") for sheet in workbook.iter(f"{_MAIN}sheet")
    }
    counter = xlsx_limits._Counter()
    shared = _shared_strings(archive, names, counter)
    dates = _date_styles(archive, names)
    wanted = {by_name[name]: name for name in sheets if by_name.get(name) in names}
    # Every sheet is scanned against the limits; the wanted ones in the order asked for.
    order = [by_name[name] for name in sheets if by_name.get(name) in names]
    order += sorted(m for m in names if _SHEET.fullmatch(m) and m not in wanted)
    for member in order:
        name = wanted.get(member)
        _scan_sheet(archive, member, counter, shared, dates, epoch, name, on_row if name else None)
    return set(wanted.values()), counter.rows


def _xml(archive: zipfile.ZipFile, name: str) -> ElementTree.Element:
    data = archive.read(name)  # small members: their size is limited above
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise LimitExceeded("doctype")
    return ElementTree.fromstring(data)


def _date_styles(archive: zipfile.ZipFile, names: set[str]) -> set[int]:
    """Indexes of the cell formats (the cells' s="…") that show numbers as dates."""
    if "xl/styles.xml" not in names:
        return set()
    styles = _xml(archive, "xl/styles.xml")
    custom = {int(f.get("numFmtId")): f.get("formatCode", "") for f in styles.iter(f"{_MAIN}numFmt")}
    dates = set()
    cell_formats = styles.find(f"{_MAIN}cellXfs")
    for index, xf in enumerate(cell_formats if cell_formats is not None else []):
        number_format = int(xf.get("numFmtId", "0"))
        code = custom.get(number_format, BUILTIN_FORMATS.get(number_format, "General"))
        if is_date_format(code):
            dates.add(index)
    return dates


def _parser(start, end, characters) -> expat.XMLParserType:
    def no_doctype(*args) -> None:
        raise LimitExceeded("doctype")  # no workbook needs one; entity tricks do

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.StartDoctypeDeclHandler = no_doctype
    parser.EntityDeclHandler = no_doctype
    return parser


def _feed(archive: zipfile.ZipFile, member: str, parser) -> None:
    with archive.open(member) as stream:
        while chunk := stream.read(xlsx_limits.CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)


def _text_too_long() -> LimitExceeded:
    return LimitExceeded("text_too_long", {"limit": xlsx_limits.MAX_TEXT})


def _shared_strings(archive: zipfile.ZipFile, names: set[str], counter) -> list[str]:
    member = next((name for name in names if _SHARED.fullmatch(name)), None)
    strings: list[str] = []
    if member is None:
        return strings
    state = {"parts": [], "length": 0, "in_t": 0, "skip": 0, "total": 0}

    def start(name: str, attributes: dict) -> None:
        local = name.rsplit(":", 1)[-1]
        if local == "si":
            state["parts"], state["length"] = [], 0
            counter.cells += 1
            if counter.cells > xlsx_limits.MAX_CELLS:
                raise LimitExceeded("too_many_cells", {"limit": xlsx_limits.MAX_CELLS})
        elif local in ("rPh", "phoneticPr"):
            state["skip"] += 1  # phonetic guides are not part of the text
        elif local == "t":
            state["in_t"] += 1

    def end(name: str) -> None:
        local = name.rsplit(":", 1)[-1]
        if local == "si":
            strings.append("".join(state["parts"]))
        elif local in ("rPh", "phoneticPr"):
            state["skip"] -= 1
        elif local == "t":
            state["in_t"] -= 1

    def characters(data: str) -> None:
        if state["in_t"] > 0:
            state["length"] += len(data)
            state["total"] += len(data)
            if state["length"] > xlsx_limits.MAX_TEXT:
                raise _text_too_long()
            if state["total"] > MAX_SHARED_CHARS:
                raise LimitExceeded(
                    "too_large_unpacked", {"limit": xlsx_limits.MAX_UNCOMPRESSED // (1024 * 1024)}
                )
            if not state["skip"]:
                state["parts"].append(data)

    _feed(archive, member, _parser(start, end, characters))
    return strings


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


_LOCAL: dict[str, str] = {}
_COLUMNS: dict[str, int] = {}


def _local(tag: str) -> str:
    local = _LOCAL.get(tag)
    if local is None:
        local = _LOCAL.setdefault(tag, tag.rsplit(":", 1)[-1])
    return local


def _column(letters: str) -> int:
    number = _COLUMNS.get(letters)
    if number is None:
        number = _COLUMNS.setdefault(letters, _column_number(letters))
    return number


def _scan_sheet(archive, member, counter, shared, dates, epoch, name, on_row) -> None:
    """Stream one sheet; hot code (every cell passes here), so plain locals and few calls."""
    max_rows, max_columns = xlsx_limits.MAX_SHEET_ROWS, xlsx_limits.MAX_COLUMNS
    max_cells, max_text = xlsx_limits.MAX_CELLS, xlsx_limits.MAX_TEXT
    reading = on_row is not None
    row = column = style = length = in_text = 0
    kind, collect = "n", False
    parts: list[str] = []
    values: list = []

    def start(tag: str, attributes: dict) -> None:
        nonlocal row, column, style, length, in_text, kind, collect, parts
        local = _LOCAL.get(tag) or _local(tag)
        if local == "c":
            counter.cells += 1
            if counter.cells > max_cells:
                raise LimitExceeded("too_many_cells", {"limit": max_cells})
            ref = attributes.get("r")
            if ref:
                digits = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
                column = _column(ref[: len(ref) - len(digits)])
                if column > max_columns:
                    raise LimitExceeded("too_many_columns", {"limit": max_columns})
                if digits.isdigit() and int(digits) > max_rows:
                    raise LimitExceeded("too_many_sheet_rows", {"limit": max_rows})
            else:
                column += 1
            kind = attributes.get("t", "n")
            style = int(attributes.get("s") or 0)
            parts, length = [], 0
        elif local == "v" or local == "t" or local == "f":
            in_text += 1
            collect = local != "f"  # a formula's own text is limited, its cached value read
        elif local == "row":
            number = attributes.get("r", "")
            row = int(number) if number.isdigit() else row + 1
            if row > max_rows:
                raise LimitExceeded("too_many_sheet_rows", {"limit": max_rows})
            counter.rows += 1
            column = 0
            values.clear()

    def end(tag: str) -> None:
        nonlocal in_text, collect
        local = _LOCAL.get(tag) or _local(tag)
        if local == "v" or local == "t" or local == "f":
            in_text -= 1
            collect = False
        elif not reading:
            return
        elif local == "c":
            if not parts:
                value = "" if kind == "inlineStr" else None
            elif kind == "s":
                value = shared[int(parts[0] if len(parts) == 1 else "".join(parts))]
            else:
                value = _value(kind, "".join(parts), style, shared, dates, epoch)
            if len(values) < column - 1:
                values.extend([None] * (column - 1 - len(values)))
            values.append(value)
        elif local == "row" and values:  # a row without cells is an empty row: skipped anyway
            on_row(name, row, list(values))

    def characters(data: str) -> None:
        nonlocal length
        if in_text > 0:
            length += len(data)
            if length > max_text:
                raise _text_too_long()
            if collect and reading:
                parts.append(data)

    _feed(archive, member, _parser(start, end, characters))


def _value(kind: str, text: str, style: int, shared: list[str], dates: set[int], epoch):
    """A cell's value the way openpyxl reads it with data_only=True."""
    if kind == "s":
        return shared[int(text)] if text else None
    if kind in ("inlineStr", "str"):
        return text
    if text == "":
        return None
    if kind == "b":
        return text in ("1", "true")
    if kind == "e":
        return text
    if kind == "d":
        from datetime import datetime

        return datetime.fromisoformat(text)
    try:
        number = int(text)
    except ValueError:
        number = float(text)
    if style in dates:
        return from_excel(number, epoch)
    return number
