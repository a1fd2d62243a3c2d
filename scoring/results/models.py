"""Component scores typed by staff and the published results' frozen snapshot."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from reviews.cycles.models import Report, Session
from scoring.schemes.models import Component
from scoring.tally import GRADES, Grade

# The snapshot's reporters per grade, stored beside the frozen data for the cycle dashboard (a province's
# 1,500 snapshots are summed by column rather than unnested from JSON): grade → column.
GRADE_COLUMNS: dict[Grade, str] = {grade: f"n_{grade.value}" for grade in GRADES}
UNGRADED_COLUMN = "n_ungraded"


def snapshot_figures(data) -> dict[str, int | bool | None]:
    """The stored columns as computed from a snapshot's data (the dashboard's former JSON queries, as
    PostgreSQL read them): reporters per grade and without one (a null or empty grade, or a reporter that
    is not an object; an unknown grade counts nowhere); nothing when "reporters" is missing or not a list.
    quorum_met: the data's "quorum_met" (None when missing or null; "true"/1 as text count as true)."""
    data = data if isinstance(data, dict) else {}
    reporters = data.get("reporters")
    figures: dict[str, int | bool | None] = {
        column: 0 for column in [*GRADE_COLUMNS.values(), UNGRADED_COLUMN]
    }
    for reporter in reporters if isinstance(reporters, list) else []:
        grade = reporter.get("grade") if isinstance(reporter, dict) else None
        if grade is None or grade == "":
            figures[UNGRADED_COLUMN] += 1
        elif isinstance(grade, str) and grade in GRADE_COLUMNS:
            figures[GRADE_COLUMNS[Grade(grade)]] += 1
    quorum = data.get("quorum_met")
    figures["quorum_met"] = (
        quorum if quorum is None or isinstance(quorum, bool) else (str(quorum).lower() in ("true", "1"))
    )
    return figures


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


class ResultSnapshot(models.Model):
    """Published results, frozen with the digest of the ballots they were computed from."""

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="result_snapshot")
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    published_by = models.ForeignKey(
        "auth.User", verbose_name=_("published by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    digest = models.CharField(_("ballot digest"), max_length=64)
    data = models.JSONField(_("results"))
    # Figures of `data`, stored for the cycle dashboard (filled on save from `data`, never edited apart).
    n_good = models.PositiveIntegerField(_("reporters graded good"), default=0)
    n_fairly_good = models.PositiveIntegerField(_("reporters graded fairly good"), default=0)
    n_average = models.PositiveIntegerField(_("reporters graded average"), default=0)
    n_poor = models.PositiveIntegerField(_("reporters graded poor"), default=0)
    n_ungraded = models.PositiveIntegerField(_("reporters without a grade"), default=0)
    quorum_met = models.BooleanField(_("quorum met"), null=True)

    class Meta:
        verbose_name = _("published result")
        verbose_name_plural = _("published results")

    def __str__(self) -> str:
        return f"{self.session} {self.digest[:12]}"

    def save(self, *args, **kwargs):
        # Derived columns of the model's own field, like a stored property: whoever creates a snapshot
        # (the publish service, the demo, a test's hand-made one) gets figures that agree with `data`.
        self.fill_figures()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "data" in update_fields:
            kwargs["update_fields"] = {*update_fields, *snapshot_figures({})}
        super().save(*args, **kwargs)

    def fill_figures(self) -> None:
        """Set the stored figures from `data` (bulk_create skips save(): call it before)."""
        for column, value in snapshot_figures(self.data).items():
            setattr(self, column, value)
