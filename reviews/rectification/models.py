"""Rectification (整改): notices, items, their record, and the follow-up review (回头看)."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from reviews.cycles.models import Cycle, Session
from reviews.findings.models import Finding, FindingSource
from reviews.orgs.models import Organisation, Person
from reviews.orgs.subtree import Subtree
from reviews.uploads import private_storage

# ---------------------------------------------------------------------------------------------------
# After the meeting: hand-over (问题交办), rectification (整改), follow-up (回头看)


class ProblemCategory(models.Model):
    """问题类别: how problems are grouped so the same one across many organisations shows (共性问题)."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("problem category")
        verbose_name_plural = _("problem categories")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class RectificationNotice(models.Model):
    """整改通知单: the items handed over to one organisation after one session, issued together."""

    session = models.ForeignKey(
        Session, verbose_name=_("session"), on_delete=models.PROTECT, related_name="rectification_notices"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("party organisation"),
        on_delete=models.PROTECT,
        related_name="rectification_notices",
    )
    # The committee that issues it (the session's host) and the year: notices are numbered per both.
    host = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", editable=False)
    year = models.PositiveSmallIntegerField(_("year"), editable=False)
    number = models.PositiveIntegerField(_("number"))
    issuer = models.CharField(_("issued by"), max_length=120)
    issued_on = models.DateField(_("issued on"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("rectification notice")
        verbose_name_plural = _("rectification notices")
        ordering = ["session", "number"]
        constraints = [
            models.UniqueConstraint(fields=["host", "year", "number"], name="notice_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.reference}"

    @property
    def reference(self) -> str:
        """The notice's number as printed, e.g. 〔2025〕3号."""
        return _("[%(year)s] No. %(number)s") % {"year": self.issued_on.year, "number": self.number}


class RectificationStatus(models.TextChoices):
    PENDING = "pending", _("To be rectified")  # 待整改
    IN_PROGRESS = "in_progress", _("Being rectified")  # 整改中
    SUBMITTED = "submitted", _("Awaiting verification")  # 待销号
    VERIFIED = "verified", _("Verified closed")  # 已销号
    RETURNED = "returned", pgettext_lazy("rectification", "Returned")  # 退回


# The organisation still owes work on these; an item past its deadline in one of them is overdue (逾期).
OWING_STATUSES = (RectificationStatus.PENDING, RectificationStatus.IN_PROGRESS, RectificationStatus.RETURNED)


class RectificationItemQuerySet(models.QuerySet):
    def overdue(self, today: datetime.date) -> "RectificationItemQuerySet":
        return self.filter(status__in=OWING_STATUSES, deadline__lt=today)

    def not_overdue(self, today: datetime.date) -> "RectificationItemQuerySet":
        return self.exclude(status__in=OWING_STATUSES, deadline__lt=today)


class RectificationItem(models.Model):
    """整改事项: one problem an organisation must rectify, followed until it is verified closed (销号)."""

    notice = models.ForeignKey(
        RectificationNotice, verbose_name=_("notice"), on_delete=models.PROTECT, related_name="items"
    )
    # Denormalised from the notice so ledgers and dashboards filter without joins.
    cycle = models.ForeignKey(
        Cycle, verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="rectification_items"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("party organisation"),
        on_delete=models.PROTECT,
        related_name="rectification_items",
    )
    finding = models.OneToOneField(
        Finding,
        verbose_name=_("finding"),
        on_delete=models.PROTECT,
        related_name="rectification_item",
    )
    number = models.PositiveSmallIntegerField(_("No."))
    source = models.CharField(_("source"), max_length=12, choices=FindingSource.choices)
    category = models.ForeignKey(
        ProblemCategory,
        verbose_name=_("category"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="items",
    )
    problem = models.TextField(_("problem"))
    measures = models.TextField(_("rectification measures"))
    responsible = models.CharField(_("responsible person"), max_length=40)
    responsible_person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="rectification_items"
    )
    # 理改立: the commitments the secretary makes when the item is issued.
    commit_analyse = models.TextField(_("analyse the causes (理)"), blank=True)
    commit_correct = models.TextField(_("correct it (改)"), blank=True)
    commit_establish = models.TextField(_("establish rules (立)"), blank=True)
    deadline = models.DateField(_("deadline"))
    original_deadline = models.DateField(_("original deadline"))
    status = models.CharField(
        _("status"), max_length=12, choices=RectificationStatus.choices, default=RectificationStatus.PENDING
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    last_update_at = models.DateTimeField(_("last progress update"), null=True, blank=True)
    return_reason = models.TextField(_("reason for returning"), blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    objects = RectificationItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("rectification item")
        verbose_name_plural = _("rectification items")
        ordering = ["notice_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "number"], name="rectification_item_unique_number"),
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("original_deadline")),
                name="rectification_deadline_not_earlier",
            ),
            models.CheckConstraint(
                condition=~Q(status="verified") | Q(verified_at__isnull=False),
                name="rectification_verified_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["cycle", "status", "deadline"], name="rectification_cycle_status"),
            # The staff list reads a page in deadline order (overdue first) without sorting the cycle.
            models.Index(fields=["cycle", "deadline"], name="rectification_cycle_deadline"),
            # The dashboards count each organisation's overdue items from the owing ones only.
            models.Index(
                fields=["cycle", "deadline", "organisation"],
                name="rectification_owing",
                condition=Q(status__in=OWING_STATUSES),
            ),
        ]

    def __str__(self) -> str:
        return self.problem[:40]

    def is_overdue(self, today: datetime.date) -> bool:
        """Past its deadline and still owed by the organisation; derived, never stored."""
        return self.status in OWING_STATUSES and self.deadline < today

    @property
    def is_extended(self) -> bool:
        return self.deadline != self.original_deadline

    def clean(self) -> None:
        if self.finding_id and self.organisation_id and self.finding.organisation_id != self.organisation_id:
            raise ValidationError(_("The problem belongs to another organisation."))
        if self.notice_id and self.organisation_id and self.notice.organisation_id != self.organisation_id:
            raise ValidationError(_("The notice is addressed to another organisation."))


class RectificationTally(models.Model):
    """One organisation's items in one cycle, counted by status: kept by database triggers on the items
    (reviews.rectification.tally), read by the dashboards instead of the items. Path and sector are
    the organisation's, copied so that a subtree is a range on this table."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=255)
    sector = models.CharField(max_length=16, blank=True)
    items = models.IntegerField(default=0)
    pending = models.IntegerField(default=0)
    in_progress = models.IntegerField(default=0)
    submitted = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    verified = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cycle", "organisation"], name="rectification_tally_unique"),
        ]
        # varchar_pattern_ops: PostgreSQL's subtree filter is LIKE 'prefix%' (reviews.orgs.subtree),
        # which an index in the database's collation cannot answer; SQLite ignores opclasses.
        indexes = [
            models.Index(
                fields=["cycle", "path"],
                name="rectification_tally_path",
                opclasses=["int8_ops", "varchar_pattern_ops"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.items}"


class CategoryTally(models.Model):
    """One organisation's items of one problem category in one cycle (共性问题), kept like the above."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(ProblemCategory, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=255)
    items = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "organisation", "category"], name="rectification_category_tally_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["cycle", "path"],
                name="rectification_category_path",
                opclasses=["int8_ops", "varchar_pattern_ops"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}/{self.category_id}: {self.items}"


class RectificationEventKind(models.TextChoices):
    ISSUED = "issued", pgettext_lazy("rectification event", "Issued")  # 交办
    PROGRESS = "progress", _("Progress reported")  # 报告进展
    SUBMITTED = "submitted", _("Submitted for verification")  # 申请销号
    VERIFIED = "verified", pgettext_lazy("rectification event", "Verified closed")  # 销号
    RETURNED = "returned", pgettext_lazy("rectification event", "Returned")  # 退回
    EXTENDED = "extended", _("Deadline extended")  # 延期


class RectificationEvent(models.Model):
    """One step in an item's record: progress with evidence, submission, verification, return, extension."""

    item = models.ForeignKey(
        RectificationItem,
        verbose_name=_("rectification item"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=RectificationEventKind.choices)
    text = models.TextField(_("details"), blank=True)
    evidence = models.FileField(
        _("evidence"), upload_to="rectification/%Y/%m/", storage=private_storage, blank=True, max_length=200
    )
    old_deadline = models.DateField(_("previous deadline"), null=True, blank=True)
    new_deadline = models.DateField(_("new deadline"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_name = models.CharField(_("by"), max_length=60, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("rectification record")
        verbose_name_plural = _("rectification records")
        ordering = ["item", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.item} {self.get_kind_display()}"


class FollowUpReview(models.Model):
    """回头看: a later review of a cycle's verified items, marking each as held or relapsed."""

    cycle = models.ForeignKey(
        Cycle, verbose_name=_("cycle reviewed"), on_delete=models.PROTECT, related_name="follow_ups"
    )
    scope = models.ForeignKey(
        Organisation,
        verbose_name=_("organisations under"),
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    title = models.CharField(_("title"), max_length=120)
    started_on = models.DateField(_("started on"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("follow-up review")
        verbose_name_plural = _("follow-up reviews")
        ordering = ["-started_on", "-pk"]

    def __str__(self) -> str:
        return self.title


class FollowUpOutcome(models.TextChoices):
    HELD = "held", _("Held")  # 整改成果巩固
    RELAPSED = "relapsed", _("Relapsed")  # 问题反弹


class FollowUpMark(models.Model):
    review = models.ForeignKey(FollowUpReview, on_delete=models.CASCADE, related_name="marks")
    item = models.ForeignKey(
        RectificationItem,
        verbose_name=_("rectification item"),
        on_delete=models.CASCADE,
        related_name="follow_up_marks",
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=FollowUpOutcome.choices)
    note = models.TextField(_("note"), blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    marked_at = models.DateTimeField(_("marked at"), auto_now=True)

    class Meta:
        verbose_name = _("follow-up mark")
        verbose_name_plural = _("follow-up marks")
        ordering = ["review", "item"]
        constraints = [models.UniqueConstraint(fields=["review", "item"], name="follow_up_mark_unique")]

    def __str__(self) -> str:
        return f"{self.item}: {self.get_outcome_display()}"


# A subtree is a range on the tallies' own path index (see reviews.orgs.subtree).
RectificationTally._meta.get_field("path").register_lookup(Subtree)
CategoryTally._meta.get_field("path").register_lookup(Subtree)
