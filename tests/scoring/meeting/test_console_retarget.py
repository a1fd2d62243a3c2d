"""The console's live poll and its actions never answer into an element that is not there.

Seen: `htmx:targetError: Invalid re-target #console-body` after 下一位 and after B. An action swaps the
whole console body; a poll still in flight then came back to its detached element, whose HX-Retarget
"#console-body" htmx looks up from that detached element — and finds nothing. The body now syncs its
requests: an action aborts a poll in flight, and no poll starts while an action is on its way.
"""

import re

import pytest
from django.urls import reverse

from reviews.meeting import services as review_services
from tests.scoring.meeting.test_console import HTMX, _post, _url

pytestmark = pytest.mark.usefixtures("scored")


def _element(html: str, element_id: str) -> str:
    match = re.search(rf'<div id="{element_id}"[^>]*>', html)
    assert match, element_id
    return match.group(0)


def test_the_retarget_names_the_element_that_holds_the_poll_and_syncs_its_requests(client, scored):
    client.force_login(scored.county_staff)
    page = client.get(_url(scored)).content.decode()
    review_services.meeting_next(actor=scored.superuser, session=scored.session, version=0)
    response = client.get(reverse("meeting:live", args=[scored.session.pk]), {"key": "0-open"}, **HTMX)
    target = response.headers["HX-Retarget"]
    assert target == "#console-body"
    body = _element(page, target[1:])
    poll = _element(page, "console-live")
    assert page.index(body) < page.index(poll)  # the poll lives inside the retarget's element
    assert 'hx-sync="this:replace"' in body  # an action aborts a poll in flight
    assert 'hx-sync="closest #console-body:drop"' in poll  # no poll while an action is on its way
    # The fresh body the poll answers with is that element again, syncing the same way.
    assert 'id="console-body"' in response.content.decode()
    assert 'hx-sync="this:replace"' in _element(response.content.decode(), "console-body")


@pytest.mark.parametrize("action", ["next", "show"])
def test_an_action_answers_with_the_body_and_no_retarget(client, scored, action):
    client.force_login(scored.county_staff)
    data = {"mode": "blank"} if action == "show" else {}
    response = _post(client, _url(scored, action), htmx=True, **data)
    assert response.status_code == 200 and "HX-Retarget" not in response.headers
    assert _element(response.content.decode(), "console-body")
