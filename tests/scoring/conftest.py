"""A county session ready for scoring: the default scheme, codes for both groups, scoring open."""

import pytest
from django.db import transaction

from reviews.cycles.models import Session
from scoring.ballots import services as ballots_services
from scoring.ballots.models import PendingBallot
from scoring.codes import services as codes_services
from scoring.schemes import services as schemes_services
from scoring.schemes.models import Criterion, EvaluatorGroup
from tests.conftest import World


def count_held_ballots() -> None:
    """Count every held ballot now, as the close does first: tests look at counted rows while scoring is open.

    Refusal tests call it too, so "no ballot stored" also means "none held".
    """
    held = Session.objects.filter(pk__in=PendingBallot.objects.values("session")).select_related("scheme")
    for session in held:
        with transaction.atomic():  # as inside the close; tests with real transactions have none around
            ballots_services.ballots_release(session=session, scheme=session.scheme)


class ScoredWorld(World):
    def __init__(self, codes_per_group: int = 6, open_scoring: bool = True):
        super().__init__()
        self.session = self.county_session
        self.reports = self.county_reports
        self.scheme = schemes_services.scheme_create_default(actor=self.county_staff, session=self.session)
        self.criteria = list(Criterion.objects.filter(scheme=self.scheme).order_by("order"))
        self.leaders, self.delegates = EvaluatorGroup.objects.filter(scheme=self.scheme).order_by("order")
        self.leader_codes = codes_services.credentials_issue(
            actor=self.county_staff, session=self.session, group=self.leaders, count=codes_per_group
        )
        self.delegate_codes = codes_services.credentials_issue(
            actor=self.county_staff, session=self.session, group=self.delegates, count=codes_per_group
        )
        if open_scoring:
            ballots_services.scoring_open(actor=self.county_staff, session=self.session)

    def marks(self, grade: str = "good", **by_order: str) -> dict[tuple[int, int], str]:
        """A full ballot: every reporter × item gets `grade`, or the grade given for `r<order>`."""
        return {
            (report.pk, criterion.pk): by_order.get(f"r{report.order}", grade)
            for report in self.reports
            for criterion in self.criteria
        }

    def form_data(self, grade: str = "good", submission: str = "k1", **by_order: str) -> dict[str, str]:
        """The same ballot as the delegate page posts it."""
        data = {f"m-{r}-{c}": v for (r, c), v in self.marks(grade, **by_order).items()}
        data["submission"] = submission
        return data


@pytest.fixture
def scored(db) -> ScoredWorld:
    return ScoredWorld()


@pytest.fixture
def scored_closed_scheme(db) -> ScoredWorld:
    """Scheme and codes ready, scoring not yet open."""
    return ScoredWorld(open_scoring=False)
