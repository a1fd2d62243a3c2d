"""Form fields shared by pages that pick an organisation."""

from __future__ import annotations

from django import forms


class OrganisationChoiceField(forms.ModelChoiceField):
    """Organisations in tree order, indented by depth, so a long list still reads as the tree."""

    def label_from_instance(self, obj):
        return "\u3000" * obj.depth + obj.name
