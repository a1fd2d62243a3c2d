"""Import party organisations and their secretaries from an Excel workbook (党组织与书记导入).

Kept whole (~1,350 lines): read → check → plan → apply of one workbook; each step needs the others' rows.

Two job-ready steps, each taking a file (path, bytes, file object or upload), the actor and an optional
`progress(done, total)` callback:

- `import_check` (alias `parse_workbook`) streams the workbook once (xlsx_reader), checks every row
  against the file itself and a few bulk lookups of the database (existing codes and their ancestors, the
  secretaries' appointment history: dicts, not a query per row) and returns an `ImportPlan`: what would be
  created, changed or left alone, and every problem found. `progress` counts rows checked.
- `import_apply` checks the file again inside one transaction against the database as it is then and
  writes it set-based: bulk inserts and `executemany` updates in batches, paths set by one UPDATE per
  tree level, one audit entry for the whole import whose detail counts what changed and names the
  summary workbook (every created, changed and closed row) kept in the private storage for download.
  An error anywhere writes nothing. `progress` counts rows written.

Sheet names and headers are data (the template's Chinese words), not interface strings.
"""

import datetime
import io
import re
import tempfile
import time
import uuid
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import openpyxl
from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.db.models import CharField, F, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat, LPad, Substr
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from reviews.audit import services as audit
from reviews.orgs import xlsx_limits, xlsx_reader, xlsx_writer
from reviews.orgs.models import Appointment, Gender, Organisation, OrganisationKind, Person, Post, Sector
from reviews.scope import ensure_may_write, scope_root
from reviews.spreadsheets import workbook_bytes

ORG_SHEET = "党组织"
ORG_CODE, ORG_NAME, ORG_SHORT_NAME, ORG_PARENT, ORG_KIND, ORG_SECTOR = (
    "编码",
    "名称",
    "简称",
    "上级编码",
    "类型",
    "领域",
)
ORG_HEADERS = (ORG_CODE, ORG_NAME, ORG_SHORT_NAME, ORG_PARENT, ORG_KIND, ORG_SECTOR)

SECRETARY_SHEET = "书记"
SEC_ORG, SEC_NAME, SEC_GENDER, SEC_TITLE, SEC_START = "党组织编码", "姓名", "性别", "职务", "任职日期"
SECRETARY_HEADERS = (SEC_ORG, SEC_NAME, SEC_GENDER, SEC_TITLE, SEC_START)

MAX_ROWS = 200_000  # data rows per sheet: a province (~150,000 organisations) in one file
BATCH = 5000  # rows per lookup query and per batch of writes

KIND_WORDS = {
    "党委": OrganisationKind.COMMITTEE,
    "党工委": OrganisationKind.WORKING_COMMITTEE,
    "党组": OrganisationKind.LEADING_GROUP,
    "党总支": OrganisationKind.GENERAL_BRANCH,
    "党支部": OrganisationKind.BRANCH,
}
SECTOR_WORDS = {
    "农村": Sector.RURAL,
    "社区": Sector.COMMUNITY,
    "机关": Sector.ORGAN,
    "事业单位": Sector.INSTITUTION,
    "国有企业": Sector.SOE,
    "非公企业": Sector.PRIVATE,
    "社会组织": Sector.SOCIAL,
    "学校": Sector.SCHOOL,
    "医院": Sector.HOSPITAL,
}
GENDER_WORDS = {"男": Gender.MALE, "女": Gender.FEMALE}

TEMPLATE_FILENAME = "党组织与书记导入模板.xlsx"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_DATE_PATTERNS = [
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"),
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?"),
]


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


# ---------------------------------------------------------------------------------------------
# What parse_workbook returns


@dataclass(slots=True)
class ImportProblem:
    """One thing wrong with the file: where (sheet, Excel row, header text) and what (code, message)."""

    sheet: str
    row: int | None
    column: str
    code: str
    msgid: str = field(repr=False)
    params: dict = field(default_factory=dict, repr=False)

    @property
    def message(self) -> str:
        """The explanation, in the active language."""
        return _(self.msgid) % self.params if self.params else _(self.msgid)

    def __str__(self) -> str:
        where = {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}
        if self.row and self.column:
            return _("Sheet “%(sheet)s”, row %(row)s, column “%(column)s”: %(message)s") % where
        if self.row:
            return _("Sheet “%(sheet)s”, row %(row)s: %(message)s") % where
        if self.sheet:
            return _("Sheet “%(sheet)s”: %(message)s") % where
        return self.message


@dataclass(slots=True)
class OrganisationChange:
    """One row of the organisation sheet and what importing it does: create, update or unchanged."""

    row: int
    code: str
    name: str
    short_name: str
    kind: str
    sector: str
    parent_code: str
    action: str = "unchanged"
    depth: int = 0  # in the tree after the import: parents are written before their children
    pk: int | None = None  # the existing organisation an update changes
    changes: dict[str, tuple] = field(default_factory=dict)  # field -> (old, new)

    def change_lines(self) -> list[tuple[str, str, str]]:
        return _change_lines(self.changes)


@dataclass(slots=True)
class Closure:
    """An open secretary appointment a hand-over ends the day before the new secretary starts."""

    appointment_id: int
    person_name: str
    start_date: datetime.date
    end_date: datetime.date


@dataclass(slots=True)
class SecretaryChange:
    """One row of the secretary sheet: appoint, hand over (closing the predecessor), update, or nothing."""

    row: int
    organisation_code: str
    organisation_name: str
    name: str
    gender: str
    title: str
    start_date: datetime.date
    action: str = "appoint"
    person_id: int | None = None  # an existing person of this organisation's secretary history
    appointment_id: int | None = None  # the appointment an update changes
    closes: list[Closure] = field(default_factory=list)
    changes: dict[str, tuple] = field(default_factory=dict)
    organisation_depth: int = 0

    def change_lines(self) -> list[tuple[str, str, str]]:
        return _change_lines(self.changes)


@dataclass
class ImportPlan:
    source: bytes = b""
    problems: list[ImportProblem] = field(default_factory=list)
    organisations: list[OrganisationChange] = field(default_factory=list)
    secretaries: list[SecretaryChange] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.problems

    def _orgs(self, action: str) -> list[OrganisationChange]:
        return [c for c in self.organisations if c.action == action]

    def _secs(self, *actions: str) -> list[SecretaryChange]:
        return [c for c in self.secretaries if c.action in actions]

    @property
    def to_create(self) -> list[OrganisationChange]:
        return self._orgs("create")

    @property
    def to_update(self) -> list[OrganisationChange]:
        return self._orgs("update")

    @property
    def unchanged_organisations(self) -> list[OrganisationChange]:
        return self._orgs("unchanged")

    @property
    def to_appoint(self) -> list[SecretaryChange]:
        """New secretary appointments, hand-overs included."""
        return self._secs("appoint", "handover")

    @property
    def handovers(self) -> list[SecretaryChange]:
        return self._secs("handover")

    @property
    def secretary_updates(self) -> list[SecretaryChange]:
        return self._secs("update")

    @property
    def unchanged_secretaries(self) -> list[SecretaryChange]:
        return self._secs("unchanged")

    @property
    def has_changes(self) -> bool:
        return any(c.action != "unchanged" for c in self.organisations + self.secretaries)

    def counts(self) -> dict[str, int]:
        return {
            "organisations_created": len(self.to_create),
            "organisations_updated": len(self.to_update),
            "organisations_unchanged": len(self.unchanged_organisations),
            "secretaries_appointed": len(self.to_appoint),
            "handovers": len(self.handovers),
            "secretaries_updated": len(self.secretary_updates),
            "secretaries_unchanged": len(self.unchanged_secretaries),
        }

    def summary_text(self) -> str:
        return (
            _(
                "Party organisations: %(organisations_created)s to create, "
                "%(organisations_updated)s to update, %(organisations_unchanged)s unchanged. "
                "Secretaries: %(secretaries_appointed)s to appoint (%(handovers)s hand-overs), "
                "%(secretaries_updated)s to update, %(secretaries_unchanged)s unchanged."
            )
            % self.counts()
        )


@dataclass
class ImportSummary:
    organisations_created: int = 0
    organisations_updated: int = 0
    secretaries_appointed: int = 0
    handovers: int = 0
    secretaries_updated: int = 0
    event_id: int | None = None  # the import's audit entry; None when nothing changed
    summary_file: str = ""  # its summary workbook in the private storage (see summary_storage)

    def as_dict(self) -> dict[str, int]:
        counts = asdict(self)
        del counts["event_id"], counts["summary_file"]
        return counts

    def __str__(self) -> str:
        return (
            _(
                "Party organisations created: %(organisations_created)s, updated: %(organisations_updated)s; "
                "secretaries appointed: %(secretaries_appointed)s (hand-overs: %(handovers)s), "
                "updated: %(secretaries_updated)s."
            )
            % self.as_dict()
        )


def _change_lines(changes: dict[str, tuple]) -> list[tuple[str, str, str]]:
    """(field label, old, new) for display, in the active language."""
    return [
        (_field_label(name), _display(name, old), _display(name, new)) for name, (old, new) in changes.items()
    ]


def _field_label(name: str) -> str:
    labels = {
        "name": _("name"),
        "short_name": _("short name"),
        "kind": _("kind"),
        "sector": _("sector"),
        "parent": _("parent organisation"),
        "gender": _("gender"),
        "title": _("position"),
        "start_date": _("from"),
        "end_date": _("until"),
    }
    return labels.get(name, name)


def _display(name: str, value) -> str:
    if value in (None, ""):
        return "—"
    choices = {"kind": OrganisationKind, "sector": Sector, "gender": Gender}.get(name)
    if choices is not None:
        return str(choices(value).label)
    return str(value)


# ---------------------------------------------------------------------------------------------
# Reading cells


@dataclass(slots=True)
class _Row:
    number: int  # the Excel row number
    cells: dict[str, object]  # header -> raw cell value


def _text(value) -> str:
    """A cell as stripped text; whole numbers lose their '.0' so codes compare as text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _date(value) -> datetime.date | None:
    """A real Excel date, or 2021-01-01, 2021/1/1, 2021.1.1, 2021年1月1日; None when it is none of them."""
    if isinstance(value, datetime.datetime):
        day = value.date()
    elif isinstance(value, datetime.date):
        day = value
    else:
        text = _text(value)
        match = next((m for p in _DATE_PATTERNS if (m := p.fullmatch(text))), None)
        if match is None:
            return None
        try:
            day = datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            return None
    return day if 1900 <= day.year <= 2100 else None


def _choice(text: str, words: dict, choices) -> str | None:
    """A Chinese word of the template, or the stored value itself (case-insensitive)."""
    if text in words:
        return words[text].value
    return next((value for value in choices.values if value.lower() == text.lower()), None)


def _read_bytes(file) -> bytes:
    if isinstance(file, bytes | bytearray):
        return bytes(file)
    if isinstance(file, str | Path):
        return Path(file).read_bytes()
    if hasattr(file, "chunks"):  # a Django UploadedFile
        return b"".join(file.chunks())
    return file.read()


def _not_xlsx() -> ImportProblem:
    return ImportProblem(
        "",
        None,
        "",
        "not_xlsx",
        gettext_noop(
            "This file is not a readable Excel workbook (.xlsx). Save it as .xlsx in Excel or WPS "
            "(an older .xls will not do) and try again."
        ),
    )


_LIMIT_MESSAGES = {
    "too_large": gettext_noop(
        "The file is larger than %(limit)s MB; split it into several files and import them one by one."
    ),
    "too_many_parts": gettext_noop(
        "The workbook has more than %(limit)s internal parts, more than an import file ever needs. "
        "Copy the data into the import template and try again."
    ),
    "too_large_unpacked": gettext_noop(
        "Unpacked, the workbook is larger than %(limit)s MB. Copy just the data into the import "
        "template and try again."
    ),
    "too_many_sheet_rows": gettext_noop(
        "A sheet uses rows beyond row %(limit)s (empty rows count too). Delete the rows below the data, "
        "or split the data into several files."
    ),
    "too_many_columns": gettext_noop(
        "A sheet uses columns beyond column %(limit)s. Delete the columns right of the data and try again."
    ),
    "too_many_cells": gettext_noop(
        "The workbook has more than %(limit)s cells. Split the data into several files and try again."
    ),
    "text_too_long": gettext_noop(
        "A cell holds more than %(limit)s characters, far more than a name or a title. "
        "Check the file and try again."
    ),
}


def _over_limit(code: str, params: dict) -> ImportProblem:
    return ImportProblem("", None, "", code, _LIMIT_MESSAGES[code], params)


class _Progress:
    """Calls `progress(done, total)` about every 1 % of the work and at most five times a second."""

    def __init__(self, callback, total: int):
        self.callback, self.total, self.done = callback, max(total, 0), 0
        self._step = max(self.total // 100, 1)
        self._next, self._last = 0, 0.0

    def add(self, count: int = 1) -> None:
        self.done += count
        if self.callback is None or self.done < self._next:
            return
        now = time.monotonic()
        if now - self._last >= 0.2:
            self.callback(min(self.done, self.total), self.total)
            self._last = now
        self._next = self.done + self._step

    def finish(self) -> None:
        if self.callback is not None:
            self.callback(self.total, self.total)


def _read_workbook(data: bytes, parser: "_Parser", progress=None) -> list[ImportProblem]:
    """Stream the data rows of both sheets into the parser; the problems that stop the file being read.

    One pass over the file (xlsx_reader) reads the rows and enforces the limits of xlsx_limits as it
    goes, so a hostile file is refused within seconds and little memory.
    """
    if len(data) > settings.IMPORT_MAX_BYTES:
        return [_over_limit("too_large", {"limit": settings.IMPORT_MAX_BYTES // (1024 * 1024)})]
    sheets = {
        ORG_SHEET: _SheetReader(ORG_SHEET, ORG_HEADERS, parser.read_organisation),
        SECRETARY_SHEET: _SheetReader(SECRETARY_SHEET, SECRETARY_HEADERS, parser.read_secretary),
    }
    counter = _Progress(progress, _estimated_rows(data))

    def on_row(sheet: str, number: int, values: list) -> None:
        counter.add()
        sheets[sheet].row(number, values)

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            found, _rows = xlsx_reader.read_xlsx(archive, (ORG_SHEET, SECRETARY_SHEET), on_row)
    except xlsx_limits.LimitExceeded as exceeded:
        if exceeded.code not in _LIMIT_MESSAGES:
            return [_not_xlsx()]
        return [_over_limit(exceeded.code, exceeded.params)]
    except Exception:  # not a zip, a damaged member, malformed XML: the same thing to the user
        return [_not_xlsx()]
    problems: list[ImportProblem] = []
    for sheet, reader in sheets.items():
        if sheet not in found:
            problems.append(
                ImportProblem(
                    sheet,
                    None,
                    "",
                    "missing_sheet",
                    gettext_noop(
                        "The workbook has no sheet named “%(sheet)s”. Start from the import template; "
                        "an empty sheet with just its header row is fine."
                    ),
                    {"sheet": sheet},
                )
            )
        else:
            problems += reader.finish()
    counter.finish()
    return problems


def _estimated_rows(data: bytes) -> int:
    """Rows to expect, for progress: the <row> elements of every sheet, counted in the unpacked bytes
    (a fraction of a second at 150,000 organisations). Many writers leave out the sheet's <dimension>,
    and an estimate from the size of the first rows was 20 % off."""
    total = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [m for m in archive.infolist() if re.fullmatch(r"xl/worksheets/[^/]+\.xml", m.filename)]
            if sum(m.file_size for m in members) > xlsx_limits.MAX_UNCOMPRESSED:
                return 0  # the reader refuses it
            for info in members:
                with archive.open(info) as stream:
                    tail = b""
                    while chunk := stream.read(1 << 20):
                        block = tail + chunk
                        total += block.count(b"<row ") + block.count(b"<row>")
                        tail = block[-4:]  # a tag cut by the chunk is counted in the next block, once
    except Exception:
        return 0
    return total


class _SheetReader:
    """One sheet's rows as they stream in: the header row first, then data rows to the parser."""

    def __init__(self, sheet: str, headers: tuple[str, ...], consume):
        self.sheet, self.headers, self.consume = sheet, headers, consume
        self.index: dict[str, int] | None = None
        self.problems: list[ImportProblem] = []
        self.count = 0
        self.stopped = False

    def row(self, number: int, values: list) -> None:
        if self.index is None:
            self.header(values if number == 1 else [])
            if number == 1:
                return
        if self.stopped or len(self.index) < len(self.headers):
            return
        cells = {header: values[i] if i < len(values) else None for header, i in self.index.items()}
        if all(_text(value) == "" for value in cells.values()):
            return  # completely empty rows are skipped
        if self.count == MAX_ROWS:
            self.problems.append(
                ImportProblem(
                    self.sheet,
                    None,
                    "",
                    "too_many_rows",
                    gettext_noop("The sheet has more than %(limit)s rows; split it into several files."),
                    {"limit": MAX_ROWS},
                )
            )
            self.stopped = True
            return
        self.count += 1
        self.consume(_Row(number, cells))

    def header(self, values: list) -> None:
        found = [_text(value) for value in values]
        self.index = {}
        for header in self.headers:
            if header in found:
                self.index[header] = found.index(header)
            else:
                self.problems.append(
                    ImportProblem(
                        self.sheet,
                        1,
                        header,
                        "missing_header",
                        gettext_noop(
                            "The header row has no column “%(column)s”. "
                            "The headers of this sheet are: %(expected)s."
                        ),
                        {"column": header, "expected": "、".join(self.headers)},
                    )
                )

    def finish(self) -> list[ImportProblem]:
        if self.index is None:
            self.header([])  # an empty sheet: no header row
        return self.problems


# ---------------------------------------------------------------------------------------------
# Parsing and validation


def import_check(file, *, actor=None, progress=None, lock: bool = False) -> ImportPlan:
    """Read and check the whole workbook; nothing is written. `actor` None = no scope limit.

    `progress(done, total)` counts rows checked. `lock` (inside a transaction, as `import_apply` does)
    locks the organisations whose secretaries change before their appointments are read, as
    `services.appointment_save` does, so no overlapping secretary slips in meanwhile.
    """
    data = _read_bytes(file)
    plan = ImportPlan(source=data)
    parser = _Parser(plan, actor, lock=lock)
    problems = _read_workbook(data, parser, progress)
    if problems:
        plan.problems = problems  # a file that cannot be read whole: its row problems would mislead
    else:
        parser.finish()
    plan.problems.sort(key=lambda p: (p.sheet != ORG_SHEET, p.row or 0))
    return plan


parse_workbook = import_check  # the name the command, the admin and the tests have used


def _chunks(items: list, size: int = 5000):
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(slots=True)
class _DbOrganisation:
    """The fields of an existing organisation the checks need (a model instance per row costs 10×)."""

    pk: int
    code: str
    name: str
    short_name: str
    kind: str
    sector: str
    parent_id: int | None
    path: str

    FIELDS = ("pk", "code", "name", "short_name", "kind", "sector", "parent_id", "path")

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part][:-1]


@dataclass(slots=True)
class _DbAppointment:
    pk: int
    person_id: int
    person_name: str
    person_gender: str
    title: str
    start_date: datetime.date
    end_date: datetime.date | None

    FIELDS = ("pk", "person_id", "person__name", "person__gender", "title", "start_date", "end_date")


class _Parser:
    """Fed row by row while the workbook streams in (`read_organisation`, `read_secretary`), then `finish`."""

    def __init__(self, plan: ImportPlan, actor, *, lock: bool = False):
        self.plan = plan
        self.lock = lock
        self.root = scope_root(actor) if actor is not None else None
        self.file_orgs: dict[str, OrganisationChange] = {}
        self.secretary_rows: list[SecretaryChange] = []
        self.bad_rows: set[tuple[str, int]] = set()
        self.db_by_code: dict[str, _DbOrganisation] = {}
        self.db_by_id: dict[int, _DbOrganisation] = {}
        self.depth: dict[str, int | None] = {}  # None: in or under a parent loop
        self._in_scope: dict[str, bool] = {}

    def problem(self, sheet, row, column, code, msgid, /, **params) -> None:
        self.plan.problems.append(ImportProblem(sheet, row, column, code, msgid, params))
        self.bad_rows.add((sheet, row))

    def finish(self) -> None:
        secretaries = self.secretary_rows
        parents = {c.parent_code for c in self.file_orgs.values()}
        self.load_database({*self.file_orgs, *parents, *(s.organisation_code for s in secretaries)})
        self.resolve_tree()
        for change in self.file_orgs.values():
            if (ORG_SHEET, change.row) not in self.bad_rows:
                self.plan_organisation(change)  # may add a scope problem to the row
        self.plan.organisations = [
            c for c in self.file_orgs.values() if (ORG_SHEET, c.row) not in self.bad_rows
        ]
        self.plan_secretaries(secretaries)

    # -- the organisation sheet

    def text(self, sheet, row: _Row, column: str, *, required: bool, limit: int) -> str:
        value = _text(row.cells[column])
        if required and not value:
            self.problem(sheet, row.number, column, "required", gettext_noop("This cell must not be empty."))
        elif len(value) > limit:
            self.problem(
                sheet,
                row.number,
                column,
                "too_long",
                gettext_noop("At most %(limit)s characters; this one has %(length)s."),
                limit=limit,
                length=len(value),
            )
        return value

    def choice(self, sheet, row: _Row, column: str, words: dict, choices, *, required: bool) -> str:
        text = _text(row.cells[column])
        if not text:
            if required:
                self.problem(
                    sheet, row.number, column, "required", gettext_noop("This cell must not be empty.")
                )
            return ""
        value = _choice(text, words, choices)
        if value is None:
            codes = {ORG_KIND: "unknown_kind", ORG_SECTOR: "unknown_sector", SEC_GENDER: "unknown_gender"}
            self.problem(
                sheet,
                row.number,
                column,
                codes[column],
                gettext_noop("“%(value)s” is not one of: %(choices)s."),
                value=text,
                choices="、".join(words),
            )
            return ""
        return value

    def read_organisation(self, row: _Row) -> None:
        s, n = ORG_SHEET, row.number
        code = self.text(s, row, ORG_CODE, required=True, limit=_max_length(Organisation, "code"))
        change = OrganisationChange(
            row=n,
            code=code,
            name=self.text(s, row, ORG_NAME, required=True, limit=_max_length(Organisation, "name")),
            short_name=self.text(
                s, row, ORG_SHORT_NAME, required=False, limit=_max_length(Organisation, "short_name")
            ),
            parent_code=_text(row.cells[ORG_PARENT]),
            kind=self.choice(s, row, ORG_KIND, KIND_WORDS, OrganisationKind, required=True),
            sector=self.choice(s, row, ORG_SECTOR, SECTOR_WORDS, Sector, required=False),
        )
        if not code:
            return
        first = self.file_orgs.get(code)
        if first is not None:
            self.problem(
                s,
                n,
                ORG_CODE,
                "duplicate_code",
                gettext_noop("The code “%(code)s” is already used on row %(first)s."),
                code=code,
                first=first.row,
            )
            return
        self.file_orgs[code] = change

    def load_database(self, codes: set[str]) -> None:
        """The organisations the file names, with all their ancestors (to follow parent chains)."""
        codes.discard("")
        fields = _DbOrganisation.FIELDS
        for chunk in _chunks(sorted(codes)):
            for values in Organisation.objects.filter(code__in=chunk).values_list(*fields):
                org = _DbOrganisation(*values)
                self.db_by_code[org.code] = self.db_by_id[org.pk] = org
        wanted = {i for org in self.db_by_code.values() for i in org.ancestor_ids()} - self.db_by_id.keys()
        for chunk in _chunks(sorted(wanted)):
            for values in Organisation.objects.filter(pk__in=chunk).values_list(*fields):
                org = _DbOrganisation(*values)
                self.db_by_code[org.code] = self.db_by_id[org.pk] = org

    def db_depth(self, code: str) -> int:
        org = self.db_by_code.get(code)
        return org.path.count("/") - 2 if org is not None else 0

    def known(self, code: str) -> bool:
        return code in self.file_orgs or code in self.db_by_code

    def parent_of(self, code: str) -> str | None:
        """The parent's code after the import: the file's word where it has the row, else the database's."""
        change = self.file_orgs.get(code)
        if change is not None:
            return change.parent_code if change.parent_code and self.known(change.parent_code) else None
        org = self.db_by_code[code]
        return self.db_by_id[org.parent_id].code if org.parent_id else None

    def resolve_tree(self) -> None:
        """Unknown parents and parent loops are problems; every other row gets its depth after import."""
        for change in self.file_orgs.values():
            if change.parent_code and not self.known(change.parent_code):
                self.problem(
                    ORG_SHEET,
                    change.row,
                    ORG_PARENT,
                    "unknown_parent",
                    gettext_noop(
                        "The parent code “%(code)s” is neither in this file "
                        "nor an existing party organisation."
                    ),
                    code=change.parent_code,
                )
        for start in self.file_orgs:
            trail: list[str] = []
            position: dict[str, int] = {}
            code = start
            while code is not None and code not in self.depth and code not in position:
                position[code] = len(trail)
                trail.append(code)
                code = self.parent_of(code)
            if code is None:
                base = -1
            elif code in position:  # walked into our own trail: a loop
                loop = trail[position[code] :]
                for i, member in enumerate(loop):
                    self.depth[member] = None
                    if member in self.file_orgs:
                        chain = [*loop[i:], *loop[:i], member]
                        self.problem(
                            ORG_SHEET,
                            self.file_orgs[member].row,
                            ORG_PARENT,
                            "cycle",
                            gettext_noop(
                                "The parent chain comes back to this organisation (%(chain)s); "
                                "an organisation cannot be under itself."
                            ),
                            chain=" → ".join(chain),
                        )
                trail = trail[: position[code]]
                base = None
            else:
                base = self.depth[code]
            for member in reversed(trail):
                base = None if base is None else base + 1
                self.depth[member] = base

    def in_scope(self, code: str | None) -> bool:
        """Whether this organisation sits inside the actor's subtree after the import."""
        if self.root is None:
            return True
        trail = []
        while code is not None and code not in self._in_scope:
            if code == self.root.code:
                self._in_scope[code] = True
                break
            if self.depth.get(code, 0) is None:
                self._in_scope[code] = False
                break
            trail.append(code)
            code = self.parent_of(code)
        answer = code is not None and self._in_scope[code]
        for member in trail:
            self._in_scope[member] = answer
        return answer

    def may_write_organisation(self, change: OrganisationChange) -> bool:
        """The services' rule: the (new) parent and the organisation's present place both in scope."""
        if self.root is None:
            return True
        existing = self.db_by_code.get(change.code)
        if existing is not None and not existing.path.startswith(self.root.path):
            return False
        parent = self.parent_of(change.code)
        return parent is not None and self.in_scope(parent)

    def plan_organisation(self, change: OrganisationChange) -> None:
        change.depth = self.depth.get(change.code) or 0
        existing = self.db_by_code.get(change.code)
        if existing is None:
            change.action = "create"
        else:
            change.pk = existing.pk
            old_parent = self.db_by_id[existing.parent_id].code if existing.parent_id else ""
            pairs = {
                "name": (existing.name, change.name),
                "short_name": (existing.short_name, change.short_name),
                "kind": (existing.kind, change.kind),
                "sector": (existing.sector, change.sector),
                "parent": (old_parent, change.parent_code),
            }
            change.changes = {name: pair for name, pair in pairs.items() if pair[0] != pair[1]}
            change.action = "update" if change.changes else "unchanged"
        if change.action != "unchanged" and not self.may_write_organisation(change):
            moving_out = existing is not None and existing.path.startswith(self.root.path)
            self.problem(
                ORG_SHEET,
                change.row,
                ORG_PARENT if moving_out or existing is None else ORG_CODE,
                "out_of_scope",
                gettext_noop(
                    "This would create or change a party organisation outside your scope (%(scope)s); "
                    "you may import only organisations under it."
                ),
                scope=self.root.name or "—",
            )

    # -- the secretary sheet

    def read_secretary(self, row: _Row) -> None:
        s, n = SECRETARY_SHEET, row.number
        org_code = self.text(s, row, SEC_ORG, required=True, limit=_max_length(Organisation, "code"))
        name = self.text(s, row, SEC_NAME, required=True, limit=_max_length(Person, "name"))
        gender = self.choice(s, row, SEC_GENDER, GENDER_WORDS, Gender, required=False)
        title = self.text(s, row, SEC_TITLE, required=False, limit=_max_length(Appointment, "title"))
        raw = row.cells[SEC_START]
        start = _date(raw)
        if _text(raw) == "":
            self.problem(s, n, SEC_START, "required", gettext_noop("This cell must not be empty."))
        elif start is None:
            self.problem(
                s,
                n,
                SEC_START,
                "bad_date",
                gettext_noop(
                    "“%(value)s” is not a date; write it like 2021-01-01, 2021/1/1 or 2021年1月1日."
                ),
                value=_text(raw),
            )
        if not org_code or start is None:
            return
        self.secretary_rows.append(
            SecretaryChange(
                row=n,
                organisation_code=org_code,
                organisation_name="",
                name=name,
                gender=gender,
                title=title,
                start_date=start,
            )
        )

    def plan_secretaries(self, secretaries: list[SecretaryChange]) -> None:
        s = SECRETARY_SHEET
        existing_ids = [
            self.db_by_code[c.organisation_code].pk
            for c in secretaries
            if c.organisation_code in self.db_by_code
        ]
        history: dict[int, list[_DbAppointment]] = {}
        for chunk in _chunks(sorted(set(existing_ids))):
            if self.lock:
                list(Organisation.objects.select_for_update().filter(pk__in=chunk).values_list("pk"))
            appointments = (
                Appointment.objects.secretaries()
                .filter(organisation_id__in=chunk)
                .order_by("-start_date", "-pk")
                .values_list("organisation_id", *_DbAppointment.FIELDS)
            )
            for organisation_id, *values in appointments:
                history.setdefault(organisation_id, []).append(_DbAppointment(*values))
        first_row: dict[str, int] = {}
        for change in secretaries:
            code = change.organisation_code
            if not self.known(code):
                self.problem(
                    s,
                    change.row,
                    SEC_ORG,
                    "unknown_organisation",
                    gettext_noop(
                        "No party organisation has the code “%(code)s”, in this file or in the database."
                    ),
                    code=code,
                )
                continue
            if code in first_row:
                self.problem(
                    s,
                    change.row,
                    SEC_START,
                    "overlapping_secretary",
                    gettext_noop(
                        "Row %(first)s already names a secretary of this organisation; each row starts a "
                        "term with no end, so the two terms would overlap."
                    ),
                    first=first_row[code],
                )
                continue
            first_row[code] = change.row
            in_file = self.file_orgs.get(code)
            change.organisation_name = in_file.name if in_file else self.db_by_code[code].name
            depth = self.depth.get(code) if in_file else None
            change.organisation_depth = depth if depth is not None else self.db_depth(code)
            existing = self.db_by_code.get(code)
            if existing is not None and not self.compare_with_history(change, history.get(existing.pk, [])):
                continue
            if (s, change.row) in self.bad_rows:
                continue
            if change.action != "unchanged" and not self.in_scope(code):
                self.problem(
                    s,
                    change.row,
                    SEC_ORG,
                    "out_of_scope",
                    gettext_noop(
                        "This party organisation is outside your scope (%(scope)s); "
                        "you may import only secretaries of organisations under it."
                    ),
                    scope=self.root.name or "—",
                )
                continue
            self.plan.secretaries.append(change)

    def compare_with_history(self, change: SecretaryChange, appointments: list[_DbAppointment]) -> bool:
        """Match the row to the organisation's secretary appointments; False when it clashes with one.

        The row's term runs from its date with no end. The same-named person's appointment covering
        that term is this row (unchanged, or updated); another person's open term that started
        earlier is closed the day before (a hand-over); any other overlap is a problem.
        """
        start = change.start_date

        def meets(appointment: _DbAppointment) -> bool:
            return appointment.end_date is None or appointment.end_date >= start

        mine = next((a for a in appointments if a.person_name == change.name and meets(a)), None)
        for other in appointments:
            if other is mine or not meets(other):
                continue
            if other.end_date is None and other.start_date < start:
                change.closes.append(
                    Closure(other.pk, other.person_name, other.start_date, start - datetime.timedelta(days=1))
                )
                continue
            params = {"person": other.person_name, "start": other.start_date, "date": start}
            if other.end_date is None:
                msgid = gettext_noop(
                    "%(person)s is secretary of this organisation since %(start)s, not earlier than "
                    "%(date)s; a new secretary must start after the present one (the hand-over closes "
                    "the present term the day before)."
                )
            else:
                params["end"] = other.end_date
                msgid = gettext_noop(
                    "%(person)s was secretary of this organisation from %(start)s to %(end)s, which "
                    "overlaps a term starting %(date)s."
                )
            self.problem(SECRETARY_SHEET, change.row, SEC_START, "overlapping_secretary", msgid, **params)
            return False
        person = mine if mine else next((a for a in appointments if a.person_name == change.name), None)
        if person is not None:
            change.person_id = person.person_id
            if person.person_gender != change.gender:
                change.changes["gender"] = (person.person_gender, change.gender)
        if mine is None:
            change.action = "handover" if change.closes else "appoint"
            return True
        change.appointment_id = mine.pk
        if mine.start_date != start:
            change.changes["start_date"] = (mine.start_date, start)
        if mine.end_date is not None:
            change.changes["end_date"] = (mine.end_date, None)
        if mine.title != change.title:
            change.changes["title"] = (mine.title, change.title)
        change.action = "update" if change.changes or change.closes else "unchanged"
        return True


# ---------------------------------------------------------------------------------------------
# Writing


class ImportRejected(ValueError):
    """The file does not pass the checks (any more): nothing was written; `plan` holds the problems."""

    def __init__(self, plan: ImportPlan):
        self.plan = plan
        super().__init__(
            _("The import file no longer passes the checks; nothing was written. %(problem)s")
            % {"problem": plan.problems[0]}
        )


SUMMARY_FOLDER = "imports/summaries"


def summary_storage():
    """Summaries name people: they live in the private storage, handed out by the admin's download view."""
    from reviews.uploads import private_storage

    return private_storage()


def import_apply(file, *, actor, progress=None, check_progress=None) -> ImportSummary:
    """Check the file again and write it, all or nothing, in one transaction; `progress` counts rows written
    (`check_progress`, if given, the rows checked again before).

    Raises ImportRejected when the file does not pass the checks against the database as it is now,
    PermissionDenied for an account that may not write.
    """
    if actor is not None:
        ensure_may_write(actor)
    stored = ""
    try:
        with transaction.atomic():
            plan = import_check(file, actor=actor, lock=True, progress=check_progress)
            if plan.problems:
                raise ImportRejected(plan)
            summary = ImportSummary()
            if not plan.has_changes:
                return summary
            writes = [c for c in plan.secretaries if c.action != "unchanged"]
            counter = _Progress(progress, len(plan.to_create) + len(plan.to_update) + len(writes))
            _write_organisations(plan, summary, counter)
            _write_secretaries(plan, summary, counter)
            stored = _store_summary(plan)
            summary.summary_file = stored
            summary.event_id = _record(plan, actor, summary).pk
            counter.finish()
    except BaseException:
        if stored:
            summary_storage().delete(stored)
        raise
    return summary


def apply_plan(plan: ImportPlan, *, actor, progress=None) -> ImportSummary:
    """Write a checked plan's file; it is checked again against the database as it is now."""
    if plan.problems:
        raise ValueError(_("The import file has problems; nothing was written."))
    return import_apply(plan.source, actor=actor, progress=progress)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def _executemany(sql: str, rows: list, counter: _Progress | None = None) -> None:
    """One statement for many rows (a pipeline on PostgreSQL), in batches so progress can move."""
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, BATCH):
            cursor.executemany(sql, chunk)
            if counter is not None:
                counter.add(len(chunk))


def _write_organisations(plan: ImportPlan, summary: ImportSummary, counter: _Progress) -> None:
    """Updates in place; then level by level from the top: new rows inserted, paths set, moves made."""
    Org = Organisation
    t, col = _table(Org), lambda name: _column(Org, name)
    updates = plan.to_update
    _executemany(
        f"UPDATE {t} SET {col('name')} = %s, {col('short_name')} = %s, {col('kind')} = %s, "
        f"{col('sector')} = %s WHERE {col('id')} = %s",
        [(c.name, c.short_name, c.kind, c.sector, c.pk) for c in updates],
        counter,
    )
    moves = sorted((c for c in updates if "parent" in c.changes), key=lambda c: (c.depth, c.row))
    creates = plan.to_create
    levels = sorted({c.depth for c in creates} | {c.depth for c in moves})
    for level in levels:
        new = [c for c in creates if c.depth == level]
        if new:
            _create_level(new, counter)
        for change in (c for c in moves if c.depth == level):
            _move(change)
    summary.organisations_created = len(plan.to_create)
    summary.organisations_updated = len(plan.to_update)


def _create_level(new: list[OrganisationChange], counter: _Progress) -> None:
    """Insert one tree level (path empty, parent by code), then set its paths with one UPDATE."""
    Org = Organisation
    t, col = _table(Org), lambda name: _column(Org, name)
    fields = ("code", "name", "short_name", "kind", "sector", "path", "depth", "is_active", "parent")
    placeholders = ", ".join(["%s"] * (len(fields) - 1))
    _executemany(
        f"INSERT INTO {t} ({', '.join(col(f) for f in fields)}) VALUES ({placeholders}, "
        f"(SELECT p.{col('id')} FROM {t} p WHERE p.{col('code')} = %s))",
        [
            (c.code, c.name, c.short_name, c.kind, c.sector, "", c.depth, True, c.parent_code or None)
            for c in new
        ],
        counter,
    )
    parent_path = Subquery(Org.objects.filter(pk=OuterRef("parent_id")).values("path")[:1])
    own = LPad(Cast("pk", output_field=CharField()), Org.PATH_DIGITS, Value("0"))
    Org.objects.filter(path="", depth=new[0].depth).update(
        path=Concat(Coalesce(parent_path, Value(Org.PATH_SEPARATOR)), own, Value(Org.PATH_SEPARATOR))
    )


def _move(change: OrganisationChange) -> None:
    """A new parent: the organisation's path and its whole subtree's, read fresh (an earlier move may
    have rewritten them). Moves are rare; each costs a few queries, whatever the size of the file."""
    Org = Organisation
    org = Org.objects.only("path", "depth").get(pk=change.pk)
    parent = Org.objects.only("path").get(code=change.parent_code) if change.parent_code else None
    old_path = org.path
    new_path = (
        f"{parent.path if parent else Org.PATH_SEPARATOR}{org.pk:0{Org.PATH_DIGITS}d}{Org.PATH_SEPARATOR}"
    )
    new_depth = new_path.count(Org.PATH_SEPARATOR) - 2
    Org.objects.filter(path__subtree=old_path).exclude(pk=org.pk).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + (new_depth - org.depth),
    )
    Org.objects.filter(pk=org.pk).update(parent=parent, path=new_path, depth=new_depth)


def _write_secretaries(plan: ImportPlan, summary: ImportSummary, counter: _Progress) -> None:
    changes = [c for c in plan.secretaries if c.action != "unchanged"]
    A, P = Appointment, Person
    ta, tp, to = _table(A), _table(P), _table(Organisation)
    a, p = (lambda name: _column(A, name)), (lambda name: _column(P, name))
    closures = [closure for c in changes for closure in c.closes]
    _executemany(
        f"UPDATE {ta} SET {a('end_date')} = %s WHERE {a('id')} = %s",
        [(closure.end_date, closure.appointment_id) for closure in closures],
    )
    _executemany(
        f"UPDATE {tp} SET {p('gender')} = %s WHERE {p('id')} = %s",
        [(c.gender, c.person_id) for c in changes if c.person_id is not None and "gender" in c.changes],
    )
    for newcomers in _chunks([c for c in changes if c.person_id is None], BATCH):
        people = Person.objects.bulk_create([Person(name=c.name, gender=c.gender) for c in newcomers])
        for change, person in zip(newcomers, people, strict=True):
            change.person_id = person.pk  # the instances go with the batch: ~1 KB each
    _executemany(
        f"UPDATE {ta} SET {a('title')} = %s, {a('start_date')} = %s, {a('end_date')} = NULL "
        f"WHERE {a('id')} = %s",
        [(c.title, c.start_date, c.appointment_id) for c in changes if c.appointment_id is not None],
        counter,
    )
    _executemany(
        f"INSERT INTO {ta} ({a('person')}, {a('post')}, {a('title')}, {a('start_date')}, {a('end_date')}, "
        f"{a('organisation')}) VALUES (%s, %s, %s, %s, NULL, "
        f"(SELECT o.{_column(Organisation, 'id')} FROM {to} o WHERE o.{_column(Organisation, 'code')} = %s))",
        [
            (c.person_id, Post.SECRETARY.value, c.title, c.start_date, c.organisation_code)
            for c in changes
            if c.appointment_id is None
        ],
        counter,
    )
    summary.secretaries_appointed = len(plan.to_appoint)
    summary.handovers = len(plan.handovers)
    summary.secretaries_updated = len(plan.secretary_updates)


def _record(plan: ImportPlan, actor, summary: ImportSummary):
    """The one audit entry of an import, under the highest organisation it touched."""
    touched = [(c.depth, 0, c.row, c.code) for c in plan.to_create + plan.to_update]
    touched += [
        (c.organisation_depth, 1, c.row, c.organisation_code)
        for c in plan.secretaries
        if c.action != "unchanged"
    ]
    top = Organisation.objects.get(code=min(touched)[3])
    changes = {
        **summary.as_dict(),
        "organisations_moved": sum("parent" in c.changes for c in plan.to_update),
        "terms_closed": sum(len(c.closes) for c in plan.secretaries),
        "summary_file": summary.summary_file,
    }
    return audit.record(actor=actor, action="import.apply", obj=top, changes=changes, organisation=top)


# ---------------------------------------------------------------------------------------------
# The summary workbook: every created, changed and closed row


def summary_workbook(plan: ImportPlan, out) -> None:
    """Write the summary of a plan's changes into the binary file object `out`, streamed (xlsx_writer)."""
    actions = {
        "create": _("Created"),
        "update": _("Changed"),
        "appoint": _("Appointed"),
        "handover": _("Appointed (hand-over)"),
        "closed": _("Term ended"),
    }

    def organisations():
        yield [_("Action"), ORG_CODE, ORG_NAME, ORG_PARENT, _("Changes")]
        for change in plan.to_create + plan.to_update:
            yield [actions[change.action], change.code, change.name, change.parent_code, _lines(change)]

    def secretaries():
        yield [_("Action"), SEC_ORG, _("Party organisation"), SEC_NAME, SEC_START, _("Until"), _("Changes")]
        for change in plan.secretaries:
            if change.action == "unchanged":
                continue
            code, org = change.organisation_code, change.organisation_name
            for closure in change.closes:
                yield [
                    actions["closed"],
                    code,
                    org,
                    closure.person_name,
                    closure.start_date,
                    closure.end_date,
                    "",
                ]
            action = actions.get(change.action, _("Changed"))
            yield [action, code, org, change.name, change.start_date, None, _lines(change)]

    xlsx_writer.write_xlsx(
        out, [(_("Party organisations"), organisations()), (_("Secretaries"), secretaries())]
    )


def _lines(change) -> str:
    return "；".join(f"{label}: {old} → {new}" for label, old, new in change.change_lines())


def _store_summary(plan: ImportPlan) -> str:
    with tempfile.TemporaryFile() as out:
        summary_workbook(plan, out)
        out.seek(0)
        return summary_storage().save(f"{SUMMARY_FOLDER}/{uuid.uuid4()}.xlsx", File(out))


# ---------------------------------------------------------------------------------------------
# The template


_TEMPLATE_ORGS = [
    ("C01", "中共示范县委员会", "示范县委", "", "党委", ""),
    ("T01", "中共示范镇委员会", "示范镇党委", "C01", "党委", ""),
    ("T01V01", "示范村党支部", "", "T01", "党支部", "农村"),
]
_TEMPLATE_SECRETARIES = [("T01V01", "张三", "男", "村党支部书记", datetime.date(2021, 1, 1))]


def build_template_workbook() -> bytes:
    """The import template: both sheets with headers, one example each, and drop-down lists."""
    workbook = openpyxl.Workbook()
    orgs = workbook.active
    orgs.title = ORG_SHEET
    secretaries = workbook.create_sheet(SECRETARY_SHEET)
    _fill(orgs, ORG_HEADERS, _TEMPLATE_ORGS, widths=(14, 32, 18, 14, 12, 14))
    _fill(secretaries, SECRETARY_HEADERS, _TEMPLATE_SECRETARIES, widths=(16, 14, 8, 20, 14))
    for row in secretaries.iter_rows(min_row=2, min_col=5, max_col=5):
        for cell in row:
            cell.number_format = "yyyy-mm-dd"
    last = MAX_ROWS + 1
    _dropdown(orgs, f"E2:E{last}", KIND_WORDS)
    _dropdown(orgs, f"F2:F{last}", SECTOR_WORDS)
    _dropdown(secretaries, f"C2:C{last}", GENDER_WORDS)
    return workbook_bytes(workbook)


def _fill(sheet, headers, rows, *, widths) -> None:
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    for column, width in zip("ABCDEFG", widths, strict=False):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"


def _dropdown(sheet, cells: str, words: dict) -> None:
    validation = DataValidation(
        type="list",
        formula1='"{}"'.format(",".join(words)),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("Not in the list"),
        error=_("Choose a value from the drop-down list."),
    )
    validation.add(cells)
    sheet.add_data_validation(validation)
