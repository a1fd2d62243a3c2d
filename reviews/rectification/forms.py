"""Forms of the rectification pages: they read the input, the services decide (texts required, states)."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reviews import uploads
from reviews.cycles.models import Cycle, Session
from reviews.orgs.forms import OrganisationSearchField
from reviews.orgs.levels import Level, depths_of, tree_levels
from reviews.orgs.models import Sector
from reviews.rectification.models import FollowUpOutcome, RectificationStatus


def _evidence_field() -> forms.FileField:
    return forms.FileField(
        label=gettext_lazy("Evidence (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": uploads.ACCEPT}),
        help_text=gettext_lazy("Word (.docx), PDF, JPG or PNG: photos, minutes, documents issued."),
    )


# ---------------------------------------------------------------------------------------------------
# One item's steps


class ProgressForm(forms.Form):
    """报告整改进展."""

    text = forms.CharField(
        label=gettext_lazy("What has been done"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    evidence = _evidence_field()

    def clean_evidence(self):
        return uploads.checked_upload(self.cleaned_data.get("evidence"))


class SubmitForm(forms.Form):
    """申请销号."""

    text = forms.CharField(
        label=gettext_lazy("How the problem was rectified"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    evidence = _evidence_field()

    def clean_evidence(self):
        return uploads.checked_upload(self.cleaned_data.get("evidence"))


class VerifyForm(forms.Form):
    """销号."""

    text = forms.CharField(
        label=gettext_lazy("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReturnForm(forms.Form):
    """退回."""

    reason = forms.CharField(
        label=gettext_lazy("Reason for returning"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ExtendForm(forms.Form):
    """延期."""

    new_deadline = forms.DateField(
        label=gettext_lazy("New deadline"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason for the extension"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# ---------------------------------------------------------------------------------------------------
# The cycle's list and ledger

LEVEL_COUNTY, LEVEL_TOWNSHIP, LEVEL_VILLAGE = str(Level.COUNTY), str(Level.TOWNSHIP), str(Level.VILLAGE)


def level_choices() -> list[tuple[str, str]]:
    """The tree's levels (reviews.orgs.levels: 省级 … 村级 as the deployment has them), by their number."""
    return [(str(int(level)), level.label) for level in tree_levels()]


YES, NO = "yes", "no"


class SessionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.title


class ItemFilterForm(forms.Form):
    """The filters of the cycle's list, its ledger and the export command; an invalid value is ignored."""

    session = SessionChoiceField(
        label=gettext_lazy("Session"),
        queryset=Session.objects.none(),
        required=False,
        empty_label=gettext_lazy("All sessions"),
    )
    level = forms.ChoiceField(
        label=gettext_lazy("Level"),
        choices=[("", gettext_lazy("All levels"))],
        required=False,
    )
    sector = forms.ChoiceField(
        label=gettext_lazy("Sector"),
        choices=[("", gettext_lazy("All sectors")), *Sector.choices],
        required=False,
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[("", gettext_lazy("All statuses")), *RectificationStatus.choices],
        required=False,
    )
    overdue = forms.ChoiceField(
        label=gettext_lazy("Overdue"),
        choices=[
            ("", gettext_lazy("Overdue or not")),
            (YES, gettext_lazy("Overdue only")),
            (NO, gettext_lazy("Not overdue")),
        ],
        required=False,
    )
    q = forms.CharField(label=gettext_lazy("Organisation name"), required=False, max_length=60)

    def __init__(self, data=None, *, cycle: Cycle, sessions: QuerySet | None = None) -> None:
        super().__init__(data or {})  # always bound: no filter is a valid, empty filter
        if sessions is None:
            sessions = Session.objects.filter(cycle=cycle)
        self.fields["session"].queryset = sessions.order_by("date", "pk")
        self.fields["level"].choices = [("", gettext_lazy("All levels")), *level_choices()]
        self.is_valid()  # fills cleaned_data with the valid fields; errors only drop their filter

    def value(self, name: str):
        return self.cleaned_data.get(name) or ""

    def apply(self, items: QuerySet, today: datetime.date, *, status: bool = True) -> QuerySet:
        """The items matching the filters; `status=False` leaves the status filter out (for the counts)."""
        if session := self.value("session"):
            items = items.filter(notice__session=session)
        if level := self.value("level"):
            first, last = depths_of(Level(int(level)))
            items = items.filter(organisation__depth__gte=first)
            if last is not None:
                items = items.filter(organisation__depth__lte=last)
        if sector := self.value("sector"):
            items = items.filter(organisation__sector=sector)
        overdue = self.value("overdue")
        if overdue == YES:
            items = items.overdue(today)
        elif overdue == NO:
            items = items.not_overdue(today)
        if text := self.value("q").strip():
            items = items.filter(
                Q(organisation__name__icontains=text) | Q(organisation__short_name__icontains=text)
            )
        if status and (chosen := self.value("status")):
            items = items.filter(status=chosen)
        return items

    def description(self) -> list[str]:
        """The filters in use, in words, for the ledger's title."""
        parts = []
        for name in ("session", "level", "sector", "status", "overdue"):
            value = self.value(name)
            if not value:
                continue
            field = self.fields[name]
            label = value.title if name == "session" else dict(field.choices)[value]
            parts.append(_("%(filter)s: %(value)s") % {"filter": field.label, "value": label})
        if text := self.value("q").strip():
            parts.append(_("%(filter)s: %(value)s") % {"filter": self.fields["q"].label, "value": text})
        return parts

    def query_string(self) -> str:
        """The filters in use as a query string (no page), for the ledger link and the pages."""
        pairs = []
        for name in ("session", "level", "sector", "status", "overdue", "q"):
            value = self.value(name)
            if name == "session" and value:
                value = value.pk
            if value not in ("", None):
                pairs.append((name, value))
        return urlencode(pairs)


# ---------------------------------------------------------------------------------------------------
# 回头看


class FollowUpStartForm(forms.Form):
    cycle = forms.ModelChoiceField(label=gettext_lazy("Cycle"), queryset=Cycle.objects.all())
    scope = OrganisationSearchField(label=gettext_lazy("Organisations under"))
    title = forms.CharField(
        label=gettext_lazy("Title (optional)"),
        required=False,
        max_length=120,
        help_text=gettext_lazy("Left empty, it is named after the cycle."),
    )

    def __init__(self, *args, organisations: QuerySet, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scope"].queryset = organisations


class FollowUpMarkForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=FollowUpOutcome.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        required=False,
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Required when the problem came back: say how."),
    )
