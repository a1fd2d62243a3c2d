"""What a page's QR code carries: layout version, session, group, page n of m and a short signature.

``SZ.<version>.<session id>.<group id>.<page>.<pages>.<mac>`` — upper-case and dots only, so the QR
code uses its compact alphanumeric mode. Nothing identifies a delegate: every form of a group prints the
same codes. The MAC is an HMAC-SHA256 under the site's SECRET_KEY (``salted_hmac``) over the fields
*and the layout's fingerprint*, truncated to 48 bits: a hand-made or edited code, a page of another
deployment, and a page printed before the reporters or items changed are all refused.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from .errors import ScanError
from .layout import LAYOUT_VERSION, FormLayout

PREFIX = "SZ"
MAC_CHARS = 12
_SALT = "shuzhi.scoring.paper.scan.page"
_PATTERN = re.compile(r"^SZ\.(\d{1,3})\.(\d{1,12})\.(\d{1,12})\.(\d{1,3})\.(\d{1,3})\.([0-9A-F]{12})$")


@dataclass(frozen=True)
class PagePayload:
    version: int
    session_id: int
    group_id: int
    page: int
    pages: int
    mac: str

    def fields(self) -> str:
        return f"{PREFIX}.{self.version}.{self.session_id}.{self.group_id}.{self.page}.{self.pages}"


def _mac(fields: str, fingerprint: str) -> str:
    return salted_hmac(_SALT, f"{fields}|{fingerprint}", algorithm="sha256").hexdigest()[:MAC_CHARS].upper()


def payload_make(layout: FormLayout, page: int) -> str:
    spec = layout.spec
    fields = f"{PREFIX}.{LAYOUT_VERSION}.{spec.session_id}.{spec.group_id}.{page}.{len(layout.pages)}"
    return f"{fields}.{_mac(fields, layout.fingerprint)}"


def payload_parse(text: str) -> PagePayload:
    """The fields of a QR text, not yet verified; a text of another kind is refused."""
    match = _PATTERN.match((text or "").strip())
    if not match:
        raise ScanError(
            _("The QR code on this page is not one of Shuzhi's evaluation forms."), code="qr_foreign"
        )
    version, session_id, group_id, page, pages, mac = match.groups()
    payload = PagePayload(int(version), int(session_id), int(group_id), int(page), int(pages), mac)
    if not 1 <= payload.page <= payload.pages:
        raise ScanError(
            _("The QR code on this page is not one of Shuzhi's evaluation forms."), code="qr_foreign"
        )
    return payload


def payload_verify(payload: PagePayload, layout: FormLayout) -> None:
    """Refuse a code whose signature does not match the layout the session has now."""
    spec = layout.spec
    if payload.version != LAYOUT_VERSION:
        raise ScanError(
            _("This form was printed by another version of the system: print the form again."),
            code="qr_version",
        )
    same = (payload.session_id, payload.group_id, payload.pages) == (
        spec.session_id,
        spec.group_id,
        len(layout.pages),
    )
    if not same or not hmac.compare_digest(payload.mac, _mac(payload.fields(), layout.fingerprint)):
        raise ScanError(
            _(
                "The QR code of this page does not verify: the page is forged or altered, or it was printed "
                "before the reporters or evaluation items changed. Print the form again."
            ),
            code="qr_signature",
        )
