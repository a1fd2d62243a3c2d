"""Forms of the staff scoring pages (/manage/scoring/…): they validate; the views save through services."""

from django import forms


def bootstrap_fields(form: forms.BaseForm, size: str = "") -> None:
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
