"""Report drafts (述职报告) and their review chain."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from reviews.cycles.models import Cycle, Report
from reviews.uploads import private_storage


class ReviewStep(models.Model):
    """One step of a cycle's draft review chain (党建科室负责人 → 分管副部长 → 组织部长 → 书记)."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="review_steps")
    order = models.PositiveSmallIntegerField(_("order"))
    title = models.CharField(_("step"), max_length=40)
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewers"), blank=True, related_name="review_steps"
    )

    class Meta:
        verbose_name = _("review step")
        verbose_name_plural = _("review chain")
        ordering = ["cycle", "order"]
        constraints = [models.UniqueConstraint(fields=["cycle", "order"], name="review_step_unique_order")]

    def __str__(self) -> str:
        return self.title


class DraftStatus(models.TextChoices):
    WRITING = "writing", _("Being written")  # 撰写中
    IN_REVIEW = "in_review", _("In review")  # 审核中
    RETURNED = "returned", _("Returned")  # 退回修改
    APPROVED = "approved", _("Approved")  # 审核通过


class Draft(models.Model):
    """述职报告: one version of a secretary's report draft; every version is kept."""

    report = models.ForeignKey(
        Report, verbose_name=_("reporter"), on_delete=models.CASCADE, related_name="drafts"
    )
    version = models.PositiveSmallIntegerField(_("version"))
    text = models.TextField(_("report text"), blank=True)
    file = models.FileField(
        _("report file"), upload_to="drafts/%Y/", storage=private_storage, blank=True, max_length=200
    )
    # Must-answer and bonus items answered: {cycle item id: where the draft answers it}.
    item_answers = models.JSONField(_("items answered"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=DraftStatus.choices, default=DraftStatus.WRITING
    )
    current_step = models.ForeignKey(
        ReviewStep,
        verbose_name=_("waiting at"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("report draft")
        verbose_name_plural = _("report drafts")
        ordering = ["report", "-version"]
        constraints = [models.UniqueConstraint(fields=["report", "version"], name="draft_unique_version")]

    def __str__(self) -> str:
        return f"{self.report} v{self.version}"


class ReviewDecision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    RETURN = "return", _("Return for changes")


class DraftReview(models.Model):
    """One reviewer's decision on a draft at one step of the chain."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="reviews")
    step = models.ForeignKey(ReviewStep, verbose_name=_("step"), on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(_("decision"), max_length=8, choices=ReviewDecision.choices)
    comment = models.TextField(_("comments"), blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("draft review")
        verbose_name_plural = _("draft reviews")
        ordering = ["draft", "at"]

    def __str__(self) -> str:
        return f"{self.draft} {self.step}: {self.decision}"
