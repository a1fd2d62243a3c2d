"""Scoring codes (/manage/scoring/<id>/codes/): the list, issuing with the slips as a PDF, revoking."""

import pytest
from django.urls import reverse
from django.utils import translation

from reviews.audit.models import AuditEvent
from reviews.jobs.models import Job, JobStatus
from reviews.jobs.progress import progress_remove
from scoring.ballots import services as ballots_services
from scoring.codes import services as codes_services
from scoring.codes.models import Credential
from scoring.codes.services import SLIPS_JOB
from scoring.schemes import services as schemes_services
from scoring.schemes.models import EvaluatorGroup


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def _url(world, name: str = "codes", *args) -> str:
    return reverse(f"scoring:{name}", args=[world.session.pk, *args])


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_it_lists_the_codes_with_their_status_and_counts_per_group(client, scored):
    ballots_services.ballot_submit(
        code=scored.leader_codes[0].token, marks=scored.marks(), submission_key="k"
    )
    codes_services.credential_revoke(actor=scored.county_staff, credential=Credential.objects.get(serial=2))
    client.force_login(scored.county_staff)
    response = client.get(_url(scored))
    assert response.status_code == 200
    html = response.content.decode()
    assert "0001" in html and "0012" in html
    assert "已使用" in html and "已作废" in html and "未使用" in html
    counts = {row["group"].pk: row for row in response.context["group_counts"]}
    assert (counts[scored.leaders.pk]["used"], counts[scored.leaders.pk]["revoked"]) == (1, 1)
    assert counts[scored.leaders.pk]["unused"] == 4 and counts[scored.delegates.pk]["unused"] == 6
    assert "测评码只在生成时显示一次，请妥善保存打印件" in html
    assert html.count("/revoke/") == 10  # only unused codes can be revoked


def test_the_page_never_shows_secrets(client, scored):
    client.force_login(scored.county_staff)
    html = client.get(_url(scored)).content.decode()
    code = scored.leader_codes[0]
    assert code.token not in html and code.short_code not in html
    assert Credential.objects.get(serial=1).token_hash not in html


def test_township_staff_get_404(client, scored):
    client.force_login(scored.shijia_staff)
    assert client.get(_url(scored)).status_code == 404
    credential = Credential.objects.get(serial=1)
    assert client.post(_url(scored, "code_revoke", credential.pk)).status_code == 404
    assert (
        client.post(_url(scored, "codes_issue"), {"group": scored.leaders.pk, "count": 2}).status_code == 404
    )
    assert Credential.objects.count() == 12 and not Credential.objects.filter(revoked=True).exists()


def test_anonymous_users_are_sent_to_the_login_page(client, scored):
    response = client.get(_url(scored))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_code_is_revoked(client, scored):
    credential = Credential.objects.get(serial=3)
    client.force_login(scored.county_staff)
    response = client.post(_url(scored, "code_revoke", credential.pk), follow=True)
    credential.refresh_from_db()
    assert credential.revoked
    assert "3号测评码已作废" in _messages(response)
    assert AuditEvent.objects.filter(action="credential.revoke").exists()


def test_revoking_a_used_code_is_refused(client, scored):
    ballots_services.ballot_submit(
        code=scored.leader_codes[0].token, marks=scored.marks(), submission_key="k"
    )
    credential = Credential.objects.get(serial=1)
    client.force_login(scored.county_staff)
    response = client.post(_url(scored, "code_revoke", credential.pk), follow=True)
    credential.refresh_from_db()
    assert not credential.revoked
    assert "该测评码已使用" in _messages(response)


def test_a_code_of_another_session_is_not_found(client, scored):
    other = schemes_services.scheme_create_default(actor=scored.superuser, session=scored.shijia_session)
    codes_services.credentials_issue(
        actor=scored.superuser, session=scored.shijia_session, group=other.groups.first(), count=1
    )
    foreign = Credential.objects.get(session=scored.shijia_session)
    client.force_login(scored.county_staff)
    assert client.post(_url(scored, "code_revoke", foreign.pk)).status_code == 404
    foreign.refresh_from_db()
    assert not foreign.revoked


def test_revoking_refuses_get(client, scored):
    client.force_login(scored.county_staff)
    assert client.get(_url(scored, "code_revoke", Credential.objects.get(serial=1).pk)).status_code == 405


def test_an_invalid_issue_form_shows_its_errors_and_issues_nothing(client, scored):
    client.force_login(scored.county_staff)
    response = client.post(_url(scored, "codes_issue"), {"group": scored.leaders.pk, "count": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["count"]
    assert "请填写发放数量" in response.content.decode()
    assert Credential.objects.count() == 12


def test_names_for_an_anonymous_group_are_refused(client, scored):
    client.force_login(scored.county_staff)
    response = client.post(_url(scored, "codes_issue"), {"group": scored.leaders.pk, "names": "张三\n李四"})
    assert response.status_code == 200
    assert "只有记名测评主体的测评码才能印姓名" in response.content.decode()
    assert Credential.objects.count() == 12


def test_too_many_codes_are_refused(client, scored):
    client.force_login(scored.county_staff)
    response = client.post(_url(scored, "codes_issue"), {"group": scored.leaders.pk, "count": 2001})
    assert response.status_code == 200 and response.context["form"].errors["count"]
    assert Credential.objects.count() == 12


def test_a_group_of_another_session_is_refused(client, scored):
    other = schemes_services.scheme_create_default(actor=scored.superuser, session=scored.shijia_session)
    client.force_login(scored.county_staff)
    response = client.post(_url(scored, "codes_issue"), {"group": other.groups.first().pk, "count": 1})
    assert response.status_code == 200 and response.context["form"].errors["group"]
    assert Credential.objects.count() == 12


# ---------------------------------------------------------------------------------------------------
# Downloads (scoring.documents)


def test_issuing_leads_to_the_jobs_progress_page_which_then_offers_the_slips(client, scored, run_jobs):
    client.force_login(scored.county_staff)
    response = client.post(_url(scored, "codes_issue"), {"group": scored.delegates.pk, "count": 3})
    job = Job.objects.get(kind=SLIPS_JOB)
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.pk])
    waiting = client.get(response["Location"]).content.decode()
    assert "测评码纸条" in waiting and "等待" in waiting and _url(scored) in waiting
    assert Credential.objects.filter(group=scored.delegates).count() == 6  # not live before printed
    run_jobs()
    page = client.get(response["Location"]).content.decode()
    assert reverse("jobs:download", args=[job.pk]) in page and "返回测评码" in page
    pdf = client.get(reverse("jobs:download", args=[job.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.getvalue().startswith(b"%PDF")
    assert "attachment" in pdf["Content-Disposition"] and "no-store" in pdf["Cache-Control"]
    assert Credential.objects.filter(group=scored.delegates).count() == 9
    assert list(Credential.objects.order_by("-serial").values_list("serial", flat=True)[:3]) == [15, 14, 13]


def test_the_progress_page_counts_the_slips_drawn(client, scored):
    from reviews.jobs.progress import progress_write

    client.force_login(scored.county_staff)
    client.post(_url(scored, "codes_issue"), {"group": scored.delegates.pk, "count": 300})
    job = Job.objects.get(kind=SLIPS_JOB)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    progress_write(job.pk, done=120, total=300)
    try:
        assert "已生成 120 / 300 张" in client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    finally:
        progress_remove(job.pk)


def test_issuing_to_a_named_group_prints_the_names(client, scored, run_jobs):
    EvaluatorGroup.objects.filter(pk=scored.delegates.pk).update(anonymous=False)
    client.force_login(scored.county_staff)
    client.post(_url(scored, "codes_issue"), {"group": scored.delegates.pk, "names": "张三\n\n李四\n"})
    run_jobs()
    assert list(
        Credential.objects.filter(delegate_name__in=["张三", "李四"]).values_list("delegate_name", flat=True)
    ) == [
        "张三",
        "李四",
    ]


def test_the_paper_form_of_a_group_downloads_as_a_pdf(client, scored):
    client.force_login(scored.county_staff)
    response = client.get(_url(scored, "paper_ballot", scored.leaders.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")


def test_the_paper_form_of_another_sessions_group_is_not_found(client, scored):
    other = schemes_services.scheme_create_default(actor=scored.superuser, session=scored.shijia_session)
    client.force_login(scored.county_staff)
    assert client.get(_url(scored, "paper_ballot", other.groups.first().pk)).status_code == 404


@pytest.mark.parametrize("extra_codes", [0, 300])
def test_the_code_list_needs_a_bounded_number_of_queries(
    client, scored, django_assert_max_num_queries, extra_codes
):
    if extra_codes:
        codes_services.credentials_issue(
            actor=scored.county_staff, session=scored.session, group=scored.delegates, count=extra_codes
        )
    client.force_login(scored.county_staff)
    with django_assert_max_num_queries(14):  # the issue batches are one more
        response = client.get(_url(scored))
    assert response.status_code == 200
