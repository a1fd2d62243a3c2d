"""Cycles (年度), sessions (述职评议会) and the reports (述职) in them."""

import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from reviews.orgs.models import Organisation, Person


class Cycle(models.Model):
    """One annual campaign (年度), e.g. 2025年度抓基层党建工作述职评议."""

    year = models.PositiveSmallIntegerField(_("year"))
    name = models.CharField(_("name"), max_length=120, unique=True)
    is_open = models.BooleanField(_("open"), default=True)

    class Meta:
        verbose_name = _("cycle")
        verbose_name_plural = _("cycles")
        ordering = ["-year", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=2000) & Q(year__lte=2100), name="cycle_year_plausible"
            )
        ]

    def __str__(self) -> str:
        return self.name


class CycleItemKind(models.TextChoices):
    MUST_ANSWER = "must", _("Must-answer item")  # 必答题
    BONUS = "bonus", _("Bonus item")  # 加分题


class CycleItem(models.Model):
    """A must-answer or bonus item every report of the cycle addresses."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("kind"), max_length=8, choices=CycleItemKind.choices)
    text = models.CharField(_("item"), max_length=200)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("report item")
        verbose_name_plural = _("report items")
        ordering = ["cycle", "kind", "order", "id"]

    def __str__(self) -> str:
        return self.text


class SessionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")  # 草稿
    PREPARING = "preparing", _("In preparation")  # 筹备中
    IN_PROGRESS = "in_progress", _("In progress")  # 进行中
    FINISHED = "finished", _("Finished")  # 已结束
    PUBLISHED = "published", _("Published")  # 已发布


class ScreenMode(models.TextChoices):
    ORDER = "order", _("Speaking order")  # between reports
    REPORT = "report", _("Current reporter")
    RESULTS = "results", _("Results")
    BLANK = "blank", _("Blank")


def new_screen_token() -> str:
    return secrets.token_urlsafe(24)


class Session(models.Model):
    """A review meeting (述职评议会) hosted by one committee."""

    cycle = models.ForeignKey(
        Cycle, verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="sessions"
    )
    host = models.ForeignKey(
        Organisation,
        verbose_name=_("host organisation"),
        on_delete=models.PROTECT,
        related_name="hosted_sessions",
    )
    title = models.CharField(_("title"), max_length=160)
    date = models.DateField(_("date"))
    venue = models.CharField(_("venue"), max_length=120, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=SessionStatus.choices, default=SessionStatus.DRAFT
    )
    # The meeting room: what the host console drives and the big screen follows.
    report_minutes = models.PositiveSmallIntegerField(_("minutes to report"), default=5)
    question_minutes = models.PositiveSmallIntegerField(_("minutes for questions"), default=3)
    reveal_one_by_one = models.BooleanField(_("reveal the ranking one row at a time"), default=True)
    current_report = models.ForeignKey(
        "Report",
        verbose_name=_("current reporter"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    screen_mode = models.CharField(
        _("big screen shows"), max_length=12, choices=ScreenMode.choices, default=ScreenMode.ORDER
    )
    revealed_rows = models.PositiveSmallIntegerField(_("ranking rows revealed"), default=0)
    screen_token = models.CharField(max_length=64, unique=True, default=new_screen_token, editable=False)
    # 模拟演练: a dry run of the whole meeting with rehearsal codes, cleared afterwards (scoring/rehearsal/).
    rehearsal = models.BooleanField(_("rehearsal under way"), default=False, editable=False)
    # Bumped by every console action: a console acting on a stale page is refused, not obeyed twice.
    meeting_version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("review session")
        verbose_name_plural = _("review sessions")
        ordering = ["-date", "title"]

    def __str__(self) -> str:
        return self.title


class ReportStage(models.TextChoices):
    PENDING = "pending", _("Waiting")  # 待述职
    REPORTING = "reporting", _("Reporting")  # 述职中
    QUESTIONING = "questioning", _("Questions")  # 质询中
    DONE = "done", _("Finished")  # 已结束


class Report(models.Model):
    """One secretary's slot in a session (述职): order, topic and later the result."""

    session = models.ForeignKey(
        Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="reports"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("party organisation"), on_delete=models.PROTECT, related_name="reports"
    )
    secretary = models.ForeignKey(
        Person,
        verbose_name=_("secretary"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        help_text=_("Leave empty to use the organisation's secretary on the session date."),
    )
    order = models.PositiveSmallIntegerField(_("speaking order"))
    topic = models.CharField(_("assigned topic"), max_length=200, blank=True)
    topic_suggestion = models.ForeignKey(
        "TopicSuggestion",
        verbose_name=_("topic taken from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    stage = models.CharField(
        _("stage"), max_length=12, choices=ReportStage.choices, default=ReportStage.PENDING
    )
    stage_started_at = models.DateTimeField(_("stage started"), null=True, blank=True)

    class Meta:
        verbose_name = _("reporter")
        verbose_name_plural = _("reporters")
        ordering = ["session", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "order"],
                name="report_unique_order",
                violation_error_message=_("Two reporters cannot share one speaking order."),
            ),
            models.UniqueConstraint(
                fields=["session", "organisation"],
                name="report_unique_organisation",
                violation_error_message=_("This organisation already reports in this session."),
            ),
            models.CheckConstraint(condition=Q(order__gte=1), name="report_order_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.organisation}"

    def clean(self) -> None:
        if self.session_id and self.organisation_id:
            host = self.session.host
            if self.organisation_id == host.pk or not self.organisation.is_descendant_of(host):
                raise ValidationError(
                    {
                        "organisation": _(
                            "A reporter must belong to an organisation under the host %(host)s."
                        )
                        % {"host": host}
                    }
                )
