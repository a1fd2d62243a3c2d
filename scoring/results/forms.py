"""The form for component scores typed by staff."""

from decimal import Decimal

from django import forms

from reviews.cycles.models import Report
from scoring.forms import bootstrap_fields
from scoring.schemes.models import Component

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
        bootstrap_fields(self, "sm")

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
