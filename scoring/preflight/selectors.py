"""The pre-flight check (会前检查): what staff check the day before the meeting, as green/amber/red.

A bounded number of queries whatever the size of the session: the scheme with its groups, one aggregate of
codes per group, one count of reporters, one read of the session's printed-document audit events.
"""

import datetime
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from reviews.audit.models import AuditEvent
from reviews.cycles.models import Session
from scoring.codes.models import Credential
from scoring.preflight import services
from scoring.rehearsal import services as rehearsal
from scoring.schemes.models import Scheme
from scoring.schemes.services import scheme_problems

GREEN, AMBER, RED, UNKNOWN = "green", "amber", "red", "unknown"
ORDER = {GREEN: 0, UNKNOWN: 1, AMBER: 2, RED: 3}
SCREEN_LIVE_SECONDS = 120
PROBE_TIMEOUT = 2  # seconds to see whether SITE_URL answers


@dataclass
class Check:
    key: str
    title: str
    status: str
    summary: str
    details: list[str] = field(default_factory=list)
    link: str = ""
    link_label: str = ""

    @property
    def status_label(self) -> str:
        return {
            GREEN: _("All set"),
            AMBER: _("Worth a look"),
            RED: _("Fix before the meeting"),
            UNKNOWN: _("Not checked"),
        }[self.status]


def worst(checks: list[Check]) -> str:
    return max((check.status for check in checks), key=ORDER.__getitem__, default=GREEN)


def base_url(url: str) -> str:
    """scheme://host:port of an address, the port spelled out, for comparing two addresses."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def site_url_differs(opened_on: str) -> bool:
    """True when SITE_URL (printed on slips, the screen's QR, the console) is not the address in use."""
    return base_url(settings.SITE_URL) != base_url(opened_on)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT) as response:
            return response.status < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except (OSError, ValueError):
        return False


def _scheme_check(session: Session, scheme: Scheme | None, reporters: int) -> Check:
    link = reverse("scoring:scheme" if scheme else "scoring:session", args=[session.pk])
    title = _("Scoring scheme")
    if scheme is None:
        return Check(
            "scheme", title, RED, _("No scoring scheme is set."), link=link, link_label=_("Set up the scheme")
        )
    problems = scheme_problems(scheme)
    if not reporters:
        problems.append(_("The session has no reporters to score."))
    if problems:
        return Check("scheme", title, RED, _("The scheme cannot be used yet."), problems, link, _("Edit"))
    summary = _("%(mode)s; %(groups)s evaluator group(s), %(reporters)s reporter(s).") % {
        "mode": scheme.get_mode_display(),
        "groups": len(scheme.groups.all()),
        "reporters": reporters,
    }
    return Check("scheme", title, GREEN, summary, link=link, link_label=_("Open"))


def _codes_check(session: Session, scheme: Scheme, counts: dict[int, dict]) -> Check:
    details, status = [], GREEN
    for group in scheme.groups.all():
        row = counts.get(group.pk, {"live": 0, "revoked": 0, "used": 0})
        details.append(
            _("%(group)s: %(live)s code(s) issued, %(paper)s paper form(s), %(revoked)s revoked.")
            % {
                "group": group.name,
                "live": row["live"],
                "paper": group.paper_issued,
                "revoked": row["revoked"],
            }
        )
        if not row["live"] and not group.paper_issued:
            status = RED
            details[-1] += " " + _("Nobody in this group can score.")
    details.append(
        _(
            "No expected number of delegates is recorded for a group yet: compare these counts with your "
            "list of delegates."
        )
    )
    summary = (
        _("Every group has codes or paper forms.")
        if status == GREEN
        else _("A group has no codes and no paper forms.")
    )
    return Check(
        "codes",
        _("Codes per group"),
        status,
        summary,
        details,
        reverse("scoring:codes", args=[session.pk]),
        _("Scoring codes"),
    )


def _paper_check(session: Session, scheme: Scheme, printed: dict[tuple[str, int], int]) -> Check:
    details, status = [], GREEN
    for group in scheme.groups.all():
        forms_printed = printed.get((services.PAPER_FORM, group.pk), 0)
        if group.paper_issued:
            details.append(
                _("%(group)s: %(count)s paper form(s) issued.")
                % {"group": group.name, "count": group.paper_issued}
            )
        elif forms_printed:
            status = RED
            details.append(
                _(
                    "%(group)s: the paper form was printed but the number of paper forms issued is not set; "
                    "every paper ballot of this group would be void."
                )
                % {"group": group.name}
            )
    if status == RED:
        summary = _("Set the number of paper forms issued for every group that uses paper.")
    elif details:
        summary = _("The number of paper forms issued is set for every group that uses paper.")
    else:
        summary = _("No paper forms are used (none printed, none issued).")
    return Check(
        "paper",
        _("Paper forms issued"),
        status,
        summary,
        details,
        reverse("scoring:scheme", args=[session.pk]),
        _("Scoring scheme"),
    )


def _site_url_check(opened_on: str) -> Check:
    title = _("Address on slips and QR codes (SITE_URL)")
    site = settings.SITE_URL
    if not site_url_differs(opened_on):
        summary = _("%(site)s: the address this page was opened on.") % {"site": site}
        return Check("site_url", title, GREEN, summary)
    answers = _answers(site + reverse("vote:entry"))
    details = [
        _("Slips, the screen's QR code and the console print %(site)s, but this page was opened on %(here)s.")
        % {"site": site, "here": opened_on.rstrip("/")},
        _("%(site)s answers from the server.") % {"site": site}
        if answers
        else _("%(site)s does not answer from the server.") % {"site": site},
        _(
            "Set SITE_URL to the address delegates' phones will use, then restart the server "
            "(make run sets it)."
        ),
    ]
    return Check("site_url", title, RED, _("SITE_URL differs from the address in use."), details)


def _screen_check(session: Session) -> Check:
    title = _("Big screen")
    link = reverse("meeting:console", args=[session.pk])
    seen = services.screen_last_seen(session.pk)
    if seen is None:
        summary = _("The big screen has not connected yet: open it on the meeting room's computer.")
        return Check("screen", title, AMBER, summary, link=link, link_label=_("Host console"))
    moment = datetime.datetime.fromtimestamp(seen, tz=datetime.UTC)
    local = timezone.localtime(moment)
    if (timezone.now() - moment).total_seconds() <= SCREEN_LIVE_SECONDS:
        summary = _("Connected now (last asked at %(time)s).") % {"time": local.strftime("%H:%M:%S")}
    else:
        summary = _("Connected before, last at %(time)s.") % {"time": local.strftime("%Y-%m-%d %H:%M")}
    return Check("screen", title, GREEN, summary, link=link, link_label=_("Host console"))


def _printed_check(session: Session, scheme: Scheme, counts: dict, printed: dict) -> Check:
    details, status = [], GREEN
    for group in scheme.groups.all():
        live = counts.get(group.pk, {}).get("live", 0)
        slips = printed.get((services.SLIPS, group.pk), 0)
        if live and not slips:
            status = max(status, AMBER, key=ORDER.__getitem__)
            details.append(
                _("%(group)s: no slips download is recorded for its %(count)s code(s).")
                % {"group": group.name, "count": live}
            )
        elif live:
            details.append(
                _("%(group)s: slips downloaded %(times)s time(s).") % {"group": group.name, "times": slips}
            )
        forms = printed.get((services.PAPER_FORM, group.pk), 0)
        if group.paper_issued and not forms:
            status = max(status, AMBER, key=ORDER.__getitem__)
            details.append(_("%(group)s: the paper form has not been downloaded.") % {"group": group.name})
        elif forms:
            details.append(
                _("%(group)s: paper form downloaded %(times)s time(s).")
                % {"group": group.name, "times": forms}
            )
    summary = (
        _("Slips and paper forms are printed.") if status == GREEN else _("Something may not be printed yet.")
    )
    if not details:
        status, summary = AMBER, _("Nothing printed yet: no codes and no paper forms.")
    return Check("printed", _("Slips and paper forms printed"), status, summary, details)


def _rehearsal_check(session: Session, cleared: int) -> Check:
    if session.rehearsal:
        return Check(
            "rehearsal",
            _("Rehearsal run"),
            RED,
            _("A rehearsal is under way and not cleared"),
            [_("Clear it on the scoring overview before the meeting: real codes are refused until then.")],
        )
    if cleared:
        return Check("rehearsal", _("Rehearsal run"), GREEN, _("A rehearsal was run and cleared."))
    return Check(
        "rehearsal",
        _("Rehearsal run"),
        AMBER,
        _("Rehearsal not run"),
        [
            _(
                "Start one on the scoring overview: rehearsal codes, phones, console, screen, "
                "close, reveal, export."
            )
        ],
    )


def _clock_check(now: datetime.datetime) -> Check:
    summary = _("Server time %(time)s.") % {"time": timezone.localtime(now).strftime("%Y-%m-%d %H:%M:%S")}
    return Check("clock", _("Time on the server and this computer"), UNKNOWN, summary)


def preflight_checks(session: Session, scheme: Scheme | None, opened_on: str) -> list[Check]:
    """Every check of the session, in the order a staff member would fix them.

    `scheme` comes with its groups, criteria and components prefetched (scoring.staff.scheme_of).
    """
    now = timezone.now()
    reporters = session.reports.count()
    checks = [_scheme_check(session, scheme, reporters)]
    if scheme is not None:
        counts = {
            row["group_id"]: row
            for row in Credential.objects.filter(session=session)
            .values("group_id")
            .annotate(
                live=Count("pk", filter=Q(revoked=False)),
                revoked=Count("pk", filter=Q(revoked=True)),
                used=Count("pk", filter=Q(used=True)),
            )
        }
        printed: dict[tuple[str, int], int] = {}
        for action, changes in AuditEvent.objects.filter(
            object_type=Session._meta.label_lower,
            object_id=str(session.pk),
            action__in=(*services.PRINTED, rehearsal.CLEAR),
        ).values_list("action", "changes"):
            key = (action, (changes or {}).get("group_id"))
            printed[key] = printed.get(key, 0) + 1
        checks += [
            _codes_check(session, scheme, counts),
            _paper_check(session, scheme, printed),
        ]
    checks.append(_site_url_check(opened_on))
    checks.append(_screen_check(session))
    if scheme is not None:
        checks.append(_printed_check(session, scheme, counts, printed))
    cleared = printed.get((rehearsal.CLEAR, None), 0) if scheme is not None else 0
    checks += [_rehearsal_check(session, cleared), _clock_check(now)]
    return checks
