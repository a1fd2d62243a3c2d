"""notice_issue: all or nothing, numbered per session, scoped to the host's staff; deadline arithmetic."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from reviews.audit.models import AuditEvent
from reviews.findings.models import Finding, FindingSource
from reviews.handover import services as handover_services
from reviews.rectification import services as rectification_services
from reviews.rectification.models import (
    RectificationEvent,
    RectificationEventKind,
    RectificationItem,
    RectificationNotice,
    RectificationStatus,
)

DAY = datetime.date(2026, 1, 20)


def _finding(world, org=None, text="党员发展把关不严"):
    return Finding.objects.create(
        cycle=world.cycle, organisation=org or world.shijia, source=FindingSource.SUPERIOR, description=text
    )


def _draft(finding=None, **overrides):
    values = dict(
        finding=finding,
        problem=finding.description if finding else "现场发现的问题",
        measures="严格执行发展党员工作流程",
        responsible="王建国",
        deadline=handover_services.default_deadline(DAY),
        source="" if finding else FindingSource.SUPERIOR,
    )
    values.update(overrides)
    return handover_services.ItemDraft(**values)


def _counts():
    return (
        RectificationNotice.objects.count(),
        RectificationItem.objects.count(),
        Finding.objects.count(),
        RectificationEvent.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2026, 1, 20), 3, datetime.date(2026, 4, 20)),
        (datetime.date(2025, 11, 30), 3, datetime.date(2026, 2, 28)),
        (datetime.date(2027, 11, 30), 3, datetime.date(2028, 2, 29)),
        (datetime.date(2026, 1, 31), 1, datetime.date(2026, 2, 28)),
        (datetime.date(2026, 10, 15), 3, datetime.date(2027, 1, 15)),
        (datetime.date(2026, 5, 31), 12, datetime.date(2027, 5, 31)),
    ],
)
def test_add_months_clips_to_the_month_end(day, months, expected):
    assert handover_services.add_months(day, months) == expected


def test_default_deadline_follows_the_setting(settings):
    settings.RECTIFICATION_MONTHS = 6
    assert handover_services.default_deadline(DAY) == datetime.date(2026, 7, 20)


def test_issue_numbers_items_and_records_everything(world):
    findings = [_finding(world), _finding(world, text="组织生活会流于形式")]
    notice = handover_services.notice_issue(
        actor=world.county_staff,
        session=world.county_session,
        organisation=world.shijia,
        items=[_draft(findings[1]), _draft(findings[0]), _draft(None, problem="台账不规范")],
        issued_on=DAY,
    )
    items = list(notice.items.order_by("number"))
    assert [i.number for i in items] == [1, 2, 3]
    assert [i.finding_id for i in items[:2]] == [findings[1].pk, findings[0].pk]
    typed = items[2].finding
    assert typed.description == "台账不规范" and typed.source == FindingSource.SUPERIOR
    assert typed.report == world.county_reports[0]
    assert all(i.status == RectificationStatus.PENDING and i.deadline == i.original_deadline for i in items)
    assert notice.issuer == world.county.name and notice.issued_by == world.county_staff
    assert notice.reference  # printed number
    assert (
        RectificationEvent.objects.filter(item__notice=notice, kind=RectificationEventKind.ISSUED).count()
        == 3
    )
    actions = list(
        AuditEvent.objects.filter(action__startswith="rectification").values_list("action", flat=True)
    )
    assert actions.count("rectification_notice.issue") == 1
    assert actions.count("rectification_item.issue") == 3
    assert not handover_services.handover_findings(world.county_session, world.shijia).exists()


def test_notices_are_numbered_per_session(world):
    for org in (world.shijia, world.liaoyang):
        handover_services.notice_issue(
            actor=world.county_staff,
            session=world.county_session,
            organisation=org,
            items=[_draft(_finding(world, org))],
            issued_on=DAY,
        )
    assert list(RectificationNotice.objects.order_by("number").values_list("number", flat=True)) == [1, 2]


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"measures": "  "}, "measures"),
        ({"problem": ""}, "problem"),
        ({"responsible": ""}, "responsible"),
        ({"deadline": DAY - datetime.timedelta(days=1)}, "deadline"),
    ],
)
def test_a_bad_row_refuses_the_whole_notice(world, overrides, code):
    good = _draft(_finding(world))
    bad = _draft(_finding(world, text="第二个问题"), **overrides)
    before = _counts()
    with pytest.raises(rectification_services.RectificationError) as refused:
        handover_services.notice_issue(
            actor=world.county_staff,
            session=world.county_session,
            organisation=world.shijia,
            items=[good, bad],
            issued_on=DAY,
        )
    assert refused.value.code == code
    assert "2" in refused.value.message  # names the row
    assert _counts() == before


def test_a_typed_problem_needs_a_source(world):
    with pytest.raises(rectification_services.RectificationError) as refused:
        handover_services.notice_issue(
            actor=world.county_staff,
            session=world.county_session,
            organisation=world.shijia,
            items=[_draft(None, source="")],
            issued_on=DAY,
        )
    assert refused.value.code == "source"


def test_refusals_before_anything_is_written(world):
    finding = _finding(world)
    other = _finding(world, world.liaoyang)
    cases = [
        ({"items": []}, "empty"),
        ({"items": [_draft(finding), _draft(finding)]}, "duplicate"),
        ({"items": [_draft(other)]}, "foreign_finding"),
        (
            {"organisation": world.shijia_v1, "items": [_draft(_finding(world, world.shijia_v1))]},
            "not_reporter",
        ),
    ]
    for overrides, code in cases:
        before = _counts()
        arguments = dict(
            actor=world.county_staff, session=world.county_session, organisation=world.shijia, issued_on=DAY
        )
        arguments.update(overrides)
        with pytest.raises(rectification_services.RectificationError) as refused:
            handover_services.notice_issue(**arguments)
        assert refused.value.code == code
        assert _counts() == before


def test_a_problem_is_handed_over_once(world):
    finding = _finding(world)
    arguments = dict(
        actor=world.county_staff,
        session=world.county_session,
        organisation=world.shijia,
        items=[_draft(finding)],
        issued_on=DAY,
    )
    handover_services.notice_issue(**arguments)
    before = _counts()
    with pytest.raises(rectification_services.RectificationError) as refused:
        handover_services.notice_issue(**arguments)
    assert refused.value.code == "already_issued"
    assert _counts() == before


def test_only_the_hosts_staff_issue(world):
    """石匣乡's own staff cannot hand over 石匣乡's problems from the county meeting."""
    for actor in (world.shijia_staff, world.liaoyang_staff):
        with pytest.raises(PermissionDenied):
            handover_services.notice_issue(
                actor=actor,
                session=world.county_session,
                organisation=world.shijia,
                items=[_draft(_finding(world))],
                issued_on=DAY,
            )
    assert not RectificationNotice.objects.exists()


def test_overdue_is_derived_from_the_deadline(rectified):
    item = rectified.shijia_items[0]
    deadline = item.deadline
    assert not item.is_overdue(deadline)
    assert item.is_overdue(deadline + datetime.timedelta(days=1))
    day_after = deadline + datetime.timedelta(days=1)
    assert RectificationItem.objects.overdue(day_after).filter(pk=item.pk).exists()
    assert not RectificationItem.objects.not_overdue(day_after).filter(pk=item.pk).exists()
    for status in (RectificationStatus.SUBMITTED, RectificationStatus.VERIFIED):
        item.status = status
        assert not item.is_overdue(day_after)


def test_the_deadline_cannot_move_before_the_original(rectified):
    from django.db import IntegrityError, transaction

    item = rectified.shijia_items[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        RectificationItem.objects.filter(pk=item.pk).update(
            deadline=item.original_deadline - datetime.timedelta(1)
        )


def test_numbers_run_per_issuing_committee_and_year(world):
    """A second county meeting in the same year continues the county's numbers; a township starts at 1."""
    from reviews.cycles.models import Report, Session

    second = Session.objects.create(cycle=world.cycle, host=world.county, title="补充述职会", date=DAY)
    Report.objects.create(session=second, organisation=world.liaoyang, order=1)

    def issue(session, org, actor, day=DAY):
        return handover_services.notice_issue(
            actor=actor,
            session=session,
            organisation=org,
            items=[_draft(_finding(world, org), deadline=handover_services.default_deadline(day))],
            issued_on=day,
        ).number

    assert issue(world.county_session, world.shijia, world.county_staff) == 1
    assert issue(second, world.liaoyang, world.county_staff) == 2
    Report.objects.create(session=world.shijia_session, organisation=world.shijia_v1, order=1)
    assert issue(world.shijia_session, world.shijia_v1, world.shijia_staff) == 1
    next_year = datetime.date(2027, 1, 5)
    assert issue(world.county_session, world.shijia, world.county_staff, next_year) == 1


def test_over_long_names_are_refused_with_a_message(world):
    before = _counts()
    with pytest.raises(rectification_services.RectificationError) as refused:
        handover_services.notice_issue(
            actor=world.county_staff,
            session=world.county_session,
            organisation=world.shijia,
            items=[_draft(_finding(world), responsible="王" * 41)],
            issued_on=DAY,
        )
    assert refused.value.code == "responsible"
    with pytest.raises(rectification_services.RectificationError) as refused:
        handover_services.notice_issue(
            actor=world.county_staff,
            session=world.county_session,
            organisation=world.shijia,
            items=[_draft(_finding(world, text="另一个问题"))],
            issuer="中" * 121,
            issued_on=DAY,
        )
    assert refused.value.code == "issuer"
    assert _counts()[:2] == before[:2]


def test_an_extension_is_audited_with_both_deadlines(rectified):
    item = rectified.shijia_items[0]
    original = item.deadline
    later = original + datetime.timedelta(days=60)
    event = rectification_services.item_extend(
        actor=rectified.world.county_staff, item=item, new_deadline=later, reason="项目周期长"
    )
    assert (event.old_deadline, event.new_deadline) == (original, later)
    audit = AuditEvent.objects.filter(action="rectification_item.extended").get()
    assert audit.changes["deadline"] == [original.isoformat(), later.isoformat()]
    item.refresh_from_db()
    assert (item.original_deadline, item.deadline, item.is_extended) == (original, later, True)


def test_a_refused_evidence_file_stores_nothing(rectified, tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.PRIVATE_MEDIA_ROOT = tmp_path
    item = rectified.shijia_items[0]
    before = _counts()
    fake = SimpleUploadedFile("证明.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(rectification_services.RectificationError) as refused:
        rectification_services.item_progress(actor=rectified.wang, item=item, text="已整改", evidence=fake)
    assert refused.value.code.startswith("upload_")
    assert _counts() == before
    assert not any(tmp_path.rglob("*.*"))
    item.refresh_from_db()
    assert item.status == RectificationStatus.PENDING


def test_issuing_many_items_takes_as_many_queries_as_issuing_few(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(count: int, org) -> int:
        items = [_draft(_finding(world, org, text=f"问题{i}")) for i in range(count // 2)]
        items += [_draft(None, problem=f"现场问题{i}") for i in range(count - count // 2)]
        with CaptureQueriesContext(connection) as captured:
            notice = handover_services.notice_issue(
                actor=world.county_staff,
                session=world.county_session,
                organisation=org,
                items=items,
                issued_on=DAY,
            )
        assert notice.items.count() == count
        assert RectificationEvent.objects.filter(item__notice=notice).count() == count
        assert AuditEvent.objects.filter(action="rectification_item.issue", organisation=org).count() == count
        return len(captured)

    few = queries(4, world.shijia)  # the first call also fills per-request caches (the actor's roles)
    assert queries(40, world.liaoyang) <= few
    assert AuditEvent.objects.filter(action="rectification_item.issue").count() == 44
