"""Report drafts through the review chain, and findings recorded before the meeting.

One function per operation, keyword-only, atomic and audited (to be merged into services.py). A refusal the
user can act on raises DraftError with a translated message; acting outside one's role or scope raises
PermissionDenied, which the views turn into a 404 where the object should not even be seen.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from reviews import uploads
from reviews.audit import services as audit
from reviews.audit.services import save_audited
from reviews.cycles.models import Cycle, CycleItem, CycleItemKind, Report, SessionStatus
from reviews.drafts.models import Draft, DraftReview, DraftStatus, ReviewDecision, ReviewStep
from reviews.findings.models import Finding, FindingSource
from reviews.orgs.models import Organisation, Person, Post, secretary_on
from reviews.scope import can_manage, county_organisation, ensure_can_manage, scope_root

# 四级把关: the chain most counties use; staff rename, add or drop steps and assign reviewers in the admin.
DEFAULT_REVIEW_CHAIN = ("党建科室负责人", "分管副部长", "组织部长", "书记")
# Questions and comments become findings through the hand-over in the meeting, not by hand.
RECORDABLE_SOURCES = (
    FindingSource.SUPERIOR,
    FindingSource.SELF_CHECK,
    FindingSource.PUBLIC,
    FindingSource.INSPECTION,
)
SUBMITTED = (DraftStatus.IN_REVIEW, DraftStatus.RETURNED, DraftStatus.APPROVED)
MAX_REFERENCE_CHARS = 200


class DraftError(Exception):
    """A draft, review or finding refused, with a message for the user (translated when raised)."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# ---------------------------------------------------------------------------------------------------
# Who may see what


def report_secretary(report: Report) -> Person | None:
    """The report's secretary; an empty one means the organisation's secretary on the session date."""
    if report.secretary_id:
        return report.secretary
    return secretary_on(report.organisation, report.session.date)


def is_secretary_of(user, report: Report) -> bool:
    if not user.is_authenticated:
        return False
    person = report_secretary(report)
    return person is not None and person.user_id == user.pk


def secretary_reports(user) -> QuerySet:
    """The reports the user's login gives as secretary, named or by appointment on the session date."""
    if not user.is_authenticated:
        return Report.objects.none()
    by_appointment = Q(
        secretary__isnull=True,
        organisation__appointments__person__user=user,
        organisation__appointments__post=Post.SECRETARY,
        organisation__appointments__start_date__lte=F("session__date"),
    ) & (
        Q(organisation__appointments__end_date__isnull=True)
        | Q(organisation__appointments__end_date__gte=F("session__date"))
    )
    return Report.objects.filter(Q(secretary__user=user) | by_appointment).distinct()


def is_reviewer_of(user, report: Report) -> bool:
    """A draft of the report waits at a step the user reviews, or the user decided on one of its drafts."""
    if not user.is_authenticated:
        return False
    waiting = Draft.objects.filter(
        report=report, status=DraftStatus.IN_REVIEW, current_step__reviewers=user
    ).exists()
    return waiting or DraftReview.objects.filter(draft__report=report, reviewer=user).exists()


def is_staff_over(user, organisation: Organisation) -> bool:
    return user.is_authenticated and user.is_staff and can_manage(user, organisation)


def can_read_report_drafts(user, report: Report) -> bool:
    """The secretary, the report's reviewers and staff whose scope covers the organisation."""
    return (
        is_staff_over(user, report.organisation)
        or is_secretary_of(user, report)
        or is_reviewer_of(user, report)
    )


def can_decide(user, draft: Draft) -> bool:
    return (
        user.is_authenticated
        and draft.status == DraftStatus.IN_REVIEW
        and draft.current_step_id is not None
        and draft.current_step.reviewers.filter(pk=user.pk).exists()
        and not is_secretary_of(user, draft.report)
    )


def ordered_items(cycle_id: int) -> list[CycleItem]:
    """The cycle's items, must-answer items first, each kind in its order."""
    items = CycleItem.objects.filter(cycle_id=cycle_id).order_by("order", "pk")
    return sorted(items, key=lambda item: item.kind != CycleItemKind.MUST_ANSWER)


def missing_must_items(draft: Draft, items: list[CycleItem] | None = None) -> list[CycleItem]:
    """Must-answer items the draft does not say where it answers."""
    if items is None:
        items = list(CycleItem.objects.filter(cycle_id=draft.report.session.cycle_id))
    answers = draft.item_answers or {}
    return [
        item
        for item in items
        if item.kind == CycleItemKind.MUST_ANSWER and not str(answers.get(str(item.pk), "")).strip()
    ]


def _is_county_level(actor) -> bool:
    root = scope_root(actor)
    return root is None or (actor.is_staff and root.pk is not None and root.parent_id is None)


def can_set_up_chain(user) -> bool:
    return user.is_authenticated and user.is_staff and _is_county_level(user)


# ---------------------------------------------------------------------------------------------------
# The review chain


def _ensure_county_level(actor) -> None:
    if actor is not None and not can_set_up_chain(actor):
        raise PermissionDenied(_("Only county-level staff can set up the review chain."))


@transaction.atomic
def review_chain_default(*, actor, cycle: Cycle) -> list[ReviewStep]:
    """The four default steps (党建科室负责人 → 分管副部长 → 组织部长 → 书记) when the cycle has none yet."""
    _ensure_county_level(actor)
    Cycle.objects.select_for_update().filter(pk=cycle.pk).first()
    existing = list(ReviewStep.objects.filter(cycle=cycle).order_by("order"))
    if existing:
        return existing
    return [
        save_audited(
            actor=actor,
            instance=ReviewStep(cycle=cycle, order=order, title=title),
            organisation=county_organisation(actor),
            action_prefix="review_step",
        )
        for order, title in enumerate(DEFAULT_REVIEW_CHAIN, start=1)
    ]


@transaction.atomic
def review_step_save(*, actor, step: ReviewStep) -> ReviewStep:
    _ensure_county_level(actor)
    return save_audited(
        actor=actor, instance=step, organisation=county_organisation(actor), action_prefix="review_step"
    )


@transaction.atomic
def review_step_reviewers_set(*, actor, step: ReviewStep, reviewers) -> ReviewStep:
    """Who reviews at this step; the change is logged by name."""
    _ensure_county_level(actor)
    before = sorted(u.get_username() for u in step.reviewers.all())
    step.reviewers.set(reviewers)
    after = sorted(u.get_username() for u in step.reviewers.all())
    if before != after:
        audit.record(
            actor=actor,
            action="review_step.reviewers",
            obj=step,
            changes={"reviewers": ["、".join(before), "、".join(after)]},
            organisation=county_organisation(actor),
        )
    return step


# ---------------------------------------------------------------------------------------------------
# Drafts


def _ensure_secretary(actor, report: Report) -> None:
    if actor is None or not is_secretary_of(actor, report):
        raise PermissionDenied(_("Only the secretary of this report can write and submit its draft."))


def _ensure_session_open(report: Report) -> None:
    if report.session.status in (SessionStatus.FINISHED, SessionStatus.PUBLISHED):
        raise DraftError(_("The session is over; its reports can no longer be changed."), code="session_over")


def _clean_answers(report: Report, item_answers: dict) -> dict[str, str]:
    """{item id: reference} for the cycle's own items only, references trimmed, empty ones dropped."""
    ids = {
        str(pk)
        for pk in CycleItem.objects.filter(cycle_id=report.session.cycle_id).values_list("pk", flat=True)
    }
    cleaned = {}
    for key, value in (item_answers or {}).items():
        reference = str(value or "").strip()[:MAX_REFERENCE_CHARS]
        if str(key) in ids and reference:
            cleaned[str(key)] = reference
    return cleaned


def _draft_changes(before: Draft | None, draft: Draft) -> dict:
    """The audit diff, with the text summarised by length: the log is not a second copy of every draft."""
    changes = audit.diff(before, draft)
    if "text" in changes:
        old = len(before.text) if before is not None else 0
        changes["text"] = [_("%(n)s characters") % {"n": old}, _("%(n)s characters") % {"n": len(draft.text)}]
    return changes


def _attach(field_file, upload: UploadedFile) -> None:
    try:
        uploads.check_upload(upload)
    except uploads.UploadRefused as refused:
        raise DraftError(refused.message, code=f"upload_{refused.code}") from refused
    field_file.save(uploads.stored_name(upload.name), upload, save=False)


@transaction.atomic
def draft_save(
    *,
    actor,
    report: Report,
    text: str,
    item_answers: dict,
    file: UploadedFile | None = None,
    remove_file: bool = False,
) -> Draft:
    """Write the draft: changed in place while being written; after a submission, saving makes a new version.

    A draft in review cannot change under its reviewers. A new version keeps the previous file unless a new
    one is uploaded or the file is removed.
    """
    report = Report.objects.select_for_update().get(pk=report.pk)
    _ensure_secretary(actor, report)
    _ensure_session_open(report)
    latest = Draft.objects.filter(report=report).order_by("-version").first()
    if latest is not None and latest.status == DraftStatus.IN_REVIEW:
        raise DraftError(
            _("The draft is being reviewed; you can change it when it comes back."), code="in_review"
        )
    if latest is None or latest.status in SUBMITTED:
        draft = Draft(report=report, version=(latest.version + 1 if latest else 1), created_by=actor)
        if latest is not None and latest.file and file is None and not remove_file:
            draft.file = latest.file.name
        before = None
    else:
        draft = latest
        before = Draft.objects.get(pk=latest.pk)
    draft.text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    draft.item_answers = _clean_answers(report, item_answers)
    if remove_file:
        draft.file = ""
    if file is not None:
        _attach(draft.file, file)
    draft.full_clean()
    draft.save()
    changes = _draft_changes(before, draft)
    if before is None or changes:
        action = "draft.create" if before is None else "draft.update"
        audit.record(actor=actor, action=action, obj=draft, changes=changes, organisation=report.organisation)
    return draft


def _steps_with_reviewers(cycle_id: int) -> list[ReviewStep]:
    return list(
        ReviewStep.objects.filter(cycle_id=cycle_id)
        .annotate(reviewer_count=Count("reviewers"))
        .order_by("order")
    )


@transaction.atomic
def draft_submit(*, actor, draft: Draft) -> Draft:
    """Send the draft to the first step of the chain, once every must-answer item is referenced."""
    draft = Draft.objects.select_for_update(of=("self",)).select_related("report__session").get(pk=draft.pk)
    report = draft.report
    _ensure_secretary(actor, report)
    _ensure_session_open(report)
    if draft.status != DraftStatus.WRITING:
        raise DraftError(_("This version has already been submitted."), code="submitted")
    if not draft.text.strip() and not draft.file:
        raise DraftError(_("Write the draft or upload its file before submitting it."), code="empty")
    missing = missing_must_items(draft)
    if missing:
        raise DraftError(
            _(
                "Say where the draft answers every must-answer item before submitting it. "
                "Not answered yet: %(items)s."
            )
            % {"items": "、".join(item.text for item in missing)},
            code="missing_items",
        )
    steps = _steps_with_reviewers(report.session.cycle_id)
    if not steps:
        raise DraftError(
            _("The review chain of this cycle is not set up yet; ask the organisation department."),
            code="no_chain",
        )
    unstaffed = [step.title for step in steps if not step.reviewer_count]
    if unstaffed:
        raise DraftError(
            _("No reviewer is assigned yet to: %(steps)s. Ask the organisation department.")
            % {"steps": "、".join(unstaffed)},
            code="no_reviewers",
        )
    draft.status = DraftStatus.IN_REVIEW
    draft.current_step = steps[0]
    draft.submitted_at = timezone.now()
    draft.save(update_fields=["status", "current_step", "submitted_at"])
    audit.record(
        actor=actor,
        action="draft.submit",
        obj=draft,
        organisation=report.organisation,
        changes={"status": [DraftStatus.WRITING, draft.status], "current_step": [None, steps[0].title]},
    )
    return draft


@transaction.atomic
def draft_review(
    *, actor, draft: Draft, decision: str, comment: str, step: ReviewStep | None = None
) -> DraftReview:
    """A reviewer of the current step approves (on to the next step, or approved at the end) or returns it.

    `step` is the step the reviewer's page showed: when another reviewer of that step decided meanwhile,
    the decision is refused rather than applied to the next step.
    """
    draft = (
        Draft.objects.select_for_update(of=("self",)).select_related("report__organisation").get(pk=draft.pk)
    )
    if draft.status != DraftStatus.IN_REVIEW or draft.current_step_id is None:
        raise DraftError(_("This draft is not waiting for review."), code="not_in_review")
    if step is not None and draft.current_step_id != step.pk:
        raise DraftError(
            _("Someone else decided on this draft meanwhile. Check the page and try again."), code="stale"
        )
    current = draft.current_step
    if actor is None or not current.reviewers.filter(pk=actor.pk).exists():
        raise PermissionDenied(_("You do not review this step of the chain."))
    if is_secretary_of(actor, draft.report):
        raise DraftError(_("You cannot review your own report."), code="own_report")
    if decision not in ReviewDecision.values:
        raise DraftError(_("Approve the draft or return it."), code="decision")
    comment = (comment or "").strip()
    if decision == ReviewDecision.RETURN and not comment:
        raise DraftError(_("Say what should change when you return a draft."), code="comment_required")
    review = DraftReview(draft=draft, step=current, reviewer=actor, decision=decision, comment=comment)
    review.full_clean()
    review.save()
    before = {"status": draft.status, "current_step": current.title}
    if decision == ReviewDecision.APPROVE:
        following = (
            ReviewStep.objects.filter(cycle_id=current.cycle_id, order__gt=current.order)
            .order_by("order")
            .first()
        )
        draft.current_step = following
        if following is None:
            draft.status = DraftStatus.APPROVED
    else:
        draft.current_step = None
        draft.status = DraftStatus.RETURNED
    draft.save(update_fields=["status", "current_step"])
    audit.record(
        actor=actor,
        action=f"draft.{decision}",
        obj=draft,
        organisation=draft.report.organisation,
        changes={
            "step": [current.title, current.title],
            "status": [before["status"], draft.status],
            "current_step": [
                before["current_step"],
                draft.current_step.title if draft.current_step else None,
            ],
            "comment": [None, comment],
        },
    )
    return review


# ---------------------------------------------------------------------------------------------------
# Findings before the meeting (自己查, 上级找, 群众提, 巡视巡察)


@transaction.atomic
def finding_record(
    *,
    actor,
    cycle: Cycle,
    organisation: Organisation,
    source: str,
    description: str,
    evidence: UploadedFile | None = None,
) -> Finding:
    """Record a problem against an organisation, with optional evidence (佐证材料)."""
    ensure_can_manage(actor, organisation)
    if source not in RECORDABLE_SOURCES:
        raise DraftError(
            _("Questions and comments become problems through the hand-over in the meeting."), code="source"
        )
    if not cycle.is_open:
        raise DraftError(_("This cycle is closed."), code="cycle_closed")
    description = (description or "").strip()
    if not description:
        raise DraftError(_("Describe the problem."), code="empty")
    finding = Finding(
        cycle=cycle,
        organisation=organisation,
        source=source,
        description=description,
        # The organisation's slot in this cycle, if any: the hand-over after the meeting finds it there.
        report=Report.objects.filter(session__cycle=cycle, organisation=organisation).order_by("pk").first(),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    if evidence is not None:
        _attach(finding.evidence, evidence)
    return save_audited(actor=actor, instance=finding, organisation=organisation, action_prefix="finding")
