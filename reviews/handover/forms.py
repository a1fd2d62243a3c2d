"""Forms of the hand-over page (问题交办): the notice's header and one row per problem.

The forms read and check what staff typed, row by row, so every mistake shows beside its row; the service
(services_rectification.notice_issue) decides the rest, all or nothing.
A row left unticked (a pending finding) or left blank (a problem typed on the spot) is not handed over, and
nothing typed in it is checked.
"""

from __future__ import annotations

import datetime

from django import forms
from django.forms.utils import ErrorDict
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reviews.findings.models import FindingSource
from reviews.rectification.models import RectificationItem, RectificationNotice

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
RESPONSIBLE_CHARS = RectificationItem._meta.get_field("responsible").max_length
ISSUER_CHARS = RectificationNotice._meta.get_field("issuer").max_length


def _style(form: forms.Form) -> None:
    """Bootstrap classes on every widget (no crispy needed for a page of repeated rows)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs["class"] = "form-check-input"
        elif isinstance(widget, forms.Select):
            widget.attrs["class"] = "form-select form-select-sm"
        else:
            widget.attrs["class"] = "form-control form-control-sm"


def _mark_invalid(form: forms.Form) -> None:
    for name in form.errors:
        if name in form.fields:
            attrs = form.fields[name].widget.attrs
            attrs["class"] = attrs.get("class", "") + " is-invalid"
            attrs["aria-invalid"] = "true"


class NoticeForm(forms.Form):
    """The notice's header: who issues it (落款) and its date."""

    issuer = forms.CharField(
        label=gettext_lazy("Issued by"),
        max_length=ISSUER_CHARS,
        required=False,
        help_text=gettext_lazy("Printed above the seal; empty means the host committee."),
    )
    issued_on = forms.DateField(label=gettext_lazy("Date of the notice"), widget=DATE_INPUT)

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("use_required_attribute", False)
        super().__init__(*args, **kwargs)
        _style(self)

    def full_clean(self) -> None:
        super().full_clean()
        _mark_invalid(self)


class ItemRowForm(forms.Form):
    """One problem as staff review it: the text, its category, measures, who, by when, and 理改立."""

    problem = forms.CharField(
        label=gettext_lazy("Problem"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    category = forms.TypedChoiceField(label=gettext_lazy("Category"), required=False, coerce=int)
    measures = forms.CharField(
        label=gettext_lazy("Rectification measures"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    responsible = forms.CharField(
        label=gettext_lazy("Person responsible"), max_length=RESPONSIBLE_CHARS, required=False
    )
    deadline = forms.DateField(label=gettext_lazy("Deadline"), required=False, widget=DATE_INPUT)
    commit_analyse = forms.CharField(
        label=gettext_lazy("Analyse the causes (理)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    commit_correct = forms.CharField(
        label=gettext_lazy("Correct it (改)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    commit_establish = forms.CharField(
        label=gettext_lazy("Establish rules (立)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    COMMITMENTS = ("commit_analyse", "commit_correct", "commit_establish")

    def __init__(
        self,
        *args,
        categories: list[tuple[int, str]] = (),
        issued_on: datetime.date | None = None,
        **kwargs,
    ) -> None:
        kwargs.setdefault("use_required_attribute", False)
        super().__init__(*args, **kwargs)
        self.issued_on = issued_on
        self.fields["category"].choices = [("", "—"), *categories]
        self.record = None  # the Finding this row shows, set by the view (`finding` is the posted id)
        _style(self)

    def _raw(self, name: str) -> str:
        field = self.fields[name]
        value = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
        return value if isinstance(value, str) else ("on" if value else "")

    def included(self) -> bool:
        """Whether this row is to be handed over; decided from the raw input, before any check."""
        raise NotImplementedError

    def full_clean(self) -> None:
        super().full_clean()
        if self.is_bound and not self.included():
            # Not handed over: whatever the row holds does not matter.
            self._errors = ErrorDict()
            self.cleaned_data = {}
        _mark_invalid(self)

    def clean(self):
        cleaned = super().clean()
        if not self.included():
            return cleaned
        if not (cleaned.get("problem") or "").strip():
            self.add_error("problem", _("Describe the problem."))
        if not (cleaned.get("measures") or "").strip():
            self.add_error("measures", _("Write the rectification measures."))
        if not (cleaned.get("responsible") or "").strip() and "responsible" not in self.errors:
            self.add_error("responsible", _("Name the person responsible."))
        deadline = cleaned.get("deadline")
        if deadline is None and "deadline" not in self.errors:
            self.add_error("deadline", _("Set the deadline."))
        elif deadline is not None and self.issued_on is not None and deadline < self.issued_on:
            self.add_error(
                "deadline",
                _("The deadline cannot be before the date of the notice (%(day)s).")
                % {"day": date_format(self.issued_on, "DATE_FORMAT")},
            )
        return cleaned

    @property
    def has_commitments(self) -> bool:
        return any((self[name].value() or "").strip() for name in self.COMMITMENTS) or any(
            name in self.errors for name in self.COMMITMENTS
        )


class FindingRowForm(ItemRowForm):
    """A problem already recorded (a finding): ticked to hand it over."""

    include = forms.BooleanField(label=gettext_lazy("Hand over"), required=False)
    finding = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    field_order = ["include", "finding"]

    def included(self) -> bool:
        if not self.is_bound:
            return bool(self.initial.get("include"))
        return bool(self._raw("include"))

    @property
    def finding_pk(self) -> int | None:
        """The finding's id as posted (or offered), even in a row left unticked; None if unreadable."""
        if not self.is_bound:
            return self.initial.get("finding")
        try:
            value = int(self._raw("finding"))
        except ValueError:
            return None
        return value if value > 0 else None


class NewProblemRowForm(ItemRowForm):
    """A problem typed on the spot, with where it comes from; a row left blank is ignored."""

    source = forms.ChoiceField(
        label=gettext_lazy("Found by"), required=False, choices=[("", "—"), *FindingSource.choices]
    )

    field_order = ["problem", "source"]

    def included(self) -> bool:
        if not self.is_bound:
            return False
        return any(self._raw(name).strip() for name in ("problem", "measures", *self.COMMITMENTS))

    def clean(self):
        cleaned = super().clean()
        if self.included() and not cleaned.get("source"):
            self.add_error("source", _("Choose where the problem comes from."))
        return cleaned


FindingRowFormSet = forms.formset_factory(FindingRowForm, extra=0)
NewProblemRowFormSet = forms.formset_factory(NewProblemRowForm, extra=0)
