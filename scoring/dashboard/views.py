"""The cycle dashboard (/dashboard/cycle/<id>/) and an organisation's record by year (/dashboard/org/<id>/).

Read-only pages for staff, restricted to their subtree (``reviews.scope``): county staff see the whole
county, township staff their township and its villages. Every figure comes from aggregated queries, so a
page costs the same number of queries for ten organisations or two thousand.
"""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from reviews.cycles.models import Cycle, Session
from reviews.orgs.models import Appointment, Organisation
from reviews.rectification import selectors as review_selectors
from reviews.rectification import services as services_rectification
from reviews.rectification.models import RectificationItem
from reviews.scope import can_manage, get_visible_or_404, restrict, scope_root, staff_required
from scoring.dashboard import selectors as dashboard

OVERDUE_SHOWN = 50
ORGANISATIONS_SHOWN = 100
MAX_MIN_ORGANISATIONS = 1000
OVERDUE_FILTER = "overdue=yes"  # the items page's filter (reviews.rectification.forms: yes / no)


def _int_param(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(request.GET.get(name, default))
    except (TypeError, ValueError):
        return default
    return min(max(value, low), high)


def _subtree_roots(user) -> tuple[Organisation | None, list[Organisation]]:
    """The organisation the dashboard is about and the roots of its subtrees (its children)."""
    root = scope_root(user)
    if root is None:
        tops = list(Organisation.objects.filter(parent__isnull=True).order_by("path"))
        if len(tops) != 1:
            return None, tops
        root = tops[0]
    if root.pk is None:  # staff without a scope see nothing
        return None, []
    return root, list(Organisation.objects.filter(parent=root).order_by("path"))


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


@staff_required
@require_GET
def cycle_dashboard(request: HttpRequest, cycle_id: int) -> HttpResponse:
    cycle = get_object_or_404(Cycle, pk=cycle_id)
    user = request.user
    today = services_rectification.today()
    parent, roots = _subtree_roots(user)

    rows = dashboard.session_rows(restrict(Session.objects.filter(cycle=cycle), user, via="host"))

    items = restrict(RectificationItem.objects.filter(cycle=cycle), user, via="organisation")
    by_organisation = review_selectors.completion_by_organisation(items, today)
    total = review_selectors.total_of(by_organisation, label=_("All organisations"))
    subtrees = review_selectors.subtree_rollup(by_organisation, roots, parent=parent)
    show_all = request.GET.get("orgs") == "all"
    min_organisations = _int_param(
        request, "min", review_selectors.SHARED_PROBLEM_MIN_ORGANISATIONS, 1, MAX_MIN_ORGANISATIONS
    )
    context = {
        "cycle": cycle,
        "today": today,
        "scope": parent,
        "levels": dashboard.by_level(rows),
        "grades": dashboard.grade_distribution(rows),
        "total": total,
        "organisations": by_organisation if show_all else by_organisation[:ORGANISATIONS_SHOWN],
        "organisation_count": len(by_organisation),
        "show_all": show_all,
        "subtrees": subtrees,
        "sectors": review_selectors.completion_by_sector(items, today),
        "overdue": review_selectors.overdue_items(items, today, limit=OVERDUE_SHOWN),
        "overdue_url": _overdue_list_url(cycle),
        "min_organisations": min_organisations,
        "shared": review_selectors.shared_problems(items, min_organisations),
    }
    return render(request, "scoring/dashboard/cycle.html", context)


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
