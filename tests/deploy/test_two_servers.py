"""Two app servers, one database (issue 14, requirement 4): nothing a request needs lives in one process.

Two gunicorns (2 workers × 4 threads each) on production settings — DEBUG off, the database cache,
private files in one directory both mount — serve the test database: PostgreSQL in `make test`'s second
pass, and on the first pass one SQLite file in WAL mode, which two servers on one machine share as
safely as two workers do (IMMEDIATE transactions, a 20 s busy timeout).
"""

import re
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import Client
from django.urls import reverse

from reviews.cycles.models import Report, Session
from reviews.drafts.models import Draft
from scoring.ballots.models import Ballot, Score
from scoring.codes import throttle
from scoring.codes import tokens as codes
from scoring.codes.models import Credential
from tests.reviews.drafts.test_support import build_chain, pdf_upload
from tests.scoring.conftest import ScoredWorld, count_held_ballots
from tests.servers import AppServers, HttpClient, database_url_of_tests

GUESSER = "203.0.113.50"
BURST_CODES_PER_GROUP = 16  # 32 delegates


@pytest.fixture(scope="module")
def two(django_db_setup, static_root, tmp_path_factory):
    """Ports of two servers sharing one database and one private-files directory, started once."""
    shared = tmp_path_factory.mktemp("shared")
    with AppServers(database_url_of_tests(), shared, static_root) as servers:
        yield servers.start_web(), servers.start_web()


@pytest.fixture
def world_on_servers(transactional_db, server_key, two):
    return two


def _logged_in(user, port: int) -> HttpClient:
    """A browser already logged in: the session row is in the shared database, so any server accepts it."""
    client = Client()
    client.force_login(user)
    return HttpClient(port, cookies={"sessionid": client.cookies["sessionid"].value})


def _vote(port: int, token: str, form: dict) -> int:
    delegate = HttpClient(port)
    csrf = delegate.csrf_token("/vote/")  # the entry page; a used code's ballot page has no form
    status, _, _ = delegate.post(f"/vote/{token}/submit/", form | {"csrfmiddlewaretoken": csrf})
    return status


def test_a_ballot_burst_split_across_both_servers_stores_every_ballot_once(world_on_servers):
    a, b = world_on_servers
    world = ScoredWorld(codes_per_group=BURST_CODES_PER_GROUP)
    tokens = [code.token for code in world.leader_codes + world.delegate_codes]
    sends = [((a, b)[i % 2], token, f"s{i}") for i, token in enumerate(tokens)]
    # A tenth of the delegates reload the receipt page and land on the other server: the same
    # submission again, racing the first.
    sends += [((b, a)[i % 2], tokens[i], f"s{i}") for i in range(0, len(tokens), 10)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda s: _vote(s[0], s[1], world.form_data(submission=s[2])), sends))
    assert statuses == [200] * len(sends)
    count_held_ballots()
    session_ballots = Ballot.objects.filter(session=world.session)
    assert session_ballots.count() == len(tokens) == 32
    assert Credential.objects.filter(session=world.session, used=True).count() == len(tokens)
    marks_per_ballot = len(world.reports) * len(world.criteria)
    assert Score.objects.filter(session=world.session).count() == len(tokens) * marks_per_ballot


def _guess(port: int) -> int:
    guesser = HttpClient(port, forwarded_for=GUESSER)
    csrf = guesser.csrf_token("/vote/")
    wrong = "".join(secrets.choice(codes.SHORT_ALPHABET) for _ in range(codes.SHORT_LENGTH))
    status, _, _ = guesser.post("/vote/", {"code": wrong, "csrfmiddlewaretoken": csrf})
    return status


def test_the_code_guess_throttle_holds_across_both_servers(world_on_servers):
    a, b = world_on_servers
    ScoredWorld(codes_per_group=1)
    allowed = [_guess((a, b)[i % 2]) for i in range(throttle.GUESS_ALLOWANCE)]
    assert allowed == [200] * 40  # each looked up and answered "no code matches", half on each server
    assert _guess(a) == 429 and _guess(b) == 429


def test_a_draft_uploaded_through_one_server_downloads_through_the_other(world_on_servers):
    a, b = world_on_servers
    from tests.conftest import World

    world = World()
    chain = build_chain(world)
    report = world.county_reports[0]
    content = pdf_upload("石匣乡述职报告.pdf").read()
    edit = reverse("drafts:edit", args=[report.pk])
    uploader = _logged_in(chain.shijia_user, a)
    form = {"text": "", "action": "save", "csrfmiddlewaretoken": uploader.csrf_token(edit)}
    for n, item in enumerate(chain.must, start=1):
        form |= {f"done_{item.pk}": "on", f"where_{item.pk}": f"第{n}部分"}
    upload = {"file": ("石匣乡述职报告.pdf", content, "application/pdf")}
    status, _, _ = uploader.post(edit, form, files=upload)
    assert status == 302
    draft = Draft.objects.get(report=report)
    reader = HttpClient(b, cookies=uploader.cookies)
    status, headers, body = reader.get(reverse("drafts:file", args=[draft.pk]))
    assert status == 200 and body == content
    assert "attachment" in headers["Content-Disposition"]


def test_a_console_action_on_one_server_reaches_the_screen_polling_the_other_within_2_seconds(
    world_on_servers,
):
    a, b = world_on_servers
    world = ScoredWorld(codes_per_group=1)
    second = Report.objects.select_related("organisation").get(pk=world.reports[1].pk)
    session = Session.objects.get(pk=world.session.pk)
    state = reverse("screen:state", args=[session.screen_token])
    screen = HttpClient(b)
    status, _, before = screen.get(state)
    assert status == 200 and "第2位述职" not in before.decode()

    seen_at: list[float] = []
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            _, _, html = screen.get(state)
            if second.organisation.name in html.decode() and "第2位述职" in html.decode():
                seen_at.append(time.monotonic())
                return
            time.sleep(0.2)

    console = _logged_in(world.county_staff, a)
    page = reverse("meeting:console", args=[session.pk])
    csrf = console.csrf_token(page)
    poller = threading.Thread(target=poll)
    poller.start()
    start = reverse("meeting:start", args=[session.pk, second.pk])
    status, headers, _ = console.post(
        start, {"version": session.meeting_version, "csrfmiddlewaretoken": csrf}
    )
    acted_at = time.monotonic()
    poller.join(timeout=5)
    stop.set()
    assert status == 302 and re.search(r"/manage/meeting/\d+/$", headers["Location"])
    assert seen_at, "the screen on the other server never showed the reporter"
    assert seen_at[0] - acted_at < 2.0
