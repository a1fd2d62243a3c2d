"""Shared actors: a county, two townships with villages, their secretaries, staff of each level."""

import datetime

import pytest
from django.contrib.auth.models import User

from reviews.cycles.models import Cycle, Report, Session, SessionStatus
from reviews.orgs import services
from reviews.orgs.models import (
    Appointment,
    Organisation,
    OrganisationKind,
    Person,
    Post,
    Sector,
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
        from reviews.orgs.permissions import staff_group_ensure

        group = staff_group_ensure()
        for user in (self.county_staff, self.shijia_staff, self.liaoyang_staff):
            user.groups.add(group)


@pytest.fixture
def world(db) -> World:
    return World()


@pytest.fixture(autouse=True)
def _default_language():
    """A page requested in English (language cookie) must not leave later tests in English."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Rectified:
    """The world after its meetings: notices issued to 石匣乡, 辽阳镇 (county) and 石匣村 (by 石匣乡).

    Secretaries have logins: 王建国 (石匣乡) `wang`, 李春华 (辽阳镇) `li`, 赵小军 (石匣村) `zhao`.
    Items are issued on ISSUED_ON with deadlines DEADLINE (and DEADLINE + 1 month for the second item).
    """

    ISSUED_ON = datetime.date(2026, 1, 20)
    DEADLINE = datetime.date(2026, 4, 20)

    def __init__(self, world: World):
        from reviews.findings.models import Finding, FindingSource
        from reviews.handover import services as rect
        from reviews.rectification.models import ProblemCategory

        self.world = w = world
        self.wang = User.objects.create_user("wang", password="pw-wang")
        self.li = User.objects.create_user("li", password="pw-li")
        self.zhao = User.objects.create_user("zhao", password="pw-zhao")
        w.shijia_secretary.user = self.wang
        w.shijia_secretary.save()
        w.liaoyang_secretary.user = self.li
        w.liaoyang_secretary.save()
        self.village_secretary = make_secretary(w.shijia_v1, "赵小军")
        self.village_secretary.user = self.zhao
        self.village_secretary.save()
        self.village_report = Report.objects.create(
            session=w.shijia_session, organisation=w.shijia_v1, secretary=self.village_secretary, order=1
        )
        categories = {c.name: c for c in ProblemCategory.objects.all()}
        self.categories = categories

        def finding(org, text, source=FindingSource.SUPERIOR):
            return Finding.objects.create(cycle=w.cycle, organisation=org, source=source, description=text)

        def draft(f, measures, deadline, category):
            return rect.ItemDraft(
                finding=f,
                problem=f.description,
                measures=measures,
                responsible="书记",
                deadline=deadline,
                category=categories[category],
            )

        later = rect.add_months(self.DEADLINE, 1)
        self.shijia_findings = [
            finding(w.shijia, "“三会一课”记录不全，组织生活会流于形式"),
            finding(w.shijia, "村级集体经济增收办法不多", FindingSource.QUESTION),
            finding(w.shijia, "软弱涣散村整顿进度滞后", FindingSource.COMMENT),
        ]
        self.shijia_notice = rect.notice_issue(
            actor=w.county_staff,
            session=w.county_session,
            organisation=w.shijia,
            items=[
                draft(self.shijia_findings[0], "每月检查支部台账，年底前补齐记录", self.DEADLINE, "组织生活"),
                draft(self.shijia_findings[1], "制定集体经济增收计划", later, "集体经济"),
                draft(self.shijia_findings[2], "包村领导驻村督导整顿", self.DEADLINE, "责任落实"),
            ],
            issued_on=self.ISSUED_ON,
        )
        self.liaoyang_findings = [
            finding(w.liaoyang, "党员发展把关不严"),
            finding(w.liaoyang, "组织生活会查摆问题不深", FindingSource.PUBLIC),
        ]
        self.liaoyang_notice = rect.notice_issue(
            actor=w.county_staff,
            session=w.county_session,
            organisation=w.liaoyang,
            items=[
                draft(self.liaoyang_findings[0], "严格执行发展党员25个步骤", self.DEADLINE, "党员队伍"),
                draft(self.liaoyang_findings[1], "重开专题组织生活会", self.DEADLINE, "组织生活"),
            ],
            issued_on=self.ISSUED_ON,
        )
        self.village_finding = finding(w.shijia_v1, "党员活动室长期闲置")
        self.village_notice = rect.notice_issue(
            actor=w.shijia_staff,
            session=w.shijia_session,
            organisation=w.shijia_v1,
            items=[draft(self.village_finding, "每周开放活动室并登记", self.DEADLINE, "阵地建设")],
            issued_on=self.ISSUED_ON,
        )
        self.shijia_items = list(self.shijia_notice.items.order_by("number"))
        self.liaoyang_items = list(self.liaoyang_notice.items.order_by("number"))
        self.village_item = self.village_notice.items.get()


@pytest.fixture
def rectified(world) -> Rectified:
    return Rectified(world)


def run_queued_jobs() -> list:
    """Run every queued background job now, in this process, as a worker would (reviews.jobs.services)."""
    from reviews.jobs import services as jobs_services
    from reviews.jobs.models import Job, JobStatus

    ran = []
    for job_id in (
        Job.objects.filter(status=JobStatus.QUEUED).order_by("created_at").values_list("pk", flat=True)
    ):
        jobs_services.job_run(job_id=job_id)
        ran.append(Job.objects.get(pk=job_id))
    return ran


@pytest.fixture
def run_jobs(settings, tmp_path):
    """`run_jobs()` runs the queued jobs (the slips PDF), progress in tmp_path; deletes their files after."""
    settings.JOBS_PROGRESS_DIR = tmp_path / "progress"
    yield run_queued_jobs
    delete_job_results()


def delete_job_results() -> None:
    """The jobs' files live in the private storage, which is bound once per process: delete the test's."""
    from reviews.jobs.models import Job

    for job in Job.objects.exclude(result=""):
        job.result.storage.delete(job.result.name)


# Chromium through Playwright's sync API (no pytest-playwright): Debian's /usr/bin/chromium, no download.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN", "device_scale_factor": 2}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def new_page(browser):
    """Open a page in a fresh context (own cookies and localStorage); phone-sized unless told otherwise.

    Every page fails its test if Chromium reports a Content-Security-Policy violation (shuzhi/csp.py).
    """
    contexts = []
    violations = []

    def open_page(**options):
        context = browser.new_context(**{**PHONE, **options})
        context.set_default_timeout(5000)
        contexts.append(context)
        opened = context.new_page()
        opened.on(
            "console",
            lambda message: (
                violations.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        return opened

    yield open_page
    for context in contexts:
        context.close()
    assert violations == [], violations
