"""Scoring codes (测评码): one delegate's one-time key, stored as keyed hashes only."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from reviews.cycles.models import Session
from reviews.jobs.models import Job
from scoring.schemes.models import EvaluatorGroup


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
    # Issued during a rehearsal (模拟演练): accepted only then, deleted when the rehearsal is cleared.
    rehearsal = models.BooleanField(_("rehearsal code"), default=False, editable=False)

    class Meta:
        verbose_name = _("scoring code")
        verbose_name_plural = _("scoring codes")
        ordering = ["session", "serial"]
        constraints = [models.UniqueConstraint(fields=["session", "serial"], name="credential_unique_serial")]

    def __str__(self) -> str:
        return f"{self.session} #{self.serial}"


class BatchStatus(models.TextChoices):
    RENDERING = "rendering", _("Printing the slips")
    READY = "ready", _("Issued with its slips")
    FAILED = "failed", _("Not issued: the slips could not be printed")


class IssueBatch(models.Model):
    """One issue of codes, found again by the issuing form's key (stored as a keyed hash).

    A second POST of the same form (a double click, a retry) finds its batch and gets the same slips
    back — the tokens are derived from the key with the server's secret — never new codes.

    Issued as slips, a batch first only reserves its serials (status rendering) while a background job
    draws the slips; its codes are created, in one transaction, only once the PDF exists (ready). A render
    that fails or is abandoned leaves the batch failed and no code (scoring/codes/jobs.py).
    """

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="issue_batches")
    group = models.ForeignKey(EvaluatorGroup, on_delete=models.PROTECT, related_name="issue_batches")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    first_serial = models.PositiveIntegerField(_("first slip number"))
    count = models.PositiveIntegerField(_("number of codes"))
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=BatchStatus, default=BatchStatus.READY)
    rehearsal = models.BooleanField(_("rehearsal code"), default=False, editable=False)
    # Printed on the slips of a named group (not secret: the codes' rows carry them too once issued).
    names = models.JSONField(_("delegates' names"), default=list, blank=True)
    job = models.ForeignKey(Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("issue of codes")
        verbose_name_plural = _("issues of codes")
        ordering = ["session", "first_serial"]

    def __str__(self) -> str:
        return f"{self.session} #{self.first_serial}-{self.last_serial}"

    @property
    def last_serial(self) -> int:
        return self.first_serial + self.count - 1
