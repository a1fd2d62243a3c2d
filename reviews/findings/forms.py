"""The staff form for a finding."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from reviews import uploads
from reviews.drafts.services import RECORDABLE_SOURCES
from reviews.findings.models import FindingSource
from reviews.orgs.forms import OrganisationSearchField


class FindingForm(forms.Form):
    organisation = OrganisationSearchField(label=gettext_lazy("Party organisation"))
    source = forms.ChoiceField(
        label=gettext_lazy("Found by"),
        choices=[(value, label) for value, label in FindingSource.choices if value in RECORDABLE_SOURCES],
    )
    description = forms.CharField(label=gettext_lazy("Problem"), widget=forms.Textarea(attrs={"rows": 4}))
    evidence = forms.FileField(
        label=gettext_lazy("Evidence (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": uploads.ACCEPT}),
    )

    def __init__(self, *args, organisations, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations

    def clean_evidence(self):
        return uploads.checked_upload(self.cleaned_data.get("evidence"))
