"""Problems found (问题) before or in the meeting, with their evidence."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from reviews.cycles.models import Cycle, Report
from reviews.meeting.models import Comment, Question
from reviews.orgs.models import Organisation
from reviews.uploads import private_storage


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
