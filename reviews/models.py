"""Every model of the app, so that Django finds them; each lives in its feature's models module."""

from reviews.audit.models import (
    AuditEvent,
)
from reviews.cycles.models import (
    Cycle,
    CycleItem,
    CycleItemKind,
    Report,
    ReportStage,
    ScreenMode,
    Session,
    SessionStatus,
    new_screen_token,
)
from reviews.drafts.models import (
    Draft,
    DraftReview,
    DraftStatus,
    ReviewDecision,
    ReviewStep,
)
from reviews.findings.models import (
    Finding,
    FindingSource,
)
from reviews.jobs.models import (
    Job,
    JobStatus,
    WorkerHeartbeat,
)
from reviews.meeting.models import (
    AskerRole,
    Comment,
    Question,
    Satisfaction,
)
from reviews.orgs.models import (
    Appointment,
    AppointmentQuerySet,
    Gender,
    Organisation,
    OrganisationKind,
    OrganisationQuerySet,
    Person,
    Post,
    Sector,
    StaffProfile,
    secretary_on,
)
from reviews.rectification.models import (
    OWING_STATUSES,
    FollowUpMark,
    FollowUpOutcome,
    FollowUpReview,
    ProblemCategory,
    RectificationEvent,
    RectificationEventKind,
    RectificationItem,
    RectificationItemQuerySet,
    RectificationNotice,
    RectificationStatus,
)
from reviews.topics.models import (
    SuggestionSource,
    TopicCall,
    TopicCategory,
    TopicSuggestion,
    new_call_token,
)
from reviews.uploads import (
    private_storage,
)

__all__ = [
    "OWING_STATUSES",
    "Appointment",
    "AppointmentQuerySet",
    "AskerRole",
    "AuditEvent",
    "Comment",
    "Cycle",
    "CycleItem",
    "CycleItemKind",
    "Draft",
    "DraftReview",
    "DraftStatus",
    "Finding",
    "FindingSource",
    "FollowUpMark",
    "FollowUpOutcome",
    "FollowUpReview",
    "Gender",
    "Job",
    "JobStatus",
    "Organisation",
    "OrganisationKind",
    "OrganisationQuerySet",
    "Person",
    "Post",
    "ProblemCategory",
    "Question",
    "RectificationEvent",
    "RectificationEventKind",
    "RectificationItem",
    "RectificationItemQuerySet",
    "RectificationNotice",
    "RectificationStatus",
    "Report",
    "ReportStage",
    "ReviewDecision",
    "ReviewStep",
    "Satisfaction",
    "ScreenMode",
    "Sector",
    "Session",
    "SessionStatus",
    "StaffProfile",
    "SuggestionSource",
    "TopicCall",
    "TopicCategory",
    "TopicSuggestion",
    "WorkerHeartbeat",
    "new_call_token",
    "new_screen_token",
    "private_storage",
    "secretary_on",
]
