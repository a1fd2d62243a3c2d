"""Satisfaction with the answers, given on the ballot when the scheme asks, and counted per reporter."""

from django.urls import reverse

from scoring import selectors
from scoring.ballots.models import SatisfactionMark
from scoring.schemes.models import Scheme
from tests.scoring.conftest import count_held_ballots


def _url(name, world, code):
    return reverse(name, args=[code])


def test_the_ballot_asks_only_when_the_scheme_collects_satisfaction(scored, client):
    url = reverse("vote:ballot", args=[scored.leader_codes[0].token])
    assert 'name="s-' not in client.get(url).content.decode()
    Scheme.objects.filter(pk=scored.scheme.pk).update(collect_satisfaction=True)
    page = client.get(url).content.decode()
    assert f'name="s-{scored.reports[0].pk}"' in page and "满意" in page and "基本满意" in page


def test_satisfaction_is_reviewed_stored_and_counted(scored, client):
    Scheme.objects.filter(pk=scored.scheme.pk).update(collect_satisfaction=True)
    code = scored.leader_codes[0].token
    data = scored.form_data() | {f"s-{scored.reports[0].pk}": "unsatisfied"}
    review = client.post(reverse("vote:review", args=[code]), data).content.decode()
    assert "不满意" in review and f'name="s-{scored.reports[0].pk}" value="unsatisfied"' in review
    assert client.post(reverse("vote:submit", args=[code]), data).status_code == 200
    count_held_ballots()
    assert SatisfactionMark.objects.get().value == "unsatisfied"
    counts = selectors.satisfaction_counts(scored.session)
    assert counts[scored.reports[0].pk]["unsatisfied"] == 1 and scored.reports[1].pk not in counts


def test_satisfaction_is_refused_when_the_scheme_does_not_ask(scored, client):
    data = scored.form_data() | {f"s-{scored.reports[0].pk}": "satisfied"}
    response = client.post(reverse("vote:submit", args=[scored.leader_codes[0].token]), data)
    count_held_ballots()
    assert response.status_code == 400 and not SatisfactionMark.objects.exists()
