"""The organisation tree, people, their posts (任职) and staff accounts' scope."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from reviews.orgs.subtree import Subtree


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
        return self.filter(path__subtree=root.path)


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


# `path__subtree=prefix` (and `organisation__path__subtree`): the indexed subtree filter.
Organisation._meta.get_field("path").register_lookup(Subtree)


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
