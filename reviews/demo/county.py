"""Demo data: a fictional county (示范县) with its townships, villages and secretaries, one cycle,
two review sessions and three logins. Long because it is data (names, places), not logic.

Everything here is made up. Township names are borrowed from the public articles in the domain
notes; every person's name is generated from common surnames and given-name characters and
checked against the real people named in those articles (FORBIDDEN_NAMES).

`demo_seed()` is idempotent: it looks things up by their natural keys (organisation code, cycle
name, session title + host, secretary name + organisation + start date, username) and only
creates what is missing; it never changes or deletes an existing row. The plan it applies is
built from the constants below with `random.Random(DEMO_RANDOM_SEED)`, so every run is identical.
"""

from __future__ import annotations

import datetime
import functools
import random
from dataclasses import dataclass, field, fields

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from reviews.cycles.models import Cycle, CycleItem, CycleItemKind, Report, Session, SessionStatus
from reviews.orgs import services
from reviews.orgs.models import (
    Appointment,
    Gender,
    Organisation,
    OrganisationKind,
    Person,
    Post,
    Sector,
    StaffProfile,
)
from reviews.orgs.permissions import staff_group_ensure

DEMO_RANDOM_SEED = 2025

# --- Organisations ------------------------------------------------------------------------------

COUNTY_CODE = "C"
COUNTY_NAME = "中共示范县委员会"
COUNTY_SHORT_NAME = "示范县委"

# The first seven are named in the domain notes (001: 石匣、辽阳、羊角、拐儿; 000/001: 麻田、芹泉、龙泉);
# the rest are invented. T01 is always 石匣乡 (it hosts the second demo session).
TOWNSHIPS = (
    "石匣乡",
    "辽阳镇",
    "羊角乡",
    "拐儿镇",
    "麻田镇",
    "芹泉镇",
    "龙泉乡",
    "桐峪镇",
    "上遥镇",
    "寒王乡",
    "柳沟乡",
    "南关镇",
    "安乐乡",
    "清河镇",
    "白石乡",
    "双峰镇",
    "杨庄乡",
    "桃园镇",
    "马鞍乡",
)

# Villages named in the domain notes, placed in a township of the demo county.
KNOWN_VILLAGES = {
    "辽阳镇": ("东沟村", "殷家庄村"),
    "石匣乡": ("上会村",),
    "麻田镇": ("旧寨村",),
}

VILLAGE_PREFIXES = (
    "东", "西", "南", "北", "前", "后", "上", "下", "大", "小", "新", "老", "高", "中",
    "王家", "李家", "张家", "赵家", "刘家", "马家", "杨家", "郭家", "石", "柳", "杏", "枣",
    "桃", "梨", "槐", "榆", "松", "柏", "黄", "青", "白", "红", "金", "龙", "凤", "虎",
)  # fmt: skip
VILLAGE_SUFFIXES = (
    "庄", "沟", "河", "峪", "坡", "岭", "寨", "湾", "营", "堡", "坪", "铺", "窑", "庙",
    "头", "口", "泉", "店", "峧", "垴", "圪塔", "家岭", "树坪", "水峪",
)  # fmt: skip
COMMUNITY_NAMES = (
    "新华", "和平", "幸福", "建设", "朝阳", "东关", "西关", "南街", "北街", "滨河", "育才", "文化",
)  # fmt: skip

VILLAGES_PER_TOWNSHIP = (5, 15)
GENERAL_BRANCH_SHARE = {Sector.RURAL: 0.15, Sector.COMMUNITY: 0.3}

# County-level branches outside the townships: (code, name, short name, kind, sector, secretary's title).
COUNTY_BRANCHES = (
    (
        "C-O01",
        "中共示范县委组织部机关支部委员会",
        "县委组织部机关党支部",
        OrganisationKind.BRANCH,
        Sector.ORGAN,
        "县委组织部副部长、机关党支部书记",
    ),
    (
        "C-O02",
        "中共示范县第一中学支部委员会",
        "县第一中学党支部",
        OrganisationKind.BRANCH,
        Sector.SCHOOL,
        "县第一中学党支部书记",
    ),
    (
        "C-O03",
        "中共示范县人民医院总支部委员会",
        "县人民医院党总支",
        OrganisationKind.GENERAL_BRANCH,
        Sector.HOSPITAL,
        "县人民医院党总支书记",
    ),
    (
        "C-O04",
        "中共示范县恒远农业科技有限公司支部委员会",
        "恒远科技公司党支部",
        OrganisationKind.BRANCH,
        Sector.PRIVATE,
        "恒远科技公司党支部书记、副总经理",
    ),
    (
        "C-O05",
        "中共示范县社会工作协会支部委员会",
        "县社会工作协会党支部",
        OrganisationKind.BRANCH,
        Sector.SOCIAL,
        "县社会工作协会党支部书记、秘书长",
    ),
    (
        "C-O06",
        "中共示范县水务投资有限公司支部委员会",
        "县水务投资公司党支部",
        OrganisationKind.BRANCH,
        Sector.SOE,
        "县水务投资公司党支部书记、董事长",
    ),
)

# Organisations whose secretary changed: the earlier one has an end date, so "who was the
# secretary on date D" has an answer that differs from today's.
HANDOVER_CODES = ("T03", "T08", "T15", "T01V02", "T02V03", "C-O02")

# --- People -------------------------------------------------------------------------------------

# Real people named in the domain notes (/work/shared/domain, simplified and traditional forms),
# plus national leaders: no generated name may contain any of these.
FORBIDDEN_NAMES = (
    # 000: the county meeting
    "宋云文", "杨先平", "陈寿林", "郭南洲", "张阳", "刘祖欣", "魏邦发", "汤菊华", "章绍军", "祁圣波",
    "翦鹰", "唐海芳", "汤平", "王苠睿", "皮丕新", "胡盛勇", "周海云", "李长春", "张猛", "唐碧山",
    "张志强", "杜德军",
    # 001: the observation speech
    "张占伟", "王瑛", "张爱如", "郝云伟", "药泽勇", "芦淑红", "杜峰",
    # 002: Haiyan county
    "吴雪红", "吳雪紅", "奕国华", "奕國華", "汪永照", "张胜民", "張勝民", "姜菊红", "姜菊紅",
    "彦祖轩", "彥祖軒", "谢倩", "謝倩", "闫妍", "閆妍",
    # 004: Tianjin
    "孟若冰", "赵宇",
    # national leaders
    "习近平", "李克强", "李强", "赵乐际", "王沪宁", "蔡奇", "丁薛祥", "李希", "韩正", "胡锦涛",
    "温家宝", "江泽民", "王岐山", "汪洋", "栗战书", "张国清", "刘国中", "何立峰", "陈文清", "王小洪",
    "李书磊", "石泰峰", "尹力", "陈敏尔", "袁家军", "黄坤明", "马兴瑞", "李干杰", "张又侠",
)  # fmt: skip

SURNAMES = (
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高",
    "林", "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "程",
    "曹", "袁", "邓", "许", "沈", "彭", "吕", "苏", "卢", "蒋", "蔡", "贾", "丁", "魏", "薛",
    "叶", "阎", "潘", "杜", "戴", "夏", "田", "任", "姜", "范", "方", "石", "姚", "谭", "郝",
    "孔", "白", "崔", "康", "秦", "史", "侯", "孟", "段", "武", "乔", "贺", "牛", "温", "申",
)  # fmt: skip
# Two-character given names of the generation now in post (born 1965–1990).
GIVEN_MALE = (
    "建国", "建军", "建华", "建平", "志刚", "志勇", "志明", "海军", "海涛", "海波", "卫东", "卫国",
    "卫华", "永红", "永强", "永生", "永明", "国庆", "国强", "国华", "国平", "国栋", "文斌", "文华",
    "文明", "晓东", "晓明", "晓峰", "晓军", "红军", "红兵", "德明", "德华", "德胜", "明亮", "明辉",
    "俊杰", "俊峰", "振华", "振国", "宏伟", "宏亮", "庆丰", "庆林", "利民", "春生", "春明", "光明",
    "光辉", "新民", "林涛", "保国", "保平", "福林", "福生", "世杰", "学文", "学军", "兴旺", "云峰",
    "长青", "守义", "金山", "宝山", "旭东", "鹏飞", "立新", "向东", "军平", "跃进", "树林", "增光",
)  # fmt: skip
GIVEN_FEMALE = (
    "秀兰", "秀英", "秀梅", "秀芳", "丽娟", "丽华", "丽萍", "丽霞", "晓燕", "晓丽", "晓红", "晓梅",
    "红梅", "红霞", "红英", "玉兰", "玉梅", "玉霞", "春梅", "春燕", "桂英", "桂兰", "桂芳", "海燕",
    "海霞", "雪梅", "艳红", "艳丽", "艳芳", "慧敏", "慧娟", "淑英", "淑芬", "淑珍", "美玲", "美华",
    "凤英", "凤兰", "翠萍", "彩霞", "文静", "亚楠", "利萍", "建英", "小燕", "爱华",
)  # fmt: skip
FEMALE_SHARE = {"county": 0.0, "township": 0.15, "village": 0.25, "branch": 0.4}

# --- The year and its sessions ------------------------------------------------------------------

CYCLE_YEAR = 2025
CYCLE_NAME = "2025年度抓基层党建工作述职评议"
MUST_ANSWER_ITEMS = (
    "落实全面从严治党主体责任情况",
    "抓党建促乡村振兴情况",
    "班子配备和党员队伍建设情况",
    "巡视巡察反馈问题整改情况",
    "上年度述职评议问题整改情况",
)
BONUS_ITEMS = (
    "党建工作创新举措",
    "基层治理特色亮点",
    "提升组织力、服务群众能力建设的经验做法",
)


@dataclass(frozen=True)
class SessionSpec:
    host_code: str
    title: str
    date: datetime.date
    venue: str
    status: str


COUNTY_SESSION = SessionSpec(
    host_code=COUNTY_CODE,
    title="2025年度乡镇党委书记抓基层党建工作述职评议会",
    date=datetime.date(2026, 1, 16),
    venue="县委第一会议室",
    status=SessionStatus.PREPARING,
)
SHIJIA_SESSION = SessionSpec(
    host_code="T01",
    title="石匣乡2025年度村党组织书记抓基层党建工作述职评议会",
    date=datetime.date(2026, 1, 10),
    venue="乡政府三楼会议室",
    status=SessionStatus.PREPARING,
)
SESSIONS = (COUNTY_SESSION, SHIJIA_SESSION)

# --- Logins -------------------------------------------------------------------------------------

DEMO_PASSWORD = "shuzhi-demo"
ADMIN_PASSWORD = "shuzhi-admin"


@dataclass(frozen=True)
class UserSpec:
    username: str
    password: str
    first_name: str = ""
    last_name: str = ""
    superuser: bool = False
    scope_code: str | None = None  # StaffProfile organisation; None for the superuser


USERS = (
    UserSpec("demo", DEMO_PASSWORD, first_name="组织部", last_name="演示", scope_code=COUNTY_CODE),
    UserSpec("shijia", DEMO_PASSWORD, first_name="石匣乡", last_name="演示", scope_code="T01"),
    UserSpec("admin", ADMIN_PASSWORD, superuser=True),
)

# --- The plan: pure data built from the constants -----------------------------------------------


@dataclass(frozen=True)
class OrgSpec:
    code: str
    name: str
    short_name: str
    kind: str
    sector: str
    parent_code: str | None


@dataclass(frozen=True)
class SecretarySpec:
    org_code: str
    name: str
    gender: str
    title: str
    start: datetime.date
    end: datetime.date | None = None


@dataclass(frozen=True)
class DemoPlan:
    organisations: tuple[OrgSpec, ...]  # parents before children
    secretaries: tuple[SecretarySpec, ...]

    def children_of(self, code: str) -> list[OrgSpec]:
        return [org for org in self.organisations if org.parent_code == code]


def _is_forbidden(name: str) -> bool:
    return any(real in name for real in FORBIDDEN_NAMES)


class _NameMaker:
    """Unique three-character names (surname + two-character given name), never a real one."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def make(self, share_female: float) -> tuple[str, str]:
        gender = Gender.FEMALE if self.rng.random() < share_female else Gender.MALE
        given = GIVEN_FEMALE if gender == Gender.FEMALE else GIVEN_MALE
        while True:
            name = self.rng.choice(SURNAMES) + self.rng.choice(given)
            if name not in self.used and not _is_forbidden(name):
                self.used.add(name)
                return name, gender


def _random_date(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randint(0, (last - first).days))


def _village_names(rng: random.Random, township: str, count: int, taken: set[str]) -> list[tuple[str, str]]:
    """(name, sector) for a township's villages and communities, unique in the county."""
    stem = township[:-1]
    found: list[tuple[str, str]] = []

    def add(name: str, sector: str) -> None:
        if name not in taken and len(found) < count:
            taken.add(name)
            found.append((name, sector))

    if township.endswith("镇"):
        add(f"{stem}社区", Sector.COMMUNITY)
        if rng.random() < 0.5:
            add(f"{rng.choice(COMMUNITY_NAMES)}社区", Sector.COMMUNITY)
    else:
        add(f"{stem}村", Sector.RURAL)
    for known in KNOWN_VILLAGES.get(township, ()):
        add(known, Sector.RURAL)
    while len(found) < count:
        prefix, suffix = rng.choice(VILLAGE_PREFIXES), rng.choice(VILLAGE_SUFFIXES)
        if not (prefix.endswith("家") and suffix.startswith("家")):  # no 王家家岭
            add(f"{prefix}{suffix}村", Sector.RURAL)
    return found


@functools.cache
def demo_plan() -> DemoPlan:
    """The whole demo county as plain data; identical on every call and every machine."""
    rng = random.Random(DEMO_RANDOM_SEED)
    names = _NameMaker(rng)
    orgs: list[OrgSpec] = []
    secretaries: list[SecretarySpec] = []

    def appoint(org: OrgSpec, title: str, share_female: float, start: datetime.date) -> None:
        if org.code in HANDOVER_CODES:
            start = _random_date(rng, datetime.date(2022, 3, 1), datetime.date(2024, 10, 31))
            past_start = _random_date(rng, datetime.date(2016, 1, 1), datetime.date(2019, 12, 31))
            past_name, past_gender = names.make(share_female)
            secretaries.append(
                SecretarySpec(
                    org.code,
                    past_name,
                    past_gender,
                    title,
                    past_start,
                    start - datetime.timedelta(days=1),
                )
            )
        name, gender = names.make(share_female)
        secretaries.append(SecretarySpec(org.code, name, gender, title, start))

    def some_start() -> datetime.date:
        return _random_date(rng, datetime.date(2019, 1, 1), datetime.date(2024, 12, 31))

    county = OrgSpec(COUNTY_CODE, COUNTY_NAME, COUNTY_SHORT_NAME, OrganisationKind.COMMITTEE, "", None)
    orgs.append(county)
    appoint(county, "示范县委书记", FEMALE_SHARE["county"], datetime.date(2021, 6, 18))

    taken: set[str] = set()
    for number, township in enumerate(TOWNSHIPS, start=1):
        code = f"T{number:02d}"
        org = OrgSpec(
            code, f"中共{township}委员会", f"{township}党委", OrganisationKind.COMMITTEE, "", COUNTY_CODE
        )
        orgs.append(org)
        appoint(org, f"{township}党委书记", FEMALE_SHARE["township"], some_start())
        count = rng.randint(*VILLAGES_PER_TOWNSHIP)
        for index, (village, sector) in enumerate(_village_names(rng, township, count, taken), start=1):
            general = rng.random() < GENERAL_BRANCH_SHARE[sector]
            kind = OrganisationKind.GENERAL_BRANCH if general else OrganisationKind.BRANCH
            formal, short = ("总支部委员会", "党总支") if general else ("支部委员会", "党支部")
            child = OrgSpec(
                f"{code}V{index:02d}",
                f"中共{township}{village}{formal}",
                f"{village}{short}",
                kind,
                sector,
                code,
            )
            orgs.append(child)
            if sector == Sector.COMMUNITY:
                title = f"{village}{short}书记、居委会主任"
            elif rng.random() < 0.85:  # most village secretaries also chair the village committee
                title = f"{village}{short}书记、村委会主任"
            else:
                title = f"{village}{short}书记"
            # Most village secretaries took office at the 2021 village elections.
            if rng.random() < 0.6:
                start = _random_date(rng, datetime.date(2021, 1, 5), datetime.date(2021, 3, 31))
            else:
                start = some_start()
            appoint(child, title, FEMALE_SHARE["village"], start)

    for code, name, short, kind, sector, title in COUNTY_BRANCHES:
        org = OrgSpec(code, name, short, kind, sector, COUNTY_CODE)
        orgs.append(org)
        appoint(org, title, FEMALE_SHARE["branch"], some_start())

    return DemoPlan(tuple(orgs), tuple(secretaries))


# --- Applying the plan --------------------------------------------------------------------------


@dataclass
class Tally:
    created: int = 0
    existing: int = 0
    skipped: int = 0  # left out because data already there would clash with it

    @property
    def total(self) -> int:
        return self.created + self.existing


@dataclass
class DemoSummary:
    organisations: Tally = field(default_factory=Tally)
    secretaries: Tally = field(default_factory=Tally)  # a person and their secretary appointment
    cycles: Tally = field(default_factory=Tally)
    cycle_items: Tally = field(default_factory=Tally)
    sessions: Tally = field(default_factory=Tally)
    reports: Tally = field(default_factory=Tally)
    users: Tally = field(default_factory=Tally)

    @property
    def created(self) -> int:
        return sum(getattr(self, f.name).created for f in fields(self))

    def lines(self) -> list[str]:
        labels = {
            "organisations": _("Party organisations"),
            "secretaries": _("Secretaries (appointments)"),
            "cycles": _("Cycles"),
            "cycle_items": _("Report items"),
            "sessions": _("Review sessions"),
            "reports": _("Reporters"),
            "users": _("Logins"),
        }
        out = []
        for name, label in labels.items():
            tally = getattr(self, name)
            line = _("%(label)s: %(created)d created, %(existing)d already there") % {
                "label": label,
                "created": tally.created,
                "existing": tally.existing,
            }
            if tally.skipped:
                line += _(", %(skipped)d left out (clashing data)") % {"skipped": tally.skipped}
            out.append(line)
        return out


def _seed_organisations(plan: DemoPlan, tally: Tally) -> dict[str, Organisation]:
    codes = [spec.code for spec in plan.organisations]
    by_code = Organisation.objects.in_bulk(codes, field_name="code")
    tally.existing = len(by_code)
    for spec in plan.organisations:
        if spec.code in by_code:
            continue
        org = Organisation(
            code=spec.code,
            name=spec.name,
            short_name=spec.short_name,
            kind=spec.kind,
            sector=spec.sector,
            parent=by_code[spec.parent_code] if spec.parent_code else None,
        )
        by_code[spec.code] = services.organisation_save(actor=None, organisation=org)
        tally.created += 1
    return by_code


def _overlaps(a_start, a_end, b_start, b_end) -> bool:
    return (a_end is None or b_start <= a_end) and (b_end is None or a_start <= b_end)


def _seed_secretaries(plan: DemoPlan, orgs: dict[str, Organisation], tally: Tally) -> None:
    existing = list(
        Appointment.objects.secretaries()
        .filter(organisation__in=orgs.values())
        .values_list("organisation_id", "person__name", "start_date", "end_date")
    )
    keys = {(org_id, name, start) for org_id, name, start, _end in existing}
    periods: dict[int, list[tuple]] = {}
    for org_id, _name, start, end in existing:
        periods.setdefault(org_id, []).append((start, end))

    to_create: list[tuple[Person, SecretarySpec, Organisation]] = []
    for spec in plan.secretaries:
        org = orgs[spec.org_code]
        if (org.pk, spec.name, spec.start) in keys:
            tally.existing += 1
        elif any(_overlaps(spec.start, spec.end, s, e) for s, e in periods.get(org.pk, ())):
            tally.skipped += 1  # someone else holds the post in that period: leave it alone
        else:
            to_create.append((Person(name=spec.name, gender=spec.gender), spec, org))
    if not to_create:
        return
    people = Person.objects.bulk_create([person for person, _spec, _org in to_create])
    Appointment.objects.bulk_create(
        Appointment(
            person=person,
            organisation=org,
            post=Post.SECRETARY,
            title=spec.title,
            start_date=spec.start,
            end_date=spec.end,
        )
        for person, (_p, spec, org) in zip(people, to_create, strict=True)
    )
    tally.created += len(to_create)


def _seed_cycle(summary: DemoSummary) -> Cycle:
    cycle = Cycle.objects.filter(name=CYCLE_NAME).first()
    if cycle is None:
        cycle = Cycle.objects.create(year=CYCLE_YEAR, name=CYCLE_NAME)
        summary.cycles.created += 1
    else:
        summary.cycles.existing += 1
    have = set(cycle.items.values_list("kind", "text"))
    wanted = [(CycleItemKind.MUST_ANSWER, text, n) for n, text in enumerate(MUST_ANSWER_ITEMS, start=1)]
    wanted += [(CycleItemKind.BONUS, text, n) for n, text in enumerate(BONUS_ITEMS, start=1)]
    new = [CycleItem(cycle=cycle, kind=k, text=t, order=n) for k, t, n in wanted if (k, t) not in have]
    CycleItem.objects.bulk_create(new)
    summary.cycle_items.created += len(new)
    summary.cycle_items.existing += len(wanted) - len(new)
    return cycle


def reporter_codes(plan: DemoPlan, spec: SessionSpec) -> list[str]:
    """The host's direct children in plan order: townships for the county, villages for a township."""
    branches = {code for code, *_rest in COUNTY_BRANCHES}
    return [org.code for org in plan.children_of(spec.host_code) if org.code not in branches]


def _seed_session(
    plan: DemoPlan, spec: SessionSpec, cycle: Cycle, orgs: dict[str, Organisation], summary: DemoSummary
) -> None:
    host = orgs[spec.host_code]
    session = Session.objects.filter(title=spec.title, host=host).first()
    if session is None:
        session = Session.objects.create(
            cycle=cycle, host=host, title=spec.title, date=spec.date, venue=spec.venue, status=spec.status
        )
        summary.sessions.created += 1
    else:
        summary.sessions.existing += 1

    reporters = [orgs[code] for code in reporter_codes(plan, spec)]
    taken = dict(session.reports.values_list("organisation_id", "order"))
    used_orders = set(taken.values())
    # The secretary on the session date, as services.report_save resolves it, in one query.
    secretary_of: dict[int, int] = {}
    on_day = (
        Appointment.objects.secretaries()
        .on(session.date)
        .filter(organisation__in=reporters)
        .order_by("start_date")
        .values_list("organisation_id", "person_id")
    )
    for org_id, person_id in on_day:
        secretary_of[org_id] = person_id  # the latest start wins
    new = []
    for order, org in enumerate(reporters, start=1):
        if org.pk in taken:
            summary.reports.existing += 1
        elif order in used_orders:
            summary.reports.skipped += 1
        else:
            new.append(
                Report(session=session, organisation=org, secretary_id=secretary_of.get(org.pk), order=order)
            )
    Report.objects.bulk_create(new)
    summary.reports.created += len(new)


def _seed_users(orgs: dict[str, Organisation], tally: Tally) -> None:
    user_model = get_user_model()
    group = staff_group_ensure()
    existing = set(
        user_model.objects.filter(username__in=[u.username for u in USERS]).values_list("username", flat=True)
    )
    for spec in USERS:
        if spec.username in existing:
            tally.existing += 1
            continue
        make = user_model.objects.create_superuser if spec.superuser else user_model.objects.create_user
        user = make(
            spec.username,
            password=spec.password,
            first_name=spec.first_name,
            last_name=spec.last_name,
            is_staff=True,
        )
        if spec.scope_code:
            user.groups.add(group)
            StaffProfile.objects.create(user=user, organisation=orgs[spec.scope_code])
        tally.created += 1


def _say(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message)


@transaction.atomic
def demo_seed(*, stdout=None) -> DemoSummary:
    """Create whatever part of the demo data is missing; return what was created and found."""
    plan = demo_plan()
    summary = DemoSummary()
    _say(stdout, _("Seeding the demo county…"))
    orgs = _seed_organisations(plan, summary.organisations)
    _seed_secretaries(plan, orgs, summary.secretaries)
    cycle = _seed_cycle(summary)
    for spec in SESSIONS:
        _seed_session(plan, spec, cycle, orgs, summary)
    _seed_users(orgs, summary.users)
    return summary
