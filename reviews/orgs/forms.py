"""The organisation picker shared by pages that pick one organisation of the user's subtree."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from reviews.orgs.models import Organisation
from reviews.orgs.selectors import organisation_resolve


class OrganisationSearchInput(forms.Widget):
    """A text box that lists matching organisations as you type (htmx) and keeps the picked one's id in a
    hidden field. Without JavaScript the typed text is sent alone and resolved by the field."""

    template_name = "reviews/orgs/_org_picker.html"
    TEXT_SUFFIX = "_text"

    def value_from_datadict(self, data, files, name):
        return {"id": data.get(name, ""), "text": data.get(name + self.TEXT_SUFFIX, "")}

    def value_omitted_from_data(self, data, files, name):
        return name not in data and name + self.TEXT_SUFFIX not in data

    def format_value(self, value):
        """{"id", "text"} for the template, from posted data, an organisation or its id."""
        if isinstance(value, dict):
            return {"id": str(value.get("id") or ""), "text": value.get("text") or ""}
        if isinstance(value, Organisation):
            return {"id": str(value.pk), "text": value.name}
        if value in (None, ""):
            return {"id": "", "text": ""}
        org = Organisation.objects.filter(pk=value).only("name").first()
        return {"id": str(value), "text": org.name if org else ""}

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["text_name"] = name + self.TEXT_SUFFIX
        attrs = dict(context["widget"]["attrs"])
        classes = ["form-control", attrs.pop("class", "")]
        if attrs.get("aria-invalid") == "true":
            classes.append("is-invalid")
        attrs["class"] = " ".join(c for c in classes if c)
        context["attrs_html"] = flatatt(attrs)
        context["search_url"] = reverse("orgs:search")
        return context

    def render(self, name, value, attrs=None, renderer=None):
        # The project's templates (not the form renderer's): the picker lives beside the pages using it.
        return mark_safe(render_to_string(self.template_name, self.get_context(name, value, attrs)))


class OrganisationSearchField(forms.Field):
    """Picks one organisation of a queryset (the user's subtree) without listing them all.

    The hidden id wins when it is in the queryset; otherwise the typed text must name exactly one
    organisation: its code, or its full or short name (a clear error when none or several do)."""

    widget = OrganisationSearchInput
    default_error_messages = {
        "required": gettext_lazy("Type the organisation's name or code and pick it from the list."),
        "outside": gettext_lazy("That party organisation is not in your scope: pick one from the list."),
        "none": gettext_lazy("No party organisation in your scope is named or coded “%(text)s”."),
        "several": gettext_lazy(
            "More than one party organisation is named “%(text)s”: pick one from the list or type its code."
        ),
    }

    def __init__(self, *, queryset=None, **kwargs):
        self.queryset = queryset
        super().__init__(**kwargs)

    def bound_data(self, data, initial):
        return data

    def has_changed(self, initial, data):
        initial_id = str(initial.pk if isinstance(initial, Organisation) else initial or "")
        return initial_id != str((data or {}).get("id") or "")

    def clean(self, value):
        value = value if isinstance(value, dict) else {"id": value, "text": ""}
        pk, text = str(value.get("id") or "").strip(), (value.get("text") or "").strip()
        if pk.isdigit():
            org = self.queryset.filter(pk=int(pk)).first()
            if org is not None and (not text or text in (org.name, org.short_name, org.code)):
                return org
        if not text:
            if pk:
                raise ValidationError(self.error_messages["outside"], code="outside")
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return None
        found = organisation_resolve(self.queryset, text)
        if not found:
            raise ValidationError(self.error_messages["none"], code="none", params={"text": text})
        if len(found) > 1:
            raise ValidationError(self.error_messages["several"], code="several", params={"text": text})
        return found[0]
