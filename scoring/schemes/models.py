"""Scoring schemes (测评方案): groups, items, grades, components and their rules."""

from decimal import Decimal
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from reviews.cycles.models import Session
from scoring import tally


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
    expected_delegates = models.PositiveIntegerField(
        _("expected delegates"),
        default=0,
        help_text=_("How many delegates this group should have (0: not set). Issuing more codes asks first."),
    )

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
