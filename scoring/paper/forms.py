"""Forms of paper-ballot double entry (纸质票录入): they collect what was typed; the services decide.

The marks are a grid mirroring the printed 测评表: one row per reporter in speaking order, one cell per
evaluation item, posted as ``m-<report_id>-<criterion_id>`` — a grade (a select: blank, 好, 较好, 一般, 差)
or points (a text box). ``services.paper_entry_submit`` and ``services.paper_resolve`` validate them.
"""

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from reviews.cycles.models import Report
from scoring import tally
from scoring.schemes.models import GRADE_LABELS, Criterion, EvaluatorGroup, ModeChoice, Scheme

SERIAL_MAX = 99999  # the service accepts form numbers 1..99999
OTHER = "other"
INVALID_REASONS = [
    ("blank", _("Blank form")),  # 空白票
    ("multiple", _("Several marks in one row")),  # 一行多选
    ("unreadable", _("Unreadable")),  # 无法辨认
    (OTHER, _("Other")),  # 其他
]
_REASON_LABELS = dict(INVALID_REASONS)


# ---------------------------------------------------------------------------------------------------
# The grid of marks


@dataclass(frozen=True)
class GradeOption:
    value: str
    key: str  # the digit a clerk types: 1 好, 2 较好, 3 一般, 4 差
    label: str


def grade_options() -> list[GradeOption]:
    return [
        GradeOption(value=grade.value, key=str(i), label=str(GRADE_LABELS[grade]))
        for i, grade in enumerate(tally.GRADES, start=1)
    ]


@dataclass(frozen=True)
class Cell:
    field: str
    criterion: Criterion
    value: str
    # On the resolve page: what each of the two entries says (as shown), and whether they differ.
    first: str = ""
    second: str = ""
    differs: bool = False


@dataclass(frozen=True)
class Row:
    report: Report
    secretary: str
    cells: list[Cell]


class MarksGrid:
    """One paper form's marks. `data` is a POST (what a clerk typed); `initial` maps (r, c) → value."""

    def __init__(
        self,
        *,
        scheme: Scheme,
        reports: Sequence[Report],
        criteria: Sequence[Criterion],
        secretaries: Mapping[int, str],
        data: Mapping[str, str] | None = None,
        initial: Mapping[tuple[int, int], str] | None = None,
    ) -> None:
        self.scheme = scheme
        self.reports = list(reports)
        self.criteria = list(criteria)
        self.secretaries = secretaries
        self._values: dict[tuple[int, int], str] = dict(initial or {})
        if data is not None:
            self._values = self._read(data)

    @property
    def points_mode(self) -> bool:
        return self.scheme.mode == ModeChoice.POINTS

    def _read(self, data: Mapping[str, str]) -> dict[tuple[int, int], str]:
        values = {}
        for report in self.reports:
            for criterion in self.criteria:
                raw = (data.get(f"m-{report.pk}-{criterion.pk}") or "").strip()[:20]
                values[(report.pk, criterion.pk)] = normal_points(raw) if self.points_mode else raw
        return values

    @property
    def marks(self) -> dict[tuple[int, int], str]:
        """Every cell, blank ones included (the service treats blank as not marked)."""
        return {
            (report.pk, criterion.pk): self._values.get((report.pk, criterion.pk), "")
            for report in self.reports
            for criterion in self.criteria
        }

    def rows(self, compare: tuple[Mapping, Mapping] | None = None) -> list[Row]:
        """The grid for the template; `compare` is the two entries' marks on the resolve page."""
        rows = []
        for report in self.reports:
            cells = []
            for criterion in self.criteria:
                key = (report.pk, criterion.pk)
                cell = {"field": f"m-{report.pk}-{criterion.pk}", "criterion": criterion}
                if compare is not None:
                    first, second = compare[0].get(key, ""), compare[1].get(key, "")
                    shown = {"first": self.label(first), "second": self.label(second)}
                    cell |= shown | {"differs": first != second}
                cells.append(Cell(value=self._values.get(key, ""), **cell))
            rows.append(Row(report=report, secretary=self.secretaries.get(report.pk, ""), cells=cells))
        return rows

    def label(self, value: str) -> str:
        """A stored mark as the clerk sees it: 好/较好/一般/差, or the points."""
        if self.points_mode or not value:
            return value
        labels = {grade.value: str(GRADE_LABELS[grade]) for grade in tally.GRADES}
        return labels.get(value, value)

    @property
    def cell_count(self) -> int:
        return len(self.reports) * len(self.criteria)


def normal_points(text: str) -> str:
    """'９０', '90.0', '090' → '90': two clerks typing the same number must store the same text."""
    text = unicodedata.normalize("NFKC", text).strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text  # the service refuses it with the reporter and item named
    if not number.is_finite():
        return text
    return format(number.normalize(), "f")


# ---------------------------------------------------------------------------------------------------
# 废票 and the form head


class SpoiltForm(forms.Form):
    """废票: a blank form, several marks in one row, an unreadable form, or another reason typed in."""

    invalid = forms.BooleanField(label=_("Invalid ballot"), required=False)
    reason = forms.ChoiceField(
        label=_("Why it is invalid"), choices=[("", "—"), *INVALID_REASONS], required=False
    )
    other = forms.CharField(label=_("Other reason"), max_length=80, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["invalid"].widget.attrs.update({"class": "form-check-input", "data-invalid": ""})
        self.fields["reason"].widget.attrs.update({"class": "form-select", "data-reason": ""})
        self.fields["other"].widget.attrs.update(
            {"class": "form-control", "data-other": "", "autocomplete": "off"}
        )

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("invalid"):
            return data
        if not data.get("reason"):
            self.add_error("reason", _("Choose why the form is invalid."))
        elif data["reason"] == OTHER and not data.get("other", "").strip():
            self.add_error("other", _("Describe why the form is invalid."))
        return data

    @property
    def invalid_reason(self) -> str:
        """The reason stored with the 废票 ('' when the form is valid); call after is_valid()."""
        data = self.cleaned_data
        if not data.get("invalid"):
            return ""
        if data["reason"] == OTHER:
            return data["other"].strip()
        return str(_REASON_LABELS[data["reason"]])


class PaperEntryForm(SpoiltForm):
    """The head of an entry: which group's form, and its printed number."""

    field_order = ["group", "serial", "invalid", "reason", "other"]

    group = forms.ModelChoiceField(
        label=_("Evaluator group"), queryset=EvaluatorGroup.objects.none(), empty_label=None
    )
    serial = forms.IntegerField(
        label=_("Form number"),
        min_value=1,
        max_value=SERIAL_MAX,
        widget=forms.TextInput(
            attrs={
                "class": "form-control pe-serial",
                "inputmode": "numeric",
                "autocomplete": "off",
                "autofocus": "",
                "data-serial": "",
            }
        ),
    )

    def __init__(self, *args, scheme: Scheme, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = EvaluatorGroup.objects.filter(scheme=scheme)
        self.fields["group"].widget.attrs.update({"class": "form-select", "data-group": ""})
