"""The clerk's page beside the console: questions, answers and the leader's comment, saved as typed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from . import services
from .forms import CommentForm, QuestionForm
from .models import Comment, Question, Report, Session
from .scope import get_visible_or_404


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def _back(report: Report) -> HttpResponse:
    return redirect(f"{reverse('clerk:session', args=[report.session_id])}?report={report.pk}")


def _saved(request: HttpRequest, report: Report, instance) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"id": instance.pk, "saved": timezone.localtime().strftime("%H:%M:%S")})
    return _back(report)


def _refused(request: HttpRequest, report: Report, message: str, status: int = 400) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": message}, status=status)
    messages.error(request, message)
    return _back(report)


@login_required
@require_GET
def session_page(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_visible_or_404(
        Session.objects.select_related("current_report"), request.user, "host", pk=session_id
    )
    reports = list(session.reports.select_related("organisation", "secretary").order_by("order"))
    chosen = request.GET.get("report")
    report = (
        next((r for r in reports if str(r.pk) == chosen), None)
        or session.current_report
        or (reports[0] if reports else None)
    )
    questions = list(report.questions.all()) if report else []
    comments = list(report.comments.all()) if report else []
    context = {
        "session": session,
        "reports": reports,
        "report": report,
        "questions": [(q, QuestionForm(instance=q, prefix=f"q{q.pk}")) for q in questions],
        "comments": [(c, CommentForm(instance=c, prefix=f"c{c.pk}")) for c in comments],
        "new_comment": CommentForm(prefix="cnew") if report and not comments else None,
    }
    return render(request, "reviews/clerk/session.html", context)


def _report(request: HttpRequest, report_id: int) -> Report:
    return get_visible_or_404(
        Report.objects.select_related("session", "organisation"), request.user, "organisation", pk=report_id
    )


@login_required
@require_POST
def question_new(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id)
    question = services.question_save(actor=request.user, report=report)
    if _wants_json(request):
        return JsonResponse({"id": question.pk})
    return _back(report)


@login_required
@require_POST
def question_save(request: HttpRequest, question_id: int) -> HttpResponse:
    question = get_visible_or_404(
        Question.objects.select_related("report"), request.user, "report__organisation", pk=question_id
    )
    form = QuestionForm(request.POST, instance=Question.objects.get(pk=question.pk), prefix=f"q{question.pk}")
    if not form.is_valid():
        return _refused(
            request, question.report, " ".join(e for errors in form.errors.values() for e in errors)
        )
    saved = services.question_save(
        actor=request.user, report=question.report, instance=question, **form.cleaned_data
    )
    return _saved(request, question.report, saved)


@login_required
@require_POST
def question_delete(request: HttpRequest, question_id: int) -> HttpResponse:
    question = get_visible_or_404(
        Question.objects.select_related("report"), request.user, "report__organisation", pk=question_id
    )
    try:
        services.question_delete(actor=request.user, question=question)
    except services.MeetingError as error:
        return _refused(request, question.report, error.message, status=409)
    return _back(question.report)


@login_required
@require_POST
def question_hand_over(request: HttpRequest, question_id: int) -> HttpResponse:
    question = get_visible_or_404(
        Question.objects.select_related("report"), request.user, "report__organisation", pk=question_id
    )
    try:
        services.question_hand_over(actor=request.user, question=question)
    except services.MeetingError as error:
        return _refused(request, question.report, error.message, status=409)
    return _back(question.report)


@login_required
@require_POST
def comment_save(request: HttpRequest, report_id: int, comment_id: int | None = None) -> HttpResponse:
    report = _report(request, report_id)
    instance = Comment.objects.filter(report=report, pk=comment_id).first() if comment_id else None
    prefix = f"c{instance.pk}" if instance else "cnew"
    form = CommentForm(request.POST, instance=instance, prefix=prefix)
    if not form.is_valid():
        return _refused(request, report, " ".join(e for errors in form.errors.values() for e in errors))
    saved = services.comment_save(actor=request.user, report=report, instance=instance, **form.cleaned_data)
    return _saved(request, report, saved)


@login_required
@require_POST
def comment_hand_over(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = get_visible_or_404(
        Comment.objects.select_related("report"), request.user, "report__organisation", pk=comment_id
    )
    try:
        services.comment_hand_over(actor=request.user, comment=comment)
    except services.MeetingError as error:
        return _refused(request, comment.report, error.message, status=409)
    return _back(comment.report)
