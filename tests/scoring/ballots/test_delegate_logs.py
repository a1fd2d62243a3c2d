"""No log line names a code, a receipt or a token: the whole delegate flow, its refusals included.

Django logs 4xx answers as `Not Found: <path>`, `Too Many Requests: <path>`, `Conflict: <path>`,
`Forbidden (CSRF …): <path>`; runserver logs every request line. shuzhi/logfilters.py rewrites the
secret-bearing paths to /vote/…, /screen/…, /topics/p/… before any handler sees them.
"""

import logging

import pytest
from django.test import Client
from django.urls import reverse

from reviews.topics import services as topics
from scoring.ballots.models import Ballot
from scoring.codes import throttle
from scoring.codes import tokens as codes
from tests.scoring.conftest import count_held_ballots


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def _text(records) -> str:
    return "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in records)


def test_the_delegate_flow_logs_no_code_receipt_or_token(client, scored, logs):
    slip, other = scored.leader_codes[0], scored.delegate_codes[0]
    secrets = [slip.token, slip.short_code, other.token, other.short_code]
    # Scanned, reviewed, submitted, receipt shown; then submitted again (used: 409).
    assert client.get(reverse("vote:ballot", args=[slip.token])).status_code == 200
    assert client.post(reverse("vote:review", args=[slip.token]), scored.form_data()).status_code == 200
    submitted = client.post(reverse("vote:submit", args=[slip.token]), scored.form_data())
    assert submitted.status_code == 200 and not submitted.has_header("Location")
    count_held_ballots()
    receipt = Ballot.objects.get().receipt
    assert codes.format_short(receipt) in submitted.content.decode()
    secrets += [receipt, codes.format_short(receipt)]
    again = client.post(reverse("vote:submit", args=[slip.token]), scored.form_data(submission="k2"))
    assert again.status_code == 409
    # Typed: a typo, then the right code; its ballot by the short code; a tampered submit (400).
    assert client.post(reverse("vote:entry"), {"code": codes.format_short(other.short_code)[:-1] + "Z"})
    assert client.post(reverse("vote:entry"), {"code": other.short_display}).status_code == 302
    assert client.get(reverse("vote:ballot", args=[other.short_code])).status_code == 200
    tampered = scored.form_data() | {"m-x-1": "good"}
    assert client.post(reverse("vote:submit", args=[other.short_code]), tampered).status_code == 400
    # Unknown codes (404), a wrong receipt (404), then throttled (429).
    wrong = [f"WRONG{i:05d}" for i in range(throttle.GUESS_ALLOWANCE)]
    secrets += wrong
    for code in wrong:
        assert client.get(reverse("vote:ballot", args=[code])).status_code == 404
    assert client.get(f"/vote/{slip.token}/receipt/ABCDEFGHJK/").status_code == 404
    assert client.get(reverse("vote:ballot", args=[other.short_code])).status_code == 429
    # A submit without its CSRF token (403).
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse("vote:submit", args=[other.token]), scored.form_data()).status_code == 403
    # The big screen and the topic form: unknown and real tokens.
    call = topics.topic_call_open(actor=scored.county_staff, session=scored.session)
    secrets += [scored.session.screen_token, call.token, "no-such-screen-token", "no-such-call-token"]
    client.get(reverse("screen:show", args=[scored.session.screen_token]))
    assert client.get(reverse("screen:show", args=["no-such-screen-token"])).status_code == 404
    client.get(reverse("topics:propose", args=[call.token]))
    assert client.get(reverse("topics:propose", args=["no-such-call-token"])).status_code == 404

    text = _text(logs.records)
    for needle in ("Not Found: /vote/…", "Too Many Requests: /vote/…", "Conflict: /vote/…", "Forbidden"):
        assert needle in text, text  # the refusals were logged, without their secrets
    assert "Not Found: /screen/…" in text and "Not Found: /topics/p/…" in text
    for secret in secrets:
        assert secret not in text
    assert not [r for r in logs.records if hasattr(r, "request") and "/vote/" in r.request.path]


def test_the_runserver_request_line_is_logged_without_the_code(scored):
    token = scored.leader_codes[0].token
    seen = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(self.format(record))

    server = logging.getLogger("django.server")  # does not propagate: listen on it directly
    handler = Keep()
    server.addHandler(handler)
    try:
        server.info('"%s" %s %s', f"GET /vote/{token}/receipt/ABCDEFGHJK/ HTTP/1.1", "200", "5120")
    finally:
        server.removeHandler(handler)
    assert seen == ['"GET /vote/… HTTP/1.1" 200 5120']
