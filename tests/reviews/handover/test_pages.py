"""The hand-over pages (问题交办): the session's reporters, the review-and-issue form, the notice on screen.

The form is read back from the page's HTML and posted as a browser without JavaScript would post it.
"""

import datetime
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from reviews.cycles.models import Report
from reviews.findings.models import Finding, FindingSource
from reviews.handover import services as handover_services
from reviews.orgs.models import Person
from reviews.rectification import services as rectification_services
from reviews.rectification.models import ProblemCategory, RectificationItem, RectificationNotice
from tests.conftest import make_org, make_secretary

ISSUED_ON = datetime.date(2026, 2, 2)


@pytest.fixture(autouse=True)
def _language_not_left_english():
    """The middleware activates the cookie's English and leaves it active; later tests expect the default."""
    yield
    translation.deactivate()


def _as(client, user):
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


class FormReader(HTMLParser):
    """The fields of the page's POST form with the values a browser would submit untouched."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self.in_form = False
        self.textarea: str | None = None
        self.select: str | None = None
        self.first_option: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method") == "post" and "action" not in a:
            self.in_form = True
        if not self.in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.data[name] = a.get("value") or "on"
            else:
                self.data[name] = a.get("value") or ""
        elif tag == "textarea" and name:
            self.textarea = name
            self.data[name] = ""
        elif tag == "select" and name:
            self.select, self.first_option = name, None
        elif tag == "option" and self.select:
            value = a.get("value", "")
            if self.first_option is None:
                self.first_option = value
                self.data.setdefault(self.select, value)
            if "selected" in a:
                self.data[self.select] = value

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea] += data.removeprefix("\n") if not self.data[self.textarea] else data


def form_of(response) -> dict[str, str]:
    reader = FormReader()
    reader.feed(response.content.decode())
    assert reader.data, "no POST form on the page"
    return reader.data


def _url(session, org):
    return reverse("handover:organisation", args=[session.pk, org.pk])


def _counts():
    return (RectificationNotice.objects.count(), RectificationItem.objects.count(), Finding.objects.count())


@pytest.fixture
def pending(world):
    """Three problems of 石匣乡 waiting after the county meeting, and one of 辽阳镇."""

    def finding(org, text, source=FindingSource.SUPERIOR):
        return Finding.objects.create(cycle=world.cycle, organisation=org, source=source, description=text)

    return [
        finding(world.shijia, "基层党建责任清单落实不到位"),
        finding(world.shijia, "党员教育管理存在薄弱环节", FindingSource.QUESTION),
        finding(world.shijia, "村级后备力量储备不足", FindingSource.COMMENT),
        finding(world.liaoyang, "辽阳镇：流动党员管理松散"),
    ]


@pytest.fixture
def staff(client, world):
    return _as(client, world.county_staff)


def _ready(staff, world):
    """The page for 石匣乡 as it comes, with the notice dated ISSUED_ON and every row's measures typed."""
    page = staff.get(_url(world.county_session, world.shijia))
    assert page.status_code == 200
    data = form_of(page)
    data["issued_on"] = ISSUED_ON.isoformat()
    for i in range(3):
        data[f"f-{i}-measures"] = f"整改措施{i}"
    return data


# ---------------------------------------------------------------------------------------------------
# The form: defaults and issuing


def test_the_form_offers_each_pending_problem_with_the_defaults(staff, world, pending):
    page = staff.get(_url(world.county_session, world.shijia))
    content = page.content.decode()
    for finding in pending[:3]:
        assert finding.description in content
    assert pending[3].description not in content
    data = form_of(page)
    today = rectification_services.today()
    assert data["issuer"] == "中共示范县委员会"
    assert data["issued_on"] == today.isoformat()
    assert data["f-TOTAL_FORMS"] == "3" and data["x-TOTAL_FORMS"] == "2"
    for i, finding in enumerate(pending[:3]):
        assert data[f"f-{i}-include"] == "on"
        assert data[f"f-{i}-finding"] == str(finding.pk)
        assert data[f"f-{i}-problem"] == finding.description
        assert data[f"f-{i}-responsible"] == "王建国"
        assert data[f"f-{i}-deadline"] == handover_services.default_deadline(today).isoformat()
        assert data[f"f-{i}-measures"] == ""
    assert data["x-0-responsible"] == "王建国" and data["x-0-problem"] == ""
    assert "Found by the superior committee" in content and "On-the-spot question" in content


def test_the_default_responsible_is_the_secretary_in_post_when_the_report_names_none(staff, world, pending):
    Report.objects.filter(pk=world.county_reports[0].pk).update(secretary=None)
    data = form_of(staff.get(_url(world.county_session, world.shijia)))
    assert data["f-0-responsible"] == "王建国"


def test_issuing_creates_the_notice_with_the_edited_values(staff, world, pending):
    data = _ready(staff, world)
    category = ProblemCategory.objects.get(name="组织生活")
    data["f-0-problem"] = "基层党建责任清单落实不到位，个别村书记职责不清"
    data["f-0-category"] = str(category.pk)
    data["f-1-responsible"] = "张组织委员"
    data["f-1-deadline"] = "2026-06-30"
    data["f-1-commit_analyse"] = "教育管理制度执行不严"
    data["f-1-commit_establish"] = "建立党员积分管理制度"
    data.pop("f-2-include")  # left unticked: stays pending
    data["f-2-measures"] = ""
    data["x-0-problem"] = "村务公开栏信息更新不及时"
    data["x-0-source"] = FindingSource.PUBLIC
    data["x-0-measures"] = "每月5日前更新公开栏"
    # x-1 is left as it came (a default name and date, nothing else): ignored.

    response = staff.post(_url(world.county_session, world.shijia), data)

    notice = RectificationNotice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("handover:notice", args=[notice.pk])
    assert (notice.organisation, notice.session, notice.number) == (world.shijia, world.county_session, 1)
    assert notice.issued_on == ISSUED_ON and notice.issuer == "中共示范县委员会"
    assert notice.issued_by == world.county_staff
    first, second, typed = notice.items.order_by("number")
    assert (first.finding, first.problem, first.measures) == (
        pending[0],
        "基层党建责任清单落实不到位，个别村书记职责不清",
        "整改措施0",
    )
    assert first.category == category
    assert first.responsible == "王建国" and first.responsible_person == world.shijia_secretary
    assert first.deadline == handover_services.default_deadline(rectification_services.today())
    assert (second.finding, second.responsible, second.responsible_person) == (pending[1], "张组织委员", None)
    assert second.deadline == second.original_deadline == datetime.date(2026, 6, 30)
    assert (second.commit_analyse, second.commit_correct, second.commit_establish) == (
        "教育管理制度执行不严",
        "",
        "建立党员积分管理制度",
    )
    assert second.source == FindingSource.QUESTION
    assert typed.problem == "村务公开栏信息更新不及时" and typed.source == FindingSource.PUBLIC
    assert typed.finding.description == "村务公开栏信息更新不及时"
    assert typed.finding.organisation == world.shijia and typed.finding.report == world.county_reports[0]
    assert list(handover_services.handover_findings(world.county_session, world.shijia)) == [pending[2]]
    assert list(handover_services.handover_findings(world.county_session, world.liaoyang)) == [pending[3]]

    page = staff.get(response["Location"])
    assert "Notice [2026] No. 1 issued to 中共石匣乡委员会: 3 items handed over." in page.content.decode()


def test_the_next_notice_of_the_session_takes_the_next_number(staff, world, rectified):
    Finding.objects.create(
        cycle=world.cycle, organisation=world.liaoyang, source=FindingSource.SUPERIOR, description="新问题"
    )
    data = form_of(staff.get(_url(world.county_session, world.liaoyang)))
    assert data["f-TOTAL_FORMS"] == "1"
    data["f-0-measures"] = "立即整改"
    response = staff.post(_url(world.county_session, world.liaoyang), data)
    assert response.status_code == 302
    notice = RectificationNotice.objects.get(session=world.county_session, number=3)
    assert notice.organisation == world.liaoyang and notice.items.get().problem == "新问题"


def test_an_organisation_with_no_pending_problem_can_still_hand_over_one_typed_on_the_spot(staff, world):
    page = staff.get(_url(world.county_session, world.liaoyang))
    assert "No recorded problem is waiting to be handed over." in page.content.decode()
    data = form_of(page)
    data.update(
        {
            "x-1-problem": "会场提出：党群服务中心开放时间短",
            "x-1-source": "question",
            "x-1-measures": "延长开放",
        }
    )
    assert staff.post(_url(world.county_session, world.liaoyang), data).status_code == 302
    item = RectificationItem.objects.get()
    assert item.source == FindingSource.QUESTION and item.number == 1


# ---------------------------------------------------------------------------------------------------
# The form: refusals, each with its message, a 400 and nothing written


def _refused(staff, world, data, org=None):
    before = _counts()
    response = staff.post(_url(world.county_session, org or world.shijia), data)
    assert response.status_code == 400
    assert _counts() == before
    return response


def test_an_included_row_without_measures_is_refused_beside_its_row(staff, world, pending):
    data = _ready(staff, world)
    data["f-1-measures"] = "  "
    response = _refused(staff, world, data)
    rows = response.context["found"].forms
    assert rows[1].errors["measures"] == ["Write the rectification measures."]
    assert not rows[0].errors and not rows[2].errors
    content = response.content.decode()
    assert "Some entries need correcting (see the marked rows); nothing has been issued." in content
    # What was typed is kept.
    assert form_of(response)["f-0-measures"] == "整改措施0"


def test_a_deadline_before_the_notice_date_is_refused(staff, world, pending):
    data = _ready(staff, world)
    data["f-2-deadline"] = (ISSUED_ON - datetime.timedelta(days=1)).isoformat()
    response = _refused(staff, world, data)
    errors = response.context["found"].forms[2].errors["deadline"]
    assert errors == ["The deadline cannot be before the date of the notice (Feb. 2, 2026)."]


def test_a_problem_typed_without_its_source_is_refused(staff, world, pending):
    data = _ready(staff, world)
    data.update({"x-0-problem": "新问题", "x-0-measures": "整改"})
    response = _refused(staff, world, data)
    assert response.context["new"].forms[0].errors["source"] == ["Choose where the problem comes from."]


def test_a_name_too_long_for_the_ledger_is_refused_beside_its_row(staff, world, pending):
    data = _ready(staff, world)
    data["f-0-responsible"] = "张" * 41
    response = _refused(staff, world, data)
    assert response.context["found"].forms[0].errors["responsible"] == [
        "Ensure this value has at most 40 characters (it has 41)."
    ]


def test_nothing_included_is_refused(staff, world, pending):
    data = _ready(staff, world)
    for i in range(3):
        data.pop(f"f-{i}-include")
    response = _refused(staff, world, data)
    assert "Choose at least one problem to hand over." in response.content.decode()


def test_a_second_submit_of_the_same_problems_is_refused_with_a_clear_message(staff, world, pending):
    data = _ready(staff, world)
    assert staff.post(_url(world.county_session, world.shijia), data).status_code == 302
    response = _refused(staff, world, data)
    content = response.content.decode()
    assert "Item 1 has already been handed over (another notice was issued meanwhile)." in content
    assert "This problem has already been handed over on another notice." in content
    assert RectificationNotice.objects.count() == 1


def test_a_tampered_id_naming_another_organisations_problem_is_refused(staff, world, pending):
    data = _ready(staff, world)
    data["f-1-finding"] = str(pending[3].pk)  # 辽阳镇's problem, posted on 石匣乡's page
    response = _refused(staff, world, data)
    content = response.content.decode()
    assert "Item 2: this problem is not one of 中共石匣乡委员会 in this cycle." in content
    rows = response.context["found"].forms
    assert rows[1].non_field_errors() == ["This problem is not one of this organisation's in this cycle."]
    assert not rows[0].errors and not rows[2].errors
    # The other organisation's problem is not shown.
    assert pending[3].description not in content
    assert not Finding.objects.filter(rectification_item__isnull=False).exists()


def test_a_broken_form_is_refused_not_a_server_error(staff, world, pending):
    response = _refused(staff, world, {"issued_on": "yesterday"})
    assert response.context["header"].errors["issued_on"]


# ---------------------------------------------------------------------------------------------------
# Who may hand over


def test_anonymous_users_are_sent_to_the_login_page(client, world, rectified):
    for url in (
        reverse("handover:session", args=[world.county_session.pk]),
        _url(world.county_session, world.shijia),
        reverse("handover:notice", args=[rectified.shijia_notice.pk]),
        reverse("handover:notice_pdf", args=[rectified.shijia_notice.pk]),
        reverse("handover:problems_pdf", args=[rectified.shijia_notice.pk]),
        reverse("handover:session_pdf", args=[world.county_session.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url


def test_township_staff_cannot_hand_over_their_own_townships_problems(client, world, pending):
    _as(client, world.shijia_staff)
    before = _counts()
    assert client.get(reverse("handover:session", args=[world.county_session.pk])).status_code == 404
    assert client.get(_url(world.county_session, world.shijia)).status_code == 404
    data = {"issued_on": "2026-02-02", "f-TOTAL_FORMS": "1", "f-INITIAL_FORMS": "1", "f-0-include": "on"}
    data.update({"f-0-finding": str(pending[0].pk), "f-0-problem": "x", "f-0-measures": "y"})
    data.update({"f-0-responsible": "z", "f-0-deadline": "2026-05-01"})
    data.update({"x-TOTAL_FORMS": "0", "x-INITIAL_FORMS": "0"})
    assert client.post(_url(world.county_session, world.shijia), data).status_code == 404
    assert _counts() == before
    # Their own session's reporters are theirs to hand over.
    Report.objects.create(session=world.shijia_session, organisation=world.shijia_v1, order=1)
    assert client.get(_url(world.shijia_session, world.shijia_v1)).status_code == 200


def test_staff_outside_the_scope_and_secretaries_get_404(client, world, rectified):
    _as(client, world.liaoyang_staff)
    assert client.get(reverse("handover:session", args=[world.shijia_session.pk])).status_code == 404
    assert client.get(_url(world.shijia_session, world.shijia_v1)).status_code == 404
    _as(client, rectified.wang)
    assert client.get(reverse("handover:session", args=[world.county_session.pk])).status_code == 404
    assert client.get(_url(world.county_session, world.shijia)).status_code == 404


def test_an_organisation_not_reporting_in_the_session_is_not_found(staff, world):
    assert staff.get(_url(world.county_session, world.shijia_v1)).status_code == 404
    assert staff.get(_url(world.county_session, world.county)).status_code == 404


# ---------------------------------------------------------------------------------------------------
# The session overview


def test_the_overview_lists_reporters_in_order_with_pending_problems_and_notices(staff, world, rectified):
    Finding.objects.create(
        cycle=world.cycle, organisation=world.liaoyang, source=FindingSource.PUBLIC, description="待交办"
    )
    page = staff.get(reverse("handover:session", args=[world.county_session.pk]))
    content = page.content.decode()
    assert content.index("中共石匣乡委员会") < content.index("中共辽阳镇委员会")
    assert "王建国" in content and "李春华" in content
    rows = {row["report"].organisation: row for row in page.context["rows"]}
    assert rows[world.shijia]["pending"] == 0 and rows[world.liaoyang]["pending"] == 1
    assert [(n.number, n.item_count) for n in rows[world.shijia]["notices"]] == [(1, 3)]
    assert [(n.number, n.item_count) for n in rows[world.liaoyang]["notices"]] == [(2, 2)]
    assert f'data-org="{world.liaoyang.pk}"' in content and 'data-pending="1"' in content
    assert reverse("handover:notice", args=[rectified.shijia_notice.pk]) in content
    assert reverse("handover:organisation", args=[world.county_session.pk, world.liaoyang.pk]) in content
    assert reverse("handover:session_pdf", args=[world.county_session.pk]) in content
    assert "[2026] No. 2" in content and "3 items" in content


def test_the_print_all_button_appears_only_once_a_notice_is_issued(staff, world):
    page = staff.get(reverse("handover:session", args=[world.county_session.pk])).content.decode()
    assert reverse("handover:session_pdf", args=[world.county_session.pk]) not in page
    assert staff.get(reverse("handover:session_pdf", args=[world.county_session.pk])).status_code == 404


def _more_reporters(world, count: int) -> None:
    """`count` more townships in the county session, half with a secretary named on the report, each
    with a pending problem and an issued notice."""
    for n in range(count):
        org = make_org(f"T9{n:02d}", f"第{n}镇党委", world.county)
        person = make_secretary(org, f"书记{n}")
        Report.objects.create(
            session=world.county_session, organisation=org, order=10 + n, secretary=person if n % 2 else None
        )
        done = Finding.objects.create(
            cycle=world.cycle, organisation=org, source=FindingSource.SUPERIOR, description=f"已交办{n}"
        )
        Finding.objects.create(
            cycle=world.cycle, organisation=org, source=FindingSource.SUPERIOR, description=f"待交办{n}"
        )
        handover_services.notice_issue(
            actor=world.county_staff,
            session=world.county_session,
            organisation=org,
            items=[
                handover_services.ItemDraft(
                    finding=done,
                    problem=done.description,
                    measures="改",
                    responsible="书记",
                    deadline=ISSUED_ON,
                )
            ],
            issued_on=ISSUED_ON,
        )


def test_the_overview_takes_the_same_few_queries_for_two_or_many_reporters(
    staff, world, rectified, django_assert_max_num_queries
):
    url = reverse("handover:session", args=[world.county_session.pk])
    # One report naming its secretary, one left to the appointments: both ways of finding the name.
    Report.objects.filter(pk=world.county_reports[1].pk).update(secretary=None)
    staff.get(url)  # warm up (content types, the session)
    with CaptureQueriesContext(connection) as few:
        assert staff.get(url).status_code == 200
    assert len(few) <= 12
    _more_reporters(world, 12)
    with django_assert_max_num_queries(len(few)):
        page = staff.get(url)
    assert len(page.context["rows"]) == 14
    assert sum(row["pending"] for row in page.context["rows"]) == 12
    assert "书记11" in page.content.decode() and "书记10" in page.content.decode()


# ---------------------------------------------------------------------------------------------------
# The notice on screen, and who reads it


def test_the_notice_page_shows_the_items_and_links_to_both_pdfs(staff, world, rectified):
    notice = rectified.shijia_notice
    content = staff.get(reverse("handover:notice", args=[notice.pk])).content.decode()
    assert "[2026] No. 1" in content and "中共石匣乡委员会" in content and "中共示范县委员会" in content
    for item in rectified.shijia_items:
        assert item.problem in content and item.measures in content
    assert "April 20, 2026" in content and "May 20, 2026" in content
    assert reverse("handover:notice_pdf", args=[notice.pk]) in content
    assert reverse("handover:problems_pdf", args=[notice.pk]) in content


def _readable(client, user, notice) -> list[int]:
    client.force_login(user)
    return [
        client.get(reverse(name, args=[notice.pk])).status_code
        for name in ("handover:notice", "handover:notice_pdf", "handover:problems_pdf")
    ]


def test_the_secretary_reads_their_own_notice_and_no_other(client, world, rectified):
    assert _readable(client, rectified.wang, rectified.shijia_notice) == [200, 200, 200]
    assert _readable(client, rectified.li, rectified.shijia_notice) == [404, 404, 404]
    assert _readable(client, rectified.zhao, rectified.village_notice) == [200, 200, 200]
    assert _readable(client, rectified.zhao, rectified.shijia_notice) == [404, 404, 404]


def test_a_person_named_responsible_reads_the_notice(client, world, rectified):
    from django.contrib.auth.models import User

    user = User.objects.create_user("deputy", password="pw")
    person = Person.objects.create(name="副书记", user=user)
    assert _readable(client, user, rectified.liaoyang_notice) == [404, 404, 404]
    item = rectified.liaoyang_items[1]
    item.responsible_person = person
    item.save()
    assert _readable(client, user, rectified.liaoyang_notice) == [200, 200, 200]


def test_staff_of_the_host_and_of_the_organisation_read_the_notice_others_do_not(client, world, rectified):
    assert _readable(client, world.county_staff, rectified.shijia_notice) == [200, 200, 200]
    # 石匣乡's staff read the notice the county sent them, and their own notice to 石匣村.
    assert _readable(client, world.shijia_staff, rectified.shijia_notice) == [200, 200, 200]
    assert _readable(client, world.shijia_staff, rectified.village_notice) == [200, 200, 200]
    assert _readable(client, world.liaoyang_staff, rectified.shijia_notice) == [404, 404, 404]
    assert _readable(client, world.liaoyang_staff, rectified.village_notice) == [404, 404, 404]
