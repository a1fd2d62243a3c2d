"""Component scores typed by staff and the published results' frozen snapshot."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from reviews.cycles.models import Report, Session
from scoring.schemes.models import Component


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

    class Meta:
        verbose_name = _("published result")
        verbose_name_plural = _("published results")

    def __str__(self) -> str:
        return f"{self.session} {self.digest[:12]}"
