"""The demo county's scoring: the default scheme on each demo session, ready to issue codes and open."""

from django.db import transaction

from reviews.cycles.models import Session
from reviews.demo.county import SESSIONS
from scoring.schemes import services
from scoring.schemes.models import EvaluatorGroup, Scheme

DEMO_PAPER_FORMS = 20  # paper 测评表 printed for the representatives' group


@transaction.atomic
def demo_scoring_seed() -> int:
    """Give every demo session without a scheme the default one; returns how many were created."""
    created = 0
    for spec in SESSIONS:
        session = Session.objects.filter(title=spec.title, host__code=spec.host_code).first()
        if session is None or Scheme.objects.filter(session=session).exists():
            continue
        scheme = services.scheme_create_default(actor=None, session=session)
        Scheme.objects.filter(pk=scheme.pk).update(collect_satisfaction=True)
        EvaluatorGroup.objects.filter(scheme=scheme, order=2).update(paper_issued=DEMO_PAPER_FORMS)
        created += 1
    return created
