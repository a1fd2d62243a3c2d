"""The form that issues scoring codes."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from scoring.forms import bootstrap_fields
from scoring.schemes.models import EvaluatorGroup, Scheme

MAX_CODES_AT_ONCE = 2000


DELEGATE_NAME_MAX = 40


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

    issue_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    download = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)
    confirm_over = forms.BooleanField(
        label=_("Issue them anyway: more codes than the group's expected delegates"), required=False
    )

    def __init__(self, *args, scheme: Scheme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = scheme.groups.all()
        bootstrap_fields(self)

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
