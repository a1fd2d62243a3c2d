"""Shared actors: a county, two townships with villages, their secretaries, staff of each level."""

import datetime

import pytest
from django.contrib.auth.models import User

from reviews import services
from reviews.models import (
    Appointment,
    Cycle,
    Organisation,
    OrganisationKind,
    Person,
    Post,
    Report,
    Sector,
    Session,
    SessionStatus,
    StaffProfile,
)

SESSION_DATE = datetime.date(2026, 1, 16)


def make_org(code: str, name: str, parent: Organisation | None = None, **extra) -> Organisation:
    org = Organisation(
        code=code, name=name, parent=parent, kind=extra.pop("kind", OrganisationKind.BRANCH), **extra
    )
    return services.organisation_save(actor=None, organisation=org)


def make_secretary(org: Organisation, name: str, start=datetime.date(2021, 1, 1), end=None) -> Person:
    person = Person.objects.create(name=name, gender="M")
    Appointment.objects.create(
        person=person, organisation=org, post=Post.SECRETARY, start_date=start, end_date=end
    )
    return person


def make_staff(username: str, org: Organisation | None, superuser: bool = False) -> User:
    user = User.objects.create_user(
        username, password="pw-" + username, is_staff=True, is_superuser=superuser
    )
    if org is not None:
        StaffProfile.objects.create(user=user, organisation=org)
    return user


class World:
    """A small county: 示范县委 → 石匣乡党委, 辽阳镇党委 → two villages each."""

    def __init__(self):
        self.county = make_org("C01", "中共示范县委员会", kind=OrganisationKind.COMMITTEE)
        self.shijia = make_org("T01", "中共石匣乡委员会", self.county, kind=OrganisationKind.COMMITTEE)
        self.liaoyang = make_org("T02", "中共辽阳镇委员会", self.county, kind=OrganisationKind.COMMITTEE)
        self.shijia_v1 = make_org("T01V01", "石匣村党支部", self.shijia, sector=Sector.RURAL)
        self.shijia_v2 = make_org("T01V02", "东庄村党支部", self.shijia, sector=Sector.RURAL)
        self.liaoyang_v1 = make_org("T02V01", "辽阳社区党支部", self.liaoyang, sector=Sector.COMMUNITY)
        self.liaoyang_v2 = make_org("T02V02", "西沟村党支部", self.liaoyang, sector=Sector.RURAL)
        self.shijia_secretary = make_secretary(self.shijia, "王建国")
        self.liaoyang_secretary = make_secretary(self.liaoyang, "李春华")
        self.cycle = Cycle.objects.create(year=2025, name="2025年度抓基层党建工作述职评议")
        self.county_session = Session.objects.create(
            cycle=self.cycle,
            host=self.county,
            title="2025年度乡镇党委书记抓基层党建工作述职评议会",
            date=SESSION_DATE,
            venue="县委第一会议室",
            status=SessionStatus.PREPARING,
        )
        self.county_reports = [
            Report.objects.create(session=self.county_session, organisation=org, secretary=sec, order=i)
            for i, (org, sec) in enumerate(
                [(self.shijia, self.shijia_secretary), (self.liaoyang, self.liaoyang_secretary)], start=1
            )
        ]
        self.shijia_session = Session.objects.create(
            cycle=self.cycle,
            host=self.shijia,
            title="石匣乡村党组织书记述职评议会",
            date=SESSION_DATE,
            status=SessionStatus.DRAFT,
        )
        self.liaoyang_session = Session.objects.create(
            cycle=self.cycle,
            host=self.liaoyang,
            title="辽阳镇村党组织书记述职评议会",
            date=SESSION_DATE,
            status=SessionStatus.DRAFT,
        )
        self.superuser = make_staff("root", None, superuser=True)
        self.county_staff = make_staff("county", self.county)
        self.shijia_staff = make_staff("shijia", self.shijia)
        self.liaoyang_staff = make_staff("liaoyang", self.liaoyang)
        from reviews.permissions import staff_group_ensure

        group = staff_group_ensure()
        for user in (self.county_staff, self.shijia_staff, self.liaoyang_staff):
            user.groups.add(group)


@pytest.fixture
def world(db) -> World:
    return World()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
