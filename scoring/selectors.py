"""Reads that feed the tally and the pages: a bounded number of queries whatever the data size."""

from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import CharField, Count, Q
from django.db.models.functions import Cast

from reviews.cycles.models import Report, Session
from reviews.meeting.models import Satisfaction
from reviews.orgs.models import Appointment
from scoring import tally
from scoring.ballots.models import Ballot, Channel, PendingBallot, SatisfactionMark, Score
from scoring.codes.models import Credential
from scoring.paper.models import PaperBallot, PaperStatus
from scoring.results.models import ComponentScore
from scoring.schemes.models import Scheme, parse_fraction


def group_key(group_id: int) -> str:
    return f"g{group_id}"


def criterion_key(criterion_id: int) -> str:
    return f"c{criterion_id}"


def report_key(report_id: int) -> str:
    return f"r{report_id}"


def component_key(component_id: int) -> str:
    return f"k{component_id}"


def _fraction_or_none(text: str):
    return parse_fraction(text) if text.strip() else None


def scheme_spec(scheme: Scheme, *, issued: dict[int, int] | None = None) -> tally.SchemeSpec:
    """The plain-data form of a scheme; `issued` maps group id → codes issued (not revoked)."""
    issued = issued or {}
    groups = list(scheme.groups.all())
    criteria = list(scheme.criteria.all())
    components = list(scheme.components.all())
    return tally.SchemeSpec(
        mode=tally.Mode(scheme.mode),
        groups=tuple(
            tally.GroupSpec(
                key=group_key(g.pk),
                name=g.name,
                weight=g.weight,
                codes_issued=issued.get(g.pk, 0),
                paper_issued=g.paper_issued,
            )
            for g in groups
        ),
        criteria=tuple(
            tally.CriterionSpec(key=criterion_key(c.pk), name=c.name, max_points=c.max_points)
            for c in criteria
        ),
        grade_points={
            tally.Grade.GOOD: scheme.points_good,
            tally.Grade.FAIRLY_GOOD: scheme.points_fairly_good,
            tally.Grade.AVERAGE: scheme.points_average,
            tally.Grade.POOR: scheme.points_poor,
        },
        trim_extremes=scheme.trim_extremes,
        trim_min_ballots=scheme.trim_min_ballots,
        onsite_share=scheme.onsite_share,
        components=tuple(
            tally.ComponentSpec(key=component_key(c.pk), name=c.name, share=c.share) for c in components
        ),
        grade_thresholds=(scheme.threshold_good, scheme.threshold_fairly_good, scheme.threshold_average),
        poor_override_fraction=_fraction_or_none(scheme.poor_override_fraction),
        good_min_fraction=_fraction_or_none(scheme.good_min_fraction),
        good_cap_fraction=_fraction_or_none(scheme.good_cap_fraction),
        breakdown_min_ballots=scheme.breakdown_min_ballots,
        allow_abstention=scheme.allow_abstention,
        quorum_fraction=parse_fraction(scheme.quorum_fraction),
        same_grade_invalid=scheme.same_grade_invalid,
    )


def codes_issued(session: Session) -> dict[int, int]:
    """Group id → codes issued and not revoked."""
    rows = (
        Credential.objects.filter(session=session, revoked=False, rehearsal=session.rehearsal)
        .values("group_id")
        .annotate(n=Count("id"))
        .values_list("group_id", "n")
    )
    return dict(rows)


def ballot_data(session: Session) -> list[tally.BallotData]:
    """Every stored ballot of the session as plain data: two queries whatever the number of ballots."""
    heads = {
        ballot_id: (group_id, channel, invalid_reason)
        for ballot_id, group_id, channel, invalid_reason in Ballot.objects.filter(session=session)
        .annotate(ballot_text=Cast("id", CharField()))
        .values_list("ballot_text", "group_id", "channel", "invalid_reason")
    }
    marks: dict = defaultdict(dict)
    # The ballot id as text: converting 72,000 UUIDs would cost more than the rest of the tally.
    rows = (
        Score.objects.filter(session=session)
        .annotate(ballot_text=Cast("ballot_id", CharField()))
        .values_list("ballot_text", "report_id", "criterion_id", "grade", "points")
    )
    for ballot_id, report_id, criterion_id, grade, points in rows.iterator(chunk_size=5000):
        marks[ballot_id][(report_key(report_id), criterion_key(criterion_id))] = (
            tally.Grade(grade) if grade else points
        )
    return [
        tally.BallotData(
            group=group_key(group_id),
            marks=marks.get(ballot_id, {}),
            paper=channel == Channel.PAPER,
            invalid_reason=invalid_reason,
        )
        for ballot_id, (group_id, channel, invalid_reason) in heads.items()
    ]


@dataclass(frozen=True)
class SessionTally:
    session: Session
    scheme: Scheme
    reports: list[Report]
    result: tally.TallyResult

    def report_for(self, key: str) -> Report:
        return self._reports_by_key[key]

    @property
    def _reports_by_key(self) -> dict[str, Report]:
        return {report_key(r.pk): r for r in self.reports}


def session_reports(session: Session) -> list[Report]:
    return list(session.reports.select_related("organisation", "secretary").order_by("order"))


def component_scores(scheme: Scheme) -> dict[str, dict[str, Decimal]]:
    values: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for report_id, component_id, value in ComponentScore.objects.filter(component__scheme=scheme).values_list(
        "report_id", "component_id", "value"
    ):
        values[report_key(report_id)][component_key(component_id)] = value
    return values


def session_tally(session: Session) -> SessionTally:
    """Tally a session from its stored ballots (a bounded number of queries)."""
    scheme = Scheme.objects.prefetch_related("groups", "criteria", "components").get(session=session)
    reports = session_reports(session)
    spec = scheme_spec(scheme, issued=codes_issued(session))
    result = tally.tally(
        spec,
        tuple(report_key(r.pk) for r in reports),
        ballot_data(session),
        component_scores=component_scores(scheme),
    )
    return SessionTally(session=session, scheme=scheme, reports=reports, result=result)


def turnout(session: Session) -> list[dict]:
    """Per group: codes issued, used, ballots received (electronic/paper/invalid) — for the console."""
    groups = Scheme.objects.get(session=session).groups.annotate(
        # During a rehearsal its own codes only, as the quorum counts them.
        issued=Count(
            "credentials",
            filter=Q(credentials__revoked=False, credentials__rehearsal=session.rehearsal),
            distinct=True,
        ),
        used=Count(
            "credentials",
            filter=Q(credentials__used=True, credentials__rehearsal=session.rehearsal),
            distinct=True,
        ),
    )
    received = Counter(
        (group_id, channel, bool(reason))
        for group_id, channel, reason in Ballot.objects.filter(session=session).values_list(
            "group_id", "channel", "invalid_reason"
        )
    )
    held = Counter(PendingBallot.objects.filter(session=session).values_list("group_id", flat=True))
    paper = Counter(PaperBallot.objects.filter(session=session).values_list("group_id", "status"))
    return [
        {
            "group": g,
            "issued": g.issued,
            "used": g.used,
            # Held ballots (scoring still open) and counted ones (after the close) alike.
            "electronic": received[(g.pk, Channel.ELECTRONIC, False)] + held[g.pk],
            # Paper ballots counted (both entries agreed, or resolved), 废票, and forms still being entered.
            "paper": received[(g.pk, Channel.PAPER, False)],
            "paper_invalid": received[(g.pk, Channel.PAPER, True)],
            "paper_waiting": paper[(g.pk, PaperStatus.WAITING)],
            "paper_mismatch": paper[(g.pk, PaperStatus.MISMATCH)],
            "paper_issued": g.paper_issued,
        }
        for g in groups
    ]


def satisfaction_counts(session: Session) -> dict[int, dict[str, int]]:
    """Report id → {满意/基本满意/不满意 value: count}: delegates' marks on their ballots."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(Satisfaction.values, 0))
    rows = (
        SatisfactionMark.objects.filter(ballot__session=session)
        .values_list("report_id", "value")
        .annotate(n=Count("id"))
        .order_by()
    )
    for report_id, value, n in rows:
        counts[report_id][value] = n
    return dict(counts)


def secretary_names(session: Session, reports: list[Report]) -> dict[int, str]:
    """Report id → secretary's name, else the post holder on the session date (one query)."""
    names = {r.pk: r.secretary.name for r in reports if r.secretary}
    open_orgs = {r.organisation_id: r.pk for r in reports if not r.secretary}
    if open_orgs:
        holders = (
            Appointment.objects.secretaries()
            .on(session.date)
            .filter(organisation_id__in=open_orgs)
            .select_related("person")
            .order_by("organisation_id", "-start_date")
        )
        for appointment in holders:
            names.setdefault(open_orgs[appointment.organisation_id], appointment.person.name)
    return names
