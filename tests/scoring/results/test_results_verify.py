"""manage.py results_verify: every published result recomputed from its ballots (run after a restore)."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from scoring.ballots import services as ballots_services
from scoring.ballots.models import Ballot
from scoring.results import services as results_services


@pytest.fixture
def published(scored):
    for i, code in enumerate(scored.leader_codes[:3]):
        ballots_services.ballot_submit(code=code.token, marks=scored.marks(r2="poor"), submission_key=f"k{i}")
    ballots_services.scoring_close(actor=scored.county_staff, session=scored.session)
    scored.snapshot = results_services.results_publish(actor=scored.county_staff, session=scored.session)
    return scored


def test_it_names_each_published_result_that_still_matches_its_ballots(published):
    out = io.StringIO()
    with translation.override("zh-hans"):
        call_command("results_verify", stdout=out)
    assert f"摘要 {published.snapshot.digest[:16]}，结果与测评票一致。" in out.getvalue()
    assert "已核对已发布结果：1 个。" in out.getvalue()


def test_a_result_whose_ballots_changed_fails_with_its_digest(published):
    Ballot.objects.filter(session=published.session).order_by("pk").first().delete()
    out, err = io.StringIO(), io.StringIO()
    with translation.override("zh-hans"), pytest.raises(CommandError) as refused:
        call_command("results_verify", stdout=out, stderr=err)
    assert str(refused.value) == "1 个已发布结果与测评票不一致。"
    digest = published.snapshot.digest[:16]
    assert f"摘要 {digest}，按现有测评票重新计算与已发布结果不一致。" in err.getvalue()
