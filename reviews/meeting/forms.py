"""Forms of the clerk's page: one on-the-spot question (现场质询) or one comment (点评) per card.

Plain forms: the view passes ``cleaned_data`` to the services, which save and audit. Every field is
optional except the asker's role, because a card is saved while it is being typed.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from reviews.meeting.models import AskerRole, Comment, Question, Satisfaction

NAME_MAX = 40
TEXT_MAX = 10000  # a question, an answer or a comment: a few paragraphs at most


class _CardForm(forms.Form):
    """The fields of one card; ``stored_fields`` are the model fields they edit."""

    stored_fields: tuple[str, ...] = ()

    @classmethod
    def with_stored(cls, data, instance, **kwargs) -> "_CardForm":
        """A bound form of what was posted; a field not posted keeps the instance's value (or the default).

        So a save may carry only what changed, and 添加质询 without JavaScript posts no field at all.
        """
        if instance is not None:
            merged = {name: getattr(instance, name) for name in cls.stored_fields}
        else:
            merged = {name: cls.base_fields[name].initial or "" for name in cls.stored_fields}
        merged.update({name: data[name] for name in cls.stored_fields if name in data})
        return cls(merged, **kwargs)

    @classmethod
    def for_instance(cls, instance, **kwargs) -> "_CardForm":
        return cls(initial={name: getattr(instance, name) for name in cls.stored_fields}, **kwargs)

    def error_text(self) -> str:
        return " ".join(str(error) for errors in self.errors.values() for error in errors)


class QuestionForm(_CardForm):
    stored_fields = ("asker_role", "asker_name", "question", "answer", "satisfaction")

    asker_role = forms.ChoiceField(
        label=Question._meta.get_field("asker_role").verbose_name,
        choices=AskerRole.choices,
        initial=AskerRole.PARTY_MEMBER,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    asker_name = forms.CharField(
        label=_("Name (optional)"),
        max_length=NAME_MAX,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "autocomplete": "off"}),
    )
    question = forms.CharField(
        label=Question._meta.get_field("question").verbose_name,
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )
    answer = forms.CharField(
        label=Question._meta.get_field("answer").verbose_name,
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )
    satisfaction = forms.ChoiceField(
        label=Question._meta.get_field("satisfaction").verbose_name,
        choices=[("", _("Not stated")), *Satisfaction.choices],
        initial="",
        required=False,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
    )


class CommentForm(_CardForm):
    stored_fields = ("commenter", "text")

    commenter = forms.CharField(
        label=Comment._meta.get_field("commenter").verbose_name,
        max_length=NAME_MAX,
        required=False,
        widget=forms.TextInput(
            attrs={"class": "form-control form-control-sm", "autocomplete": "off", "list": "sz-commenters"}
        ),
    )
    text = forms.CharField(
        label=Comment._meta.get_field("text").verbose_name,
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 5}),
    )
