"""What is said in the meeting: questions (现场质询) and the leader's comment (点评)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from reviews.cycles.models import Report


class AskerRole(models.TextChoices):
    PARTY_MEMBER = "party_member", _("Party-member representative")  # 党员代表
    PUBLIC = "public", _("Public representative")  # 群众代表
    LEADER = "leader", _("Leader")  # 领导
    OTHER = "other", _("Other")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")  # 满意
    FAIRLY = "fairly", _("Fairly satisfied")  # 基本满意
    UNSATISFIED = "unsatisfied", _("Not satisfied")  # 不满意


class Question(models.Model):
    """现场质询: a delegate's question on the spot and the reporter's answer."""

    report = models.ForeignKey(
        Report, verbose_name=_("reporter"), on_delete=models.CASCADE, related_name="questions"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    asker_role = models.CharField(
        _("asker"), max_length=16, choices=AskerRole.choices, default=AskerRole.PARTY_MEMBER
    )
    asker_name = models.CharField(_("asker's name"), max_length=40, blank=True)
    question = models.TextField(_("question"), blank=True)
    answer = models.TextField(_("answer"), blank=True)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True
    )
    handed_over = models.BooleanField(_("handed over"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("on-the-spot question")
        verbose_name_plural = _("on-the-spot questions")
        ordering = ["report", "order", "id"]

    def __str__(self) -> str:
        return self.question[:40]


class Comment(models.Model):
    """点评: the leader's comment on one report."""

    report = models.ForeignKey(
        Report, verbose_name=_("reporter"), on_delete=models.CASCADE, related_name="comments"
    )
    commenter = models.CharField(_("commented by"), max_length=40, blank=True)
    text = models.TextField(_("comment"), blank=True)
    handed_over = models.BooleanField(_("handed over"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["report", "id"]

    def __str__(self) -> str:
        return self.text[:40]
