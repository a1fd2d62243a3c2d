"""The demo county's previous year: the 2024 cycle's two sessions scored and published, their problems
handed over, and the rectification a year on — some items verified closed, some in progress, some
overdue, one returned, some extended — plus a follow-up review (回头看). Idempotent: nothing is added
when the 2024 cycle exists.

Scoring goes through the real services (codes, ballots, close, publish), so the published results can be
recomputed from the stored ballots like any other. The rectification history is written with its
historical dates, which the services (that stamp "now") cannot do; its shape is what they would leave.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from reviews.cycles.models import Cycle, Report, Session, SessionStatus
from reviews.demo.before_meeting import SECRETARY_LOGIN
from reviews.demo.county import COUNTY_CODE, SessionSpec, demo_plan, reporter_codes
from reviews.findings.models import Finding, FindingSource
from reviews.handover import services as handover_services
from reviews.orgs.models import Organisation, secretary_on
from reviews.rectification import services as rectification_services
from reviews.rectification.models import (
    FollowUpMark,
    FollowUpOutcome,
    ProblemCategory,
    RectificationEvent,
    RectificationEventKind,
    RectificationItem,
    RectificationStatus,
)
from scoring.ballots import services as ballots_services
from scoring.codes import services as codes_services
from scoring.results import services as results_services
from scoring.schemes import services as schemes_services
from scoring.schemes.models import EvaluatorGroup

CYCLE_YEAR = 2024
CYCLE_NAME = "2024年度抓基层党建工作述职评议"
COUNTY = SessionSpec(
    host_code=COUNTY_CODE,
    title="2024年度乡镇党委书记抓基层党建工作述职评议会",
    date=datetime.date(2025, 1, 15),
    venue="县委第一会议室",
    status=SessionStatus.FINISHED,
)
SHIJIA = SessionSpec(
    host_code="T01",
    title="石匣乡2024年度村党组织书记抓基层党建工作述职评议会",
    date=datetime.date(2025, 1, 9),
    venue="乡政府三楼会议室",
    status=SessionStatus.FINISHED,
)
ISSUED_ON = {COUNTY.title: datetime.date(2025, 1, 22), SHIJIA.title: datetime.date(2025, 1, 14)}
BALLOTS = {COUNTY.title: (9, 36), SHIJIA.title: (7, 24)}  # (leaders, representatives)

# (category, source, problem, measures, months to rectify): what such meetings typically hand over.
PROBLEMS = [
    ("组织生活", FindingSource.SUPERIOR, "“三会一课”记录不全，部分支部组织生活会流于形式。",
     "逐支部检查会议记录，乡党委班子成员分片督导，每季度通报一次。", 3),
    ("组织生活", FindingSource.QUESTION, "主题党日活动内容单一，党员参与积极性不高。",
     "结合村情制定全年主题党日清单，推行“党日+志愿服务”。", 3),
    ("集体经济", FindingSource.COMMENT, "村级集体经济增收办法不多，薄弱村占比偏高。",
     "逐村制定增收计划，盘活闲置资产，年底前消除收入5万元以下薄弱村。", 6),
    ("集体经济", FindingSource.QUESTION, "光伏项目收益分配不公开，群众有意见。",
     "制定收益分配办法，按季度在村务公开栏公示。", 3),
    ("党员队伍", FindingSource.SUPERIOR, "发展党员把关不严，个别村连续三年未发展党员。",
     "严格执行发展党员工作流程，建立村级后备力量库。", 6),
    ("党员队伍", FindingSource.SELF_CHECK, "流动党员底数不清，管理服务跟不上。",
     "建立流动党员台账，依托微信群开展线上组织生活。", 3),
    ("阵地建设", FindingSource.SUPERIOR, "暗访发现部分村党群服务中心长期闭门，服务功能发挥不够。",
     "落实坐班值班制度，公示服务时间和联系电话。", 3),
    ("基层治理", FindingSource.PUBLIC, "村务公开不及时、不规范，群众反映强烈。",
     "统一村务公开目录和时限，乡纪委每月抽查。", 3),
    ("作风建设", FindingSource.COMMENT, "乡镇干部下村少，解决群众问题不及时。",
     "推行包村干部“周二下村日”，问题办理限时回复。", 3),
    ("责任落实", FindingSource.COMMENT, "书记抓党建“第一责任人”意识不强，研究党建工作次数少。",
     "党委会每季度至少专题研究一次党建工作，形成问题清单逐项销号。", 3),
]  # fmt: skip

# How the items stand a year on (weights), for every organisation but 石匣乡, whose three show one each.
OUTCOMES = [
    ("verified", 55),
    ("overdue", 12),
    ("submitted", 10),
    ("returned", 6),
    ("pending_overdue", 5),
    ("extended", 12),
]
SHIJIA_OUTCOMES = ["extended", "returned", "verified"]
EXTENDED_TO = datetime.date(2026, 12, 31)
FOLLOW_UP_ON = datetime.date(2025, 10, 15)


@dataclass
class HistorySummary:
    sessions: int = 0
    ballots: int = 0
    items: int = 0
    verified: int = 0
    overdue: int = 0


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _session(spec: SessionSpec, cycle: Cycle, plan) -> Session:
    host = Organisation.objects.get(code=spec.host_code)
    session = Session.objects.create(
        cycle=cycle,
        host=host,
        title=spec.title,
        date=spec.date,
        venue=spec.venue,
        status=SessionStatus.PREPARING,
    )
    for order, code in enumerate(reporter_codes(plan, spec), start=1):
        org = Organisation.objects.get(code=code)
        Report.objects.create(
            session=session, organisation=org, secretary=secretary_on(org, spec.date), order=order
        )
    return session


def _score(session: Session, actor, rng: random.Random) -> int:
    """Issue codes, let every delegate vote (each reporter has a standing the votes lean to), publish."""
    scheme = schemes_services.scheme_create_default(actor=actor, session=session)
    criteria = list(scheme.criteria.order_by("order"))
    reports = list(session.reports.order_by("order"))
    standing = {report.pk: rng.random() for report in reports}
    grades = ["good", "fairly_good", "average", "poor"]
    leaders, delegates = EvaluatorGroup.objects.filter(scheme=scheme).order_by("order")
    counts = BALLOTS[session.title]
    issued = []
    for group, count in zip((leaders, delegates), counts, strict=True):
        issued += codes_services.credentials_issue(actor=actor, session=session, group=group, count=count)
    ballots_services.scoring_open(actor=actor, session=session)
    for n, code in enumerate(issued):
        marks = {}
        for report in reports:
            lean = standing[report.pk]
            weights = [0.15 + lean, 0.5, 0.35 - lean * 0.3, 0.08 - lean * 0.07]
            for criterion in criteria:
                marks[(report.pk, criterion.pk)] = rng.choices(grades, weights)[0]
        ballots_services.ballot_submit(code=code.token, marks=marks, submission_key=f"demo-{n}")
    ballots_services.scoring_close(actor=actor, session=session)
    results_services.results_publish(actor=actor, session=session)
    return len(issued)


def _hand_over(session: Session, actor, rng: random.Random, categories) -> list[RectificationItem]:
    issued_on = ISSUED_ON[session.title]
    items = []
    for report in session.reports.select_related("organisation", "secretary").order_by("order"):
        chosen = rng.sample(PROBLEMS, rng.randint(2, 4))
        drafts = []
        for category, source, problem, measures, months in chosen:
            finding = Finding.objects.create(
                cycle=session.cycle,
                organisation=report.organisation,
                source=source,
                description=problem,
                report=report,
                created_by=actor,
            )
            drafts.append(
                handover_services.ItemDraft(
                    finding=finding,
                    problem=problem,
                    measures=measures,
                    responsible=report.secretary.name if report.secretary else "书记",
                    responsible_person=report.secretary,
                    deadline=handover_services.add_months(issued_on, months),
                    category=categories.get(category),
                    commit_analyse="班子专题研究，查找思想和制度上的根源。",
                    commit_correct=measures,
                    commit_establish="形成长效机制，纳入年度党建责任清单。",
                )
            )
        notice = handover_services.notice_issue(
            actor=actor, session=session, organisation=report.organisation, items=drafts, issued_on=issued_on
        )
        items += list(notice.items.order_by("number"))
    RectificationEvent.objects.filter(item__in=items).update(at=_at(issued_on, 9))
    RectificationItem.objects.filter(pk__in=[i.pk for i in items]).update(status_changed_at=_at(issued_on, 9))
    return items


def _event(item, kind, day, text="", actor=None, **extra) -> None:
    name = (actor.get_full_name() or actor.get_username()) if actor else (item.responsible or "")
    event = RectificationEvent.objects.create(
        item=item, kind=kind, text=text, actor=actor, actor_name=name, **extra
    )
    RectificationEvent.objects.filter(pk=event.pk).update(at=_at(day, 15))


def _live(item: RectificationItem, outcome: str, verifier, secretary_user) -> None:
    """Give the item the record it would have after a year of work."""
    start = item.notice.issued_on
    progress_day = start + datetime.timedelta(days=30)
    submit_day = item.original_deadline - datetime.timedelta(days=10)
    fields = {}
    if outcome == "pending_overdue":
        return
    _event(
        item,
        RectificationEventKind.PROGRESS,
        progress_day,
        "已召开班子专题会，制定整改方案并分解到人。",
        secretary_user,
    )
    fields.update(status=RectificationStatus.IN_PROGRESS, last_update_at=_at(progress_day, 15))
    if outcome == "extended":
        _event(
            item,
            RectificationEventKind.EXTENDED,
            item.original_deadline - datetime.timedelta(days=5),
            "涉及项目建设周期，经申请延期至年底。",
            verifier,
            old_deadline=item.original_deadline,
            new_deadline=EXTENDED_TO,
        )
        fields["deadline"] = EXTENDED_TO
    if outcome in ("submitted", "verified", "returned"):
        _event(
            item,
            RectificationEventKind.SUBMITTED,
            submit_day,
            "整改措施已全部落实，附佐证材料。",
            secretary_user,
        )
        fields.update(status=RectificationStatus.SUBMITTED, last_update_at=_at(submit_day, 15))
    if outcome == "verified":
        day = submit_day + datetime.timedelta(days=7)
        _event(item, RectificationEventKind.VERIFIED, day, "经实地核查，整改到位，同意销号。", verifier)
        fields.update(status=RectificationStatus.VERIFIED, verified_by=verifier, verified_at=_at(day, 15))
    if outcome == "returned":
        day = submit_day + datetime.timedelta(days=7)
        reason = "佐证材料不足，会议记录未体现整改内容，请补充后重新申请销号。"
        _event(item, RectificationEventKind.RETURNED, day, reason, verifier)
        fields.update(status=RectificationStatus.RETURNED, return_reason=reason)
    fields["status_changed_at"] = _at(submit_day if outcome != "overdue" else progress_day, 15)
    RectificationItem.objects.filter(pk=item.pk).update(**fields)


@transaction.atomic
def demo_history_seed() -> HistorySummary:
    summary = HistorySummary()
    if (
        Cycle.objects.filter(name=CYCLE_NAME).exists()
        or not Organisation.objects.filter(code=COUNTY_CODE).exists()
    ):
        return summary
    users = {
        u.username: u
        for u in get_user_model().objects.filter(username__in=["demo", "shijia", SECRETARY_LOGIN])
    }
    county_staff, township_staff = users.get("demo"), users.get("shijia")
    if county_staff is None or township_staff is None:
        return summary
    plan = demo_plan()
    rng = random.Random(2024)
    cycle = Cycle.objects.create(year=CYCLE_YEAR, name=CYCLE_NAME, is_open=False)
    categories = {c.name: c for c in ProblemCategory.objects.all()}
    for spec, actor in ((COUNTY, county_staff), (SHIJIA, township_staff)):
        session = _session(spec, cycle, plan)
        summary.sessions += 1
        summary.ballots += _score(session, actor, rng)
        items = _hand_over(session, actor, rng, categories)
        for item in items:
            if item.organisation.code == "T01" and session.host.code == COUNTY_CODE:
                outcome = SHIJIA_OUTCOMES[(item.number - 1) % len(SHIJIA_OUTCOMES)]
            else:
                outcome = rng.choices([o for o, _w in OUTCOMES], [w for _o, w in OUTCOMES])[0]
            _live(
                item, outcome, actor, users.get(SECRETARY_LOGIN) if item.organisation.code == "T01" else None
            )
        summary.items += len(items)
    _follow_up(cycle, county_staff, rng)
    today = rectification_services.today()
    all_items = RectificationItem.objects.filter(cycle=cycle)
    summary.verified = all_items.filter(status=RectificationStatus.VERIFIED).count()
    summary.overdue = all_items.overdue(today).count()
    return summary


def _follow_up(cycle: Cycle, actor, rng: random.Random) -> None:
    county = Organisation.objects.get(code=COUNTY_CODE)
    review = rectification_services.follow_up_start(
        actor=actor,
        cycle=cycle,
        scope=county,
        title="2024年度述职评议问题整改“回头看”",
        started_on=FOLLOW_UP_ON,
    )
    verified = list(
        rectification_services.follow_up_items(review).order_by("organisation__path", "number")[:12]
    )
    for n, item in enumerate(verified):
        relapsed = n in (3, 8)
        FollowUpMark.objects.create(
            review=review,
            item=item,
            outcome=FollowUpOutcome.RELAPSED if relapsed else FollowUpOutcome.HELD,
            note="回访发现问题有反弹，已督促重新整改。" if relapsed else "",
            marked_by=actor,
        )
