"""Forms of the staff scoring pages (/manage/scoring/…): they validate; the views save through services."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from reviews.models import Report, Session
from scoring.models import Component, Criterion, EvaluatorGroup, Scheme, parse_fraction

MAX_CODES_AT_ONCE = 2000
DELEGATE_NAME_MAX = 40


def _bootstrap(form: forms.BaseForm, size: str = "") -> None:
    """Bootstrap classes on every widget (for the hand-rendered tables)."""
    suffix = f" form-control-{size}" if size else ""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select" + (f" form-select-{size}" if size else "")
        else:
            css = "form-control" + suffix
        widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


def _clean_fraction(value: str) -> str:
    """'1/3', '30%', '30％', '0.5' or empty; kept as typed (the model keeps the text, exact)."""
    text = (value or "").strip().replace("％", "%").replace("／", "/").replace(" ", "")
    if text:
        parse_fraction(text)  # raises a ValidationError with the model's message
    return text


# ---------------------------------------------------------------------------------------------------
# The scheme


class SchemeForm(forms.ModelForm):
    """The settings of a 测评方案: every number of the scoring rules."""

    class Meta:
        model = Scheme
        fields = [
            "mode",
            "points_good",
            "points_fairly_good",
            "points_average",
            "points_poor",
            "threshold_good",
            "threshold_fairly_good",
            "threshold_average",
            "poor_override_fraction",
            "good_min_fraction",
            "good_cap_fraction",
            "quorum_fraction",
            "onsite_share",
            "trim_extremes",
            "trim_min_ballots",
            "breakdown_min_ballots",
            "allow_abstention",
            "same_grade_invalid",
            "collect_satisfaction",
        ]

    def clean_poor_override_fraction(self) -> str:
        return _clean_fraction(self.cleaned_data["poor_override_fraction"])

    def clean_good_min_fraction(self) -> str:
        return _clean_fraction(self.cleaned_data["good_min_fraction"])

    def clean_good_cap_fraction(self) -> str:
        return _clean_fraction(self.cleaned_data["good_cap_fraction"])

    def clean_quorum_fraction(self) -> str:
        text = _clean_fraction(self.cleaned_data["quorum_fraction"])
        if not text:
            raise ValidationError(_("Enter the quorum, e.g. 1/2."))
        return text


class _RowForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self, "sm")

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()


class GroupForm(_RowForm):
    class Meta:
        model = EvaluatorGroup
        fields = ["name", "weight", "anonymous", "order", "paper_issued"]


class CriterionForm(_RowForm):
    class Meta:
        model = Criterion
        fields = ["name", "description", "max_points", "order"]


class ComponentForm(_RowForm):
    class Meta:
        model = Component
        fields = ["name", "share", "order"]


class _RowFormSet(BaseInlineFormSet):
    def rows(self) -> list:
        """The complete new set of rows (unsaved instances): kept and new, without deleted or empty forms."""
        rows = []
        for form in self.forms:
            if form.cleaned_data.get("DELETE"):
                continue
            if form.instance.pk is None and not form.has_changed():
                continue
            rows.append(form.instance)
        return rows


ROW_FORMS = (
    ("groups", EvaluatorGroup, GroupForm),
    ("criteria", Criterion, CriterionForm),
    ("components", Component, ComponentForm),
)


def scheme_forms(scheme: Scheme, data=None, *, read_only: bool = False) -> tuple:
    """The settings form and the formsets of groups, criteria and components; bound when `data` is given."""
    settings = SchemeForm(data, instance=scheme)
    formsets = []
    for prefix, model, form in ROW_FORMS:
        factory = inlineformset_factory(
            Scheme,
            model,
            form=form,
            formset=_RowFormSet,
            extra=0 if read_only else 2,
            can_delete=not read_only,
        )
        formsets.append(factory(data, instance=scheme, prefix=prefix))
    if read_only:
        for each in [settings, *(f for formset in formsets for f in formset.forms)]:
            for field in each.fields.values():
                field.disabled = True
    return settings, *formsets


# ---------------------------------------------------------------------------------------------------
# Session overview


class SchemeCopyForm(forms.Form):
    source = forms.ModelChoiceField(
        label=_("Copy the scheme of"), queryset=Session.objects.none(), empty_label=None
    )

    def __init__(self, *args, sessions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = sessions
        self.fields["source"].label_from_instance = lambda s: f"{s.title}（{s.date:%Y-%m-%d}）"
        _bootstrap(self)


# ---------------------------------------------------------------------------------------------------
# Codes


class IssueCodesForm(forms.Form):
    group = forms.ModelChoiceField(label=_("Evaluator group"), queryset=EvaluatorGroup.objects.none())
    count = forms.IntegerField(
        label=_("Number of codes"), min_value=1, max_value=MAX_CODES_AT_ONCE, required=False
    )
    names = forms.CharField(
        label=_("Delegates' names (named groups only)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("One name per line; one code is issued per name and the name is printed on its slip."),
    )

    def __init__(self, *args, scheme: Scheme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = scheme.groups.all()
        _bootstrap(self)

    def clean_names(self) -> list[str]:
        names = [line.strip() for line in self.cleaned_data["names"].splitlines() if line.strip()]
        too_long = [name for name in names if len(name) > DELEGATE_NAME_MAX]
        if too_long:
            raise ValidationError(
                _("A name may have at most %(max)s characters: %(names)s"),
                params={"max": DELEGATE_NAME_MAX, "names": "、".join(too_long)},
            )
        if len(names) > MAX_CODES_AT_ONCE:
            raise ValidationError(_("Issue between 1 and 2000 codes at a time."))
        return names

    def clean(self) -> dict:
        data = super().clean()
        group, names = data.get("group"), data.get("names")
        if names and group is not None and group.anonymous:
            self.add_error("names", _("Names can only be printed on the codes of a named group."))
        elif not names and not data.get("count") and "count" not in self.errors:
            self.add_error("count", _("Enter how many codes to issue, or the delegates' names."))
        return data


# ---------------------------------------------------------------------------------------------------
# Component scores


class ComponentScoresForm(forms.Form):
    """One number input per reporter × component (0–100, two decimals)."""

    def __init__(self, *args, reports: list[Report], components: list[Component], scores: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.reports, self.components = reports, components
        for report in reports:
            for component in components:
                self.fields[self.field_name(report, component)] = forms.DecimalField(
                    label=f"{report.organisation.name} · {component.name}",
                    min_value=Decimal(0),
                    max_value=Decimal(100),
                    max_digits=5,
                    decimal_places=2,
                    required=False,
                    initial=scores.get((report.pk, component.pk)),
                )
        _bootstrap(self, "sm")

    @staticmethod
    def field_name(report: Report, component: Component) -> str:
        return f"s-{report.pk}-{component.pk}"

    def rows(self) -> list[tuple[Report, list[forms.BoundField]]]:
        return [(r, [self[self.field_name(r, c)] for c in self.components]) for r in self.reports]

    def changes(self) -> list[tuple[Report, Component, Decimal | None]]:
        """Changed cells: (report, component, new value or None to clear)."""
        changed = set(self.changed_data)
        return [
            (report, component, self.cleaned_data[name])
            for report in self.reports
            for component in self.components
            if (name := self.field_name(report, component)) in changed
        ]
