"""Forms of the topic pages: the public proposal, staff entry, the typed topic, categories, the poster.

The services check everything again; the forms are there to put a message beside the right field.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from reviews.cycles.models import Report
from reviews.topics.models import SuggestionSource, TopicCategory
from reviews.topics.services import (
    NAME_MAX,
    PHONE_PATTERN,
    PUBLIC_SOURCES,
    STAFF_TEXT_MIN,
    SUPPORTERS_MAX,
    TEXT_MAX,
    TEXT_MIN,
    TOPIC_MAX,
)

WHOLE_SESSION = "session"


def _organisation_choices(reports: list[Report], blank: bool) -> list[tuple[str, str]]:
    choices = [("", _("Choose…"))] if blank else []
    choices += [(str(report.organisation_id), report.organisation.name) for report in reports]
    choices.append((WHOLE_SESSION, _("The whole session (every reporter)")))
    return choices


def organisation_id(value: str) -> int | None:
    """The organisation picked in a form: an id, or None for the whole session."""
    return None if value in ("", WHOLE_SESSION) else int(value)


# Django puts the limit in when the form is checked (in the language of that request).
TEXT_ERRORS = {
    "required": _("Write the topic you propose."),
    "min_length": _("Write at least %(limit_value)s characters."),
    "max_length": _("Write no more than %(limit_value)s characters."),
}


class PublicSuggestionForm(forms.Form):
    """点题: what a member or the public fills in on the phone."""

    organisation = forms.ChoiceField(
        label=_("Whose report is it for"), error_messages={"required": _("Choose an organisation.")}
    )
    source = forms.ChoiceField(
        label=_("You are"),
        choices=[(s.value, s.label) for s in PUBLIC_SOURCES],
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether you are a party member or a member of the public.")},
    )
    text = forms.CharField(
        label=_("The topic you propose"),
        min_length=TEXT_MIN,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages=TEXT_ERRORS,
    )
    name = forms.CharField(label=_("Your name (optional)"), max_length=NAME_MAX, required=False)
    phone = forms.CharField(
        label=_("Phone (optional)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    # The honeypot: hidden from people by the stylesheet; a robot filling every field fills it too.
    website = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"})
    )

    def __init__(self, *args, reports: list[Report], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = _organisation_choices(reports, blank=True)
        self.fields["text"].widget.attrs.update({"minlength": TEXT_MIN, "maxlength": TEXT_MAX})

    def clean_phone(self) -> str:
        phone = "".join(self.cleaned_data["phone"].split())
        if phone and not PHONE_PATTERN.match(phone):
            raise forms.ValidationError(
                _("Enter an 11-digit mobile number or a landline number with its area code.")
            )
        return phone

    @property
    def is_robot(self) -> bool:
        return bool(self.data.get("website", "").strip())


class StaffSuggestionForm(forms.Form):
    """Staff enter what was collected on paper or on visits, and the superior's 上级点题."""

    organisation = forms.ChoiceField(label=_("For"))
    source = forms.ChoiceField(label=_("Proposed by"), choices=SuggestionSource.choices)
    supporters = forms.IntegerField(
        label=_("People raising it"), min_value=1, max_value=SUPPORTERS_MAX, initial=1
    )
    text = forms.CharField(
        label=_("Suggested topic"),
        min_length=STAFF_TEXT_MIN,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages=TEXT_ERRORS,
    )
    name = forms.CharField(label=_("Name (optional)"), max_length=NAME_MAX, required=False)

    def __init__(self, *args, reports: list[Report], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = _organisation_choices(reports, blank=False)


class TopicTextForm(forms.Form):
    text = forms.CharField(label=_("Report topic"), max_length=TOPIC_MAX, required=False)


class TopicCategoryForm(forms.ModelForm):
    class Meta:
        model = TopicCategory
        fields = ["name", "order"]


class PosterForm(forms.Form):
    deadline = forms.CharField(
        label=_("Deadline shown on the poster (optional)"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. 15 January 2026")}),
    )
