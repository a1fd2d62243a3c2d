"""Topics (点题述职): the public proposal page, and the staff page that classifies, merges and assigns.

Public: /topics/p/<token>/ — no login, phone first, works without JavaScript; a honeypot field and a
per-address limit keep robots and floods out. Staff: /topics/<session>/ — every object through
``get_visible_or_404`` (404 outside the user's subtree), every write a POST calling one service, a
service's refusal (TopicError) shown as a page message.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reviews import documents as reviews_documents
from reviews.cycles.models import Report, Session
from reviews.downloads import attachment_response
from reviews.scope import get_visible_or_404, staff_required
from reviews.topics import documents as topics_documents
from reviews.topics import selectors as topics_selectors
from reviews.topics import services as topics_services
from reviews.topics.forms import (
    PosterForm,
    PublicSuggestionForm,
    StaffSuggestionForm,
    TopicCategoryForm,
    TopicTextForm,
    organisation_id,
)
from reviews.topics.models import TopicCall, TopicCategory, TopicSuggestion
from reviews.topics.services import CLOSED_STATUSES, TopicError
from shuzhi import throttle

# ---------------------------------------------------------------------------------------------------
# Flood guard: at most 20 proposals per client address in a sliding 10 minutes, counted atomically in
# the shared database (shuzhi.throttle); forms refused for a wrong field give their unit back.

SUGGESTIONS = throttle.Limit("topic", 20)


# ---------------------------------------------------------------------------------------------------
# Public: propose a topic


def _public_refusal(
    request: HttpRequest, title: str, message: str, status: int, session=None
) -> HttpResponse:
    context = {"title": title, "message": message, "session": session}
    return render(request, "reviews/topics/refused.html", context, status=status)


def _unknown(request: HttpRequest) -> HttpResponse:
    return _public_refusal(
        request,
        _("Link not found"),
        _(
            "This link for proposing topics does not exist. "
            "Check the address, or scan the code on the poster again."
        ),
        404,
    )


def _closed(request: HttpRequest, session: Session) -> HttpResponse:
    return _public_refusal(
        request,
        _("The call for topics has closed"),
        _("Suggestions for this session are no longer collected. Thank you for your interest."),
        200,
        session,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def propose(request: HttpRequest, token: str) -> HttpResponse:
    call = TopicCall.objects.select_related("session__host").filter(token=token).first()
    if call is None:
        return _unknown(request)
    session = call.session
    if not call.is_open or session.status in CLOSED_STATUSES:
        return _closed(request, session)
    reports = list(session.reports.select_related("organisation").order_by("order"))
    form = PublicSuggestionForm(request.POST or None, reports=reports)
    if request.method == "POST":
        reservation = throttle.reserve(SUGGESTIONS, request)
        if reservation.minutes:
            return _public_refusal(
                request,
                _("Too many suggestions"),
                _("Many suggestions came from this network just now. Try again in %(minutes)s minutes.")
                % {"minutes": reservation.minutes},
                429,
                session,
            )
        if form.is_robot:  # pretend all went well; store nothing
            return redirect("topics:thanks", token=token)
        if form.is_valid():
            data = form.cleaned_data
            try:
                topics_services.suggestion_submit_public(
                    call_token=token,
                    organisation_id=organisation_id(data["organisation"]),
                    text=data["text"],
                    source=data["source"],
                    name=data["name"],
                    phone=data["phone"],
                )
            except TopicError as error:
                if error.code == "closed":
                    return _closed(request, session)
                form.add_error(error.field or None, error.message)
            else:
                return redirect("topics:thanks", token=token)
        reservation.give_back()  # a refused form does not count
    context = {"session": session, "form": form, "reports": reports}
    return render(request, "reviews/topics/propose.html", context, status=400 if form.errors else 200)


@never_cache
@require_GET
def thanks(request: HttpRequest, token: str) -> HttpResponse:
    call = TopicCall.objects.select_related("session__host").filter(token=token).first()
    if call is None:
        return _unknown(request)
    return render(request, "reviews/topics/thanks.html", {"session": call.session, "call": call})


# ---------------------------------------------------------------------------------------------------
# Staff


def _session(request: HttpRequest, session_id: int) -> Session:
    return get_visible_or_404(
        Session.objects.select_related("host", "cycle"), request.user, via="host", pk=session_id
    )


def _back(session: Session, anchor: str = "") -> HttpResponse:
    url = reverse("topics:session", args=[session.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _form_errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


@staff_required
@require_GET
def session_page(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    call = TopicCall.objects.filter(session=session).first()
    board = topics_selectors.session_topic_board(session)
    reports = [line.report for line in board if line.report is not None]
    url = topics_documents.propose_url(call) if call else ""
    context = {
        "session": session,
        "call": call,
        "propose_url": url,
        "qr": mark_safe(reviews_documents.qr_svg(url, "tp-qr")) if call else "",
        "session_counts": topics_selectors.session_topic_counts(session),
        "cycle_counts": topics_selectors.cycle_topic_counts(session.cycle, request.user),
        "board": board,
        "reporter_count": len(reports),
        "categories": list(TopicCategory.objects.all()),
        "entry_form": StaffSuggestionForm(reports=reports),
        "poster_form": PosterForm(),
        "is_over": session.status in CLOSED_STATUSES,
    }
    return render(request, "reviews/topics/session.html", context)


@staff_required
@require_POST
def call_open(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    try:
        topics_services.topic_call_open(actor=request.user, session=session)
    except TopicError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The call for topics is open: share the link or print the poster."))
    return _back(session)


@staff_required
@require_POST
def call_close(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    try:
        topics_services.topic_call_close(actor=request.user, session=session)
    except TopicError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("The call for topics is closed; the public link no longer takes suggestions.")
        )
    return _back(session)


@staff_required
@require_GET
def poster(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    call = TopicCall.objects.filter(session=session).first()
    if call is None:
        messages.info(request, _("Open the call for topics first; the poster carries its link."))
        return _back(session)
    form = PosterForm(request.GET)
    deadline = form.cleaned_data["deadline"] if form.is_valid() else ""
    pdf = topics_documents.topic_poster_pdf(session, call, deadline=deadline)
    return attachment_response(
        _("Call for topics %(title)s.pdf") % {"title": session.title},
        "application/pdf",
        pdf,
        fallback="topic-poster.pdf",
    )


@staff_required
@require_POST
def suggestion_enter(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    reports = list(session.reports.select_related("organisation"))
    form = StaffSuggestionForm(request.POST, reports=reports)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(session, "tp-entry")
    data = form.cleaned_data
    org_id = organisation_id(data["organisation"])
    organisation = next((r.organisation for r in reports if r.organisation_id == org_id), None)
    try:
        suggestion = topics_services.suggestion_enter(
            actor=request.user,
            session=session,
            organisation=organisation,
            text=data["text"],
            source=data["source"],
            supporters=data["supporters"],
            name=data["name"],
        )
    except TopicError as error:
        messages.error(request, error.message)
        return _back(session, "tp-entry")
    messages.success(request, _("Suggestion entered."))
    report = next((r for r in reports if r.organisation_id == suggestion.organisation_id), None)
    return _back(session, f"org-{report.pk}" if report else "org-session")


def _posted_ids(request: HttpRequest, prefix: str) -> dict[int, str]:
    found = {}
    for key, value in request.POST.items():
        if key.startswith(prefix) and key[len(prefix) :].isdigit():
            found[int(key[len(prefix) :])] = value
    return found


@staff_required
@require_POST
def classify(request: HttpRequest, session_id: int) -> HttpResponse:
    """归类: every category select of one organisation's list, saved at once."""
    session = _session(request, session_id)
    chosen = _posted_ids(request, "category-")
    categories = {str(c.pk): c for c in TopicCategory.objects.all()}
    changed = 0
    anchor = request.POST.get("anchor", "")
    for suggestion in topics_selectors.suggestions_of_session(session, chosen):
        category = categories.get(chosen[suggestion.pk])
        if suggestion.category_id == (category.pk if category else None):
            continue
        try:
            topics_services.suggestion_classify(actor=request.user, suggestion=suggestion, category=category)
        except TopicError as error:
            messages.error(request, error.message)
        else:
            changed += 1
    if changed:
        messages.success(request, _("Categories saved for %(count)s suggestions.") % {"count": changed})
    return _back(session, anchor)


@staff_required
@require_POST
def merge(request: HttpRequest, session_id: int) -> HttpResponse:
    """合并所选: the ticked suggestions become one, kept as the most-raised of them."""
    session = _session(request, session_id)
    anchor = request.POST.get("anchor", "")
    ids = [int(i) for i in request.POST.getlist("merge") if i.isdigit()]
    chosen = list(
        topics_selectors.suggestions_of_session(session, ids).order_by("-supporters", "created_at", "pk")
    )
    if len(chosen) < 2:
        messages.error(request, _("Tick at least two suggestions to merge."))
        return _back(session, anchor)
    target, others = chosen[0], chosen[1:]
    try:
        target = topics_services.suggestions_merge(actor=request.user, target=target, others=others)
    except TopicError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(count)s suggestions merged into “%(text)s”, now raised by %(people)s people.")
            % {"count": len(others), "text": target.text[:40], "people": target.supporters},
        )
    return _back(session, anchor)


@staff_required
@require_POST
def topic_assign(request: HttpRequest, report_id: int) -> HttpResponse:
    """采用 a suggestion, or set a typed topic, as the reporter's 述职题目."""
    report = get_visible_or_404(
        Report.objects.select_related("session", "organisation"),
        request.user,
        via="session__host",
        pk=report_id,
    )
    suggestion = None
    suggestion_id = request.POST.get("suggestion", "")
    if suggestion_id:
        suggestion = TopicSuggestion.objects.filter(session=report.session_id, pk=suggestion_id).first()
        if suggestion is None:
            messages.error(request, _("That suggestion no longer exists."))
            return _back(report.session, f"org-{report.pk}")
    form = TopicTextForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(report.session, f"org-{report.pk}")
    text = "" if suggestion else form.cleaned_data["text"]
    if suggestion is None and not text.strip():
        messages.error(request, _("Type the topic, or adopt one of the suggestions."))
        return _back(report.session, f"org-{report.pk}")
    try:
        report = topics_services.report_topic_assign(
            actor=request.user, report=report, text=text, suggestion=suggestion
        )
    except TopicError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Topic of %(organisation)s: %(topic)s")
            % {"organisation": report.organisation, "topic": report.topic},
        )
    return _back(report.session, f"org-{report.pk}")


@staff_required
@require_http_methods(["GET", "POST"])
def categories(request: HttpRequest) -> HttpResponse:
    """The category list shared by every session: rename, reorder, add."""
    editing = None
    if request.method == "POST":
        category_id = request.POST.get("id", "")
        instance = TopicCategory.objects.filter(pk=category_id).first() if category_id.isdigit() else None
        prefix = f"c{instance.pk}" if instance else "new"
        form = TopicCategoryForm(request.POST, instance=instance, prefix=prefix)
        if form.is_valid():
            try:
                topics_services.topic_category_save(actor=request.user, category=form.instance)
            except TopicError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Category saved."))
                return redirect("topics:categories")
        else:
            messages.error(request, _form_errors(form))
        editing = form
    rows = [
        (category, TopicCategoryForm(instance=category, prefix=f"c{category.pk}"))
        for category in TopicCategory.objects.all()
    ]
    new = editing if editing is not None and editing.prefix == "new" else TopicCategoryForm(prefix="new")
    return render(request, "reviews/topics/categories.html", {"rows": rows, "new_form": new})


@staff_required
@require_POST
def category_delete(request: HttpRequest, category_id: int) -> HttpResponse:
    category = TopicCategory.objects.filter(pk=category_id).first()
    if category is not None:
        try:
            topics_services.topic_category_delete(actor=request.user, category=category)
        except TopicError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Category removed."))
    return redirect("topics:categories")
