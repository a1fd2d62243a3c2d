from django.core.management import call_command

from reviews.cycles.models import Session
from reviews.demo.county import COUNTY_SESSION, demo_seed
from scoring.schemes import services
from scoring.schemes.models import Scheme


def test_the_demo_sessions_get_the_default_scheme_once(db):
    demo_seed()
    call_command("seed_demo_scoring")
    call_command("seed_demo_scoring")
    assert Scheme.objects.filter(session__cycle__year=2025).count() == 2
    county = Session.objects.get(title=COUNTY_SESSION.title)
    assert county.scheme.collect_satisfaction
    assert list(county.scheme.groups.values_list("paper_issued", flat=True).order_by("order")) == [0, 20]
    assert services.scheme_problems(county.scheme) == []
