"""Paper ballots (纸质票): each typed in twice, counted when both entries agree."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from reviews.cycles.models import Session
from scoring.ballots.models import Ballot
from scoring.schemes.models import EvaluatorGroup


class PaperStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for the second entry")  # 待二次录入
    MISMATCH = "mismatch", _("Entries differ")  # 两次录入不一致
    COUNTED = "counted", _("Counted")  # 已计入
    INVALID = "invalid", _("Invalid ballot")  # 废票


class PaperBallot(models.Model):
    """纸质票录入: one printed 测评表 by its serial number, typed in twice by two staff members."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="paper_ballots")
    group = models.ForeignKey(
        EvaluatorGroup, verbose_name=_("evaluator group"), on_delete=models.PROTECT, related_name="+"
    )
    serial = models.PositiveIntegerField(_("form number"))
    status = models.CharField(
        _("status"), max_length=12, choices=PaperStatus.choices, default=PaperStatus.WAITING
    )
    # Set when the entries agree or a third person resolves them: the counted ballot.
    ballot = models.OneToOneField(Ballot, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    resolved_by = models.ForeignKey(
        "auth.User",
        verbose_name=_("resolved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("paper ballot")
        verbose_name_plural = _("paper ballots")
        ordering = ["session", "serial"]
        constraints = [
            models.UniqueConstraint(fields=["session", "serial"], name="paper_ballot_unique_serial")
        ]

    def __str__(self) -> str:
        return f"{self.session} No. {self.serial}"


class PaperEntry(models.Model):
    """One staff member's typing of a paper ballot: marks as {"<report_id>-<criterion_id>": value}."""

    paper_ballot = models.ForeignKey(PaperBallot, on_delete=models.CASCADE, related_name="entries")
    clerk = models.ForeignKey(
        "auth.User", verbose_name=_("entered by"), on_delete=models.PROTECT, related_name="+"
    )
    marks = models.JSONField(_("marks"), default=dict)
    invalid_reason = models.CharField(_("invalid because"), max_length=100, blank=True)
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("paper ballot entry")
        verbose_name_plural = _("paper ballot entries")
        ordering = ["paper_ballot", "entered_at"]
        constraints = [
            models.UniqueConstraint(fields=["paper_ballot", "clerk"], name="paper_entry_one_per_clerk"),
        ]

    def __str__(self) -> str:
        return f"{self.paper_ballot} / {self.clerk}"
