"""Paper ballots (纸质票): each typed in twice, counted when both entries agree."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from reviews.cycles.models import Session
from reviews.uploads import private_storage
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


# ---------------------------------------------------------------------------------------------------
# Scanned forms (扫描计票): a batch of scanned pages, read by scoring.paper.scan, confirmed by one clerk


class ScanBatchStatus(models.TextChoices):
    READING = "reading", _("Reading")  # 读取中
    READ = "read", _("Read")  # 已读取


class ScanBatch(models.Model):
    """One upload of scanned pages (a scanner's PDF or phone photos). Pages the reader refused are kept
    in ``problems`` with the reason, by their place in the upload; never a delegate."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="scan_batches")
    uploaded_by = models.ForeignKey(
        "auth.User", verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ScanBatchStatus.choices, default=ScanBatchStatus.READING
    )
    done = models.PositiveIntegerField(_("pages read"), default=0)
    total = models.PositiveIntegerField(_("pages"), default=0)
    # [{"file": name, "page": n (in its file), "code": ..., "message": ...}]
    problems = models.JSONField(_("pages refused"), default=list, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("scanned batch")
        verbose_name_plural = _("scanned batches")
        ordering = ["session", "-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.session} / {self.created_at:%Y-%m-%d %H:%M}"


class ScannedState(models.TextChoices):
    REVIEW = "review", _("To review")  # 待核对
    COUNTED = "counted", _("Counted")  # 已计入 (confirmed by a clerk and counted in one step)
    INVALID = "invalid", _("Invalid ballot")  # 确认为废票


class ScannedForm(models.Model):
    """One whole form read from a batch: the reader's cells, the clerk's corrections, and — once
    confirmed — the paper ballot it became (with a random form number, never the scan order)."""

    batch = models.ForeignKey(ScanBatch, on_delete=models.CASCADE, related_name="forms")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(
        EvaluatorGroup, verbose_name=_("evaluator group"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        _("status"), max_length=10, choices=ScannedState.choices, default=ScannedState.REVIEW
    )
    # [{"r": report, "c": criterion, "grade": value | null, "flag": flag | null, "confidence": 0..1,
    #   "page": n, "box": [x, y, w, h]}] in the layout's order; box in the page's stored image pixels
    cells = models.JSONField(_("cells read"), default=list)
    flagged = models.PositiveIntegerField(_("flagged items"), default=0)
    to_review = models.PositiveIntegerField(_("items to look at"), default=0)
    corrections = models.JSONField(_("corrections"), default=dict, blank=True)  # {"r-c": value | ""}
    invalid_reason = models.CharField(_("invalid because"), max_length=100, blank=True)
    paper_ballot = models.OneToOneField(
        PaperBallot, on_delete=models.SET_NULL, null=True, blank=True, related_name="scan"
    )
    confirmed_by = models.ForeignKey(
        "auth.User",
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("scanned form")
        verbose_name_plural = _("scanned forms")
        ordering = ["batch", "pk"]

    def __str__(self) -> str:
        return f"{self.batch} #{self.pk}"


class ScannedPage(models.Model):
    """One page of a scanned form: its normalised image (private), digest and ink signature (duplicates)."""

    form = models.ForeignKey(ScannedForm, on_delete=models.CASCADE, related_name="pages")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveSmallIntegerField(_("page"))
    image = models.FileField(_("image"), upload_to="scans/%Y/%m/", storage=private_storage, max_length=200)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    digest = models.CharField(_("digest"), max_length=64, db_index=True)
    signature = models.BinaryField(_("ink signature"))

    class Meta:
        verbose_name = _("scanned page")
        verbose_name_plural = _("scanned pages")
        ordering = ["form", "number"]
        constraints = [
            models.UniqueConstraint(fields=["session", "digest"], name="scanned_page_unique_digest")
        ]

    def __str__(self) -> str:
        return f"{self.form} p.{self.number}"
