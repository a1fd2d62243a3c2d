"""Ballots (测评票) and their marks: no link to a code, a delegate or a time."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from reviews.cycles.models import Report, Session
from reviews.meeting.models import Satisfaction
from scoring.schemes.models import Criterion, EvaluatorGroup, GradeChoice


class Channel(models.TextChoices):
    ELECTRONIC = "electronic", _("Electronic")
    PAPER = "paper", _("Paper")


class Ballot(models.Model):
    """测评票. No link to its code, and no timestamp: an anonymous ballot cannot be traced to a delegate.

    The random primary key keeps even the insertion order out of the ballot's identity.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="ballots")
    group = models.ForeignKey(EvaluatorGroup, on_delete=models.PROTECT, related_name="ballots")
    channel = models.CharField(
        _("channel"), max_length=12, choices=Channel.choices, default=Channel.ELECTRONIC
    )
    receipt = models.CharField(_("receipt"), max_length=16)
    delegate_name = models.CharField(_("delegate"), max_length=40, blank=True)  # named groups only
    invalid_reason = models.CharField(_("invalid because"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [models.UniqueConstraint(fields=["session", "receipt"], name="ballot_unique_receipt")]

    def __str__(self) -> str:
        return self.receipt


class Score(models.Model):
    """分值: one mark on one ballot for one reporter and one item — a grade or points.

    A random key, like the ballot's: a sequence would number the marks in the order they were counted.
    The session is kept on the mark so a session's tally reads only its own marks.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="+")
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="scores")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="+")
    grade = models.CharField(max_length=12, choices=GradeChoice.choices, blank=True)
    points = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ballot", "report", "criterion"], name="score_unique_mark"),
            models.CheckConstraint(
                condition=(Q(grade="") & Q(points__isnull=False)) | (~Q(grade="") & Q(points__isnull=True)),
                name="score_grade_xor_points",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report_id}/{self.criterion_id}: {self.grade or self.points}"


class SatisfactionMark(models.Model):
    """A delegate's satisfaction with a reporter's answers, on the ballot when the scheme asks for it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="satisfaction_marks")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+")
    value = models.CharField(max_length=12, choices=Satisfaction.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ballot", "report"], name="satisfaction_one_per_report")
        ]

    def __str__(self) -> str:
        return f"{self.report_id}: {self.value}"


class PendingBallot(models.Model):
    """A ballot received while scoring is open, held apart from the counted ones.

    The submit writes this row in the same transaction that marks the code used, so for a while the two
    rows share a transaction id. The close moves every held ballot into Ballot and Score in one transaction,
    in random order and under random keys, and deletes these rows: from then on nothing stored ties a
    counted ballot to its code or to when it arrived (docs/secrecy.md).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(EvaluatorGroup, on_delete=models.PROTECT, related_name="+")
    receipt = models.CharField(max_length=16)
    delegate_name = models.CharField(max_length=40, blank=True)  # named groups only
    content = models.TextField()  # the canonical marks: "report:criterion:value" and "s:report:value" lines

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "receipt"], name="pending_ballot_unique_receipt")
        ]

    def __str__(self) -> str:
        return self.receipt
