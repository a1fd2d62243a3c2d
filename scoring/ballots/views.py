"""The delegate's surface (/vote/): type a code, score every reporter, check, submit once, see the receipt.

No login: the code in the URL is the credential. Every unknown code counts against the client's
address; a valid QR token always opens, a typed code is looked up within the address's allowance
(scoring.codes.throttle, docs/throttling.md). The only write is ballot_submit; everything before it works
without JavaScript (ballot → review → submit are plain form posts).
"""

import re
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from reviews.cycles.models import Report
from reviews.meeting.models import Satisfaction
from scoring import selectors
from scoring.ballots import services as ballots_services
from scoring.codes import services as codes_services
from scoring.codes import throttle
from scoring.codes import tokens as codes
from scoring.codes.models import Credential
from scoring.errors import ScoringError
from scoring.schemes.models import GRADE_LABELS, Criterion, GradeChoice, ModeChoice, Scheme, ScoringStatus

MARK_FIELD = re.compile(r"^m-(\d{1,18})-(\d{1,18})$", re.ASCII)
SATISFACTION_FIELD = re.compile(r"^s-(\d{1,18})$", re.ASCII)
SUBMISSION_MAX_LENGTH = 64

# Refusals of a code or of its session: (title, explanation). The service's error codes are the keys.
REFUSALS = {
    "unknown": (
        gettext_lazy("Code not recognised"),
        gettext_lazy("Check the code on your slip and type it again, or scan the QR code again."),
    ),
    "revoked": (
        gettext_lazy("This code has been revoked"),
        gettext_lazy("Ask the meeting staff for a new code."),
    ),
    "used": (
        gettext_lazy("This code has already been submitted"),
        gettext_lazy("Each code submits one ballot. Its receipt was shown right after submitting."),
    ),
    "not_open": (
        gettext_lazy("Scoring has not started yet"),
        gettext_lazy("Wait until the host announces the start of scoring, then refresh this page."),
    ),
    "closed": (
        gettext_lazy("Scoring has ended"),
        gettext_lazy("This session no longer accepts ballots."),
    ),
}


class SeeOther(HttpResponseRedirect):
    status_code = 303


@dataclass
class Opened:
    """What a valid code opens: its session's scheme, items and reporters."""

    code: str  # as it stands in the URL: the QR token or the short code
    short: str
    credential: Credential
    scheme: Scheme
    criteria: list[Criterion]
    reports: list[Report]

    @property
    def draft_key(self) -> str:
        return _draft_key(self.short)

    @property
    def points_mode(self) -> bool:
        return self.scheme.mode == ModeChoice.POINTS


@dataclass
class Item:
    criterion: Criterion
    field: str
    value: str

    @property
    def max(self) -> str:
        return _plain(self.criterion.max_points)

    @property
    def display(self) -> str:
        return str(GRADE_LABELS.get(self.value, self.value))


@dataclass
class Row:
    report: Report
    items: list[Item]
    allow_abstention: bool
    points_mode: bool = False
    satisfaction: str = ""  # 满意/基本满意/不满意 with the answers, when the scheme asks

    @property
    def satisfaction_field(self) -> str:
        return f"s-{self.report.pk}"

    @property
    def satisfaction_label(self) -> str:
        return Satisfaction(self.satisfaction).label if self.satisfaction else ""

    @property
    def marked(self) -> int:
        return sum(bool(item.value) for item in self.items)

    @property
    def complete(self) -> bool:
        return self.marked == len(self.items)

    @property
    def abstained(self) -> bool:
        """Left wholly blank where the scheme allows abstaining."""
        return self.allow_abstention and not self.marked

    @property
    def partly_abstained(self) -> bool:
        """Some items blank, each an abstention for that item (grade modes, 允许弃权)."""
        return self.allow_abstention and not self.points_mode and 0 < self.marked < len(self.items)

    @property
    def missing(self) -> bool:
        """The service's rule (ballots.services._check_complete): without 允许弃权 every item needs a
        mark; with it a blank item is an abstention, but in points mode a reporter is all or nothing."""
        if self.complete or self.abstained:
            return False
        return not (self.allow_abstention and not self.points_mode)

    @property
    def grade_counts(self) -> list[tuple[str, str, int]]:
        """(grade, label, count) for the review summary, in the scale's order."""
        values = [item.value for item in self.items]
        return [(value, label, values.count(value)) for value, label in GradeChoice.choices]

    @property
    def blank(self) -> int:
        return len(self.items) - self.marked

    @property
    def total(self) -> str:
        return _plain(sum((_decimal(item.value) for item in self.items), Decimal(0)))

    @property
    def label(self) -> str:
        return f"{self.report.order}. {self.report.organisation.name}"


# ---------------------------------------------------------------------------------------------------
# Views


@never_cache
@require_http_methods(["GET", "POST"])
def entry(request: HttpRequest) -> HttpResponse:
    typed, error, status = request.POST.get("code", ""), "", 200
    if request.method == "POST":
        if not codes.normalise_short(typed):
            error = _("Type the 10-character code printed on your slip.")
        else:
            found, minutes = throttle.code_lookup(request, typed, codes_services.credential_lookup)
            if found is not None:
                return redirect("vote:ballot", code=found[1])
            if minutes:
                error, status = _too_many_message(minutes), 429
            else:
                error = _("No code matches what you typed. Check your slip and try again.")
    return render(request, "scoring/ballots/entry.html", {"typed": typed, "error": error}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def ballot(request: HttpRequest, code: str) -> HttpResponse:
    """The ballot. A POST comes back from the review page and prefills its marks."""
    opened = _open(request, code)
    if isinstance(opened, HttpResponse):
        return opened
    if request.method == "POST":
        return _ballot_page(request, opened, request.POST)
    return _ballot_page(request, opened)


@never_cache
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, code: str) -> HttpResponse:
    """请核对: the posted marks as a summary, carried on as hidden fields to the final submit."""
    if request.method == "GET":
        return redirect("vote:ballot", code=code)
    opened = _open(request, code)
    if isinstance(opened, HttpResponse):
        return opened
    rows = _rows(opened, request.POST)
    missing = [row.label for row in rows if row.missing]
    context = {
        **_page_context(opened),
        "rows": rows,
        "grades": GradeChoice.choices,
        "first_missing": next((row for row in rows if row.missing), None),
        "missing": missing,
        "missing_message": _("Please score every reporter before submitting. Not yet scored: %(reporters)s.")
        % {"reporters": "、".join(missing)}
        if missing
        else "",
        "submission": _submission_or_new(request.POST),
    }
    return render(request, "scoring/ballots/review.html", context)


@never_cache
@require_POST
def submit(request: HttpRequest, code: str) -> HttpResponse:
    """The one write: `m-<report_id>-<criterion_id>` fields and `submission` → services.ballot_submit."""
    attempt = throttle.code_attempt(request, code)
    if attempt.refused:
        return _too_many(request, attempt.refused)
    try:
        marks = _posted_marks(request.POST)
        submission = request.POST.get("submission", "")
        if not 0 < len(submission) <= SUBMISSION_MAX_LENGTH:
            raise _tampered()
        stored = ballots_services.ballot_submit(
            code=code,
            marks=marks,
            submission_key=submission,
            satisfaction=_posted_satisfaction(request.POST),
        )
    except ScoringError as error:
        return _submit_refused(request, code, error, attempt)
    attempt.found()
    if not stored.replayed:
        throttle.ballot_counted(request)
    # The receipt is shown in this response, never put in a URL: an access log or a browser history must
    # not tie the code in the path to the ballot's receipt. A reload re-posts the same submission key and
    # gets the same receipt back (ballot_submit's replay), so nothing is lost by not redirecting.
    typed = codes.normalise_short(code)
    short = typed if len(typed) == codes.SHORT_LENGTH else codes.short_code_for(code)
    context = {"receipt": codes.format_short(stored.receipt), "draft_key": _draft_key(short)}
    return render(request, "scoring/ballots/receipt.html", context)


# ---------------------------------------------------------------------------------------------------
# Helpers


def _lookup(request: HttpRequest, code: str) -> tuple[Credential, str] | HttpResponse:
    """A valid QR token is looked up whatever the throttle says; a typed code only within its allowance."""
    found, minutes = throttle.code_lookup(request, code, codes_services.credential_lookup)
    if minutes:
        return _too_many(request, minutes)
    if found is None:
        return _refused(request, code, "unknown")
    return found


def _open(request: HttpRequest, code: str) -> Opened | HttpResponse:
    """The ballot a code opens, or the page saying why it opens none; five queries however many reporters."""
    found = _lookup(request, code)
    if isinstance(found, HttpResponse):
        return found
    credential, short = found
    scheme = (
        Scheme.objects.select_related("session")
        .prefetch_related("criteria")
        .get(session_id=credential.session_id)
    )
    refusal = _refusal(credential, scheme)
    if refusal:
        return _refused(request, code, refusal, short)
    return Opened(
        code=code,
        short=short,
        credential=credential,
        scheme=scheme,
        criteria=list(scheme.criteria.all()),
        reports=selectors.session_reports(scheme.session),
    )


def _refusal(credential: Credential, scheme: Scheme) -> str:
    """Why this code cannot score now ('' if it can), checked in the order ballot_submit checks."""
    if credential.used:
        return "used"
    if credential.revoked:
        return "revoked"
    if scheme.scoring_status == ScoringStatus.NOT_OPEN:
        return "not_open"
    if scheme.scoring_status == ScoringStatus.CLOSED:
        return "closed"
    return ""


def _refused(request: HttpRequest, code: str, reason: str, short: str = "") -> HttpResponse:
    title, message = REFUSALS[reason]
    context = {
        "title": title,
        "message": message,
        "reason": reason,
        "code": code,
        "refresh_url": reverse("vote:ballot", args=[code]) if reason == "not_open" else "",
        # A submit whose answer was lost leaves its draft on the device; the script can send it again.
        "recover_key": _draft_key(short) if reason == "used" and short and request.method == "GET" else "",
    }
    status = 404 if reason == "unknown" else 409 if request.method == "POST" else 200
    return render(request, "scoring/ballots/refused.html", context, status=status)


def _too_many_message(minutes: int) -> str:
    return _(
        "Too many wrong codes were typed on this network. Scan the QR code on your slip, "
        "or try again in %(minutes)s minute(s)."
    ) % {"minutes": minutes}


def _too_many(request: HttpRequest, minutes: int) -> HttpResponse:
    context = {"title": _("Please try again later"), "message": _too_many_message(minutes)}
    return render(request, "scoring/ballots/refused.html", context, status=429)


def _submit_refused(
    request: HttpRequest, code: str, error: ScoringError, attempt: throttle.CodeAttempt
) -> HttpResponse:
    if error.code == "unknown":
        minutes = attempt.unknown()
        if minutes:
            return _too_many(request, minutes)
    else:
        attempt.found()
    if error.code in REFUSALS:
        return _refused(request, code, error.code)
    opened = _open(request, code)
    if isinstance(opened, HttpResponse):
        return opened
    return _ballot_page(request, opened, request.POST, error=error.message, status=400)


def _ballot_page(
    request: HttpRequest, opened: Opened, data: QueryDict | None = None, *, error: str = "", status: int = 200
) -> HttpResponse:
    rows = _rows(opened, data or QueryDict())
    context = {
        **_page_context(opened),
        "rows": rows,
        "grades": GradeChoice.choices,
        "satisfaction_choices": Satisfaction.choices,
        "prefilled": any(row.marked for row in rows),
        "submission": _submission_or_new(data or QueryDict()),
        "error": error,
        "points_max": _plain(sum((c.max_points for c in opened.criteria), Decimal(0))),
    }
    return render(request, "scoring/ballots/ballot.html", context, status=status)


def _page_context(opened: Opened) -> dict:
    return {
        "code": opened.code,
        "session": opened.scheme.session,
        "group": opened.credential.group,
        "scheme": opened.scheme,
        "criteria": opened.criteria,
        "points_mode": opened.points_mode,
        "draft_key": opened.draft_key,
    }


def _rows(opened: Opened, data: QueryDict) -> list[Row]:
    """Every reporter in speaking order with the marks found in `data` (unknown fields are ignored)."""
    return [
        Row(
            report=report,
            items=[
                Item(
                    criterion=criterion,
                    field=f"m-{report.pk}-{criterion.pk}",
                    value=data.get(f"m-{report.pk}-{criterion.pk}", "").strip()[:20],
                )
                for criterion in opened.criteria
            ],
            allow_abstention=opened.scheme.allow_abstention,
            points_mode=opened.points_mode,
            satisfaction=_satisfaction_value(data.get(f"s-{report.pk}", "")),
        )
        for report in opened.reports
    ]


def _satisfaction_value(text: str) -> str:
    return text if text in Satisfaction.values else ""


def _posted_satisfaction(data: QueryDict) -> dict[int, str]:
    """`s-<report_id>` → {report_id: value}; the service refuses it when the scheme does not ask."""
    opinions = {}
    for name, values in data.lists():
        if not name.startswith("s-"):
            continue
        match = SATISFACTION_FIELD.match(name)
        if match is None or len(values) != 1:
            raise _tampered()
        if values[0]:
            opinions[int(match[1])] = values[0]
    return opinions


def _posted_marks(data: QueryDict) -> dict[tuple[int, int], str]:
    """`m-<report_id>-<criterion_id>` → {(report_id, criterion_id): value}; an odd mark field is tampering."""
    marks = {}
    for name, values in data.lists():
        if not name.startswith("m-"):
            continue
        match = MARK_FIELD.match(name)
        if match is None or len(values) != 1:
            raise _tampered()
        marks[(int(match[1]), int(match[2]))] = values[0]
    return marks


def _tampered() -> ScoringError:
    return ScoringError(
        _("This ballot does not match the session. Reload the page and score again."), code="tampered"
    )


def _draft_key(short: str) -> str:
    """Where the page script keeps this code's unsent marks (localStorage)."""
    return f"shuzhi-draft-{short}"


def _submission_or_new(data: QueryDict) -> str:
    """The submission key carried through review and back, or a fresh one for a new ballot page."""
    key = data.get("submission", "")
    if 0 < len(key) <= SUBMISSION_MAX_LENGTH and re.fullmatch(r"[\w-]+", key, re.ASCII):
        return key
    return secrets.token_urlsafe(16)


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return Decimal(0)
    return value if value.is_finite() else Decimal(0)


def _plain(number: Decimal) -> str:
    """12.50 → '12.5', 100.00 → '100'."""
    return format(number.normalize(), "f") if number else "0"
