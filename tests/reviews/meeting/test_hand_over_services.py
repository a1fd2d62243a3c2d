"""Questions and comments typed on the spot, and handing them over as findings."""

import pytest

from reviews.findings.models import FindingSource
from reviews.meeting import services
from reviews.meeting.models import Question
from reviews.meeting.services import MeetingError


def test_a_question_is_saved_as_typed_and_numbered(world):
    report = world.county_reports[0]
    first = services.question_save(
        actor=world.county_staff, report=report, question="冬春训流于形式，今后如何改进？"
    )
    second = services.question_save(
        actor=world.county_staff, report=report, question="不合格党员处置怎么打算？"
    )
    services.question_save(actor=world.county_staff, report=report, instance=first, answer="下段将分批轮训。")
    first.refresh_from_db()
    assert (first.order, second.order) == (1, 2)
    assert first.answer == "下段将分批轮训。"


def test_handing_over_a_question_makes_one_finding(world):
    report = world.county_reports[0]
    question = services.question_save(
        actor=world.county_staff, report=report, question="低限运转经费如何保证？"
    )
    finding = services.question_hand_over(actor=world.county_staff, question=question)
    again = services.question_hand_over(actor=world.county_staff, question=question)
    assert finding.pk == again.pk
    assert (finding.cycle, finding.organisation, finding.source) == (
        world.cycle,
        world.shijia,
        FindingSource.QUESTION,
    )
    assert finding.description == "低限运转经费如何保证？"
    assert Question.objects.get(pk=question.pk).handed_over


def test_an_empty_question_cannot_be_handed_over(world):
    question = services.question_save(actor=world.county_staff, report=world.county_reports[0])
    with pytest.raises(MeetingError) as info:
        services.question_hand_over(actor=world.county_staff, question=question)
    assert info.value.code == "empty"


def test_a_handed_over_question_cannot_be_deleted(world):
    question = services.question_save(
        actor=world.county_staff, report=world.county_reports[0], question="问题"
    )
    services.question_hand_over(actor=world.county_staff, question=question)
    with pytest.raises(MeetingError):
        services.question_delete(actor=world.county_staff, question=question)


def test_a_comment_is_handed_over_with_its_source(world):
    comment = services.comment_save(
        actor=world.county_staff,
        report=world.county_reports[1],
        commenter="县委书记",
        text="党建主业意识不强。",
    )
    finding = services.comment_hand_over(actor=world.county_staff, comment=comment)
    assert (finding.organisation, finding.source) == (world.liaoyang, FindingSource.COMMENT)
