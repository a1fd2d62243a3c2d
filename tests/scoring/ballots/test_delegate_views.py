"""The delegate's pages (/vote/…): code entry, ballot, review, submit, receipt, and their refusals."""

import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from reviews.cycles.models import Report
from reviews.orgs.models import OrganisationKind
from scoring.ballots import services as ballots_services
from scoring.ballots.models import Ballot, Score
from scoring.codes import services as codes_services
from scoring.codes import throttle
from scoring.codes import tokens as codes
from scoring.codes.models import Credential
from scoring.schemes.models import Scheme
from tests.conftest import make_org, make_secretary
from tests.reviews.topics.test_services import zh
from tests.scoring.conftest import count_held_ballots


@pytest.fixture(autouse=True)
def _chinese_and_a_fresh_throttle():
    cache.clear()
    with translation.override("zh-hans"):
        yield
    cache.clear()


def _url(name: str, code: str, *args) -> str:
    return reverse(f"vote:{name}", args=[code, *args])


def _html(response) -> str:
    return response.content.decode()


def _radios_checked(html: str) -> int:
    return len(re.findall(r'type="radio"[^>]* checked', html))


def _use_points(world, max_points: int = 100) -> None:
    """A points scheme with one criterion, set before scoring opens (the scheme locks then)."""
    Scheme.objects.filter(pk=world.scheme.pk).update(mode="points")
    world.scheme.criteria.exclude(pk=world.criteria[0].pk).delete()
    world.scheme.criteria.filter(pk=world.criteria[0].pk).update(max_points=max_points)
    world.criteria = world.criteria[:1]
    ballots_services.scoring_open(actor=world.county_staff, session=world.session)


# ---------------------------------------------------------------------------------------------------
# Entry


def test_the_entry_page_asks_for_the_code(client, db):
    response = client.get(reverse("vote:entry"))
    assert response.status_code == 200
    html = _html(response)
    assert "输入测评码" in html and 'name="code"' in html and "csrfmiddlewaretoken" in html


def test_a_typed_short_code_opens_its_ballot_whatever_the_case_and_dashes(client, scored):
    code = scored.leader_codes[0]
    typed = " " + code.short_display.lower().replace("-", " - ") + " "
    response = client.post(reverse("vote:entry"), {"code": typed})
    assert response.status_code == 302
    assert response["Location"] == _url("ballot", code.short_code)


def test_an_unknown_code_is_shown_again_with_a_message(client, scored):
    response = client.post(reverse("vote:entry"), {"code": "ABCDE-FGHJK"})
    assert response.status_code == 200
    assert "未找到该测评码" in _html(response) and 'value="ABCDE-FGHJK"' in _html(response)


def _too_many(minutes: int) -> str:
    message = zh(
        "Too many wrong codes were typed on this network. Scan the QR code on your slip, "
        "or try again in %(minutes)s minute(s)."
    )
    return message % {"minutes": minutes}


def test_typed_guesses_are_throttled_after_the_allowance(client, scored):
    for i in range(throttle.GUESS_ALLOWANCE):
        assert client.post(reverse("vote:entry"), {"code": f"ABCDE-{i:05d}"}).status_code == 200
    with CaptureQueriesContext(connection) as queries:  # a valid typed code is not even looked up
        response = client.post(reverse("vote:entry"), {"code": scored.leader_codes[0].short_code})
    assert response.status_code == 429
    assert not [q for q in queries if "scoring_credential" in q["sql"]]
    assert any(_too_many(m) in _html(response) for m in (9, 10))  # 9 if the 40 guesses took over a minute


def test_failed_lookups_on_the_ballot_url_count_too_but_a_valid_qr_code_still_opens(client, scored):
    for i in range(throttle.GUESS_ALLOWANCE):
        assert client.get(_url("ballot", f"WRONGCODE{i}")).status_code == 404
    response = client.get(_url("ballot", scored.leader_codes[0].short_code))
    # Minutes until the first guess ages out of the 10-minute window: 9 if the 40 took over a minute.
    assert response.status_code == 429 and any(_too_many(m) in _html(response) for m in (9, 10))
    assert "<form" not in _html(response)
    response = client.get(_url("ballot", scored.leader_codes[0].token))
    assert response.status_code == 200 and "<form" in _html(response)


def test_a_valid_qr_code_submits_whatever_its_address_has_done(client, scored):
    for i in range(throttle.GUESS_ALLOWANCE):
        client.get(_url("ballot", f"WRONGCODE{i}"))
    response = client.post(_url("submit", scored.leader_codes[0].token), scored.form_data())
    count_held_ballots()
    assert response.status_code == 200 and Ballot.objects.count() == 1


def test_an_unknown_code_submitted_counts_as_a_failed_guess(client, scored):
    for i in range(throttle.GUESS_ALLOWANCE - 1):
        client.get(_url("ballot", f"WRONGCODE{i}"))
    assert client.post(_url("submit", "ABCDEFGHJK"), scored.form_data()).status_code == 404
    assert client.post(_url("submit", "ABCDEFGHJM"), scored.form_data()).status_code == 429
    count_held_ballots()
    assert not Ballot.objects.exists()


# ---------------------------------------------------------------------------------------------------
# The ballot


def test_the_ballot_lists_every_reporter_in_speaking_order(client, scored):
    Report.objects.filter(pk=scored.reports[1].pk).update(topic="如何解决村级集体经济薄弱问题")
    response = client.get(_url("ballot", scored.leader_codes[0].token))
    assert response.status_code == 200
    html = _html(response)
    assert scored.session.title in html and "2026年1月16日" in html and scored.leaders.name in html
    first, second = html.index("中共石匣乡委员会"), html.index("中共辽阳镇委员会")
    assert first < html.index("王建国") < second < html.index("李春华")
    assert html.index("如何解决村级集体经济薄弱问题") > second and "点题" in html
    for report in scored.reports:
        for criterion in scored.criteria:
            for grade in ("good", "fairly_good", "average", "poor"):
                assert f'name="m-{report.pk}-{criterion.pk}" value="{grade}"' in html
    assert html.count('type="radio"') == 2 * 6 * 4
    assert all(label in html for label in ("好", "较好", "一般", "差"))
    assert f'action="{_url("review", scored.leader_codes[0].token)}"' in html
    assert re.search(r'name="submission" value="[\w-]{20,}"', html)
    assert "csrfmiddlewaretoken" in html and "已评" in html and "跳到未评" in html


def test_each_render_gets_a_fresh_submission_key(client, scored):
    url = _url("ballot", scored.leader_codes[0].token)
    keys = {re.search(r'name="submission" value="([\w-]+)"', _html(client.get(url)))[1] for _ in range(2)}
    assert len(keys) == 2


def test_the_typed_short_code_opens_the_same_ballot(client, scored):
    response = client.get(_url("ballot", scored.delegate_codes[0].short_code))
    assert response.status_code == 200 and scored.delegates.name in _html(response)


def test_the_points_ballot_has_a_number_field_per_criterion(client, scored_closed_scheme):
    world = scored_closed_scheme
    _use_points(world, max_points=100)
    html = _html(client.get(_url("ballot", world.leader_codes[0].token)))
    criterion = world.criteria[0]
    for report in world.reports:
        field = re.search(rf'<input[^>]*name="m-{report.pk}-{criterion.pk}"[^>]*>', html)[0]
        assert 'type="number"' in field and 'inputmode="decimal"' in field
        assert 'min="0"' in field and 'max="100"' in field and 'step="0.01"' in field
    assert "满分 100" in html and 'type="radio"' not in html


def test_the_page_needs_a_bounded_number_of_queries(client, scored):
    url = _url("ballot", scored.leader_codes[0].token)
    with CaptureQueriesContext(connection) as two_reporters:
        assert client.get(url).status_code == 200
    cache.clear()
    for i in range(3, 31):
        org = make_org(f"T9{i:02d}", f"中共第{i}乡委员会", scored.county, kind=OrganisationKind.COMMITTEE)
        Report.objects.create(
            session=scored.session, organisation=org, secretary=make_secretary(org, f"书记{i}"), order=i
        )
    with CaptureQueriesContext(connection) as thirty_reporters:
        response = client.get(url)
    assert _html(response).count('type="radio"') == 30 * 6 * 4
    assert len(thirty_reporters) == len(two_reporters) <= 6


# ---------------------------------------------------------------------------------------------------
# Refusals: a friendly page, the specific message, no form


def _revoke(world):
    credential = Credential.objects.get(serial=world.leader_codes[0].serial)
    codes_services.credential_revoke(actor=world.county_staff, credential=credential)


def _use(world):
    ballots_services.ballot_submit(code=world.leader_codes[0].token, marks=world.marks(), submission_key="k0")


def _close(world):
    ballots_services.scoring_close(actor=world.county_staff, session=world.session)


@pytest.mark.parametrize(
    ("prepare", "message"), [(_revoke, "此测评码已作废"), (_use, "此测评码已提交"), (_close, "测评已结束")]
)
def test_a_code_that_cannot_score_gets_a_page_saying_why(client, scored, prepare, message):
    prepare(scored)
    response = client.get(_url("ballot", scored.leader_codes[0].token))
    assert response.status_code == 200
    html = _html(response)
    assert message in html and "<form" not in html and 'type="radio"' not in html


def test_an_unknown_code_gets_a_not_found_page(client, scored):
    response = client.get(_url("ballot", "x" * 32))
    assert response.status_code == 404
    assert "测评码无效" in _html(response) and "<form" not in _html(response)


def test_before_scoring_opens_the_page_says_so_and_offers_a_refresh(client, scored_closed_scheme):
    url = _url("ballot", scored_closed_scheme.leader_codes[0].token)
    response = client.get(url)
    html = _html(response)
    assert response.status_code == 200 and "测评尚未开始" in html and "<form" not in html
    assert f'href="{url}"' in html and "刷新" in html


def test_a_used_code_page_shows_no_receipt(client, scored):
    _use(scored)
    html = _html(client.get(_url("ballot", scored.leader_codes[0].token)))
    count_held_ballots()
    assert Ballot.objects.get().receipt not in html


# ---------------------------------------------------------------------------------------------------
# Review (the no-JavaScript path)


def test_the_review_page_shows_the_marks_and_carries_them_on(client, scored):
    code = scored.leader_codes[0].token
    response = client.post(_url("review", code), scored.form_data("good", r2="fairly_good"))
    assert response.status_code == 200
    html = _html(response)
    assert "请核对测评票" in html and "确认提交" in html and "返回修改" in html
    # A summary, one row per reporter: counts per grade, not every mark again.
    rows = re.findall(r"<tr class=\"[^\"]*\" data-summary-row>(.*?)</tr>", html, re.S)
    counts = [re.findall(r'<td class="bl-num[^"]*">(\d+)</td>', row) for row in rows]
    assert counts == [["6", "0", "0", "0", "0"], ["0", "6", "0", "0", "0"]]
    assert f'formaction="{_url("ballot", code)}#r{scored.reports[1].pk}"' in html
    assert f'action="{_url("submit", code)}"' in html and f'formaction="{_url("ballot", code)}"' in html
    assert len(re.findall(r'type="hidden" name="m-\d+-\d+"', html)) == 12
    assert 'name="submission" value="k1"' in html
    count_held_ballots()
    assert not Ballot.objects.exists()


def test_the_review_page_flags_a_reporter_left_unscored(client, scored):
    data = scored.form_data()
    del data[f"m-{scored.reports[1].pk}-{scored.criteria[2].pk}"]
    html = _html(client.post(_url("review", scored.leader_codes[0].token), data))
    assert "未评完" in html
    alert = re.search(r'role="alert">([^<]*)<', html)[1]
    assert "2. 中共辽阳镇委员会" in alert and "中共石匣乡委员会" not in alert
    assert "确认提交" not in html and "返回修改" in html
    # The way back sits right under the message and opens the first reporter left to score.
    after_alert = html[html.index('role="alert"') :]
    first_button = re.search(r'<button[^>]*formaction="([^"]+)"', after_alert)[1]
    assert first_button == f"{_url('ballot', scored.leader_codes[0].token)}#r{scored.reports[1].pk}"


def test_back_to_change_prefills_the_ballot_with_the_same_submission_key(client, scored):
    data = scored.form_data("average", submission="key-from-review")
    html = _html(client.post(_url("ballot", scored.leader_codes[0].token), data))
    assert _radios_checked(html) == 12
    assert 'name="submission" value="key-from-review"' in html and "data-prefilled" in html


# ---------------------------------------------------------------------------------------------------
# Submit and receipt


def test_submit_stores_the_ballot_and_shows_the_receipt(client, scored):
    code = scored.leader_codes[0].token
    response = client.post(_url("submit", code), scored.form_data("good", r2="poor"))
    count_held_ballots()
    ballot = Ballot.objects.get()
    assert response.status_code == 200 and not response.has_header("Location")
    assert Score.objects.filter(ballot=ballot, grade="poor").count() == 6
    assert Score.objects.filter(ballot=ballot, grade="good").count() == 6
    html = _html(response)
    assert "测评票已提交" in html and codes.format_short(ballot.receipt) in html and "回执码" in html
    assert f'data-clear-draft="shuzhi-draft-{scored.leader_codes[0].short_code}"' in html


def test_a_retried_submit_gets_the_same_receipt_and_stores_one_ballot(client, scored):
    url, data = _url("submit", scored.leader_codes[0].token), scored.form_data()
    first, again = client.post(url, data), client.post(url, data)
    assert first.status_code == again.status_code == 200
    count_held_ballots()
    receipt = codes.format_short(Ballot.objects.get().receipt)
    assert receipt in _html(first) and receipt in _html(again)
    assert Ballot.objects.count() == 1


def test_a_second_ballot_with_the_same_code_is_refused(client, scored):
    url = _url("submit", scored.leader_codes[0].token)
    client.post(url, scored.form_data("good", submission="k1"))
    response = client.post(url, scored.form_data("poor", submission="k2"))
    assert response.status_code == 409
    assert "此测评码已提交" in _html(response) and "<form" not in _html(response)
    count_held_ballots()
    assert Ballot.objects.count() == 1 and not Score.objects.filter(grade="poor").exists()


def test_a_submit_after_scoring_closes_is_refused(client, scored):
    _close(scored)
    response = client.post(_url("submit", scored.leader_codes[0].token), scored.form_data())
    assert response.status_code == 409 and "测评已结束" in _html(response)
    count_held_ballots()
    assert not Ballot.objects.exists()


def test_an_incomplete_submit_is_refused_with_the_marks_kept(client, scored):
    data = scored.form_data()
    for criterion in scored.criteria:
        del data[f"m-{scored.reports[1].pk}-{criterion.pk}"]
    response = client.post(_url("submit", scored.leader_codes[0].token), data)
    assert response.status_code == 400
    html = _html(response)
    assert "中共辽阳镇委员会" in re.search(r'role="alert">([^<]*)<', html)[1]
    assert _radios_checked(html) == 6 and 'name="submission" value="k1"' in html
    count_held_ballots()
    assert not Ballot.objects.exists() and not Credential.objects.filter(used=True).exists()


def test_points_out_of_range_are_refused_and_nothing_is_stored(client, scored_closed_scheme):
    world = scored_closed_scheme
    _use_points(world, max_points=100)
    url, criterion = _url("submit", world.leader_codes[0].token), world.criteria[0]
    data = {f"m-{r.pk}-{criterion.pk}": "88.5" for r in world.reports} | {"submission": "k1"}
    bad = data | {f"m-{world.reports[0].pk}-{criterion.pk}": "100.5"}
    response = client.post(url, bad)
    assert response.status_code == 400
    html = _html(response)
    assert "100.5" in re.search(r'role="alert">([^<]*)<', html)[1] and 'value="100.5"' in html
    count_held_ballots()
    assert not Ballot.objects.exists()
    assert client.post(url, data).status_code == 200
    count_held_ballots()
    assert {s.points for s in Score.objects.all()} == {88.5}


@pytest.mark.parametrize("name", ["m-abc-1", "m-1-2-3", "m-1", "m-1-", "m--1-2", "m-١-2"])
def test_tampered_field_names_are_refused(client, scored, name):
    data = scored.form_data() | {name: "good"}
    response = client.post(_url("submit", scored.leader_codes[0].token), data)
    assert response.status_code == 400 and "不一致" in _html(response)
    count_held_ballots()
    assert not Ballot.objects.exists() and not Credential.objects.filter(used=True).exists()


def test_a_mark_for_a_reporter_of_another_session_is_refused(client, scored):
    stranger = Report.objects.create(session=scored.shijia_session, organisation=scored.shijia_v1, order=1)
    data = scored.form_data() | {f"m-{stranger.pk}-{scored.criteria[0].pk}": "good"}
    response = client.post(_url("submit", scored.leader_codes[0].token), data)
    assert response.status_code == 400 and "不一致" in _html(response)
    count_held_ballots()
    assert not Ballot.objects.exists()


def test_a_mark_sent_twice_is_refused(client, scored):
    data = scored.form_data()
    name = f"m-{scored.reports[0].pk}-{scored.criteria[0].pk}"
    data[name] = ["good", "poor"]
    response = client.post(_url("submit", scored.leader_codes[0].token), data)
    count_held_ballots()
    assert response.status_code == 400 and not Ballot.objects.exists()


def test_a_submit_without_a_submission_key_is_refused(client, scored):
    data = scored.form_data()
    del data["submission"]
    response = client.post(_url("submit", scored.leader_codes[0].token), data)
    count_held_ballots()
    assert response.status_code == 400 and not Ballot.objects.exists()


def test_an_unknown_code_cannot_submit(client, scored):
    response = client.post(_url("submit", "ABCDEFGHJK"), scored.form_data())
    count_held_ballots()
    assert response.status_code == 404 and not Ballot.objects.exists()


def test_the_submit_keeps_csrf_protection(scored):
    browser = Client(enforce_csrf_checks=True)
    url = _url("submit", scored.leader_codes[0].token)
    assert browser.post(url, scored.form_data()).status_code == 403
    page = _html(browser.get(_url("ballot", scored.leader_codes[0].token)))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    assert browser.post(url, scored.form_data() | {"csrfmiddlewaretoken": token}).status_code == 200


def test_no_url_of_the_delegate_flow_carries_the_receipt(client, scored):
    """The receipt is shown once in the submit's response; no path reveals or accepts it."""
    token = scored.leader_codes[0].token
    response = client.post(_url("submit", token), scored.form_data())
    count_held_ballots()
    receipt = Ballot.objects.get().receipt
    assert not response.has_header("Location") and codes.format_short(receipt) in _html(response)
    assert client.get(f"/vote/{token}/receipt/{receipt}/").status_code == 404
    assert client.get(f"/vote/{token}/receipt/{receipt.lower()}/").status_code == 404
    for name in ("entry", "ballot", "review", "submit"):
        try:
            path = reverse(f"vote:{name}", args=[token]) if name != "entry" else reverse("vote:entry")
        except Exception:  # a route that takes no code
            continue
        assert receipt not in path


def test_the_page_script_is_small_es5():
    """Old Android WebViews: no ES2015 syntax in static/scoring/ballot.js, and it stays under 500 lines
    (two views over one form: one reporter per screen, the grid)."""
    source = (settings.BASE_DIR / "static" / "scoring" / "ballot.js").read_text(encoding="utf-8")
    assert len(source.splitlines()) < 500
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", source, flags=re.S)
    forbidden = r"=>|\blet\b|\bconst\b|`|\bclass\b|\.\.\.|\bfetch\(|\bPromise\b|\basync\b|\bawait\b"
    assert re.findall(forbidden, code) == []
    assert "localStorage" in code and "shuzhi-draft-" not in code  # the key comes from the page
