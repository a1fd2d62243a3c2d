"""The demo county before its meeting: a call for topics with suggestions and adopted topics, the draft
review chain with drafts at different steps, and findings. Idempotent: only what is missing is added."""

import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from reviews.cycles.models import Session
from reviews.demo.county import COUNTY_SESSION, DEMO_PASSWORD
from reviews.drafts.models import Draft, DraftReview, DraftStatus, ReviewDecision, ReviewStep
from reviews.drafts.services import DEFAULT_REVIEW_CHAIN
from reviews.findings.models import Finding, FindingSource
from reviews.topics.models import SuggestionSource, TopicCall, TopicCategory, TopicSuggestion

# (category, suggested topic) — what party members and the public of a township typically raise.
TOPICS = [
    ("集体经济", "村集体经济薄弱村如何增收，明年有什么具体路子？"),
    ("集体经济", "光伏、乡村旅游等集体经济项目收益怎么管、怎么分？"),
    ("基层治理", "村务公开不及时、不规范的问题怎么解决？"),
    ("基层治理", "网格员队伍作用发挥不充分，怎么改进？"),
    ("党员管理", "流动党员管理松散，组织生活参加不了怎么办？"),
    ("党员管理", "党员冬春训流于形式，今后如何改进？"),
    ("服务群众", "便民服务中心办事还要跑多次，能否一次办好？"),
    ("作风建设", "乡镇干部下村少、解决问题慢，作风如何转变？"),
]
FINDINGS = [
    (FindingSource.SUPERIOR, "暗访发现部分村党组织活动场所长期闭门，服务功能发挥不够。"),
    (FindingSource.PUBLIC, "群众反映低保评定过程公开不够。"),
    (FindingSource.SELF_CHECK, "“三会一课”记录不规范，部分支部主题党日活动内容单一。"),
]
SECRETARY_LOGIN = "shijia-shuji"


@dataclass
class BeforeMeetingSummary:
    suggestions: int = 0
    topics: int = 0
    drafts: int = 0
    findings: int = 0


@transaction.atomic
def demo_before_meeting_seed() -> BeforeMeetingSummary:
    summary = BeforeMeetingSummary()
    session = Session.objects.filter(title=COUNTY_SESSION.title).select_related("cycle").first()
    if session is None:
        return summary
    reports = list(session.reports.select_related("organisation", "secretary").order_by("order"))
    staff = get_user_model().objects.filter(username="demo").first()
    TopicCall.objects.get_or_create(session=session)
    _topics(session, reports, staff, summary)
    if staff is not None:
        _drafts(session, reports, staff, summary)
    _findings(session, reports, staff, summary)
    return summary


def _topics(session, reports, staff, summary) -> None:
    if TopicSuggestion.objects.filter(session=session).exists():
        return
    categories = {c.name: c for c in TopicCategory.objects.all()}
    rng = random.Random(2025)
    suggestions = []
    for report in reports:
        for category, text in rng.sample(TOPICS, 3):
            suggestions.append(
                TopicSuggestion(
                    session=session,
                    organisation=report.organisation,
                    text=text,
                    source=rng.choice([SuggestionSource.PARTY_MEMBER, SuggestionSource.PUBLIC]),
                    category=categories.get(category),
                    supporters=rng.randint(1, 12),
                    entered_by=staff,
                )
            )
    TopicSuggestion.objects.bulk_create(suggestions)
    summary.suggestions = len(suggestions)
    # The first ten townships already have their topic: the most-voiced suggestion.
    for report in reports[:10]:
        if report.topic:
            continue
        top = TopicSuggestion.objects.filter(session=session, organisation=report.organisation).order_by(
            "-supporters", "pk"
        )[0]
        report.topic, report.topic_suggestion = " ".join(top.text.split()), top
        report.save(update_fields=["topic", "topic_suggestion"])
        summary.topics += 1


def _drafts(session, reports, staff, summary) -> None:
    cycle = session.cycle
    steps = list(ReviewStep.objects.filter(cycle=cycle).order_by("order"))
    if not steps:
        steps = [
            ReviewStep.objects.create(cycle=cycle, order=i, title=t)
            for i, t in enumerate(DEFAULT_REVIEW_CHAIN, 1)
        ]
        for step in steps:
            step.reviewers.add(staff)
    first = reports[0]
    if first.secretary and first.secretary.user_id is None:
        user_model = get_user_model()
        user = user_model.objects.filter(username=SECRETARY_LOGIN).first()
        if user is None:
            user = user_model.objects.create_user(
                SECRETARY_LOGIN, password=DEMO_PASSWORD, first_name=first.secretary.name
            )
        first.secretary.user = user
        first.secretary.save(update_fields=["user"])
    if Draft.objects.filter(report__session=session).exists():
        return
    items = {str(item.pk): "第二部分" for item in cycle.items.filter(kind="must")}
    now = timezone.now()
    # Approved through the whole chain; waiting at step 2; returned at step 1.
    plans = [
        (reports[0], DraftStatus.APPROVED, 4),
        (reports[1], DraftStatus.IN_REVIEW, 1),
        (reports[2], DraftStatus.RETURNED, 0),
    ]
    for report, status, approved_steps in plans:
        draft = Draft.objects.create(
            report=report,
            version=1,
            text=f"{report.organisation.name}2025年度抓基层党建工作述职报告\n一、履职情况\n二、存在问题\n三、下一步打算",
            item_answers=items,
            status=status,
            current_step=steps[approved_steps] if status == DraftStatus.IN_REVIEW else None,
            submitted_at=now,
            created_by=report.secretary.user if report.secretary else None,
        )
        for step in steps[:approved_steps]:
            DraftReview.objects.create(
                draft=draft, step=step, reviewer=staff, decision=ReviewDecision.APPROVE
            )
        if status == DraftStatus.RETURNED:
            DraftReview.objects.create(
                draft=draft,
                step=steps[0],
                reviewer=staff,
                decision=ReviewDecision.RETURN,
                comment="问题查摆不够具体，请补充整改措施和时限。",
            )
        summary.drafts += 1


def _findings(session, reports, staff, summary) -> None:
    if Finding.objects.filter(cycle=session.cycle).exists():
        return
    for report, (source, text) in zip(reports[:6], FINDINGS * 2, strict=False):
        Finding.objects.create(
            cycle=session.cycle,
            organisation=report.organisation,
            source=source,
            description=text,
            report=report,
            created_by=staff,
        )
        summary.findings += 1
