"""The clerk's page beside the host console (/manage/clerk/): questions, answers and comments, typed live.

Cards are saved as they are typed: ``static/reviews/clerk.js`` posts a card's fields after every pause
(with ``X-Requested-With: XMLHttpRequest``; the answers are JSON). Without JavaScript every card is a
plain form whose buttons post and come back to the page. Every write is one service call, so it is
audited. Everything is scoped through the session's host: the meeting belongs to the committee that
holds it, so township staff cannot open the county meeting even where their own secretary reports.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reviews.cycles.models import Report, Session
from reviews.meeting import services
from reviews.meeting.forms import CommentForm, QuestionForm
from reviews.meeting.models import Comment, Question
from reviews.orgs.models import secretary_on
from reviews.scope import get_visible_or_404, staff_required

# A card added on the page carries a random key of its own until the server gives it an id: when the
# answer to its first save is lost and the save is sent again, the key finds the question already made.
NEW_KEY = re.compile(r"^[A-Za-z0-9_-]{8,40}$", re.ASCII)
NEW_KEY_SECONDS = 12 * 60 * 60


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def staff_member(view: Callable) -> Callable:
    """reviews.scope.staff_required, but the page script gets a 401 when the login has expired."""
    guarded = staff_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated and _wants_json(request):
            message = _("You are logged out. Log in again in another tab; what you typed stays here.")
            return JsonResponse({"error": message, "login": True}, status=401)
        return guarded(request, *args, **kwargs)

    return wrapper


# ---------------------------------------------------------------------------------------------------
# The page


@dataclass(frozen=True)
class Card:
    """One question or comment as the page shows it: the object, its form and its number."""

    obj: Question | Comment
    form: QuestionForm | CommentForm
    number: int

    @property
    def version(self) -> str:
        return _version(self.obj)


@staff_member
@require_GET
def session_page(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_visible_or_404(
        Session.objects.select_related("current_report__organisation"), request.user, "host", pk=session_id
    )
    reports = list(session.reports.select_related("organisation", "secretary").order_by("order"))
    report = _chosen(reports, request.GET.get("report", ""), session.current_report_id)
    questions = list(report.questions.all()) if report else []
    comments = list(report.comments.all()) if report else []
    commenters = (
        Comment.objects.filter(report__session=session)
        .exclude(commenter="")
        .order_by("commenter")
        .values_list("commenter", flat=True)
        .distinct()
    )
    context = {
        "session": session,
        "reports": reports,
        "report": report,
        "secretary": _secretary(report, session),
        "questions": [
            Card(q, QuestionForm.for_instance(q, auto_id=f"q{q.pk}-%s"), n)
            for n, q in enumerate(questions, start=1)
        ],
        "comments": [
            Card(c, CommentForm.for_instance(c, auto_id=f"c{c.pk}-%s"), n)
            for n, c in enumerate(comments, start=1)
        ],
        "blank_question": QuestionForm(auto_id="qnew-%s"),
        "blank_comment": CommentForm(auto_id="cnew-%s"),
        "commenters": list(commenters) if report else [],
    }
    return render(request, "reviews/meeting/session.html", context)


def _chosen(reports: list[Report], wanted: str, current_id: int | None) -> Report | None:
    """The reporter asked for, else the one the host console has on the floor, else the first."""
    by_id = {str(r.pk): r for r in reports}
    return by_id.get(wanted) or by_id.get(str(current_id)) or (reports[0] if reports else None)


def _secretary(report: Report | None, session: Session) -> str:
    if report is None:
        return ""
    person = report.secretary or secretary_on(report.organisation, session.date)
    return person.name if person else ""


# ---------------------------------------------------------------------------------------------------
# Questions


@staff_member
@require_POST
def question_new(request: HttpRequest, session_id: int, report_id: int) -> HttpResponse:
    """Create a question with whatever the card holds so far; a resent first save finds it again."""
    report = _report(request, session_id, report_id)
    form = QuestionForm.with_stored(request.POST, None)
    if not form.is_valid():
        return _refused(request, report, form.error_text(), anchor="questions")
    key = _new_key(request, "question", report)
    known = _known(key, Question.objects.filter(report=report))
    question = services.question_save(actor=request.user, report=report, instance=known, **form.cleaned_data)
    if key:
        cache.set(key, question.pk, NEW_KEY_SECONDS)
    if _wants_json(request):
        return JsonResponse(_question_answer(question), status=200 if known else 201)
    return _back(report, f"q{question.pk}")


@staff_member
@require_POST
def question_save(request: HttpRequest, question_id: int) -> HttpResponse:
    question = _question(request, question_id)
    form = QuestionForm.with_stored(request.POST, question)
    if not form.is_valid():
        return _refused(request, question.report, form.error_text(), anchor=f"q{question.pk}")
    question = services.question_save(
        actor=request.user, report=question.report, instance=question, **form.cleaned_data
    )
    if _wants_json(request):
        return JsonResponse(_question_answer(question))
    messages.success(request, _("Saved."))
    return _back(question.report, f"q{question.pk}")


@staff_member
@require_POST
def question_hand_over(request: HttpRequest, question_id: int) -> HttpResponse:
    """交办: fields posted with the button are saved first, then the question becomes a finding (once)."""
    question = _question(request, question_id)
    anchor = f"q{question.pk}"
    if any(name in request.POST for name in QuestionForm.stored_fields):
        form = QuestionForm.with_stored(request.POST, question)
        if not form.is_valid():
            return _refused(request, question.report, form.error_text(), anchor=anchor)
        question = services.question_save(
            actor=request.user, report=question.report, instance=question, **form.cleaned_data
        )
    try:
        finding = services.question_hand_over(actor=request.user, question=question)
    except services.MeetingError as error:
        return _refused(request, question.report, error.message, status=409, anchor=anchor)
    return _handed_over(request, question.report, finding.pk, anchor)


@staff_member
@require_http_methods(["GET", "POST"])
def question_delete(request: HttpRequest, question_id: int) -> HttpResponse:
    """GET asks for confirmation (the page script asks with a dialog instead); POST deletes."""
    question = _question(request, question_id)
    report = question.report
    if request.method == "GET":
        context = {"question": question, "report": report, "session": report.session}
        return render(request, "reviews/meeting/question_delete.html", context)
    try:
        services.question_delete(actor=request.user, question=question)
    except services.MeetingError as error:
        return _refused(request, report, error.message, status=409, anchor=f"q{question.pk}")
    if _wants_json(request):
        return JsonResponse({"deleted": True})
    messages.success(request, _("The question has been deleted."))
    return _back(report, "questions")


def _question(request: HttpRequest, question_id: int) -> Question:
    return get_visible_or_404(
        Question.objects.select_related("report__session__cycle", "report__organisation"),
        request.user,
        "report__session__host",
        pk=question_id,
    )


def _question_answer(question: Question) -> dict:
    return _answer(question) | {
        "urls": {
            "save": reverse("clerk:question_save", args=[question.pk]),
            "hand_over": reverse("clerk:question_hand_over", args=[question.pk]),
            "delete": reverse("clerk:question_delete", args=[question.pk]),
        }
    }


# ---------------------------------------------------------------------------------------------------
# Comments


@staff_member
@require_POST
def comment_new(request: HttpRequest, session_id: int, report_id: int) -> HttpResponse:
    report = _report(request, session_id, report_id)
    form = CommentForm.with_stored(request.POST, None)
    if not form.is_valid():
        return _refused(request, report, form.error_text(), anchor="comments")
    key = _new_key(request, "comment", report)
    known = _known(key, Comment.objects.filter(report=report))
    comment = services.comment_save(actor=request.user, report=report, instance=known, **form.cleaned_data)
    if key:
        cache.set(key, comment.pk, NEW_KEY_SECONDS)
    if _wants_json(request):
        return JsonResponse(_comment_answer(comment), status=200 if known else 201)
    return _back(report, f"c{comment.pk}")


@staff_member
@require_POST
def comment_save(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = _comment(request, comment_id)
    form = CommentForm.with_stored(request.POST, comment)
    if not form.is_valid():
        return _refused(request, comment.report, form.error_text(), anchor=f"c{comment.pk}")
    comment = services.comment_save(
        actor=request.user, report=comment.report, instance=comment, **form.cleaned_data
    )
    if _wants_json(request):
        return JsonResponse(_comment_answer(comment))
    messages.success(request, _("Saved."))
    return _back(comment.report, f"c{comment.pk}")


@staff_member
@require_POST
def comment_hand_over(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = _comment(request, comment_id)
    anchor = f"c{comment.pk}"
    if any(name in request.POST for name in CommentForm.stored_fields):
        form = CommentForm.with_stored(request.POST, comment)
        if not form.is_valid():
            return _refused(request, comment.report, form.error_text(), anchor=anchor)
        comment = services.comment_save(
            actor=request.user, report=comment.report, instance=comment, **form.cleaned_data
        )
    try:
        finding = services.comment_hand_over(actor=request.user, comment=comment)
    except services.MeetingError as error:
        return _refused(request, comment.report, error.message, status=409, anchor=anchor)
    return _handed_over(request, comment.report, finding.pk, anchor)


def _comment(request: HttpRequest, comment_id: int) -> Comment:
    return get_visible_or_404(
        Comment.objects.select_related("report__session__cycle", "report__organisation"),
        request.user,
        "report__session__host",
        pk=comment_id,
    )


def _comment_answer(comment: Comment) -> dict:
    return _answer(comment) | {
        "urls": {
            "save": reverse("clerk:comment_save", args=[comment.pk]),
            "hand_over": reverse("clerk:comment_hand_over", args=[comment.pk]),
        }
    }


# ---------------------------------------------------------------------------------------------------
# Helpers


def _report(request: HttpRequest, session_id: int, report_id: int) -> Report:
    return get_visible_or_404(
        Report.objects.select_related("session__cycle", "organisation"),
        request.user,
        "session__host",
        pk=report_id,
        session_id=session_id,
    )


def _new_key(request: HttpRequest, kind: str, report: Report) -> str:
    key = request.POST.get("client_key", "")
    return f"shuzhi:clerk-new:{kind}:{report.pk}:{key}" if NEW_KEY.match(key) else ""


def _known(key: str, queryset):
    """The object a resent first save already created, if any."""
    pk = cache.get(key) if key else None
    return queryset.filter(pk=pk).first() if pk else None


def _version(obj: Question | Comment) -> str:
    return str(int(obj.updated_at.timestamp() * 1000)) if obj.updated_at else ""


def _answer(obj: Question | Comment) -> dict:
    return {
        "id": obj.pk,
        "saved": timezone.localtime(obj.updated_at).strftime("%H:%M:%S"),
        "version": _version(obj),
        "handed_over": obj.handed_over,
    }


def _back(report: Report, anchor: str = "") -> HttpResponse:
    url = f"{reverse('clerk:session', args=[report.session_id])}?report={report.pk}"
    return redirect(f"{url}#{anchor}" if anchor else url)


def _handed_over(request: HttpRequest, report: Report, finding_id: int, anchor: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"handed_over": True, "finding": finding_id})
    messages.success(
        request,
        _("Handed over: it is now a problem of %(organisation)s to rectify.")
        % {"organisation": report.organisation.name},
    )
    return _back(report, anchor)


def _refused(
    request: HttpRequest, report: Report, message: str, *, status: int = 400, anchor: str = ""
) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": message}, status=status)
    messages.error(request, message)
    return _back(report, anchor)
