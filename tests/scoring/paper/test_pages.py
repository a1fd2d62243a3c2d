"""The paper-ballot pages (/manage/paper/…): overview, blind double entry, resolving a mismatch."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from reviews.orgs.permissions import staff_group_ensure
from scoring.ballots import services
from scoring.ballots.models import Ballot, Score
from scoring.paper.models import PaperBallot, PaperStatus
from scoring.schemes.models import Criterion, EvaluatorGroup, Scheme
from tests.conftest import make_staff

GRADE_SELECTED = re.compile(r'<option value="(good|fairly_good|average|poor)"[^>]*selected')


def _zh(msgid: str, **values) -> str:
    """The page's text: the Chinese translation once the catalogue has it, else the English msgid."""
    with translation.override("zh-hans"):
        return gettext(msgid) % values if values else gettext(msgid)


@pytest.fixture
def clerks(scored) -> tuple[Client, Client, Client, User]:
    """Logged-in clients of two clerks and a third staff member (and the third's user)."""
    third = make_staff("clerk3", scored.county)
    third.groups.add(staff_group_ensure())
    EvaluatorGroup.objects.filter(pk=scored.delegates.pk).update(paper_issued=10)
    clients = []
    for user in (scored.county_staff, scored.superuser, third):
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients[0], clients[1], clients[2], third


def _enter_url(world) -> str:
    return reverse("paper:enter", args=[world.session.pk])


def _form(world, serial=1, grade="good", group=None, reason="", other="", **by_order) -> dict[str, str]:
    data = {"group": str((group or world.delegates).pk), "serial": str(serial)}
    data |= {f"m-{r}-{c}": v for (r, c), v in world.marks(grade, **by_order).items()}
    if reason:
        data |= {"invalid": "on", "reason": reason, "other": other}
    return data


def _selected_grades(html: str) -> list[str]:
    return GRADE_SELECTED.findall(html)


def _mismatch(world, clerks) -> PaperBallot:
    first, second, *_ = clerks
    first.post(_enter_url(world), _form(world, serial=4, r1="poor"))
    second.post(_enter_url(world), _form(world, serial=4, r1="average"))
    paper = PaperBallot.objects.get(serial=4)
    assert paper.status == PaperStatus.MISMATCH
    return paper


# ---------------------------------------------------------------------------------------------------
# Access


def test_anonymous_visitors_are_sent_to_the_login_page(scored):
    paper = PaperBallot.objects.create(session=scored.session, group=scored.delegates, serial=1)
    for url in (
        reverse("paper:session", args=[scored.session.pk]),
        _enter_url(scored),
        reverse("paper:resolve", args=[paper.pk]),
    ):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_township_staff_get_404_for_a_county_session(scored):
    paper = PaperBallot.objects.create(
        session=scored.session, group=scored.delegates, serial=1, status=PaperStatus.MISMATCH
    )
    client = Client()
    client.force_login(scored.shijia_staff)
    for url in (
        reverse("paper:session", args=[scored.session.pk]),
        _enter_url(scored),
        reverse("paper:resolve", args=[paper.pk]),
    ):
        assert client.get(url).status_code == 404
    assert client.post(_enter_url(scored), _form(scored)).status_code == 404
    assert not Ballot.objects.exists()


def test_a_session_without_a_scheme_sends_staff_to_set_one_up(world):
    client = Client()
    client.force_login(world.county_staff)
    response = client.get(reverse("paper:enter", args=[world.county_session.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("scoring:session", args=[world.county_session.pk])


# ---------------------------------------------------------------------------------------------------
# Entry


def test_two_clerks_enter_a_form_and_see_each_outcome(scored, clerks):
    first, second, *_ = clerks
    response = first.post(_enter_url(scored), _form(scored, serial=1), follow=True)
    assert response.redirect_chain[-1][0] == f"{_enter_url(scored)}?group={scored.delegates.pk}"
    waiting = _zh("No. %(serial)s: first entry saved; waiting for the second entry.", serial=1)
    assert "pe-outcome-waiting" in response.content.decode()
    assert waiting in response.content.decode()
    assert not Ballot.objects.exists()

    response = second.post(_enter_url(scored), _form(scored, serial=1), follow=True)
    assert _zh("No. %(serial)s: both entries agree; the ballot is counted.", serial=1) in (
        response.content.decode()
    )
    assert Ballot.objects.get().channel == "paper"

    first.post(_enter_url(scored), _form(scored, serial=2, r2="poor"))
    response = second.post(_enter_url(scored), _form(scored, serial=2, r2="fairly_good"), follow=True)
    assert _zh("No. %(serial)s: the two entries differ; the form waits to be resolved.", serial=2) in (
        response.content.decode()
    )

    first.post(_enter_url(scored), _form(scored, serial=3, reason="blank"))
    response = second.post(_enter_url(scored), _form(scored, serial=3, reason="blank"), follow=True)
    assert _zh("No. %(serial)s: recorded as an invalid ballot.", serial=3) in response.content.decode()
    assert Ballot.objects.get(receipt="P000003").invalid_reason == _zh("Blank form")
    assert Ballot.objects.count() == 2


def test_after_saving_the_form_is_fresh_with_the_group_kept(scored, clerks):
    first, *_ = clerks
    response = first.post(
        _enter_url(scored), _form(scored, serial=8, group=scored.leaders, r1="poor"), follow=True
    )
    html = response.content.decode()
    assert f'<option value="{scored.leaders.pk}" selected>' in html
    assert _selected_grades(html) == []
    serial = re.search(r'<input[^>]*name="serial"[^>]*>', html)[0]
    assert "autofocus" in serial and "value=" not in serial  # the form number typed before is gone


def test_the_second_clerk_never_sees_the_first_entry(scored, clerks):
    first, second, *_ = clerks
    first.post(_enter_url(scored), _form(scored, serial=5, grade="fairly_good", r1="poor"))

    page = second.get(_enter_url(scored)).content.decode()
    assert _selected_grades(page) == []
    assert 'data-value="poor"' not in page and 'data-value="fairly_good"' not in page

    overview = second.get(reverse("paper:session", args=[scored.session.pk])).content.decode()
    overview = overview[overview.index("<main") : overview.index("</main>")]
    assert "county" in overview  # who entered it …
    for label in ("poor", "fairly_good", _zh("Poor"), _zh("Fairly good")):
        assert label not in overview  # … but never what

    # Refused (another group): the page keeps the second clerk's own marks, not the first clerk's.
    refused = second.post(_enter_url(scored), _form(scored, serial=5, group=scored.leaders))
    assert set(_selected_grades(refused.content.decode())) == {"good"}


def test_a_refusal_is_shown_with_the_typed_marks_kept(scored, clerks):
    first, *_ = clerks
    first.post(_enter_url(scored), _form(scored, serial=6))
    response = first.post(_enter_url(scored), _form(scored, serial=6, r2="average"))
    html = response.content.decode()
    assert response.status_code == 200
    message = _zh(
        "You have entered form No. %(serial)s already; another staff member types the second entry.",
        serial=6,
    )
    assert message in html
    assert sorted(set(_selected_grades(html))) == ["average", "good"]
    assert 'name="serial" value="6"' in html
    assert PaperBallot.objects.get().entries.count() == 1


def test_an_incomplete_form_is_refused_and_the_cursor_goes_to_the_gap(scored, clerks):
    first, *_ = clerks
    data = _form(scored, serial=9)
    data[f"m-{scored.reports[1].pk}-{scored.criteria[2].pk}"] = ""
    html = first.post(_enter_url(scored), data).content.decode()
    assert 'data-refused="incomplete"' in html
    assert scored.reports[1].organisation.name in html
    assert not PaperBallot.objects.exists()


def test_an_invalid_form_needs_a_reason(scored, clerks):
    first, *_ = clerks
    data = _form(scored, serial=10)
    data["invalid"] = "on"
    html = first.post(_enter_url(scored), data).content.decode()
    assert _zh("Choose why the form is invalid.") in html
    data |= {"reason": "other", "other": ""}
    html = first.post(_enter_url(scored), data).content.decode()
    assert _zh("Describe why the form is invalid.") in html
    data["other"] = "用红笔涂改"
    first.post(_enter_url(scored), data)
    assert PaperBallot.objects.get().entries.get().invalid_reason == "用红笔涂改"


def test_entry_is_closed_when_scoring_is_not_open(scored, clerks):
    first, *_ = clerks
    services.scoring_close(actor=scored.county_staff, session=scored.session)
    page = first.get(_enter_url(scored)).content.decode()
    assert _zh("Paper ballots can be entered only while scoring is open.") in page
    assert "data-paper-form" not in page
    response = first.post(_enter_url(scored), _form(scored, serial=1))
    assert _zh("Paper ballots can be entered only while scoring is open.") in response.content.decode()
    assert not PaperBallot.objects.exists()


def test_points_typed_differently_but_equal_agree(scored_closed_scheme):
    world = scored_closed_scheme
    Scheme.objects.filter(pk=world.scheme.pk).update(mode="points")
    Criterion.objects.filter(scheme=world.scheme).exclude(pk=world.criteria[0].pk).delete()
    services.scoring_open(actor=world.county_staff, session=world.session)
    EvaluatorGroup.objects.filter(pk=world.delegates.pk).update(paper_issued=5)
    typed = ("90.0", "９０")
    for user, points in zip((world.county_staff, world.superuser), typed, strict=True):
        client = Client()
        client.force_login(user)
        data = {"group": str(world.delegates.pk), "serial": "1"}
        data |= {f"m-{r.pk}-{world.criteria[0].pk}": points for r in world.reports}
        client.post(reverse("paper:enter", args=[world.session.pk]), data)
    assert PaperBallot.objects.get().status == PaperStatus.COUNTED
    assert set(Score.objects.values_list("points", flat=True)) == {90}


# ---------------------------------------------------------------------------------------------------
# Overview


def test_the_overview_counts_forms_and_links_mismatches(scored, clerks):
    first, second, *_ = clerks
    paper = _mismatch(scored, clerks)
    first.post(_enter_url(scored), _form(scored, serial=1))
    second.post(_enter_url(scored), _form(scored, serial=2))
    first.post(_enter_url(scored), _form(scored, serial=2))
    html = first.get(reverse("paper:session", args=[scored.session.pk])).content.decode()
    row = re.search(rf'data-group-row="{scored.delegates.pk}">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r'<td class="num[^"]*">(?:<a [^>]*>)?([^<]*)', row)
    # issued, entered once, counted, invalid, differ, back
    assert cells == ["10", "1", "1", "0", "1", "3 / 10"]
    assert reverse("paper:resolve", args=[paper.pk]) in html
    assert "data-over-issue" not in html


def test_the_overview_warns_when_more_forms_came_back_than_were_issued(scored, clerks):
    first, second, *_ = clerks
    EvaluatorGroup.objects.filter(pk=scored.delegates.pk).update(paper_issued=1)
    for serial in (1, 2):
        first.post(_enter_url(scored), _form(scored, serial=serial))
        second.post(_enter_url(scored), _form(scored, serial=serial))
    html = first.get(reverse("paper:session", args=[scored.session.pk])).content.decode()
    warning = _zh(
        "%(group)s: %(returned)s paper forms came back but only %(issued)s were issued. "
        "The tally voids every paper ballot of this group.",
        group=scored.delegates.name,
        returned=2,
        issued=1,
    )
    assert "data-over-issue" in html and warning in html


# ---------------------------------------------------------------------------------------------------
# Resolve


def test_the_resolve_page_highlights_differences_and_prefills_agreement(scored, clerks):
    *_, third_client, _third = clerks
    paper = _mismatch(scored, clerks)
    html = third_client.get(reverse("paper:resolve", args=[paper.pk])).content.decode()
    first_report = scored.reports[0]
    diff_cells = re.findall(r'<td class="pe-td pe-diff" data-diff>.*?name="(m-\d+-\d+)"', html, re.S)
    assert diff_cells == [f"m-{first_report.pk}-{c.pk}" for c in scored.criteria]
    # The agreed cells (reporter 2) are filled in; the differing ones are left to settle.
    assert _selected_grades(html) == ["good"] * len(scored.criteria)
    assert _zh("Poor") in html and _zh("Average") in html
    assert "data-paper-form" in html


def test_a_third_staff_member_resolves_a_mismatch(scored, clerks):
    *_, third_client, third = clerks
    paper = _mismatch(scored, clerks)
    response = third_client.post(
        reverse("paper:resolve", args=[paper.pk]),
        {f"m-{r}-{c}": v for (r, c), v in scored.marks(r1="poor").items()},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("paper:session", args=[scored.session.pk])
    paper.refresh_from_db()
    assert (paper.status, paper.resolved_by) == (PaperStatus.COUNTED, third)
    assert set(Score.objects.filter(report=scored.reports[0]).values_list("grade", flat=True)) == {"poor"}
    again = third_client.get(reverse("paper:resolve", args=[paper.pk]))
    assert again.status_code == 302


def test_a_clerk_who_typed_the_form_is_refused(scored, clerks):
    first, *_ = clerks
    paper = _mismatch(scored, clerks)
    refusal = _zh("A form is resolved by a third staff member, not by one who typed it.")
    html = first.get(reverse("paper:resolve", args=[paper.pk])).content.decode()
    assert refusal in html and "data-paper-form" not in html
    response = first.post(
        reverse("paper:resolve", args=[paper.pk]), {f"m-{r}-{c}": v for (r, c), v in scored.marks().items()}
    )
    assert refusal in response.content.decode()
    assert not Ballot.objects.exists()
