"""Forms of the draft pages and the findings page; the services decide, the forms only read the input."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reviews import uploads
from reviews.cycles.models import CycleItem
from reviews.drafts.models import ReviewDecision
from reviews.drafts.services import MAX_REFERENCE_CHARS


class DraftForm(forms.Form):
    """The draft's text and/or file, and for every must-answer and bonus item: ticked, and where."""

    text = forms.CharField(
        label=gettext_lazy("Report text"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 22}),
    )
    file = forms.FileField(
        label=gettext_lazy("Report file"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": uploads.ACCEPT}),
    )
    remove_file = forms.BooleanField(label=gettext_lazy("Remove the current file"), required=False)

    def __init__(self, *args, items: list[CycleItem], answers: dict | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        answers = answers or {}
        for item in items:
            reference = answers.get(str(item.pk), "")
            self.fields[f"done_{item.pk}"] = forms.BooleanField(
                label=item.text, required=False, initial=bool(reference)
            )
            self.fields[f"where_{item.pk}"] = forms.CharField(
                label=_("Where the draft answers it"),
                required=False,
                max_length=MAX_REFERENCE_CHARS,
                initial=reference,
                widget=forms.TextInput(attrs={"placeholder": _("e.g. part two, third paragraph")}),
            )

    def clean_file(self):
        return uploads.checked_upload(self.cleaned_data.get("file"))

    def clean(self):
        cleaned = super().clean()
        for item in self.items:
            if cleaned.get(f"done_{item.pk}") and not (cleaned.get(f"where_{item.pk}") or "").strip():
                self.add_error(f"where_{item.pk}", _("Say where the draft answers this item."))
        return cleaned

    def item_rows(self):
        """(item, its tick box, its reference box) for the template."""
        return [(item, self[f"done_{item.pk}"], self[f"where_{item.pk}"]) for item in self.items]

    def answers(self) -> dict[str, str]:
        """{item id: reference} for the ticked items."""
        return {
            str(item.pk): self.cleaned_data[f"where_{item.pk}"].strip()
            for item in self.items
            if self.cleaned_data.get(f"done_{item.pk}")
        }


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=ReviewDecision.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    comment = forms.CharField(
        label=gettext_lazy("Comments"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("Required when you return the draft: say what should change."),
    )
    step = forms.IntegerField(widget=forms.HiddenInput)
