"""Organisations, people, cycles and sessions of the duty-report review."""

import datetime
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OrganisationKind(models.TextChoices):
    COMMITTEE = "committee", _("Party committee")  # 党委
    WORKING_COMMITTEE = "working_committee", _("Party working committee")  # 党工委
    LEADING_GROUP = "leading_group", _("Party leadership group")  # 党组
    GENERAL_BRANCH = "general_branch", _("General party branch")  # 党总支
    BRANCH = "branch", _("Party branch")  # 党支部


class Sector(models.TextChoices):
    RURAL = "rural", _("Rural")
    COMMUNITY = "community", _("Community")
    ORGAN = "organ", _("Government organ")
    INSTITUTION = "institution", _("Public institution")
    SOE = "soe", _("State-owned enterprise")
    PRIVATE = "private", _("Non-public enterprise")
    SOCIAL = "social", _("Social organisation")
    SCHOOL = "school", _("School")
    HOSPITAL = "hospital", _("Hospital")


class OrganisationQuerySet(models.QuerySet):
    def subtree(self, root: "Organisation") -> "OrganisationQuerySet":
        """The root and all its descendants, in one query at any depth."""
        return self.filter(path__startswith=root.path)


class Organisation(models.Model):
    """A party organisation (党组织); the tree is kept as a materialised path of ids."""

    PATH_SEPARATOR = "/"
    PATH_DIGITS = 8

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=OrganisationKind.choices)
    sector = models.CharField(_("sector"), max_length=16, choices=Sector.choices, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    # "/00000001/00000005/": ids from the root down, so a subtree is one prefix query.
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("party organisation")
        verbose_name_plural = _("party organisations")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="organisation_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    def is_descendant_of(self, other: "Organisation") -> bool:
        return bool(other.path) and self.path.startswith(other.path)

    def clean(self) -> None:
        if self.parent_id and self.pk:
            if self.parent_id == self.pk:
                raise ValidationError({"parent": _("An organisation cannot be its own parent.")})
            if self.parent.is_descendant_of(self):
                raise ValidationError(
                    {"parent": _("The parent cannot be one of this organisation's descendants.")}
                )

    def computed_path(self) -> str:
        # Zero-padded ids keep siblings in creation order when the list is sorted by path.
        prefix = self.parent.path if self.parent_id else self.PATH_SEPARATOR
        return f"{prefix}{self.pk:0{self.PATH_DIGITS}d}{self.PATH_SEPARATOR}"

    def ancestor_ids(self) -> list[int]:
        return [
            int(part) for part in self.path.strip(self.PATH_SEPARATOR).split(self.PATH_SEPARATOR) if part
        ][:-1]


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Person(models.Model):
    """A person (人员); a secretary is a person holding the secretary post of an organisation."""

    name = models.CharField(_("name"), max_length=40)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Post(models.TextChoices):
    SECRETARY = "secretary", _("Secretary")
    DEPUTY_SECRETARY = "deputy_secretary", _("Deputy secretary")
    MEMBER = "member", _("Committee member")


class AppointmentQuerySet(models.QuerySet):
    def on(self, day: datetime.date) -> "AppointmentQuerySet":
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=day), start_date__lte=day)

    def secretaries(self) -> "AppointmentQuerySet":
        return self.filter(post=Post.SECRETARY)


class Appointment(models.Model):
    """A person holding a post of an organisation for a period (任职); end_date empty = still in post."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="appointments"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("party organisation"),
        on_delete=models.CASCADE,
        related_name="appointments",
    )
    post = models.CharField(_("post"), max_length=20, choices=Post.choices, default=Post.SECRETARY)
    title = models.CharField(_("position"), max_length=80, blank=True)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["organisation__path", "-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="appointment_ends_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.get_post_display()} {self.person}"

    def overlapping_secretaries(self) -> AppointmentQuerySet:
        """Other secretary appointments of the same organisation whose period meets this one."""
        others = Appointment.objects.secretaries().filter(organisation_id=self.organisation_id)
        if self.pk:
            others = others.exclude(pk=self.pk)
        others = others.filter(Q(end_date__isnull=True) | Q(end_date__gte=self.start_date))
        if self.end_date:
            others = others.filter(start_date__lte=self.end_date)
        return others

    def clean(self) -> None:
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date cannot be before the start date.")})
        if self.post == Post.SECRETARY and self.organisation_id and self.start_date:
            clash = self.overlapping_secretaries().select_related("person").first()
            if clash:
                raise ValidationError(
                    _(
                        "%(org)s already has a secretary, %(person)s, from %(start)s; "
                        "two secretaries of one organisation cannot overlap."
                    )
                    % {"org": self.organisation, "person": clash.person, "start": clash.start_date}
                )


def secretary_on(organisation: Organisation, day: datetime.date) -> Person | None:
    """Who was the secretary of this organisation on this day."""
    appointment = (
        Appointment.objects.secretaries()
        .on(day)
        .filter(organisation=organisation)
        .select_related("person")
        .order_by("-start_date")
        .first()
    )
    return appointment.person if appointment else None


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


class StaffProfile(models.Model):
    """The organisation a staff account works for; it sees and manages that subtree only."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="staff_profile",
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="staff"
    )

    class Meta:
        verbose_name = _("staff scope")
        verbose_name_plural = _("staff scopes")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"


class AuditEvent(models.Model):
    """Who changed what, when: written by the services, read-only in the admin."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    action = models.CharField(_("action"), max_length=48)
    object_type = models.CharField(_("object type"), max_length=48)
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("party organisation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"


def private_storage():
    """Uploaded drafts and evidence live outside the web root; views check who may read them."""
    from django.core.files.storage import FileSystemStorage

    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


class AskerRole(models.TextChoices):
    PARTY_MEMBER = "party_member", _("Party-member representative")  # 党员代表
    PUBLIC = "public", _("Public representative")  # 群众代表
    LEADER = "leader", _("Leader")  # 领导
    OTHER = "other", _("Other")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")  # 满意
    FAIRLY = "fairly", _("Fairly satisfied")  # 基本满意
    UNSATISFIED = "unsatisfied", _("Not satisfied")  # 不满意


class Question(models.Model):
    """现场质询: a delegate's question on the spot and the reporter's answer."""

    report = models.ForeignKey(
        Report, verbose_name=_("reporter"), on_delete=models.CASCADE, related_name="questions"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    asker_role = models.CharField(
        _("asker"), max_length=16, choices=AskerRole.choices, default=AskerRole.PARTY_MEMBER
    )
    asker_name = models.CharField(_("asker's name"), max_length=40, blank=True)
    question = models.TextField(_("question"), blank=True)
    answer = models.TextField(_("answer"), blank=True)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True
    )
    handed_over = models.BooleanField(_("handed over"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("on-the-spot question")
        verbose_name_plural = _("on-the-spot questions")
        ordering = ["report", "order", "id"]

    def __str__(self) -> str:
        return self.question[:40]


class Comment(models.Model):
    """点评: the leader's comment on one report."""

    report = models.ForeignKey(
        Report, verbose_name=_("reporter"), on_delete=models.CASCADE, related_name="comments"
    )
    commenter = models.CharField(_("commented by"), max_length=40, blank=True)
    text = models.TextField(_("comment"), blank=True)
    handed_over = models.BooleanField(_("handed over"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["report", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class FindingSource(models.TextChoices):
    SELF_CHECK = "self_check", _("Found by the organisation itself")  # 自己查
    SUPERIOR = "superior", _("Found by the superior committee")  # 上级找
    PUBLIC = "public", _("Raised by the public")  # 群众提
    QUESTION = "question", _("On-the-spot question")  # 现场质询
    COMMENT = "comment", _("Leader's comment")  # 点评
    INSPECTION = "inspection", _("Inspection tour")  # 巡视巡察


class Finding(models.Model):
    """问题: a problem recorded against an organisation for the cycle; rectification items come from these."""

    cycle = models.ForeignKey(
        Cycle, verbose_name=_("cycle"), on_delete=models.PROTECT, related_name="findings"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("party organisation"), on_delete=models.PROTECT, related_name="findings"
    )
    source = models.CharField(_("source"), max_length=12, choices=FindingSource.choices)
    description = models.TextField(_("problem"))
    report = models.ForeignKey(
        Report,
        verbose_name=_("reporter"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="findings",
    )
    question = models.OneToOneField(
        Question, on_delete=models.SET_NULL, null=True, blank=True, related_name="finding"
    )
    comment = models.OneToOneField(
        Comment, on_delete=models.SET_NULL, null=True, blank=True, related_name="finding"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    evidence = models.FileField(
        _("evidence"), upload_to="evidence/%Y/%m/", storage=private_storage, blank=True, max_length=200
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["organisation__path", "-created_at"]

    def __str__(self) -> str:
        return self.description[:40]


# ---------------------------------------------------------------------------------------------------
# Before the meeting: topics (点题), report drafts through a review chain


def new_call_token() -> str:
    return secrets.token_urlsafe(16)


class TopicCall(models.Model):
    """A session's call for topics: an unguessable public link, open or closed."""

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="topic_call")
    token = models.CharField(max_length=40, unique=True, default=new_call_token, editable=False)
    is_open = models.BooleanField(_("open"), default=True)
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)

    class Meta:
        verbose_name = _("call for topics")
        verbose_name_plural = _("calls for topics")

    def __str__(self) -> str:
        return str(self.session)


class TopicCategory(models.Model):
    """A class of suggestions (集体经济, 基层治理, 党员管理 …); editable by staff."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("topic category")
        verbose_name_plural = _("topic categories")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class SuggestionSource(models.TextChoices):
    PARTY_MEMBER = "party_member", _("Party member")  # 党员
    PUBLIC = "public", _("Member of the public")  # 群众
    SUPERIOR = "superior", _("Superior committee")  # 上级
    OTHER = "other", _("Other")  # 其他


class TopicSuggestion(models.Model):
    """点题建议: a topic proposed for an organisation's report (or for the whole session)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="topic_suggestions")
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("party organisation"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="topic_suggestions",
        help_text=_("Empty: for the whole session."),
    )
    text = models.TextField(_("suggested topic"))
    source = models.CharField(_("proposed by"), max_length=16, choices=SuggestionSource.choices)
    name = models.CharField(_("name"), max_length=40, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    category = models.ForeignKey(
        TopicCategory, verbose_name=_("category"), on_delete=models.SET_NULL, null=True, blank=True
    )
    supporters = models.PositiveIntegerField(_("people raising it"), default=1)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged",
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("topic suggestion")
        verbose_name_plural = _("topic suggestions")
        ordering = ["session", "-supporters", "created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(supporters__gte=1), name="suggestion_supporters_positive")
        ]

    def __str__(self) -> str:
        return self.text[:40]


class ReviewStep(models.Model):
    """One step of a cycle's draft review chain (党建科室负责人 → 分管副部长 → 组织部长 → 书记)."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="review_steps")
    order = models.PositiveSmallIntegerField(_("order"))
    title = models.CharField(_("step"), max_length=40)
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewers"), blank=True, related_name="review_steps"
    )

    class Meta:
        verbose_name = _("review step")
        verbose_name_plural = _("review chain")
        ordering = ["cycle", "order"]
        constraints = [models.UniqueConstraint(fields=["cycle", "order"], name="review_step_unique_order")]

    def __str__(self) -> str:
        return self.title


class DraftStatus(models.TextChoices):
    WRITING = "writing", _("Being written")  # 撰写中
    IN_REVIEW = "in_review", _("In review")  # 审核中
    RETURNED = "returned", _("Returned")  # 退回修改
    APPROVED = "approved", _("Approved")  # 审核通过


class Draft(models.Model):
    """述职报告: one version of a secretary's report draft; every version is kept."""

    report = models.ForeignKey(
        Report, verbose_name=_("reporter"), on_delete=models.CASCADE, related_name="drafts"
    )
    version = models.PositiveSmallIntegerField(_("version"))
    text = models.TextField(_("report text"), blank=True)
    file = models.FileField(
        _("report file"), upload_to="drafts/%Y/", storage=private_storage, blank=True, max_length=200
    )
    # Must-answer and bonus items answered: {cycle item id: where the draft answers it}.
    item_answers = models.JSONField(_("items answered"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=DraftStatus.choices, default=DraftStatus.WRITING
    )
    current_step = models.ForeignKey(
        ReviewStep,
        verbose_name=_("waiting at"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("report draft")
        verbose_name_plural = _("report drafts")
        ordering = ["report", "-version"]
        constraints = [models.UniqueConstraint(fields=["report", "version"], name="draft_unique_version")]

    def __str__(self) -> str:
        return f"{self.report} v{self.version}"


class ReviewDecision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    RETURN = "return", _("Return for changes")


class DraftReview(models.Model):
    """One reviewer's decision on a draft at one step of the chain."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="reviews")
    step = models.ForeignKey(ReviewStep, verbose_name=_("step"), on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(_("decision"), max_length=8, choices=ReviewDecision.choices)
    comment = models.TextField(_("comments"), blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("draft review")
        verbose_name_plural = _("draft reviews")
        ordering = ["draft", "at"]

    def __str__(self) -> str:
        return f"{self.draft} {self.step}: {self.decision}"


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
        indexes = [models.Index(fields=["cycle", "status", "deadline"], name="rectification_cycle_status")]

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
