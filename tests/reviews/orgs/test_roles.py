"""Roles (separation of duties): 系统管理员 accounts, 业务人员 the work, 审计员 the audit log."""

import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse

from reviews.audit.models import AuditEvent
from reviews.cycles import services as cycle_services
from reviews.orgs.models import StaffProfile
from reviews.orgs.permissions import (
    ACCOUNTS_GROUP_NAME,
    LEGACY_STAFF_GROUP_NAME,
    OPERATOR_GROUP_NAME,
    roles_ensure,
)
from reviews.scope import AUDITOR_GROUP_NAME, ensure_can_manage
from reviews.topics.models import TopicCategory


def _account(username, organisation, role):
    user = User.objects.create_user(username, password=f"pw-{username}-long", is_staff=True)
    StaffProfile.objects.create(user=user, organisation=organisation)
    user.groups.add(roles_ensure()[role])
    return user


@pytest.fixture
def auditor(world):
    return _account("shenji", world.county, AUDITOR_GROUP_NAME)


@pytest.fixture
def accounts_admin(world):
    return _account("xitong", world.county, ACCOUNTS_GROUP_NAME)


def test_the_migrations_leave_the_three_roles_with_their_permissions(db):
    perms = {
        name: set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))
        for name in (OPERATOR_GROUP_NAME, ACCOUNTS_GROUP_NAME, AUDITOR_GROUP_NAME)
    }
    assert perms[AUDITOR_GROUP_NAME] == {"view_auditevent"}
    assert {"change_user", "add_user", "change_staffprofile", "change_group"} <= perms[ACCOUNTS_GROUP_NAME]
    assert "change_session" not in perms[ACCOUNTS_GROUP_NAME]
    assert {"change_session", "add_scheme", "view_auditevent"} <= perms[OPERATOR_GROUP_NAME]
    assert not {"change_user", "change_staffprofile", "change_auditevent"} & perms[OPERATOR_GROUP_NAME]


def test_roles_ensure_renames_the_old_staff_group_and_restores_lost_permissions(db):
    Group.objects.filter(name=OPERATOR_GROUP_NAME).delete()
    legacy = Group.objects.create(name=LEGACY_STAFF_GROUP_NAME)
    Group.objects.get(name=AUDITOR_GROUP_NAME).permissions.clear()
    call_command("roles_ensure", stdout=io.StringIO())
    legacy.refresh_from_db()
    assert legacy.name == OPERATOR_GROUP_NAME
    assert legacy.permissions.filter(codename="change_session").exists()
    assert Group.objects.get(name=AUDITOR_GROUP_NAME).permissions.filter(codename="view_auditevent").exists()


def test_an_auditor_reads_the_audit_log_of_the_subtree(client, world, auditor):
    cycle_services.session_save(actor=world.shijia_staff, session=world.shijia_session)
    AuditEvent.objects.create(
        action="session.update", object_type="x", object_repr="石匣乡会议", organisation=world.shijia
    )
    client.force_login(auditor)
    response = client.get(reverse("admin:reviews_auditevent_changelist"))
    assert response.status_code == 200
    assert "石匣乡会议" in response.content.decode()


def test_an_auditor_changes_nothing_in_the_admin(client, world, auditor):
    client.force_login(auditor)
    assert client.get(reverse("admin:reviews_session_changelist")).status_code == 403
    response = client.post(
        reverse("admin:reviews_organisation_change", args=[world.shijia.pk]), {"name": "改名"}
    )
    assert response.status_code == 403
    world.shijia.refresh_from_db()
    assert world.shijia.name == "中共石匣乡委员会"
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_an_auditor_changes_nothing_through_the_staff_pages_or_the_services(client, world, auditor):
    client.force_login(auditor)
    response = client.post(reverse("topics:categories"), {"id": "", "new-name": "审计员加的", "new-order": 1})
    assert response.status_code == 403
    assert "审计员账号只能查看操作日志" in response.content.decode()
    assert not TopicCategory.objects.filter(name="审计员加的").exists()
    with pytest.raises(PermissionDenied, match="审计员"):
        ensure_can_manage(auditor, world.shijia)
    world.shijia_session.title = "审计员改的"
    with pytest.raises(PermissionDenied):
        cycle_services.session_save(actor=auditor, session=world.shijia_session)
    world.shijia_session.refresh_from_db()
    assert world.shijia_session.title == "石匣乡村党组织书记述职评议会"


def test_an_operator_cannot_open_or_change_accounts(client, world):
    client.force_login(world.county_staff)
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    url = reverse("admin:auth_user_change", args=[world.shijia_staff.pk])
    assert client.post(url, {"username": "hijacked", "is_superuser": "on"}).status_code == 403
    assert client.get(reverse("admin:auth_user_add")).status_code == 403
    world.shijia_staff.refresh_from_db()
    assert world.shijia_staff.username == "shijia"
    assert not world.shijia_staff.is_superuser


def test_the_accounts_role_manages_logins_but_not_the_work(client, world, accounts_admin):
    client.force_login(accounts_admin)
    response = client.get(reverse("admin:auth_user_changelist"))
    assert response.status_code == 200
    assert "shijia" in response.content.decode()
    assert "root" not in [u.username for u in response.context_data["cl"].result_list]
    assert client.get(reverse("admin:reviews_session_changelist")).status_code == 403
    page = client.get(reverse("admin:auth_user_change", args=[world.shijia_staff.pk]))
    assert page.status_code == 200
    assert 'name="is_superuser"' not in page.content.decode()


def test_an_auditor_sends_no_write_to_any_page_but_may_log_out(client, rectified, auditor):
    item = rectified.shijia_items[0]
    client.force_login(auditor)
    response = client.post(reverse("rectification:verify", args=[item.pk]), {"text": "审计员销号"})
    assert response.status_code == 403
    assert "审计员账号只能查看操作日志" in response.content.decode()
    item.refresh_from_db()
    assert item.status == rectified.shijia_items[0].status
    assert not item.events.filter(text="审计员销号").exists()
    assert client.post(reverse("logout")).status_code == 302


def test_an_account_change_in_the_admin_is_audited_under_its_organisation_without_the_hash(
    client, world, accounts_admin
):
    client.force_login(accounts_admin)
    url = reverse("admin:auth_user_password_change", args=[world.shijia_staff.pk])
    response = client.post(url, {"password1": "Xq7!mountain-river", "password2": "Xq7!mountain-river"})
    assert response.status_code == 302
    operator = roles_ensure()[OPERATOR_GROUP_NAME]
    page = client.get(reverse("admin:auth_user_change", args=[world.shijia_staff.pk]))
    form = page.context_data["adminform"].form
    data = {
        "username": "shijia",
        "first_name": "石匣",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "is_staff": "on",
        "groups": [operator.pk],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
        "staff_profile-TOTAL_FORMS": 1,
        "staff_profile-INITIAL_FORMS": 1,
        "staff_profile-0-id": world.shijia_staff.staff_profile.pk,
        "staff_profile-0-user": world.shijia_staff.pk,
        "staff_profile-0-organisation": world.shijia.pk,
    }
    assert "first_name" in form.fields
    response = client.post(reverse("admin:auth_user_change", args=[world.shijia_staff.pk]), data)
    assert response.status_code == 302, response.context_data["adminform"].form.errors
    event = AuditEvent.objects.get(action="account.update", changes__has_key="first_name")
    assert event.organisation == world.shijia
    hashes = [e.changes.get("password") for e in AuditEvent.objects.filter(object_type="auth.user")]
    assert all(h is None or "$" not in str(h) for h in hashes)
    assert AuditEvent.objects.filter(action="account.password", organisation=world.shijia).exists()


def test_a_role_change_is_audited_under_the_county(client, world, accounts_admin):
    client.force_login(accounts_admin)
    auditor_role = Group.objects.get(name=AUDITOR_GROUP_NAME)
    response = client.post(
        reverse("admin:auth_group_change", args=[auditor_role.pk]),
        {"name": AUDITOR_GROUP_NAME, "permissions": []},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="role.update")
    assert event.organisation == world.county
    assert event.changes["permissions"] == ["view_auditevent", ""]
