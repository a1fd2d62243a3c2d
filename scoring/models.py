"""Every model of the app, so that Django finds them; each lives in its feature's models module."""

from scoring.ballots.models import (
    Ballot,
    Channel,
    PendingBallot,
    SatisfactionMark,
    Score,
)
from scoring.codes.models import (
    Credential,
    IssueBatch,
)
from scoring.codes.throttle_store import (
    ThrottleCounter,
)
from scoring.paper.models import (
    PaperBallot,
    PaperEntry,
    PaperStatus,
)
from scoring.results.models import (
    ComponentScore,
    ResultSnapshot,
)
from scoring.schemes.models import (
    GRADE_LABELS,
    PERCENT,
    POINTS,
    Component,
    Criterion,
    EvaluatorGroup,
    FractionField,
    GradeChoice,
    ModeChoice,
    Scheme,
    ScoringStatus,
    parse_fraction,
    validate_fraction,
)

__all__ = [
    "GRADE_LABELS",
    "PERCENT",
    "POINTS",
    "Ballot",
    "Channel",
    "Component",
    "ComponentScore",
    "Credential",
    "Criterion",
    "EvaluatorGroup",
    "FractionField",
    "GradeChoice",
    "IssueBatch",
    "ModeChoice",
    "PaperBallot",
    "PaperEntry",
    "PaperStatus",
    "PendingBallot",
    "ResultSnapshot",
    "SatisfactionMark",
    "Scheme",
    "Score",
    "ScoringStatus",
    "ThrottleCounter",
    "parse_fraction",
    "validate_fraction",
]
