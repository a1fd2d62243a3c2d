"""The admin as township staff (石匣乡), walked model by model and field by field with ids from outside.

The walk reads django.contrib.admin.site._registry, so a model registered later is covered without a new
test: its objects outside the subtree must not open, change or go; its forms, inlines, autocompletes and
list filters must offer nothing outside; a model with no way to the organisation tree is county-wide and
read-only here.
"""

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.forms import ModelChoiceField
from django.test import RequestFactory
from django.urls import reverse

from reviews.audit.models import AuditEvent
from reviews.cycles import services as cycle_services
from reviews.cycles.models import Cycle, CycleItem
from reviews.drafts.models import ReviewStep
from reviews.orgs import services as org_services
from reviews.orgs.models import Appointment, Organisation, Person, Post
from reviews.rectification import services as rect_services
from reviews.rectification.models import ProblemCategory, RectificationItem
from reviews.scope import ACCOUNT_MODELS, COUNTY_WIDE, scope_path
from scoring.codes import services as code_services
from scoring.schemes import services as scheme_services

SAMPLE = 3  # outside objects tried per model and action


@pytest.fixture
def full(rectified):
    """The rectified world plus schemes, codes, a follow-up and a review step on both sides."""
    w = rectified.world
    for session in (w.shijia_session, w.liaoyang_session, w.county_session):
        scheme = scheme_services.scheme_create_default(actor=w.superuser, session=session)
        code_services.credentials_issue(
            actor=w.superuser, session=session, group=scheme.groups.order_by("order").first(), count=2
        )
    rect_services.follow_up_start(actor=w.county_staff, cycle=w.cycle, scope=w.liaoyang)
    rect_services.follow_up_start(actor=w.shijia_staff, cycle=w.cycle, scope=w.shijia)
    step = ReviewStep.objects.create(cycle=w.cycle, order=1, title="党建办主任")
    step.reviewers.add(w.county_staff)
    CycleItem.objects.create(cycle=w.cycle, kind="must", text="如何抓党建促乡村振兴", order=1)
    return rectified


def _inside_q(model, root: Organisation):
    path = scope_path(model)
    lookup = f"{path}__path__startswith" if path else "path__startswith"
    return model._default_manager.filter(**{lookup: root.path}).values("pk")


def outside(model, world) -> list:
    """Objects of `model` outside 石匣乡's subtree; county-wide models: all of them (read-only there)."""
    label = model._meta.label_lower
    if label == "auth.user":
        return list(User.objects.exclude(username__in=["shijia", "wang", "zhao"]))
    if label in ACCOUNT_MODELS:
        return list(model._default_manager.all())
    if scope_path(model) is None:
        return list(model._default_manager.all())
    return list(model._default_manager.exclude(pk__in=_inside_q(model, world.shijia)))


def is_county_wide(model) -> bool:
    label = model._meta.label_lower
    return label in COUNTY_WIDE or label in ACCOUNT_MODELS or scope_path(model) is None


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_no_registered_model_opens_changes_or_deletes_an_object_outside_the_subtree(client, full):
    w = full.world
    client.force_login(w.shijia_staff)
    tried = 0
    for model in admin.site._registry:
        for obj in outside(model, w)[:SAMPLE]:
            before = model._default_manager.filter(pk=obj.pk).values().first()
            change = client.get(_url(model, "change", obj.pk))
            if is_county_wide(model):
                # County-wide: may be read (not the review chain, nor accounts), never written.
                assert change.status_code in (200, 403), (model, change.status_code)
            else:
                assert change.status_code in (403, 404), (model, change.status_code)
            posted = client.post(_url(model, "change", obj.pk), {"name": "改名", "title": "改名"})
            assert posted.status_code in (403, 404), (model, posted.status_code)
            deleted = client.post(_url(model, "delete", obj.pk), {"post": "yes"})
            assert deleted.status_code in (403, 404), (model, deleted.status_code)
            assert model._default_manager.filter(pk=obj.pk).values().first() == before, model
            tried += 1
        if is_county_wide(model):
            assert client.get(_url(model, "add")).status_code == 403, model
            assert client.post(_url(model, "add"), {"name": "新增"}).status_code == 403, model
    assert tried >= 30


def _choice_fields(form_class):
    for name, field in form_class.base_fields.items():
        if isinstance(field, ModelChoiceField):
            yield name, field


def test_no_form_or_inline_of_any_admin_offers_a_choice_outside_the_subtree(full):
    w = full.world
    request = _request(w.shijia_staff)
    checked = 0
    for model, model_admin in admin.site._registry.items():
        inside = model_admin.get_queryset(request).first() if not is_county_wide(model) else None
        may_change = inside is not None and model_admin.has_change_permission(request, inside)
        if not model_admin.has_add_permission(request) and not may_change:
            continue
        forms = [model_admin.get_form(request, inside)]
        for inline in model_admin.get_inline_instances(request, inside):
            forms.append(inline.get_formset(request, inside).form)
        for form_class in forms:
            for name, field in _choice_fields(form_class):
                related = field.queryset.model
                if is_county_wide(related) and related._meta.label_lower != "auth.user":
                    continue
                offered = set(field.queryset.values_list("pk", flat=True))
                refused = {o.pk for o in outside(related, w)}
                assert not offered & refused, (model, name)
                checked += 1
    assert checked >= 10


def _relation_fields(model):
    return [
        f for f in model._meta.get_fields() if f.is_relation and f.concrete and f.related_model is not None
    ]


def test_no_autocomplete_answers_with_an_object_outside_the_subtree(client, full):
    w = full.world
    client.force_login(w.shijia_staff)
    answered = 0
    for model in admin.site._registry:
        for field in _relation_fields(model):
            response = client.get(
                "/admin/autocomplete/",
                {
                    "app_label": model._meta.app_label,
                    "model_name": model._meta.model_name,
                    "field_name": field.name,
                    "term": "",
                },
            )
            assert response.status_code in (200, 403, 404), (model, field.name, response.status_code)
            if response.status_code != 200:
                continue
            ids = {int(r["id"]) for r in response.json()["results"]}
            related = field.related_model
            if is_county_wide(related) and related._meta.label_lower != "auth.user":
                continue
            assert not ids & {o.pk for o in outside(related, w)}, (model, field.name)
            answered += 1
    assert answered >= 8


def test_no_changelist_filter_shows_outside_rows_or_names(client, full):
    w = full.world
    client.force_login(w.shijia_staff)
    outside_names = ["辽阳", "李春华", "西沟村"]
    requests = 0
    for model in admin.site._registry:
        own_outside = {o.pk for o in outside(model, w)} if not is_county_wide(model) else set()
        for field in [None, *_relation_fields(model)]:
            params = {}
            if field is not None:
                others = outside(field.related_model, w)
                if not others:
                    continue
                params = {f"{field.name}__id__exact": others[0].pk}
            response = client.get(_url(model, "changelist"), params)
            requests += 1
            assert response.status_code in (200, 302, 400, 403), (model, field, response.status_code)
            if response.status_code != 200:
                continue
            shown = {o.pk for o in response.context_data["cl"].result_list}
            assert not shown & own_outside, (model, field)
            html = response.content.decode()
            if not is_county_wide(model):
                assert not any(name in html for name in outside_names), (model, field)
    assert requests >= 50


# ---------------------------------------------------------------------------------------------------
# The findings, one by one


def test_township_staff_cannot_give_another_townships_secretary_a_post(client, full):
    w = full.world
    client.force_login(w.shijia_staff)
    response = client.post(
        _url(Appointment, "add"),
        {
            "organisation": w.shijia_v2.pk,
            "person": w.liaoyang_secretary.pk,
            "post": Post.SECRETARY,
            "title": "",
            "start_date": "2026-01-01",
            "end_date": "",
        },
    )
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert not Appointment.objects.filter(person=w.liaoyang_secretary, organisation=w.shijia_v2).exists()


def test_the_appointment_service_refuses_a_person_with_posts_outside_the_scope(full):
    w = full.world
    appointment = Appointment(
        person=w.liaoyang_secretary,
        organisation=w.shijia_v2,
        post=Post.MEMBER,
        start_date=datetime.date(2026, 1, 1),
    )
    with pytest.raises(PermissionDenied, match="职务"):
        org_services.appointment_save(actor=w.shijia_staff, appointment=appointment)
    assert not Appointment.objects.filter(person=w.liaoyang_secretary, organisation=w.shijia_v2).exists()


def test_township_staff_cannot_link_their_login_to_another_townships_secretary(client, full):
    w = full.world
    client.force_login(w.shijia_staff)
    response = client.post(
        _url(Person, "change", w.liaoyang_secretary.pk), {"name": "李春华", "user": w.shijia_staff.pk}
    )
    assert response.status_code == 403
    w.liaoyang_secretary.refresh_from_db()
    assert w.liaoyang_secretary.user == full.li


def test_the_person_service_refuses_a_login_link_without_all_the_persons_posts(full):
    w = full.world
    person = Person.objects.get(pk=w.liaoyang_secretary.pk)
    person.user = w.shijia_staff
    with pytest.raises(PermissionDenied, match="职务"):
        org_services.person_save(actor=w.shijia_staff, person=person)
    assert Person.objects.get(pk=person.pk).user == full.li


def test_a_person_with_posts_in_two_townships_is_linked_only_by_the_county(full):
    w = full.world
    zhao = full.village_secretary
    Appointment.objects.create(
        person=zhao, organisation=w.liaoyang_v2, post=Post.MEMBER, start_date=datetime.date(2025, 1, 1)
    )
    fresh = User.objects.create_user("zhao2", password="pw-zhao2-long")
    zhao.user = fresh
    with pytest.raises(PermissionDenied):
        org_services.person_save(actor=w.shijia_staff, person=zhao)
    assert Person.objects.get(pk=zhao.pk).user == full.zhao
    org_services.person_save(actor=w.county_staff, person=zhao)
    assert Person.objects.get(pk=zhao.pk).user == fresh
    events = AuditEvent.objects.filter(action="person.update", object_id=str(zhao.pk))
    assert {e.organisation for e in events} == {w.shijia_v1, w.liaoyang_v2}


def test_township_staff_may_link_an_unclaimed_login_to_their_own_village_secretary(full):
    w = full.world
    person = Person.objects.create(name="孙立")
    Appointment.objects.create(
        person=person, organisation=w.shijia_v2, post=Post.SECRETARY, start_date=datetime.date(2025, 1, 1)
    )
    login = User.objects.create_user("sunli", password="pw-sunli-long")
    person.user = login
    org_services.person_save(actor=w.shijia_staff, person=person)
    assert Person.objects.get(pk=person.pk).user == login
    event = AuditEvent.objects.get(action="person.update", object_id=str(person.pk))
    assert event.organisation == w.shijia_v2


def test_the_secretary_taken_over_does_not_open_to_the_township_afterwards(client, full):
    w = full.world
    client.force_login(w.shijia_staff)
    client.post(
        _url(Appointment, "add"),
        {
            "organisation": w.shijia_v2.pk,
            "person": w.liaoyang_secretary.pk,
            "post": Post.SECRETARY,
            "start_date": "2026-01-01",
        },
    )
    response = client.get(_url(Person, "changelist"))
    assert "李春华" not in response.content.decode()
    item = full.liaoyang_items[0]
    assert client.get(reverse("rectification:item", args=[item.pk])).status_code in (403, 404)


def test_township_staff_cannot_rename_the_county_cycle_or_add_a_must_answer_item(client, full):
    w = full.world
    client.force_login(w.shijia_staff)
    response = client.post(
        _url(Cycle, "change", w.cycle.pk),
        {
            "name": "石匣乡改的年度",
            "year": 2025,
            "is_open": "on",
            "items-TOTAL_FORMS": 1,
            "items-INITIAL_FORMS": 0,
            "items-0-kind": "must",
            "items-0-text": "乡镇加的必答题",
            "items-0-order": 9,
        },
    )
    assert response.status_code == 403
    assert Cycle.objects.get(pk=w.cycle.pk).name == "2025年度抓基层党建工作述职评议"
    assert not CycleItem.objects.filter(text="乡镇加的必答题").exists()
    cycle = Cycle.objects.get(pk=w.cycle.pk)
    cycle.name = "改名"
    with pytest.raises(PermissionDenied, match="全县"):
        cycle_services.cycle_save(actor=w.shijia_staff, cycle=cycle)
    with pytest.raises(PermissionDenied, match="全县"):
        cycle_services.cycle_item_save(
            actor=w.shijia_staff, item=CycleItem(cycle=w.cycle, kind="must", text="x")
        )
    assert Cycle.objects.get(pk=w.cycle.pk).name == "2025年度抓基层党建工作述职评议"


def test_a_cycle_change_by_the_county_is_audited_under_the_county(client, full):
    w = full.world
    client.force_login(w.county_staff)
    response = client.post(
        _url(Cycle, "change", w.cycle.pk),
        {
            "name": "2025年度述职评议",
            "year": 2025,
            "is_open": "on",
            "items-TOTAL_FORMS": 2,
            "items-INITIAL_FORMS": 1,
            "items-0-id": CycleItem.objects.get(cycle=w.cycle).pk,
            "items-0-cycle": w.cycle.pk,
            "items-0-kind": "must",
            "items-0-text": "如何抓党建促乡村振兴",
            "items-0-order": 1,
            "items-1-cycle": w.cycle.pk,
            "items-1-kind": "bonus",
            "items-1-text": "特色亮点",
            "items-1-order": 2,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Cycle.objects.get(pk=w.cycle.pk).name == "2025年度述职评议"
    assert AuditEvent.objects.get(action="cycle.update").organisation == w.county
    assert AuditEvent.objects.get(action="cycle_item.create").organisation == w.county
    listed = client.get(_url(AuditEvent, "changelist"), {"action": "cycle.update"})
    assert "2025年度述职评议" in listed.content.decode()


def test_township_staff_cannot_delete_a_problem_category(client, full):
    w = full.world
    category = RectificationItem.objects.filter(organisation=w.liaoyang).first().category
    client.force_login(w.shijia_staff)
    assert client.post(_url(ProblemCategory, "delete", category.pk), {"post": "yes"}).status_code == 403
    assert ProblemCategory.objects.filter(pk=category.pk).exists()
    with pytest.raises(PermissionDenied, match="全县"):
        rect_services.problem_category_delete(actor=w.shijia_staff, category=category)


def test_a_category_in_use_is_kept_even_for_the_county_and_a_free_one_goes_on_record(client, full):
    w = full.world
    used = RectificationItem.objects.filter(organisation=w.liaoyang).first().category
    client.force_login(w.county_staff)
    response = client.post(_url(ProblemCategory, "delete", used.pk), {"post": "yes"}, follow=True)
    assert "重命名" in response.content.decode()
    assert ProblemCategory.objects.filter(pk=used.pk).exists()
    free = ProblemCategory.objects.create(name="未用类别")
    assert client.post(_url(ProblemCategory, "delete", free.pk), {"post": "yes"}).status_code == 302
    assert not ProblemCategory.objects.filter(pk=free.pk).exists()
    assert AuditEvent.objects.get(action="problem_category.delete").organisation == w.county


def test_township_staff_do_not_see_who_reviews_the_county_drafts(client, full):
    w = full.world
    client.force_login(w.shijia_staff)
    assert client.get(_url(ReviewStep, "changelist")).status_code == 403
    step = ReviewStep.objects.get()
    assert client.get(_url(ReviewStep, "change", step.pk)).status_code == 403
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "reviews", "model_name": "reviewstep", "field_name": "reviewers"},
    )
    assert response.status_code == 403


def test_the_login_autocomplete_offers_township_staff_only_their_own_logins(client, full):
    w = full.world
    User.objects.create_user("unclaimed", password="pw-unclaimed-long")
    client.force_login(w.shijia_staff)
    response = client.get(
        "/admin/autocomplete/", {"app_label": "reviews", "model_name": "person", "field_name": "user"}
    )
    assert response.status_code == 200
    names = {r["text"] for r in response.json()["results"]}
    assert names == {"shijia", "wang", "zhao", "unclaimed"}


def test_a_person_edit_is_audited_under_the_persons_post(client, full):
    w = full.world
    person = Person.objects.get(pk=w.shijia_secretary.pk)
    person.phone = "13800000000"
    org_services.person_save(actor=w.shijia_staff, person=person)
    assert AuditEvent.objects.get(action="person.update").organisation == w.shijia
