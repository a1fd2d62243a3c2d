"""The organisation admin's Excel import: upload → check (a job) → preview → confirm (a job), the template.

The upload is kept under MEDIA_ROOT/imports/<token>.xlsx (the shared volume) and checked by a background
job (reviews/orgs/jobs.py) whose page shows the rows checked; its button leads to the check view, which
shows the preview (or the problems) rendered by the worker. Confirming starts the apply job, which checks
the file once more against the database as it is then, writes it in one transaction (rows written on its
page) and offers the summary workbook of every change as its file. Closing the browser stops neither:
「我的任务」 finds them again. The import's summary also downloads from its audit entry (summary_view),
for the staff whose scope holds what the import touched.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reviews.audit.models import AuditEvent
from reviews.downloads import attachment_response
from reviews.jobs import services as jobs
from reviews.jobs.models import Job, JobStatus
from reviews.orgs.imports import (
    TEMPLATE_FILENAME,
    XLSX_CONTENT_TYPE,
    build_template_workbook,
    summary_storage,
)
from reviews.orgs.jobs import (
    IMPORT_APPLY,
    IMPORT_CHECK,
    expired_message,
    read_check_result,
    upload_path,
    upload_store,
)
from reviews.scope import can_manage, ensure_may_write

UPLOAD_TEMPLATE = "admin/reviews/organisation/import.html"
PREVIEW_TEMPLATE = "admin/reviews/organisation/import_preview.html"


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Excel workbook (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise ValidationError(_("Choose an Excel workbook saved as .xlsx."))
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise ValidationError(
                _("The file is larger than %(limit)s MB.")
                % {"limit": settings.IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        return upload


def import_urls(model_admin) -> list:
    """URL patterns for the Organisation admin's get_urls()."""
    wrap = model_admin.admin_site.admin_view
    extra = {"model_admin": model_admin}
    return [
        path("import/", wrap(upload_view), extra, name="reviews_organisation_import"),
        path(
            "import/check/<uuid:job_id>/", wrap(check_view), extra, name="reviews_organisation_import_check"
        ),
        path("import/confirm/", wrap(confirm_view), extra, name="reviews_organisation_import_confirm"),
        path("import/template/", wrap(template_view), name="reviews_organisation_import_template"),
        path(
            "import/summary/<int:event_id>/",
            wrap(summary_view),
            name="reviews_organisation_import_summary",
        ),
    ]


def _ensure_permission(request: HttpRequest) -> None:
    if not request.user.has_perm("reviews.add_organisation"):
        raise PermissionDenied


def _context(request: HttpRequest, model_admin, **extra) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Import party organisations and secretaries"),
        **extra,
    }


def _upload_page(request: HttpRequest, model_admin, form: ImportForm, result: dict | None = None):
    """The upload form, with the problems of a checked file above it."""
    context = _context(
        request,
        model_admin,
        form=form,
        problems=result["problems"] if result else [],
        problems_html=mark_safe(result["html"]) if result else "",  # rendered by the check job's template
    )
    return TemplateResponse(request, UPLOAD_TEMPLATE, context)


def upload_view(request: HttpRequest, *, model_admin) -> HttpResponse:
    """Keep the file and start its check; the job page shows the rows checked."""
    _ensure_permission(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return _upload_page(request, model_admin, form)
    ensure_may_write(request.user)
    token = upload_store(b"".join(form.cleaned_data["file"].chunks()))
    job = jobs.job_start(
        kind=IMPORT_CHECK,
        actor=request.user,
        organisation=None,
        params={"token": token, "language": get_language() or settings.LANGUAGE_CODE},
    )
    return redirect("jobs:detail", job.pk)


def _own_job(request: HttpRequest, kind: str, **lookup) -> Job | None:
    return Job.objects.filter(kind=kind, created_by=request.user, **lookup).first()


def check_view(request: HttpRequest, job_id, *, model_admin) -> HttpResponse:
    """The check's outcome: the preview with the confirm form, or the upload form with the problems."""
    _ensure_permission(request)
    job = _own_job(request, IMPORT_CHECK, pk=job_id)
    if job is None:
        raise Http404
    if job.status != JobStatus.DONE:
        return redirect("jobs:detail", job.pk)
    result = read_check_result(job)
    if result is None:
        messages.error(request, expired_message())
        return redirect("admin:reviews_organisation_import")
    if not result["valid"]:
        return _upload_page(request, model_admin, ImportForm(), result)
    token = result["token"] if result["token"] and upload_path(result["token"]) else ""
    context = _context(
        request,
        model_admin,
        job=job,
        counts=result["counts"],
        has_changes=result["has_changes"],
        token=token,
        expired=result["has_changes"] and not token,
        tables_html=mark_safe(result["html"]),  # rendered by the check job's template
    )
    return TemplateResponse(request, PREVIEW_TEMPLATE, context)


@require_POST
def confirm_view(request: HttpRequest, *, model_admin) -> HttpResponse:
    """Start the apply job of a checked file, once: a second confirmation leads to the first job."""
    _ensure_permission(request)
    ensure_may_write(request.user)
    token = request.POST.get("token", "")
    with transaction.atomic():
        check = (
            Job.objects.select_for_update()
            .filter(kind=IMPORT_CHECK, created_by=request.user, status=JobStatus.DONE, params__token=token)
            .first()
            if token
            else None
        )
        started = _own_job(request, IMPORT_APPLY, params__token=token) if check is not None else None
        if started is not None:
            messages.warning(request, _("This import has already been confirmed; here is its progress."))
            return redirect("jobs:detail", started.pk)
        result = read_check_result(check) if check is not None else None
        if result is None or not result["has_changes"] or upload_path(token) is None:
            messages.error(request, expired_message())
            return redirect("admin:reviews_organisation_import")
        job = jobs.job_start(
            kind=IMPORT_APPLY,
            actor=request.user,
            organisation=None,
            params={"token": token, "check": str(check.pk), "language": check.params.get("language", "")},
        )
    return redirect("jobs:detail", job.pk)


def summary_view(request: HttpRequest, event_id: int) -> HttpResponse:
    """The summary workbook of one import, for staff whose scope holds the highest organisation it touched."""
    _ensure_permission(request)
    event = (
        AuditEvent.objects.filter(pk=event_id, action="import.apply").select_related("organisation").first()
    )
    name = event.changes.get("summary_file", "") if event is not None else ""
    if not name or (event.actor_id != request.user.pk and not can_manage(request.user, event.organisation)):
        raise Http404
    storage = summary_storage()
    try:
        handle = storage.open(name, "rb")
    except FileNotFoundError as error:
        raise Http404 from error
    filename = _("Import summary %(date)s.xlsx") % {"date": f"{event.at:%Y-%m-%d}"}
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
    response["Cache-Control"] = "private, no-store"
    return response


def template_view(request: HttpRequest) -> HttpResponse:
    _ensure_permission(request)
    return attachment_response(
        TEMPLATE_FILENAME, XLSX_CONTENT_TYPE, build_template_workbook(), fallback="import-template.xlsx"
    )
