"""The QR code's payload: only session, group, page n/m, version and a signature; tampering refused."""

import re

import pytest

from scoring.paper.scan.errors import ScanError
from scoring.paper.scan.layout import layout_build
from scoring.paper.scan.payload import payload_make, payload_parse, payload_verify
from tests.scoring.paper.conftest import GROUP_ID, SESSION_ID, spec


def test_it_carries_session_group_page_and_a_signature_only(two_page_form):
    text = payload_make(two_page_form, 2)
    assert re.fullmatch(rf"SZ\.1\.{SESSION_ID}\.{GROUP_ID}\.2\.2\.[0-9A-F]{{12}}", text)
    payload = payload_parse(text)
    assert (payload.session_id, payload.group_id, payload.page, payload.pages) == (SESSION_ID, GROUP_ID, 2, 2)
    payload_verify(payload, two_page_form)  # no exception


def test_every_form_of_a_group_gets_the_same_codes(two_page_form):
    again = layout_build(spec(reporters=20))
    assert [payload_make(again, n) for n in (1, 2)] == [payload_make(two_page_form, n) for n in (1, 2)]


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t.replace(f".{GROUP_ID}.", f".{GROUP_ID + 1}.", 1),  # another group
        lambda t: t.replace(".2.2.", ".1.2.", 1),  # another page
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature edited
    ],
)
def test_an_edited_code_is_refused(two_page_form, edit):
    payload = payload_parse(edit(payload_make(two_page_form, 2)))
    with pytest.raises(ScanError) as refused:
        payload_verify(payload, two_page_form)
    assert refused.value.code == "qr_signature"


def test_a_code_signed_with_another_secret_is_refused(two_page_form, settings):
    text = payload_make(two_page_form, 1)
    settings.SECRET_KEY = "another-deployment-secret"
    with pytest.raises(ScanError) as refused:
        payload_verify(payload_parse(text), two_page_form)
    assert refused.value.code == "qr_signature"


def test_a_page_printed_before_the_reporters_changed_is_refused():
    before = layout_build(spec(reporters=3))
    after = layout_build(spec(reporters=4))
    with pytest.raises(ScanError) as refused:
        payload_verify(payload_parse(payload_make(before, 1)), after)
    assert refused.value.code == "qr_signature"


@pytest.mark.parametrize(
    "text", ["", "https://example.com/vote/abc/", "SZ.1.41.7.3.2.ABCDEFABCDEF", "SZ.1.41.7"]
)
def test_foreign_or_malformed_codes_are_refused(text):
    with pytest.raises(ScanError) as refused:
        payload_parse(text)
    assert refused.value.code == "qr_foreign"
