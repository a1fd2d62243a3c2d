"""The organisation admin's Excel import: upload → preview → confirm, and the template download.

The uploaded file waits between preview and confirm under MEDIA_ROOT/imports/<uuid>.xlsx; the token
lives in the uploader's session. Confirming runs `import_apply`, which reads the file once more, checks it
against the database as it is then and writes it in one transaction. The import's summary workbook is
offered for download from the success message, to the staff whose scope holds what the import touched.
"""

import time
import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from reviews.audit.models import AuditEvent
from reviews.downloads import attachment_response
from reviews.orgs.imports import (
    TEMPLATE_FILENAME,
    XLSX_CONTENT_TYPE,
    ImportPlan,
    ImportRejected,
    build_template_workbook,
    import_apply,
    parse_workbook,
    summary_storage,
)
from reviews.scope import can_manage

SESSION_KEY = "reviews_organisation_import"
TOKEN_MAX_AGE = 24 * 3600  # seconds a previewed file waits for its confirmation
SHOWN_ROWS = 500  # rows per table on the preview and error pages
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


def _upload_page(request: HttpRequest, model_admin, form: ImportForm, plan: ImportPlan | None = None):
    problems = plan.problems if plan else []
    context = _context(
        request,
        model_admin,
        form=form,
        problems=problems[:SHOWN_ROWS],
        hidden=max(len(problems) - SHOWN_ROWS, 0),
    )
    return TemplateResponse(request, UPLOAD_TEMPLATE, context)


def upload_view(request: HttpRequest, *, model_admin) -> HttpResponse:
    _ensure_permission(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return _upload_page(request, model_admin, form)
    data = b"".join(form.cleaned_data["file"].chunks())
    plan = parse_workbook(data, actor=request.user)
    if not plan.is_valid:
        return _upload_page(request, model_admin, ImportForm(), plan)
    request.session[SESSION_KEY] = _store(data)
    tables = {
        name: (rows[:SHOWN_ROWS], max(len(rows) - SHOWN_ROWS, 0))
        for name, rows in (
            ("creates", plan.to_create),
            ("updates", plan.to_update),
            ("appointments", plan.to_appoint + plan.secretary_updates),
        )
    }
    context = _context(
        request,
        model_admin,
        plan=plan,
        counts=plan.counts(),
        tables=tables,
        token=request.session[SESSION_KEY],
    )
    return TemplateResponse(request, PREVIEW_TEMPLATE, context)


@require_POST
def confirm_view(request: HttpRequest, *, model_admin) -> HttpResponse:
    _ensure_permission(request)
    stored = _stored(request, request.POST.get("token", ""))
    if stored is None:
        messages.error(request, _("This import is unknown or has expired; please upload the file again."))
        return redirect("admin:reviews_organisation_import")
    try:
        summary = import_apply(stored, actor=request.user)
    except ImportRejected as rejected:
        messages.error(
            request,
            _("The data changed since the preview and the file no longer passes; nothing was imported."),
        )
        return _upload_page(request, model_admin, ImportForm(), rejected.plan)
    except (ValueError, ValidationError, PermissionDenied) as error:
        messages.error(
            request, _("Nothing was imported: %(error)s") % {"error": "; ".join(_messages_of(error))}
        )
        return redirect("admin:reviews_organisation_import")
    finally:
        stored.unlink(missing_ok=True)
        request.session.pop(SESSION_KEY, None)
    if summary.event_id is None:
        messages.success(request, _("Import finished. %(summary)s") % {"summary": summary})
    else:
        messages.success(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                _("Import finished. %(summary)s") % {"summary": summary},
                reverse("admin:reviews_organisation_import_summary", args=[summary.event_id]),
                _("Download the summary of every change (Excel)"),
            ),
        )
    return redirect("admin:reviews_organisation_changelist")


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


def _messages_of(error: Exception) -> list[str]:
    return error.messages if isinstance(error, ValidationError) else [str(error)]


def _folder() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def _store(data: bytes) -> str:
    """Keep the previewed file for its confirmation; forget files whose preview was never confirmed."""
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.xlsx"):
        if time.time() - old.stat().st_mtime > TOKEN_MAX_AGE:
            old.unlink(missing_ok=True)
    token = str(uuid.uuid4())
    (folder / f"{token}.xlsx").write_bytes(data)
    return token


def _stored(request: HttpRequest, token: str) -> Path | None:
    """The file of this session's preview, if the token is that one and the file is still there and fresh."""
    try:
        token = str(uuid.UUID(token))
    except ValueError:
        return None
    if token != request.session.get(SESSION_KEY):
        return None
    stored = _folder() / f"{token}.xlsx"
    if not stored.is_file():
        return None
    if time.time() - stored.stat().st_mtime > TOKEN_MAX_AGE:
        stored.unlink(missing_ok=True)
        return None
    return stored
