"""The staff topics page: the call, counters, classification, merging, adoption, the poster; scope; and the
assigned topic where the delegate and the results show it."""

import io
import re
import subprocess

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from reviews import documents as reviews_documents
from reviews.audit.models import AuditEvent
from reviews.cycles.models import Report
from reviews.topics import documents as topics_documents
from reviews.topics import services as topics
from reviews.topics.models import SuggestionSource, TopicCall, TopicCategory, TopicSuggestion
from tests.reviews.topics.test_services import TopicWorld, category, zh


@pytest.fixture
def tw(world) -> TopicWorld:
    return TopicWorld(world)


@pytest.fixture
def county(client, world):
    client.force_login(world.county_staff)
    return client


def _page(client, session) -> str:
    response = client.get(reverse("topics:session", args=[session.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _count(page: str, scope: str, name: str) -> int:
    block = page.split(f'data-counts="{scope}"', 1)[1]
    return int(re.search(rf'data-count="{name}">(\d+)<', block).group(1))


def _report(tw, org) -> Report:
    return Report.objects.get(session=tw.w.county_session, organisation=org)


# ---------------------------------------------------------------------------------------------------
# Who may see it


def test_the_page_needs_a_login(client, world):
    response = client.get(reverse("topics:session", args=[world.county_session.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_account_that_is_not_staff_is_refused(client, world, django_user_model):
    client.force_login(django_user_model.objects.create_user("visitor"))
    assert client.get(reverse("topics:session", args=[world.county_session.pk])).status_code == 403


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("topics:session", "get"),
        ("topics:poster", "get"),
        ("topics:open", "post"),
        ("topics:close", "post"),
        ("topics:enter", "post"),
        ("topics:classify", "post"),
        ("topics:merge", "post"),
    ],
)
def test_township_staff_get_a_404_for_another_townships_session(client, tw, name, method):
    client.force_login(tw.w.shijia_staff)
    for session in (tw.w.liaoyang_session, tw.w.county_session):
        response = getattr(client, method)(reverse(name, args=[session.pk]))
        assert response.status_code == 404, (name, session)
    assert client.get(reverse("topics:session", args=[tw.w.shijia_session.pk])).status_code == 200


def test_township_staff_cannot_assign_a_topic_outside_their_sessions(client, tw):
    client.force_login(tw.w.liaoyang_staff)
    response = client.post(reverse("topics:assign", args=[tw.shijia_reports[0].pk]), {"text": "越权的题目"})
    assert response.status_code == 404
    assert Report.objects.get(pk=tw.shijia_reports[0].pk).topic == ""


def test_actions_refuse_get(county, world):
    for name in ("topics:open", "topics:close", "topics:enter", "topics:classify", "topics:merge"):
        assert county.get(reverse(name, args=[world.county_session.pk])).status_code == 405


# ---------------------------------------------------------------------------------------------------
# The call


def test_staff_open_and_close_the_call_and_see_its_link(county, world):
    page = _page(county, world.county_session)
    assert 'data-call-state="none"' in page and zh("Open the call for topics") in page
    county.post(reverse("topics:open", args=[world.county_session.pk]))
    call = TopicCall.objects.get(session=world.county_session)
    page = _page(county, world.county_session)
    assert 'data-call-state="open"' in page
    assert topics_documents.propose_url(call) in page and "<svg" in page
    county.post(reverse("topics:close", args=[world.county_session.pk]))
    assert 'data-call-state="closed"' in _page(county, world.county_session)
    assert not TopicCall.objects.get(pk=call.pk).is_open


def test_closing_without_a_call_shows_the_refusal(county, world):
    response = county.post(reverse("topics:close", args=[world.county_session.pk]), follow=True)
    assert zh("The call for topics has not been opened.") in response.content.decode()


# ---------------------------------------------------------------------------------------------------
# Counters, lines and the ranking


def test_the_counters_of_the_session_and_of_the_cycle(county, tw):
    page = _page(county, tw.w.county_session)
    assert [_count(page, "session", n) for n in ("suggestions", "people", "organisations")] == [5, 7, 2]
    assert [_count(page, "cycle", n) for n in ("sessions", "organisations", "people", "suggestions")] == [
        2,
        3,
        10,
        7,
    ]


def test_township_staff_count_only_their_own_sessions_in_the_cycle(client, tw):
    client.force_login(tw.w.shijia_staff)
    page = _page(client, tw.w.shijia_session)
    assert [_count(page, "session", n) for n in ("suggestions", "people", "organisations")] == [2, 3, 1]
    assert [_count(page, "cycle", n) for n in ("sessions", "organisations", "people", "suggestions")] == [
        1,
        1,
        3,
        2,
    ]


def test_each_reporter_has_its_line_in_speaking_order_with_the_whole_session_last(county, tw):
    page = _page(county, tw.w.county_session)
    shijia, liaoyang, whole = (
        page.index(f'id="org-{_report(tw, tw.w.shijia).pk}"'),
        page.index(f'id="org-{_report(tw, tw.w.liaoyang).pk}"'),
        page.index('id="org-session"'),
    )
    assert shijia < liaoyang < whole
    assert shijia < page.index(tw.a.text) < liaoyang < page.index(tw.d.text) < whole < page.index(tw.e.text)
    assert page.count(zh("Adopt") + "</button>") == 4  # 石匣乡 3, 辽阳镇 1, none for the whole session


def test_classifying_from_the_page_ranks_the_categories(county, tw):
    economy, governance = category("集体经济"), category("基层治理")
    response = county.post(
        reverse("topics:classify", args=[tw.w.county_session.pk]),
        {
            f"category-{tw.a.pk}": economy.pk,
            f"category-{tw.b.pk}": economy.pk,
            f"category-{tw.c.pk}": governance.pk,
            f"category-{tw.f.pk}": economy.pk,  # another session's: ignored
            "anchor": "org-1",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#org-1")
    tw.refresh(tw.a, tw.b, tw.c, tw.f)
    assert (tw.a.category, tw.b.category, tw.c.category, tw.f.category) == (
        economy,
        economy,
        governance,
        None,
    )
    page = _page(county, tw.w.county_session)
    line = page.split(f'id="org-{_report(tw, tw.w.shijia).pk}"')[1].split("</section>")[0]
    ranking = re.findall(r'data-category="([^"]+)"', line)
    assert ranking == ["基层治理", "集体经济"]
    assert "data-concentration>60%<" in line


def test_merging_from_the_page_keeps_the_most_raised_and_adds_the_people(county, tw):
    response = county.post(
        reverse("topics:merge", args=[tw.w.county_session.pk]),
        {"merge": [tw.a.pk, tw.b.pk, tw.c.pk]},
        follow=True,
    )
    tw.refresh(tw.a, tw.b, tw.c)
    assert tw.c.supporters == 5 and tw.a.merged_into == tw.c and tw.b.merged_into == tw.c
    page = response.content.decode()
    assert [_count(page, "session", n) for n in ("suggestions", "people")] == [3, 7]
    assert zh("Merged in:") in page


def test_merging_one_or_across_organisations_is_refused_on_the_page(county, tw):
    url = reverse("topics:merge", args=[tw.w.county_session.pk])
    page = county.post(url, {"merge": [tw.a.pk]}, follow=True).content.decode()
    assert zh("Tick at least two suggestions to merge.") in page
    page = county.post(url, {"merge": [tw.a.pk, tw.d.pk]}, follow=True).content.decode()
    assert zh("Suggestions for different organisations cannot be merged.") in page
    assert not TopicSuggestion.objects.filter(merged_into__isnull=False).exists()


def test_staff_enter_a_superior_topic_from_the_page(county, tw):
    response = county.post(
        reverse("topics:enter", args=[tw.w.county_session.pk]),
        {
            "organisation": tw.w.liaoyang.pk,
            "source": SuggestionSource.SUPERIOR,
            "supporters": 4,
            "text": "社区网格化治理",
            "name": "",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#org-{_report(tw, tw.w.liaoyang).pk}")
    s = TopicSuggestion.objects.get(text="社区网格化治理")
    assert (s.organisation, s.source, s.supporters, s.entered_by) == (
        tw.w.liaoyang,
        SuggestionSource.SUPERIOR,
        4,
        tw.w.county_staff,
    )


def test_a_wrong_staff_entry_is_refused_with_a_message(county, tw):
    before = TopicSuggestion.objects.count()
    response = county.post(
        reverse("topics:enter", args=[tw.w.county_session.pk]),
        {"organisation": tw.w.shijia_v1.pk, "source": "public", "supporters": 1, "text": "集体经济"},
        follow=True,
    )
    assert response.status_code == 200 and TopicSuggestion.objects.count() == before
    assert "alert-danger" in response.content.decode()


# ---------------------------------------------------------------------------------------------------
# Assigning


def test_adopting_a_suggestion_from_the_page(county, tw):
    report = _report(tw, tw.w.shijia)
    response = county.post(reverse("topics:assign", args=[report.pk]), {"suggestion": tw.b.pk}, follow=True)
    report.refresh_from_db()
    assert report.topic == tw.b.text
    line = response.content.decode().split(f'id="org-{report.pk}"')[1].split("</section>")[0]
    assert f"<strong>{tw.b.text}</strong>" in line and zh("Adopted") in line
    event = AuditEvent.objects.get(action="report.topic_assign")
    assert event.actor == tw.w.county_staff and event.changes["suggestion"] == [None, tw.b.pk]


def test_typing_a_topic_on_the_page(county, tw):
    report = _report(tw, tw.w.liaoyang)
    county.post(reverse("topics:assign", args=[report.pk]), {"text": "以党建引领社区治理"})
    report.refresh_from_db()
    assert report.topic == "以党建引领社区治理"


def test_an_empty_typed_topic_or_another_sessions_suggestion_is_refused(county, tw):
    report = _report(tw, tw.w.shijia)
    page = county.post(
        reverse("topics:assign", args=[report.pk]), {"text": "  "}, follow=True
    ).content.decode()
    assert zh("Type the topic, or adopt one of the suggestions.") in page
    page = county.post(
        reverse("topics:assign", args=[report.pk]), {"suggestion": tw.f.pk}, follow=True
    ).content.decode()
    assert zh("That suggestion no longer exists.") in page
    report.refresh_from_db()
    assert report.topic == ""


# ---------------------------------------------------------------------------------------------------
# Bounded queries


def _queries(client, session) -> int:
    with CaptureQueriesContext(connection) as queries:
        _page(client, session)
    return len(queries)


def test_the_page_runs_the_same_queries_however_many_suggestions_and_reporters(county, tw):
    few = _queries(county, tw.w.shijia_session)
    village = tw.w.shijia_v2
    for i in range(3, 9):  # six more villages reporting, each with suggestions in categories
        from tests.conftest import make_org

        org = make_org(f"T01V0{i}", f"第{i}村党支部", tw.w.shijia)
        Report.objects.create(session=tw.w.shijia_session, organisation=org, order=i)
        for j in range(4):
            s = topics.suggestion_enter(
                actor=tw.w.shijia_staff,
                session=tw.w.shijia_session,
                organisation=org,
                text=f"第{i}村第{j}条建议",
                source=SuggestionSource.PUBLIC,
            )
            topics.suggestion_classify(
                actor=tw.w.shijia_staff, suggestion=s, category=TopicCategory.objects.all()[j % 3]
            )
    topics.suggestion_enter(
        actor=tw.w.shijia_staff,
        session=tw.w.shijia_session,
        organisation=village,
        text="东庄村建议",
        source="public",
    )
    many = _queries(county, tw.w.shijia_session)
    assert many == few
    assert few <= 12


# ---------------------------------------------------------------------------------------------------
# The poster


def _pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "poster.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout
    return "".join(out.decode().split())


def _pdf_info(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout


def test_the_poster_has_the_title_the_call_and_the_link(county, tw, tmp_path, settings):
    settings.SITE_URL = "https://shuzhi.example.gov.cn"
    response = county.get(
        reverse("topics:poster", args=[tw.w.county_session.pk]), {"deadline": "2026年1月10日"}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = _pdf_text(response.content, tmp_path)
    url = f"https://shuzhi.example.gov.cn/topics/p/{tw.county_call.token}/"
    assert tw.w.county_session.title in text and url in text
    with translation.override("zh-hans"):
        for msgid in ("Propose a topic for the party secretaries' duty reports", "Scan to propose a topic"):
            assert "".join(zh(msgid).split()) in text
        assert (
            "".join((zh("Suggestions close: %(deadline)s") % {"deadline": "2026年1月10日"}).split()) in text
        )
    assert tw.w.county.name in text and tw.w.shijia.name in text
    info = _pdf_info(response.content, tmp_path)
    assert re.search(r"Pages:\s+1\n", info) and "595.276 x 841.89" in info  # one A4 page


def test_the_poster_qr_code_holds_the_public_link(tw, settings):
    settings.SITE_URL = "https://shuzhi.example.gov.cn/"
    url = f"https://shuzhi.example.gov.cn/topics/p/{tw.county_call.token}/"
    html = topics_documents.topic_poster_html(tw.w.county_session, tw.county_call)
    assert reviews_documents.qr_svg(url) in html  # the same link, encoded
    assert "font-family" in html.split("@bottom-center")[1].split("}")[0]


def test_a_poster_for_thirty_reporters_names_a_few_and_stays_on_one_page(tw, tmp_path):
    from tests.conftest import make_org

    for i in range(3, 33):
        org = make_org(f"P{i:02d}", f"第{i}村股份经济合作社党支部", tw.w.shijia)
        Report.objects.create(session=tw.w.shijia_session, organisation=org, order=i)
    with translation.override("zh-hans"):
        pdf = topics_documents.topic_poster_pdf(
            tw.w.shijia_session, tw.shijia_call, deadline="2026年1月10日（周六）前"
        )
    text = _pdf_text(pdf, tmp_path)
    assert re.search(r"Pages:\s+1\n", _pdf_info(pdf, tmp_path))
    assert tw.w.shijia_v1.name in text and "第32村股份经济合作社党支部" not in text and "32" in text


def test_there_is_no_poster_before_the_call_is_opened(county, world):
    response = county.get(reverse("topics:poster", args=[world.county_session.pk]))
    assert response.status_code == 302 and response["Location"] == reverse(
        "topics:session", args=[world.county_session.pk]
    )


# ---------------------------------------------------------------------------------------------------
# Categories page


def test_county_staff_add_a_category_on_the_page(county, world):
    response = county.post(reverse("topics:categories"), {"new-name": "乡村振兴", "new-order": 6})
    assert response.status_code == 302
    assert TopicCategory.objects.filter(name="乡村振兴", order=6).exists()
    economy = category("集体经济")
    county.post(
        reverse("topics:categories"),
        {"id": economy.pk, f"c{economy.pk}-name": "壮大集体经济", f"c{economy.pk}-order": 1},
    )
    assert TopicCategory.objects.get(pk=economy.pk).name == "壮大集体经济"
    page = county.get(reverse("topics:categories")).content.decode()
    assert "乡村振兴" in page and "壮大集体经济" in page


def test_township_staff_see_the_categories_but_cannot_change_them(client, world):
    client.force_login(world.shijia_staff)
    assert client.get(reverse("topics:categories")).status_code == 200
    response = client.post(
        reverse("topics:categories"), {"new-name": "乡村振兴", "new-order": 6}, follow=True
    )
    assert zh("The categories are shared by every session; only the county office changes them.") in (
        response.content.decode()
    )
    assert not TopicCategory.objects.filter(name="乡村振兴").exists()
    client.post(reverse("topics:category_delete", args=[category("作风建设").pk]))
    assert TopicCategory.objects.filter(name="作风建设").exists()


def test_removing_an_unused_category_on_the_page(county, world):
    county.post(reverse("topics:category_delete", args=[category("作风建设").pk]))
    assert not TopicCategory.objects.filter(name="作风建设").exists()


# ---------------------------------------------------------------------------------------------------
# Where the assigned topic shows (read-only use of the scoring pages)


def test_the_delegate_ballot_shows_the_assigned_topic(client, db):
    from tests.scoring.conftest import ScoredWorld

    scored = ScoredWorld()
    first = scored.reports[0]
    topics.report_topic_assign(actor=scored.county_staff, report=first, text="如何以党建引领乡村全域振兴")
    page = client.get(reverse("vote:ballot", args=[scored.leader_codes[0].token])).content.decode()
    assert "如何以党建引领乡村全域振兴" in page
    assert page.index(first.organisation.name) < page.index("如何以党建引领乡村全域振兴")


def test_the_results_workbook_shows_the_assigned_topic(db):
    from scoring.results.exports import ResultsWorkbook
    from tests.scoring.conftest import ScoredWorld
    from tests.scoring.results.test_exports import example

    scored = ScoredWorld(open_scoring=False)
    topics.topic_call_open(actor=scored.county_staff, session=scored.session)
    s = topics.suggestion_enter(
        actor=scored.county_staff,
        session=scored.session,
        organisation=scored.reports[1].organisation,
        text="社区治理怎么抓",
        source=SuggestionSource.PUBLIC,
        supporters=5,
    )
    topics.report_topic_assign(actor=scored.county_staff, report=scored.reports[1], suggestion=s)
    example(scored, breakdown_min_ballots=3)
    with translation.override("zh-hans"):
        _name, _type, content = ResultsWorkbook().render(scored.session)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(row for row in rows if "点题" in row or "Topic" in row)
    column = header.index("点题" if "点题" in header else "Topic")
    liaoyang = next(row for row in rows if row[1] == scored.reports[1].organisation.name)
    assert liaoyang[column] == "社区治理怎么抓"
