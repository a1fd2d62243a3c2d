"""Schemes, evaluator groups, criteria, codes and ballots of a session's scoring."""

import uuid
from decimal import Decimal
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from reviews.models import Report, Satisfaction, Session

from . import tally


def parse_fraction(text: str) -> Fraction:
    """'1/3', '30%', '0.5' → an exact Fraction (1/3 must stay 1/3 for boundary rules)."""
    text = (text or "").strip().replace("％", "%")
    try:
        if text.endswith("%"):
            return Fraction(text[:-1].strip()) / 100
        return Fraction(text)
    except (ValueError, ZeroDivisionError) as exc:
        raise ValidationError(
            _("Enter a fraction such as 1/3, a percentage such as 30%% or a decimal such as 0.5.")
        ) from exc


def validate_fraction(text: str) -> None:
    value = parse_fraction(text)
    if not 0 <= value <= 1:
        raise ValidationError(_("The value must lie between 0 and 1 (0%% to 100%%)."))


class FractionField(models.CharField):
    """An exact fraction kept as text ('1/3'); empty means the rule is off when null is allowed."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 16)
        kwargs.setdefault("validators", [validate_fraction])
        super().__init__(*args, **kwargs)


PERCENT = {"max_digits": 5, "decimal_places": 2, "validators": [MinValueValidator(0), MaxValueValidator(100)]}
POINTS = {"max_digits": 6, "decimal_places": 2, "validators": [MinValueValidator(0)]}

GRADE_LABELS = {
    tally.Grade.GOOD: _("Good"),  # 好
    tally.Grade.FAIRLY_GOOD: _("Fairly good"),  # 较好
    tally.Grade.AVERAGE: _("Average"),  # 一般
    tally.Grade.POOR: _("Poor"),  # 差
}


class GradeChoice(models.TextChoices):
    GOOD = tally.Grade.GOOD.value, _("Good")
    FAIRLY_GOOD = tally.Grade.FAIRLY_GOOD.value, _("Fairly good")
    AVERAGE = tally.Grade.AVERAGE.value, _("Average")
    POOR = tally.Grade.POOR.value, _("Poor")


class ModeChoice(models.TextChoices):
    GRADE = tally.Mode.GRADE_PER_REPORTER.value, _("One grade per reporter")
    ITEM_GRADE = tally.Mode.GRADE_PER_ITEM.value, _("One grade per evaluation item")
    POINTS = tally.Mode.POINTS.value, _("Points per criterion")


class ScoringStatus(models.TextChoices):
    NOT_OPEN = "not_open", _("Not open")
    OPEN = "open", _("Open for scoring")
    CLOSED = "closed", _("Closed")


class Scheme(models.Model):
    """测评方案: every number of the scoring rules is a setting here; locked once scoring opens."""

    session = models.OneToOneField(
        Session, verbose_name=_("review session"), on_delete=models.CASCADE, related_name="scheme"
    )
    mode = models.CharField(
        _("scoring mode"), max_length=16, choices=ModeChoice.choices, default=ModeChoice.ITEM_GRADE
    )
    points_good = models.DecimalField(_("points for Good"), default=Decimal(100), **POINTS)
    points_fairly_good = models.DecimalField(_("points for Fairly good"), default=Decimal(80), **POINTS)
    points_average = models.DecimalField(_("points for Average"), default=Decimal(60), **POINTS)
    points_poor = models.DecimalField(_("points for Poor"), default=Decimal(40), **POINTS)
    trim_extremes = models.BooleanField(
        _("drop one highest and one lowest"),
        default=False,
        help_text=_("Points mode only: when a group has more than the minimum number of ballots."),
    )
    trim_min_ballots = models.PositiveSmallIntegerField(_("trim above this many ballots"), default=5)
    onsite_share = models.DecimalField(_("on-site score share (%)"), default=Decimal(100), **PERCENT)
    threshold_good = models.DecimalField(_("Good from"), default=Decimal(85), **POINTS)
    threshold_fairly_good = models.DecimalField(_("Fairly good from"), default=Decimal(75), **POINTS)
    threshold_average = models.DecimalField(_("Average from"), default=Decimal(60), **POINTS)
    poor_override_fraction = FractionField(
        _("Poor when Poor votes exceed"), default="1/3", blank=True, help_text=_("Empty: rule off.")
    )
    good_min_fraction = FractionField(
        _("at most Average when Good + Fairly good votes are under"),
        default="2/3",
        blank=True,
        help_text=_("Empty: rule off."),
    )
    good_cap_fraction = FractionField(
        _("cap on the share of Good"), default="", blank=True, help_text=_("Empty: no cap. E.g. 1/3 or 30%.")
    )
    breakdown_min_ballots = models.PositiveSmallIntegerField(_("hide a group's breakdown below"), default=5)
    allow_abstention = models.BooleanField(_("blank items allowed (abstention)"), default=False)
    quorum_fraction = FractionField(_("quorum: ballots received above"), default="1/2")
    same_grade_invalid = models.BooleanField(_("same grade for everyone is invalid"), default=False)
    collect_satisfaction = models.BooleanField(_("collect satisfaction with answers"), default=False)
    scoring_status = models.CharField(
        _("scoring"), max_length=12, choices=ScoringStatus.choices, default=ScoringStatus.NOT_OPEN
    )

    class Meta:
        verbose_name = _("scoring scheme")
        verbose_name_plural = _("scoring schemes")
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold_good__gt=models.F("threshold_fairly_good"))
                & Q(threshold_fairly_good__gt=models.F("threshold_average")),
                name="scheme_thresholds_descending",
                violation_error_message=_("Grade thresholds must descend: Good > Fairly good > Average."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.session)

    @property
    def is_locked(self) -> bool:
        return self.scoring_status != ScoringStatus.NOT_OPEN

    def clean(self) -> None:
        if not self.threshold_good > self.threshold_fairly_good > self.threshold_average:
            raise ValidationError(_("Grade thresholds must descend: Good > Fairly good > Average."))


class EvaluatorGroup(models.Model):
    """测评主体, e.g. 县委常委 60 %, 党员群众代表 40 %."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("name"), max_length=60)
    weight = models.DecimalField(_("weight (%)"), **PERCENT)
    anonymous = models.BooleanField(_("anonymous"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    paper_issued = models.PositiveIntegerField(_("paper forms issued"), default=0)

    class Meta:
        verbose_name = _("evaluator group")
        verbose_name_plural = _("evaluator groups")
        ordering = ["scheme", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "name"], name="group_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Criterion(models.Model):
    """测评指标 / 评价要素: an evaluation item (grade modes) or a criterion with max points."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("name"), max_length=80)
    description = models.CharField(_("description"), max_length=300, blank=True)
    max_points = models.DecimalField(_("max points"), default=Decimal(100), **POINTS)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("evaluation item")
        verbose_name_plural = _("evaluation items")
        ordering = ["scheme", "order", "id"]

    def __str__(self) -> str:
        return self.name


class Component(models.Model):
    """A composite part besides the on-site vote (日常考核, 年度考核 …), typed or imported by staff."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="components")
    name = models.CharField(_("name"), max_length=60)
    share = models.DecimalField(_("share (%)"), **PERCENT)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("composite component")
        verbose_name_plural = _("composite components")
        ordering = ["scheme", "order", "id"]

    def __str__(self) -> str:
        return self.name


class ComponentScore(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="component_scores")
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="scores")
    value = models.DecimalField(
        _("score"), max_digits=6, decimal_places=2, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )

    class Meta:
        verbose_name = _("component score")
        verbose_name_plural = _("component scores")
        constraints = [models.UniqueConstraint(fields=["report", "component"], name="component_score_unique")]

    def __str__(self) -> str:
        return f"{self.report} {self.component}: {self.value}"


class Credential(models.Model):
    """测评码: one delegate's one-time code. Only hashes are stored; the secret lives on the slip."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="credentials")
    group = models.ForeignKey(EvaluatorGroup, on_delete=models.PROTECT, related_name="credentials")
    serial = models.PositiveIntegerField(_("slip number"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    short_hash = models.CharField(max_length=64, unique=True, editable=False)
    delegate_name = models.CharField(_("delegate"), max_length=40, blank=True)
    used = models.BooleanField(_("used"), default=False)
    revoked = models.BooleanField(_("revoked"), default=False)

    class Meta:
        verbose_name = _("scoring code")
        verbose_name_plural = _("scoring codes")
        ordering = ["session", "serial"]
        constraints = [models.UniqueConstraint(fields=["session", "serial"], name="credential_unique_serial")]

    def __str__(self) -> str:
        return f"{self.session} #{self.serial}"


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
    """分值: one mark on one ballot for one reporter and one item — a grade or points."""

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


class ResultSnapshot(models.Model):
    """Published results, frozen with the digest of the ballots they were computed from."""

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="result_snapshot")
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    published_by = models.ForeignKey(
        "auth.User", verbose_name=_("published by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    digest = models.CharField(_("ballot digest"), max_length=64)
    data = models.JSONField(_("results"))

    class Meta:
        verbose_name = _("published result")
        verbose_name_plural = _("published results")

    def __str__(self) -> str:
        return f"{self.session} {self.digest[:12]}"


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


class SatisfactionMark(models.Model):
    """A delegate's satisfaction with a reporter's answers, on the ballot when the scheme asks for it."""

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="satisfaction_marks")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+")
    value = models.CharField(max_length=12, choices=Satisfaction.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ballot", "report"], name="satisfaction_one_per_report")
        ]

    def __str__(self) -> str:
        return f"{self.report_id}: {self.value}"


from scoring.throttle_store import *  # noqa: F403,E402
