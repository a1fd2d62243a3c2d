"""The cycle dashboard (/dashboard/cycle/<id>/) and an organisation's record by year (/dashboard/org/<id>/).

Read-only pages for staff, restricted to their subtree (``reviews.scope``): province staff see the whole
province, county staff their county, township staff their township and its villages. Every figure comes
from aggregated queries and the long lists (sessions, organisations) are read one page at a time, so a
page costs the same number of queries, and about the same time, for ten organisations or 150,000.
"""

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from reviews.cycles.models import Cycle, Session
from reviews.jobs.services import job_start
from reviews.orgs import levels
from reviews.orgs.models import Appointment, Organisation
from reviews.rectification import selectors as review_selectors
from reviews.rectification import services as services_rectification
from reviews.scope import can_manage, get_visible_or_404, restrict, scope_root, staff_required
from scoring.dashboard import jobs
from scoring.dashboard import selectors as dashboard

OVERDUE_SHOWN = 50
ORGANISATIONS_SHOWN = 50  # a page of the organisation table
SESSIONS_SHOWN = 50  # a page of the session table
SEARCH_MAX = 60
MAX_MIN_ORGANISATIONS = 1000
OVERDUE_FILTER = "overdue=yes"  # the items page's filter (reviews.rectification.forms: yes / no)


def _int_param(data, name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(data.get(name, default))
    except (TypeError, ValueError):
        return default
    return min(max(value, low), high)


def _overdue_list_url(cycle: Cycle) -> str:
    """The cycle's rectification items page (reviews.rectification.urls), overdue items only."""
    for name in ("rectification:cycle", "rectification:list"):
        try:
            return f"{reverse(name, args=[cycle.pk])}?{OVERDUE_FILTER}"
        except NoReverseMatch:
            continue
    return f"/rectification/cycle/{cycle.pk}/?{OVERDUE_FILTER}"


@staff_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request, "scoring/dashboard/index.html", {"cycles": Cycle.objects.order_by("-year", "name")}
    )


def _text_param(request: HttpRequest, name: str) -> str:
    return request.GET.get(name, "").strip()[:SEARCH_MAX]


def _query(request: HttpRequest, **changes) -> str:
    """The page's query string with `changes` applied (None drops a parameter), for pager links."""
    params = request.GET.copy()
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    return params.urlencode()


@staff_required
@require_GET
def cycle_dashboard(request: HttpRequest, cycle_id: int) -> HttpResponse:
    cycle = get_object_or_404(Cycle, pk=cycle_id)
    user = request.user
    today = services_rectification.today()
    parent, roots = dashboard.subtree_roots(user)

    cached = _cache_for(cycle, user, today)
    sessions = restrict(Session.objects.filter(cycle=cycle), user, via="host")
    summaries = cached("levels", lambda: dashboard.level_summaries(sessions))
    session_search = _text_param(request, "sq")
    found = dashboard.search_sessions(sessions, session_search)
    session_page = dashboard.PageOf.of(
        _int_param(request.GET, "sp", 1, 1, 10**6),
        SESSIONS_SHOWN,
        found.count() if session_search else sum(s.sessions for s in summaries),
    )
    rows = dashboard.session_rows(found, offset=session_page.offset, limit=session_page.size)

    scope = dashboard.ItemScope.of(cycle, user)
    overview = cached(
        "overview",
        lambda: dashboard.rectification_overview(
            scope, today, label=_("All organisations"), roots=roots, parent=parent
        ),
    )
    show_all = request.GET.get("orgs") == "all"
    organisation_search = _text_param(request, "oq") if show_all else ""
    organisation_number = _int_param(request.GET, "op", 1, 1, 10**6) if show_all else 1
    organisations, organisation_page = cached(
        f"organisations:{organisation_number}:{ORGANISATIONS_SHOWN}:{organisation_search}",
        lambda: dashboard.organisation_page(
            scope.searching(organisation_search),
            today,
            organisation_number,
            ORGANISATIONS_SHOWN,
            count=None if organisation_search else overview.organisations,
        ),
    )
    min_organisations = _int_param(
        request.GET, "min", review_selectors.SHARED_PROBLEM_MIN_ORGANISATIONS, 1, MAX_MIN_ORGANISATIONS
    )
    children_level = levels.level_of_depth(roots[0].depth) if roots else None
    context = {
        "cycle": cycle,
        "today": today,
        "scope": parent,
        "scope_level": levels.level_label(parent.depth) if parent else "",
        "level_summaries": summaries,
        "levels": dashboard.by_level(rows),
        "session_search": session_search,
        "session_page": session_page,
        "session_pages": _pager(request, session_page, "sp"),
        "grades": dashboard.grade_distribution(summaries),
        "total": overview.total,
        "organisations": organisations,
        "organisation_count": organisation_page.count,
        "organisation_search": organisation_search,
        "organisation_page": organisation_page,
        "organisation_pages": _pager(request, organisation_page, "op"),
        "show_all": show_all,
        "subtrees": overview.subtrees,
        "subtrees_heading": levels.CHILDREN_HEADINGS.get(
            children_level, _("Rectification by organisation under us")
        ),
        "sectors": overview.sectors,
        "overdue": cached(
            f"overdue:{OVERDUE_SHOWN}",
            lambda: review_selectors.overdue_items(scope.items(), today, limit=OVERDUE_SHOWN),
        ),
        "cache_seconds": settings.DASHBOARD_CACHE_SECONDS,
        "overdue_url": _overdue_list_url(cycle),
        "min_organisations": min_organisations,
        "shared": cached(
            f"shared:{min_organisations}",
            lambda: dashboard.shared_problems(scope, min_organisations, categories=overview.categories),
        ),
        "export_url": reverse("dashboard:cycle_export", args=[cycle.pk]),
    }
    return render(request, "scoring/dashboard/cycle.html", context)


def _cache_for(cycle: Cycle, user, today) -> Callable:
    """cached(name, compute): the aggregated figures of one scope (sessions per level and their grades,
    rectification roll-ups, organisation pages, overdue and shared problems) kept DASHBOARD_CACHE_SECONDS
    in the shared cache (0, the default: always computed). At a province's 450,000 items each read of
    the items costs seconds; a province may prefer figures a minute old to a slow page."""
    seconds = settings.DASHBOARD_CACHE_SECONDS
    scope = scope_root(user)  # None: everything (superusers); a staff account without a scope: "-none-"
    base = f"{cycle.pk}:{scope.path if scope else '*'}:{today.isoformat()}:{get_language()}"

    def cached(name: str, compute: Callable):
        if seconds <= 0:
            return compute()
        key = "dashboard:" + hashlib.sha256(f"{base}:{name}".encode()).hexdigest()
        value = cache.get(key)
        if value is None:
            value = compute()
            cache.set(key, value, seconds)
        return value

    return cached


def _pager(request: HttpRequest, page: dashboard.PageOf, name: str) -> dict:
    """Links to the previous and next page of one list, the other parameters kept."""
    return {
        "previous": "?" + _query(request, **{name: page.previous}) if page.has_previous else "",
        "next": "?" + _query(request, **{name: page.next}) if page.has_next else "",
    }


@staff_required
@require_POST
def cycle_export(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """The dashboard's tables as an Excel workbook, made by the job worker (a province takes minutes)."""
    cycle = get_object_or_404(Cycle, pk=cycle_id)
    min_organisations = _int_param(
        request.POST, "min", review_selectors.SHARED_PROBLEM_MIN_ORGANISATIONS, 1, MAX_MIN_ORGANISATIONS
    )
    job = job_start(
        kind=jobs.DASHBOARD_EXPORT,
        actor=request.user,
        organisation=dashboard.subtree_roots(request.user)[0],
        params={"cycle": cycle.pk, "min": min_organisations},
    )
    return redirect("jobs:detail", job.pk)


def _is_secretary(user, organisation_id: int) -> bool:
    return (
        Appointment.objects.secretaries()
        .on(services_rectification.today())
        .filter(organisation_id=organisation_id, person__user_id=user.pk)
        .exists()
    )


@require_GET
def organisation_record(request: HttpRequest, org_id: int) -> HttpResponse:
    """Staff in scope (outside it: 404), or the organisation's own secretary today (others: 403)."""
    user = request.user
    if not user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    if user.is_staff:
        organisation = get_visible_or_404(Organisation.objects.all(), user, pk=org_id)
    elif _is_secretary(user, org_id):
        organisation = get_object_or_404(Organisation, pk=org_id)
    else:
        raise PermissionDenied
    years = dashboard.organisation_years(
        organisation,
        services_rectification.today(),
        may_open=lambda session: user.is_staff and can_manage(user, session.host),
    )
    return render(
        request, "scoring/dashboard/organisation.html", {"organisation": organisation, "years": years}
    )
