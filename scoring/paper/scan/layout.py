"""The geometry of the machine-readable 测评表, computed by one pure function for the printer and the reader.

``layout_build(spec)`` turns a ``FormSpec`` (plain data: ids, names, the mode) into a ``FormLayout``: the
pages, and on each page every text block, table line and answer box, in millimetres in the *marker
frame* — the origin is the centre of the top-left corner marker, x to the right, y down; the four marker
centres sit at (0, 0), (span_x, 0), (0, span_y) and (span_x, span_y). ``form.py`` prints exactly these
rectangles (shifted by ``MARKER_CENTRE`` to page coordinates) and ``reader.py`` looks exactly there after
mapping the four markers it finds onto the same four points, so the two cannot drift apart.

``form_spec(session, group)`` is the only function here that touches the database.

The fingerprint of a layout (its ids and box rectangles) is part of the QR code's signature: a page
printed before the reporters or the items changed no longer verifies, instead of being read into the
wrong cells.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from scoring import tally

from .errors import ScanUnsupported

LAYOUT_VERSION = 1

# Page and markers (mm). A marker is a solid square; its outer edge is MARKER_MARGIN from the paper's edge.
A4_SHORT, A4_LONG = 210.0, 297.0
MARKER_SIZE = 7.0
MARKER_MARGIN = 7.0
MARKER_CENTRE = MARKER_MARGIN + MARKER_SIZE / 2  # from the paper's edges, both ways

QUIET_ZONE = 11.0  # mm around each marker's centre with nothing else printed (the reader checks it)
QR_SIZE = 19.0  # the printed symbol without quiet zone; the layout keeps ≥ 4 modules white around it
GRADES: tuple[tally.Grade, ...] = tuple(tally.GRADES)

ROW_HEIGHT = {"item_grade": 9.0, "grade": 10.0}
BOX_SIZE = {"item_grade": 5.5, "grade": 6.5}
MIN_CELL = 7.5  # narrowest grade cell (mm): a box plus room for a sloppy tick
ITEM_HEADER = 13.0
GRADE_HEADER = 5.5


@dataclass(frozen=True)
class Reporter:
    report_id: int
    order: int
    organisation: str
    secretary: str


@dataclass(frozen=True)
class Item:
    criterion_id: int
    name: str


@dataclass(frozen=True)
class FormSpec:
    """What a form shows, as plain data (``form_spec`` reads it from the database)."""

    session_id: int
    group_id: int
    mode: str  # tally.Mode value: "grade" or "item_grade" ("points" is refused)
    reporters: tuple[Reporter, ...]
    items: tuple[Item, ...]
    title: str = ""
    group_name: str = ""
    session_date: str = ""
    anonymous: bool = True
    allow_abstention: bool = False


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def inset(self, by: float) -> Rect:
        return Rect(self.x + by, self.y + by, self.w - 2 * by, self.h - 2 * by)

    def rounded(self) -> tuple[float, float, float, float]:
        return (round(self.x, 3), round(self.y, 3), round(self.w, 3), round(self.h, 3))


@dataclass(frozen=True)
class Box:
    """One answer box: this grade for this reporter and item."""

    report_id: int
    criterion_id: int
    grade: tally.Grade
    rect: Rect

    @property
    def key(self) -> tuple[int, int]:
        return (self.report_id, self.criterion_id)


@dataclass(frozen=True)
class Text:
    rect: Rect
    text: str
    css: str = ""  # a class of the template: title, sub, note, cell, head, grade, org, page


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    boxes: tuple[Box, ...]
    texts: tuple[Text, ...]
    lines: tuple[Rect, ...]  # table rules, as thin filled rectangles
    shaded: tuple[Rect, ...]  # header background
    qr: Rect
    keys: tuple[tuple[int, int], ...]  # (report_id, criterion_id) answered on this page, in reading order


@dataclass(frozen=True)
class FormLayout:
    spec: FormSpec
    landscape: bool
    pages: tuple[Page, ...] = field(default_factory=tuple)

    @property
    def paper_size(self) -> tuple[float, float]:
        return (A4_LONG, A4_SHORT) if self.landscape else (A4_SHORT, A4_LONG)

    @property
    def span(self) -> tuple[float, float]:
        """Distance between marker centres, (x, y), in mm."""
        width, height = self.paper_size
        return (width - 2 * MARKER_CENTRE, height - 2 * MARKER_CENTRE)

    @property
    def keys(self) -> tuple[tuple[int, int], ...]:
        return tuple(key for page in self.pages for key in page.keys)

    @property
    def fingerprint(self) -> str:
        """A digest of what the reader relies on: ids, page split and every box rectangle."""
        data = [
            LAYOUT_VERSION,
            self.spec.session_id,
            self.spec.group_id,
            self.spec.mode,
            self.landscape,
            [
                [
                    page.number,
                    [[b.report_id, b.criterion_id, b.grade.value, b.rect.rounded()] for b in page.boxes],
                ]
                for page in self.pages
            ],
        ]
        return hashlib.sha256(json.dumps(data, separators=(",", ":")).encode()).hexdigest()


def points_refused_message() -> str:
    return _(
        "A points scheme is scored by writing numbers, which cannot be read from boxes: print the ordinary "
        "paper form and enter it twice."
    )


def instructions(spec: FormSpec) -> list[str]:
    lines = [_("Fill the box or tick it with a black or blue pen; choose only one grade per item.")]
    lines.append(
        _("A blank item counts as an abstention for that item only; the other items still count.")
        if spec.allow_abstention
        else _("Every item must be marked; an item left blank or with two marks makes the form invalid.")
    )
    lines.append(_("To change a mark, ask the staff for a new form; do not cross it out."))
    if spec.anonymous:
        lines.append(_("This form is anonymous: do not sign it or write anything else on it."))
    lines.append(_("Do not fold the form or write on the black corner squares and the QR code."))
    return lines


def _chunks(seq: tuple, size: int) -> list[tuple]:
    return [seq[start : start + size] for start in range(0, len(seq), size)] or [()]


def layout_build(spec: FormSpec) -> FormLayout:
    """The pages of a form: reporters split over pages (and items too, when a row cannot hold them all)."""
    if spec.mode == tally.Mode.POINTS.value:
        raise ScanUnsupported(points_refused_message(), code="points")
    if spec.mode not in (tally.Mode.GRADE_PER_ITEM.value, tally.Mode.GRADE_PER_REPORTER.value):
        raise ValueError(f"unknown mode {spec.mode!r}")
    if not spec.items or not spec.reporters:
        raise ScanUnsupported(
            _("The form needs at least one reporter and one evaluation item."), code="empty"
        )
    item_mode = spec.mode == tally.Mode.GRADE_PER_ITEM.value
    landscape = item_mode
    width, height = (A4_LONG, A4_SHORT) if landscape else (A4_SHORT, A4_LONG)
    # Page coordinates first (mm from the paper's top-left corner), converted to the marker frame at the end.
    left, right = MARKER_CENTRE, width - MARKER_CENTRE  # the table stays between the marker centres
    if item_mode:  # landscape: the item columns share what the name columns leave
        order_w, org_w, sec_w = 8.0, 50.0, 17.0
    else:  # portrait: four 18 mm grade columns, the organisation's name takes the rest
        order_w, sec_w = 10.0, 28.0
        org_w = right - left - order_w - sec_w - len(GRADES) * 18.0
    room = right - left - order_w - org_w - sec_w
    items_per_page = max(1, min(len(spec.items), int(room // (len(GRADES) * MIN_CELL))))
    item_pages = _chunks(spec.items, items_per_page)
    cells = len(GRADES) * len(item_pages[0])
    cell_w = room / cells
    row_h = ROW_HEIGHT[spec.mode]
    box = min(BOX_SIZE[spec.mode], cell_w - 2.5, row_h - 3.0)
    n_instr = len(instructions(spec))
    table_top = 30.0 + 4.2 * n_instr + 3.0
    header_h = (ITEM_HEADER if item_mode else 0.0) + (GRADE_HEADER if item_mode else 8.0)
    table_bottom_limit = height - MARKER_CENTRE - QUIET_ZONE  # nothing printed near a marker
    rows_per_page = max(1, int((table_bottom_limit - table_top - header_h) // row_h))
    row_pages = _chunks(spec.reporters, rows_per_page)
    total = len(row_pages) * len(item_pages)
    pages: list[Page] = []
    for reporters in row_pages:
        for items in item_pages:
            pages.append(
                _page(
                    spec,
                    number=len(pages) + 1,
                    total=total,
                    size=(width, height),
                    reporters=reporters,
                    items=items,
                    cols=(order_w, org_w, sec_w, cell_w),
                    row_h=row_h,
                    box=box,
                    table_top=table_top,
                    item_mode=item_mode,
                )
            )
    return FormLayout(spec=spec, landscape=landscape, pages=tuple(pages))


def _page(spec, *, number, total, size, reporters, items, cols, row_h, box, table_top, item_mode) -> Page:
    width, height = size
    order_w, org_w, sec_w, cell_w = cols
    left, right = MARKER_CENTRE, width - MARKER_CENTRE  # the table stays between the marker centres
    texts: list[Text] = []
    lines: list[Rect] = []
    shaded: list[Rect] = []
    boxes: list[Box] = []
    keys: list[tuple[int, int]] = []
    # Heading: between the top markers, left of the QR code.
    qr = Rect(right - MARKER_SIZE - 4.0 - QR_SIZE, MARKER_MARGIN + 0.5, QR_SIZE, QR_SIZE)
    head_left, head_right = left + MARKER_SIZE + 4.0, qr.x - 4.0
    texts.append(Text(Rect(head_left, 8.0, head_right - head_left, 8.0), spec.title, "title"))
    texts.append(
        Text(
            Rect(head_left, 16.5, head_right - head_left, 5.0),
            _("Evaluation form (machine-read) · %(group)s · %(date)s")
            % {"group": spec.group_name, "date": spec.session_date},
            "sub",
        )
    )
    y = 30.0
    for line in instructions(spec):
        texts.append(Text(Rect(left + 2.0, y, right - left - 4.0, 4.2), line, "note"))
        y += 4.2
    # The table.
    header_item = ITEM_HEADER if item_mode else 0.0
    header_grade = GRADE_HEADER if item_mode else 8.0
    header_h = header_item + header_grade
    top = table_top
    bottom = top + header_h + row_h * len(reporters)
    xs = [left, left + order_w, left + order_w + org_w, left + order_w + org_w + sec_w]
    grade_labels = [_grade_label(g) for g in tally.GRADES]
    shaded.append(Rect(left, top, xs[3] + cell_w * len(GRADES) * len(items) - left, header_h))
    for label, x0, x1 in (
        (_("No."), xs[0], xs[1]),
        (_("Party organisation"), xs[1], xs[2]),
        (_("Secretary"), xs[2], xs[3]),
    ):
        texts.append(Text(Rect(x0, top, x1 - x0, header_h), label, "head"))
    col_x = xs[3]
    for item in items:
        if item_mode:
            texts.append(Text(Rect(col_x, top, cell_w * len(GRADES), header_item), item.name, "head item"))
        for g, label in enumerate(grade_labels):
            x = col_x + g * cell_w
            texts.append(
                Text(
                    Rect(x, top + header_item, cell_w, header_grade), label, "grade" if item_mode else "head"
                )
            )
        col_x += cell_w * len(GRADES)
    table_right = col_x
    for i, reporter in enumerate(reporters):
        y0 = top + header_h + i * row_h
        texts.append(Text(Rect(xs[0], y0, order_w, row_h), str(reporter.order), "cell num"))
        texts.append(Text(Rect(xs[1], y0, org_w, row_h), reporter.organisation, "cell org"))
        texts.append(Text(Rect(xs[2], y0, sec_w, row_h), reporter.secretary, "cell"))
        col_x = xs[3]
        for item in items:
            keys.append((reporter.report_id, item.criterion_id))
            for g, grade in enumerate(GRADES):
                bx = col_x + g * cell_w + (cell_w - box) / 2
                by = y0 + (row_h - box) / 2
                boxes.append(Box(reporter.report_id, item.criterion_id, grade, Rect(bx, by, box, box)))
            col_x += cell_w * len(GRADES)
    # Rules: outer frame and row lines 0.3 mm; item separators 0.3 mm; grade separators thin.
    thick, thin = 0.3, 0.15
    for y_line in [top, top + header_h, bottom] + [
        top + header_h + i * row_h for i in range(1, len(reporters))
    ]:
        lines.append(Rect(left, y_line - thick / 2, table_right - left, thick))
    if item_mode:
        lines.append(Rect(xs[3], top + header_item - thin / 2, table_right - xs[3], thin))
    for x in xs:
        lines.append(Rect(x - thick / 2, top, thick, bottom - top))
    col_x = xs[3]
    for _item in items:
        for g in range(1, len(GRADES)):
            x = col_x + g * cell_w
            lines.append(Rect(x - thin / 2, top + header_item, thin, bottom - top - header_item))
        col_x += cell_w * len(GRADES)
        lines.append(Rect(col_x - thick / 2, top, thick, bottom - top))
    # Footer: page n of m between the bottom markers.
    texts.append(
        Text(
            Rect(width / 2 - 40.0, height - MARKER_MARGIN - 6.0, 80.0, 5.0),
            _("Page %(page)s of %(pages)s") % {"page": number, "pages": total},
            "page",
        )
    )
    shift = -MARKER_CENTRE
    return Page(
        number=number,
        boxes=tuple(Box(b.report_id, b.criterion_id, b.grade, _moved(b.rect, shift)) for b in boxes),
        texts=tuple(Text(_moved(t.rect, shift), t.text, t.css) for t in texts),
        lines=tuple(_moved(r, shift) for r in lines),
        shaded=tuple(_moved(r, shift) for r in shaded),
        qr=_moved(qr, shift),
        keys=tuple(keys),
    )


def _moved(rect: Rect, by: float) -> Rect:
    return Rect(rect.x + by, rect.y + by, rect.w, rect.h)


def _grade_label(grade: tally.Grade) -> str:
    from scoring.models import GRADE_LABELS

    return str(GRADE_LABELS[grade])


def form_spec(session, group) -> FormSpec:
    """The FormSpec of one evaluator group's form, from the database."""
    from django.utils.formats import date_format

    from scoring import selectors
    from scoring.models import Scheme

    scheme = Scheme.objects.get(session=session)
    if group.scheme_id != scheme.pk:
        raise ValueError("the evaluator group belongs to another session")
    if scheme.mode == tally.Mode.POINTS.value:
        raise ScanUnsupported(points_refused_message(), code="points")
    reports = selectors.session_reports(session)
    names = _secretary_names(session, reports)
    return FormSpec(
        session_id=session.pk,
        group_id=group.pk,
        mode=scheme.mode,
        reporters=tuple(Reporter(r.pk, r.order, r.organisation.name, names.get(r.pk, "")) for r in reports),
        items=tuple(Item(c.pk, c.name) for c in scheme.criteria.order_by("order", "id")),
        title=_("%(title)s evaluation form") % {"title": session.title},
        group_name=group.name,
        session_date=date_format(session.date, "DATE_FORMAT"),
        anonymous=group.anonymous,
        allow_abstention=scheme.allow_abstention,
    )


def _secretary_names(session, reports) -> dict[int, str]:
    """Report id → its secretary, else whoever held the post on the session date (one query)."""
    from reviews.models import Appointment

    names = {r.pk: r.secretary.name for r in reports if r.secretary}
    open_posts = {r.organisation_id: r.pk for r in reports if not r.secretary}
    if open_posts:
        holders = (
            Appointment.objects.secretaries()
            .on(session.date)
            .filter(organisation_id__in=open_posts)
            .select_related("person")
            .order_by("organisation_id", "-start_date")
        )
        for appointment in holders:
            names.setdefault(open_posts[appointment.organisation_id], appointment.person.name)
    return names


def form_layout(session, group) -> FormLayout:
    return layout_build(form_spec(session, group))


def session_layouts(session) -> dict[int, FormLayout]:
    """Every group's layout of a session, by group id: what the reader needs to read its pages."""
    from scoring.models import EvaluatorGroup

    return {
        group.pk: form_layout(session, group)
        for group in EvaluatorGroup.objects.filter(scheme__session=session)
    }
