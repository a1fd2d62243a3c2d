"""The scoring admin: saves through services, locked schemes read-only, codes without secrets, no ballots."""

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from reviews.audit.models import AuditEvent
from scoring.ballots import services as ballots_services
from scoring.codes.models import Credential
from scoring.results import services as results_services
from scoring.results.models import ResultSnapshot
from scoring.schemes.models import EvaluatorGroup


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def _change_url(scheme) -> str:
    return reverse("admin:scoring_scheme_change", args=[scheme.pk])


def _form_data(response, **changes) -> dict:
    """The admin change form as the browser would post it, with `changes` applied."""
    forms = [response.context["adminform"].form]
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for field in formset.management_form:
            data[field.html_name] = field.value()
        forms += formset.forms
    for form in forms:
        for field in form:
            value = field.value()
            if value is None or value is False or field.field.disabled:
                continue
            data[field.html_name] = "on" if value is True else value
    data.update(changes)
    return data


def _weights(scheme) -> list:
    return list(
        EvaluatorGroup.objects.filter(scheme=scheme).order_by("order").values_list("weight", flat=True)
    )


def test_the_scheme_list_shows_the_schemes_in_scope(client, scored):
    client.force_login(scored.county_staff)
    page = client.get(reverse("admin:scoring_scheme_changelist")).content.decode()
    assert scored.session.title in page and "测评中" in page
    client.force_login(scored.shijia_staff)
    page = client.get(reverse("admin:scoring_scheme_changelist")).content.decode()
    assert scored.session.title not in page


def test_township_staff_cannot_open_the_county_scheme(client, scored):
    client.force_login(scored.shijia_staff)
    assert client.get(_change_url(scored.scheme)).status_code == 403


def test_an_unlocked_scheme_is_saved_through_the_services(client, scored_closed_scheme):
    world = scored_closed_scheme
    client.force_login(world.county_staff)
    form = client.get(_change_url(world.scheme))
    assert 'name="groups-0-weight"' in form.content.decode()
    data = _form_data(form, **{"groups-0-weight": "55", "groups-1-weight": "45", "threshold_good": "88"})
    response = client.post(_change_url(world.scheme), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert _weights(world.scheme) == [55, 45]
    world.scheme.refresh_from_db()
    assert world.scheme.threshold_good == 88
    assert AuditEvent.objects.filter(action="scheme.rows").exists()
    assert AuditEvent.objects.filter(action="scheme.update").exists()


def test_weights_adding_up_to_90_are_refused_and_nothing_is_saved(client, scored_closed_scheme):
    world = scored_closed_scheme
    client.force_login(world.county_staff)
    form = client.get(_change_url(world.scheme))
    data = _form_data(form, **{"groups-0-weight": "50", "groups-1-weight": "40", "threshold_good": "88"})
    response = client.post(_change_url(world.scheme), data, follow=True)
    assert "权重合计为90%" in " ".join(str(m) for m in response.context["messages"])
    assert _weights(world.scheme) == [60, 40]
    world.scheme.refresh_from_db()
    assert world.scheme.threshold_good == 85


def test_a_locked_scheme_and_its_rows_are_read_only(client, scored):
    client.force_login(scored.county_staff)
    response = client.get(_change_url(scored.scheme))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="groups-0-weight"' not in page and scored.leaders.name in page
    assert client.post(_change_url(scored.scheme), {"mode": "points"}).status_code == 403
    assert _weights(scored.scheme) == [60, 40]


def test_codes_are_listed_without_their_hashes_and_cannot_be_changed(client, scored):
    client.force_login(scored.county_staff)
    page = client.get(reverse("admin:scoring_credential_changelist")).content.decode()
    credential = Credential.objects.get(serial=1)
    assert scored.leaders.name in page and credential.token_hash not in page
    detail = client.get(reverse("admin:scoring_credential_change", args=[credential.pk])).content.decode()
    assert credential.token_hash not in detail and credential.short_hash not in detail
    assert client.get(reverse("admin:scoring_credential_add")).status_code == 403


def test_ballots_are_not_browsable_in_the_admin(client, scored):
    with pytest.raises(NoReverseMatch):
        reverse("admin:scoring_ballot_changelist")


def test_published_results_are_read_only(client, scored):
    ballots_services.scoring_close(actor=scored.county_staff, session=scored.session)
    snapshot = results_services.results_publish(actor=scored.county_staff, session=scored.session)
    client.force_login(scored.county_staff)
    page = client.get(reverse("admin:scoring_resultsnapshot_changelist")).content.decode()
    assert snapshot.digest[:16] in page
    url = reverse("admin:scoring_resultsnapshot_change", args=[snapshot.pk])
    assert client.post(url, {"digest": "x"}).status_code == 403
    assert ResultSnapshot.objects.get().digest == snapshot.digest
