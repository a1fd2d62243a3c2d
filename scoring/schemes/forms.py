"""Forms of the scheme editor."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from reviews.cycles.models import Session
from scoring.forms import bootstrap_fields
from scoring.schemes.models import Component, Criterion, EvaluatorGroup, Scheme, parse_fraction


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
        bootstrap_fields(self, "sm")

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()


class GroupForm(_RowForm):
    class Meta:
        model = EvaluatorGroup
        fields = ["name", "weight", "anonymous", "order", "paper_issued", "expected_delegates"]


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
        bootstrap_fields(self)
