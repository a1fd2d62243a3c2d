"""The workbook's 质询和点评 sheet and the satisfaction counts on 排名."""

import io

import openpyxl
from django.utils import translation

from reviews.meeting import services as review_services
from scoring.ballots import services
from scoring.results.exports import ResultsWorkbook
from scoring.schemes.models import Scheme
from tests.scoring.conftest import count_held_ballots


def _book(session):
    with translation.override("zh-hans"):
        _, _, content = ResultsWorkbook().render(session)
    return openpyxl.load_workbook(io.BytesIO(content))


def test_questions_and_comments_are_listed_per_reporter(scored):
    staff, shijia, liaoyang = scored.county_staff, scored.reports[0], scored.reports[1]
    question = review_services.question_save(
        actor=staff,
        report=liaoyang,
        asker_role="public",
        asker_name="张大伯",
        question="村务公开吗？",
        answer="每月公开。",
    )
    review_services.question_hand_over(actor=staff, question=question)
    review_services.comment_save(
        actor=staff, report=shijia, commenter="县委书记", text="抓党建主业意识不强。"
    )
    for code in scored.leader_codes:
        services.ballot_submit(code=code.token, marks=scored.marks("good", r1="average"), submission_key="k")
    services.scoring_close(actor=staff, session=scored.session)
    sheet = _book(scored.session)["现场质询和点评"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]
    assert rows[0] == [
        1,
        "中共辽阳镇委员会",
        "李春华",
        "质询",
        "群众代表（张大伯）",
        "村务公开吗？",
        "每月公开。",
        None,
        "是",
    ]
    assert rows[1][:6] == [2, "中共石匣乡委员会", "王建国", "点评", "县委书记", "抓党建主业意识不强。"]
    assert sheet.freeze_panes == "D3"


def test_satisfaction_counts_appear_only_when_collected(scored_closed_scheme):
    world = scored_closed_scheme
    assert "满意" not in [c.value for c in _book(world.session)["排名"][2]]
    Scheme.objects.filter(pk=world.scheme.pk).update(collect_satisfaction=True)
    services.scoring_open(actor=world.county_staff, session=world.session)
    for code in world.leader_codes[:2]:
        services.ballot_submit(
            code=code.token,
            marks=world.marks(),
            submission_key="k",
            satisfaction={world.reports[0].pk: "satisfied"},
        )
    count_held_ballots()
    header = [c.value for c in _book(world.session)["排名"][2]]
    assert header[-4:] == ["满意", "基本满意", "不满意", "备注"]
    shijia_row = next(
        r
        for r in _book(world.session)["排名"].iter_rows(min_row=3, values_only=True)
        if r[1] == "中共石匣乡委员会"
    )
    assert list(shijia_row[-4:-1]) == [2, 0, 0]


def test_the_results_page_shows_what_was_said_on_the_spot(scored, client):
    staff, liaoyang = scored.county_staff, scored.reports[1]
    question = review_services.question_save(
        actor=staff, report=liaoyang, question="集体经济收入多少？", answer="十二万元。"
    )
    review_services.question_hand_over(actor=staff, question=question)
    review_services.comment_save(actor=staff, report=liaoyang, commenter="县委书记", text="要再加力。")
    services.scoring_close(actor=staff, session=scored.session)
    client.force_login(staff)
    page = client.get(f"/manage/scoring/{scored.session.pk}/results/").content.decode()
    assert "集体经济收入多少？" in page and "十二万元。" in page and "要再加力。" in page and "已交办" in page


def test_the_bulletin_lists_questions_and_comments(scored, tmp_path):
    import subprocess

    from scoring import selectors
    from scoring.results import documents

    staff = scored.county_staff
    review_services.question_save(
        actor=staff, report=scored.reports[0], question="党员冬春训如何改进？", answer="分批轮训。"
    )
    review_services.comment_save(
        actor=staff, report=scored.reports[0], commenter="县委书记", text="问题导向要更突出。"
    )
    with translation.override("zh-hans"):
        count_held_ballots()
        pdf = documents.results_bulletin_pdf(selectors.session_tally(scored.session))
    path = tmp_path / "bulletin.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "现场质询和点评" in text and "党员冬春训如何改进？" in text and "问题导向要更突出。" in text
