"""The call for topics (点题), its categories and the suggestions."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from reviews.cycles.models import Session
from reviews.orgs.models import Organisation

# ---------------------------------------------------------------------------------------------------
# Before the meeting: topics (点题), report drafts through a review chain


def new_call_token() -> str:
    return secrets.token_urlsafe(16)


class TopicCall(models.Model):
    """A session's call for topics: an unguessable public link, open or closed."""

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="topic_call")
    token = models.CharField(max_length=40, unique=True, default=new_call_token, editable=False)
    is_open = models.BooleanField(_("open"), default=True)
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)

    class Meta:
        verbose_name = _("call for topics")
        verbose_name_plural = _("calls for topics")

    def __str__(self) -> str:
        return str(self.session)


class TopicCategory(models.Model):
    """A class of suggestions (集体经济, 基层治理, 党员管理 …); editable by staff."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("topic category")
        verbose_name_plural = _("topic categories")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class SuggestionSource(models.TextChoices):
    PARTY_MEMBER = "party_member", _("Party member")  # 党员
    PUBLIC = "public", _("Member of the public")  # 群众
    SUPERIOR = "superior", _("Superior committee")  # 上级
    OTHER = "other", _("Other")  # 其他


class TopicSuggestion(models.Model):
    """点题建议: a topic proposed for an organisation's report (or for the whole session)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="topic_suggestions")
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("party organisation"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="topic_suggestions",
        help_text=_("Empty: for the whole session."),
    )
    text = models.TextField(_("suggested topic"))
    source = models.CharField(_("proposed by"), max_length=16, choices=SuggestionSource.choices)
    name = models.CharField(_("name"), max_length=40, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    category = models.ForeignKey(
        TopicCategory, verbose_name=_("category"), on_delete=models.SET_NULL, null=True, blank=True
    )
    supporters = models.PositiveIntegerField(_("people raising it"), default=1)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged",
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("topic suggestion")
        verbose_name_plural = _("topic suggestions")
        ordering = ["session", "-supporters", "created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(supporters__gte=1), name="suggestion_supporters_positive")
        ]

    def __str__(self) -> str:
        return self.text[:40]
