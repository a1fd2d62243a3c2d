"""Password rules (≥ 10 characters, not like the username, not common, not all digits), in Chinese,
and a password change logs the account out of its other sessions."""

import pytest
from django.contrib.auth import password_validation
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from reviews.demo.county import ADMIN_PASSWORD, DEMO_PASSWORD


def _problems(password: str, user: User | None = None) -> list[str]:
    with translation.override("zh-hans"):
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            return error.messages
    return []


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Kq7#vte2", "至少需要 10 个字符"),  # short
        ("qwertyuiop", "太常见"),  # common
        ("7305918246", "只包含数字"),  # all digits
    ],
)
def test_weak_passwords_are_refused_in_chinese(password, expected):
    problems = _problems(password)
    assert any(expected in problem for problem in problems), problems


def test_a_password_like_the_username_is_refused(db):
    user = User(username="shijia-staff", first_name="石匣")
    problems = _problems("shijiastaff1", user)
    assert any("用户名" in problem for problem in problems), problems


def test_a_good_password_passes():
    assert _problems("黄河-远上-白云间-7") == []


@pytest.mark.django_db
def test_the_admin_refuses_a_weak_new_password(client, world):
    client.force_login(world.superuser)
    url = f"/admin/auth/user/{world.shijia_staff.pk}/password/"
    response = client.post(url, {"password1": "12345678", "password2": "12345678"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "至少需要 10 个字符" in page and "密码只包含数字" in page
    world.shijia_staff.refresh_from_db()
    assert world.shijia_staff.check_password("pw-shijia")


@pytest.mark.django_db
def test_the_demo_accounts_still_log_in(client):
    """Validators check new passwords only: the demo's own accounts keep theirs."""
    call_command("seed_demo", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert client.login(username="demo", password=DEMO_PASSWORD)
    assert client.login(username="admin", password=ADMIN_PASSWORD)


@pytest.mark.django_db
def test_changing_the_password_logs_out_the_accounts_other_sessions(world):
    user = world.county_staff
    desk, laptop = Client(), Client()
    assert desk.login(username="county", password="pw-county")
    assert laptop.login(username="county", password="pw-county")
    assert laptop.get("/").status_code == 200
    response = desk.post(
        "/admin/password_change/",
        {
            "old_password": "pw-county",
            "new_password1": "黄河-远上-白云间-7",
            "new_password2": "黄河-远上-白云间-7",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("黄河-远上-白云间-7")
    # the session that changed it stays logged in; the other one is logged out
    assert desk.get("/").status_code == 200
    assert "_auth_user_id" in desk.session
    laptop_home = laptop.get("/")
    assert laptop_home.status_code == 302 and "/accounts/login/" in laptop_home["Location"]


@pytest.mark.django_db
def test_an_administrator_resetting_a_password_logs_that_account_out(client, world):
    target = Client()
    assert target.login(username="shijia", password="pw-shijia")
    client.force_login(world.superuser)
    url = f"/admin/auth/user/{world.shijia_staff.pk}/password/"
    response = client.post(url, {"password1": "黄河-远上-白云间-7", "password2": "黄河-远上-白云间-7"})
    assert response.status_code == 302
    assert target.get("/").status_code == 302
