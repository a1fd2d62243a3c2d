"""The admin's Excel import as two background jobs (后台任务): check, then apply.

- "orgs.import_check" (params: token, language) reads the upload kept under MEDIA_ROOT/imports/<token>.xlsx
  with `import_check`, counting rows checked, and keeps as its result file a small JSON document — no
  pickle: {"valid", "has_changes", "counts", "token", "problems", "html"}, where "html" is the preview's
  tables (or the problems' table) rendered here, in the uploader's language. The admin's check view
  (import_admin.check_view) shows it; the job page's button leads there.
- "orgs.import_apply" (params: token, language) writes the same file with `import_apply`, all or nothing in
  one transaction, counting rows written; its file is the summary workbook of every change. The upload is
  deleted at the end, whether the import succeeded or not. A worker that dies mid-apply has written
  nothing (its transaction dies with it): the machinery queues the job once more and the file is still
  there.
"""

import json
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reviews.jobs.registry import JobRefused, register
from reviews.orgs.imports import (
    XLSX_CONTENT_TYPE,
    ImportPlan,
    ImportRejected,
    import_apply,
    import_check,
    summary_storage,
)

IMPORT_CHECK = "orgs.import_check"
IMPORT_APPLY = "orgs.import_apply"
TOKEN_MAX_AGE = 24 * 3600  # seconds an uploaded file waits for its confirmation
SHOWN_ROWS = 500  # rows per table on the preview and problem pages
NAMED_PROBLEMS = 3  # problems named in the message of a refused apply
PROBLEMS_TEMPLATE = "admin/reviews/organisation/_import_problems.html"
TABLES_TEMPLATE = "admin/reviews/organisation/_import_tables.html"
CHECK_FILENAME = "import-check.json"


# ---------------------------------------------------------------------------------------------
# The uploaded file, kept on the shared volume between upload, check and confirmation


def upload_folder() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def upload_store(data: bytes) -> str:
    """Keep an upload for its check and confirmation (returns its token); forget files never confirmed."""
    folder = upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.xlsx"):
        try:
            if time.time() - old.stat().st_mtime > TOKEN_MAX_AGE:
                old.unlink(missing_ok=True)
        except FileNotFoundError:
            continue
    token = str(uuid.uuid4())
    (folder / f"{token}.xlsx").write_bytes(data)
    return token


def upload_path(token: str) -> Path | None:
    """The kept file of this token, if it is still there and fresh (a stale one is deleted)."""
    try:
        token = str(uuid.UUID(str(token)))
    except ValueError:
        return None
    stored = upload_folder() / f"{token}.xlsx"
    try:
        age = time.time() - stored.stat().st_mtime
    except FileNotFoundError:
        return None
    if age > TOKEN_MAX_AGE:
        stored.unlink(missing_ok=True)
        return None
    return stored


def upload_delete(token: str) -> None:
    try:
        token = str(uuid.UUID(str(token)))
    except ValueError:
        return
    (upload_folder() / f"{token}.xlsx").unlink(missing_ok=True)


def expired_message() -> str:
    return _("This import is unknown or has expired; please upload the file again.")


# ---------------------------------------------------------------------------------------------
# The check


def _language(job) -> str:
    return job.params.get("language") or settings.LANGUAGE_CODE


def _actor(job):
    if job.created_by is None or not job.created_by.is_active:
        raise JobRefused(_("The account that started this import is no longer active; nothing was imported."))
    return job.created_by


def check_result(plan: ImportPlan, token: str) -> dict:
    """What the preview or problem page needs, JSON-ready, the tables rendered in the active language."""
    problems = plan.problems
    if plan.is_valid:
        tables = {
            name: (rows[:SHOWN_ROWS], max(len(rows) - SHOWN_ROWS, 0))
            for name, rows in (
                ("creates", plan.to_create),
                ("updates", plan.to_update),
                ("appointments", plan.to_appoint + plan.secretary_updates),
            )
        }
        html = render_to_string(TABLES_TEMPLATE, {"counts": plan.counts(), "tables": tables})
    else:
        html = render_to_string(
            PROBLEMS_TEMPLATE,
            {"problems": problems[:SHOWN_ROWS], "hidden": max(len(problems) - SHOWN_ROWS, 0)},
        )
    return {
        "valid": plan.is_valid,
        "has_changes": plan.is_valid and plan.has_changes,
        "counts": plan.counts(),
        "token": token if plan.is_valid and plan.has_changes else "",
        "problems": [
            {"sheet": p.sheet, "row": p.row, "column": p.column, "code": p.code, "message": str(p.message)}
            for p in problems[:SHOWN_ROWS]
        ],
        "html": html,
    }


def run_check(job, progress, out):
    token = job.params.get("token", "")
    stored = upload_path(token)
    if stored is None:
        raise JobRefused(expired_message())
    actor = _actor(job)
    with translation.override(_language(job)):
        plan = import_check(stored, actor=actor, progress=progress)
        result = check_result(plan, token)
    if not result["token"]:  # nothing to confirm: the file is not kept
        upload_delete(token)
    return CHECK_FILENAME, "application/json", json.dumps(result, ensure_ascii=False).encode()


def check_failed(job) -> None:
    upload_delete(job.params.get("token", ""))


def read_check_result(job) -> dict | None:
    """The check job's JSON, or None when its file is gone (results are kept for a limited time)."""
    if not job.result:
        return None
    try:
        with job.result.open("rb") as handle:
            return json.loads(handle.read())
    except (OSError, ValueError):
        return None


# ---------------------------------------------------------------------------------------------
# The apply


def refusal_message(plan: ImportPlan) -> str:
    """The apply's refusal, naming the first few problems by sheet, row and column."""
    named = "; ".join(
        _("%(sheet)s row %(row)s, column %(column)s: %(message)s")
        % {
            "sheet": p.sheet or "—",
            "row": p.row if p.row is not None else "—",
            "column": p.column or "—",
            "message": p.message,
        }
        for p in plan.problems[:NAMED_PROBLEMS]
    )
    more = len(plan.problems) - NAMED_PROBLEMS
    if more > 0:
        named += " " + _("(and %(more)s more)") % {"more": more}
    changed = _("The data changed since the preview and the file no longer passes; nothing was imported.")
    return f"{changed} {named}"


def run_apply(job, progress, out):
    token = job.params.get("token", "")
    stored = upload_path(token)
    if stored is None:
        raise JobRefused(expired_message())
    actor = _actor(job)
    last = {"total": 0}

    def checked(done: int, total: int) -> None:
        line = _("Checking the file again: %(done)s / %(total)s rows") % {
            "done": f"{done:,}",
            "total": f"{total:,}",
        }
        progress(done, total, line)

    def written(done: int, total: int) -> None:
        last["total"] = total
        progress(done, total)

    with translation.override(_language(job)):
        try:
            summary = import_apply(stored, actor=actor, progress=written, check_progress=checked)
        except ImportRejected as rejected:
            raise JobRefused(refusal_message(rejected.plan)) from rejected
        except (ValueError, ValidationError, PermissionDenied) as error:
            texts = error.messages if isinstance(error, ValidationError) else [str(error) or _("not allowed")]
            raise JobRefused(_("Nothing was imported: %(error)s") % {"error": "; ".join(texts)}) from error
        finally:
            upload_delete(token)
        if not summary.summary_file:
            raise JobRefused(
                _("Everything in the file is already in the database; there is nothing to import.")
            )
        with summary_storage().open(summary.summary_file, "rb") as handle:
            data = handle.read()
        filename = _("Import summary %(date)s.xlsx") % {"date": f"{timezone.localdate():%Y-%m-%d}"}
        total = max(last["total"], 1)
        progress(total, total, _("Import finished. %(summary)s") % {"summary": summary})
    return filename, XLSX_CONTENT_TYPE, data


def apply_failed(job) -> None:
    upload_delete(job.params.get("token", ""))


# ---------------------------------------------------------------------------------------------


def check_page(job) -> str:
    return reverse("admin:reviews_organisation_import_check", args=[job.pk])


def upload_page(job) -> str:
    return reverse("admin:reviews_organisation_import")


def organisations_page(job) -> str:
    return reverse("admin:reviews_organisation_changelist")


register(
    IMPORT_CHECK,
    gettext_lazy("Checking an organisation import"),
    run_check,
    phase=gettext_lazy("Checked %(done)s / %(total)s rows"),
    on_failed=check_failed,
    retry_url=upload_page,
    back_url=upload_page,
    back_label=gettext_lazy("Back to the import"),
    result_url=check_page,
    result_label=gettext_lazy("View the check results"),
)

register(
    IMPORT_APPLY,
    gettext_lazy("Importing organisations and secretaries"),
    run_apply,
    phase=gettext_lazy("Written %(done)s / %(total)s rows"),
    on_failed=apply_failed,
    retry_url=upload_page,
    back_url=organisations_page,
    back_label=gettext_lazy("Back to the party organisations"),
)
