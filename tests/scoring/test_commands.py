"""issue_codes and export_results."""

import csv
import io
import stat

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from scoring.ballots import services as ballots_services
from scoring.codes import services as codes_services
from scoring.codes.models import Credential
from tests.scoring.results.test_exports import cast_example_ballots


def run(*args) -> str:
    out = io.StringIO()
    with translation.override("zh-hans"):
        call_command(*args, stdout=out)
    return out.getvalue()


def fails(*args) -> str:
    with translation.override("zh-hans"), pytest.raises(CommandError) as raised:
        call_command(*args, stdout=io.StringIO())
    return str(raised.value)


def read_csv(path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_issue_codes_writes_slips_and_a_csv(scored, tmp_path):
    pdf, table = tmp_path / "slips.pdf", tmp_path / "codes.csv"
    before = Credential.objects.filter(session=scored.session).count()
    output = run(
        "issue_codes",
        str(scored.session.pk),
        "--group",
        scored.leaders.name,
        "--count",
        "3",
        "--pdf",
        str(pdf),
        "--csv",
        str(table),
        "--base-url",
        "https://shuzhi.example.gov.cn/",
    )
    assert Credential.objects.filter(session=scored.session).count() == before + 3
    assert pdf.read_bytes().startswith(b"%PDF")
    rows = read_csv(table)
    assert rows[0] == ["编号", "测评主体", "测评码", "链接", "评议代表"]
    assert [row[0] for row in rows[1:]] == ["0013", "0014", "0015"]
    for serial, group, short, url, delegate in rows[1:]:
        assert group == scored.leaders.name
        assert delegate == ""
        assert url.startswith("https://shuzhi.example.gov.cn/vote/")
        token = url.removeprefix("https://shuzhi.example.gov.cn/vote/").rstrip("/")
        by_token, by_short = codes_services.credential_lookup(token), codes_services.credential_lookup(short)
        assert by_token[0] == by_short[0]
        assert by_token[0].serial == int(serial)
        assert by_token[0].group == scored.leaders
    assert stat.S_IMODE(table.stat().st_mode) == 0o600
    assert stat.S_IMODE(pdf.stat().st_mode) == 0o600
    assert "编号 0013 至 0015" in output
    assert "含有保密的测评码" in output


def test_issue_codes_prints_the_names_of_a_named_group(scored, tmp_path):
    scored.delegates.anonymous = False
    scored.delegates.save()
    names, table = tmp_path / "names.txt", tmp_path / "codes.csv"
    names.write_text("\ufeff张三\n\n李四\n", encoding="utf-8")
    run(
        "issue_codes",
        str(scored.session.pk),
        "--group",
        scored.delegates.name,
        "--names",
        str(names),
        "--csv",
        str(table),
    )
    assert [(row[1], row[4]) for row in read_csv(table)[1:]] == [
        (scored.delegates.name, "张三"),
        (scored.delegates.name, "李四"),
    ]
    assert set(
        Credential.objects.filter(session=scored.session, delegate_name__gt="").values_list(
            "delegate_name", flat=True
        )
    ) == {"张三", "李四"}


def test_issue_codes_refuses_an_unknown_group(scored, tmp_path):
    before = Credential.objects.count()
    message = fails(
        "issue_codes",
        str(scored.session.pk),
        "--group",
        "县人大代表",
        "--count",
        "2",
        "--pdf",
        str(tmp_path / "s.pdf"),
    )
    assert message.startswith("该述职评议会没有名为“县人大代表”的测评主体。")
    assert scored.leaders.name in message
    assert Credential.objects.count() == before
    assert not (tmp_path / "s.pdf").exists()


def test_issue_codes_passes_on_the_services_refusal_in_chinese(scored, tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("张三\n", encoding="utf-8")
    message = fails(
        "issue_codes",
        str(scored.session.pk),
        "--group",
        scored.leaders.name,
        "--names",
        str(names),
        "--csv",
        str(tmp_path / "c.csv"),
    )
    assert message == "只有记名测评主体的测评码才能印姓名。"
    assert not (tmp_path / "c.csv").exists()


def test_issue_codes_needs_somewhere_to_write_the_codes(scored):
    message = fails("issue_codes", str(scored.session.pk), "--group", scored.leaders.name, "--count", "2")
    assert "--pdf" in message and "测评码只显示一次" in message


def test_issue_codes_needs_a_count_or_names(scored, tmp_path):
    message = fails(
        "issue_codes", str(scored.session.pk), "--group", scored.leaders.name, "--csv", str(tmp_path / "c")
    )
    assert message == "请用 --count N 指定数量，或用 --names 提供姓名清单。"


def test_issue_codes_refuses_an_unknown_session(db, tmp_path):
    message = fails("issue_codes", "999", "--group", "x", "--count", "1", "--csv", str(tmp_path / "c.csv"))
    assert message == "没有编号为 999 的述职评议会。"


def test_issue_codes_issues_nothing_when_the_folder_is_missing(scored, tmp_path):
    before = Credential.objects.count()
    message = fails(
        "issue_codes",
        str(scored.session.pk),
        "--group",
        scored.leaders.name,
        "--count",
        "2",
        "--csv",
        str(tmp_path / "missing" / "c.csv"),
    )
    assert "所在的文件夹不存在" in message
    assert Credential.objects.count() == before


def test_export_results_writes_a_workbook_and_a_bulletin(scored, tmp_path):
    cast_example_ballots(scored)
    out, pdf = tmp_path / "results.xlsx", tmp_path / "bulletin.pdf"
    output = run("export_results", str(scored.session.pk), str(out), "--pdf", str(pdf))
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["排名", "分项", "测评主体", "现场质询和点评"]
    assert book["排名"]["B3"].value == "中共辽阳镇委员会"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert f"已写入：{out}" in output
    assert f"已写入：{pdf}" in output


def test_export_results_warns_when_the_quorum_is_missed(scored, tmp_path):
    ballots_services.scoring_close(actor=None, session=scored.session)
    output = run("export_results", str(scored.session.pk), str(tmp_path / "r.xlsx"))
    assert "会议测评结果无效" in output


def test_export_results_refuses_a_session_without_a_scheme(world, tmp_path):
    message = fails("export_results", str(world.shijia_session.pk), str(tmp_path / "r.xlsx"))
    assert message == "该述职评议会尚未设置测评方案。"
