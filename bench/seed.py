"""Build a large scoring session for benchmarks: N reporters, the default 6-item scheme, M codes."""

import datetime
import random

from django.contrib.auth.models import User

from reviews.cycles.models import Cycle, Report, Session
from reviews.orgs import services as review_services
from reviews.orgs.models import Organisation, OrganisationKind
from scoring.ballots import services as ballots_services
from scoring.ballots.models import Ballot, Channel, Score
from scoring.codes import services as codes_services
from scoring.schemes import services as schemes_services
from scoring.schemes.models import Criterion, EvaluatorGroup

GRADES = ["good", "fairly_good", "average", "poor"]


def big_session(*, reporters: int = 40, codes: int = 300, tag: str = "bench"):
    """Returns (session, issued codes, criteria, reports). Codes are split between the two groups."""
    staff = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        f"{tag}-admin", password="bench-password"
    )
    county = review_services.organisation_save(
        actor=None,
        organisation=Organisation(code=f"{tag}-C", name="基准县委", kind=OrganisationKind.COMMITTEE),
    )
    towns = [
        review_services.organisation_save(
            actor=None,
            organisation=Organisation(
                code=f"{tag}-T{i:03d}", name=f"第{i}镇党委", parent=county, kind="committee"
            ),
        )
        for i in range(1, reporters + 1)
    ]
    cycle, _ = Cycle.objects.get_or_create(year=2025, name=f"{tag} 2025年度述职评议")
    session = Session.objects.create(
        cycle=cycle, host=county, title=f"{tag} 述职评议会", date=datetime.date(2026, 1, 16)
    )
    Report.objects.bulk_create(
        Report(session=session, organisation=town, order=i) for i, town in enumerate(towns, start=1)
    )
    scheme = schemes_services.scheme_create_default(actor=staff, session=session)
    leaders, members = EvaluatorGroup.objects.filter(scheme=scheme).order_by("order")
    issued = codes_services.credentials_issue(actor=staff, session=session, group=leaders, count=codes // 2)
    issued += codes_services.credentials_issue(
        actor=staff, session=session, group=members, count=codes - codes // 2
    )
    ballots_services.scoring_open(actor=staff, session=session)
    criteria = list(Criterion.objects.filter(scheme=scheme).order_by("order"))
    return session, issued, criteria, list(session.reports.order_by("order")), staff


def random_marks(reports, criteria, rng: random.Random) -> dict[tuple[int, int], str]:
    return {(r.pk, c.pk): rng.choice(GRADES) for r in reports for c in criteria}


def store_ballots_directly(session, issued, criteria, reports, rng: random.Random) -> None:
    """Fill the session with one ballot per code, bypassing HTTP (for tally and export timing)."""
    for code in issued:
        ballot = Ballot.objects.create(
            session=session, group=code.group, channel=Channel.ELECTRONIC, receipt=code.short_code
        )
        Score.objects.bulk_create(
            Score(session_id=ballot.session_id, ballot=ballot, report_id=r, criterion_id=c, grade=g)
            for (r, c), g in random_marks(reports, criteria, rng).items()
        )
