"""Issuing codes safely: one form issues one batch, the CSV, revoking at once, the expected size."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from reviews.audit.models import AuditEvent
from reviews.jobs.models import Job, JobStatus
from scoring.ballots import services as ballots_services
from scoring.codes import services as codes_services
from scoring.codes import tokens
from scoring.codes.models import BatchStatus, Credential, IssueBatch
from scoring.codes.services import SLIPS_JOB
from scoring.errors import ScoringError
from scoring.schemes.models import EvaluatorGroup
from tests.scoring.ballots.test_concurrency import _run_together
from tests.scoring.conftest import ScoredWorld


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def _url(world, name: str = "codes", *args) -> str:
    return reverse(f"scoring:{name}", args=[world.session.pk, *args])


def _issue(client, world, key="form-key-1", **data):
    return client.post(
        _url(world, "codes_issue"),
        {"group": world.delegates.pk, "count": 10, "issue_key": key, "download": "d0wn", **data},
    )


def _slips(client, world, run_jobs, key="form-key-1", **data):
    """Issue as slips: the POST leads to the job's page; the job runs; the PDF is downloaded from it."""
    response = _issue(client, world, key, **data)
    assert response.status_code == 302 and "/jobs/" in response["Location"], response
    run_jobs()
    job = Job.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[-1])
    return job, client.get(reverse("jobs:download", args=[job.pk]))


def test_the_page_gives_each_form_its_own_issue_key(client, scored):
    client.force_login(scored.county_staff)
    first = client.get(_url(scored)).context["form"]["issue_key"].value()
    second = client.get(_url(scored)).context["form"]["issue_key"].value()
    assert first and second and first != second


def test_a_second_post_of_the_same_form_leads_to_the_same_job_and_issues_nothing_more(
    client, scored, run_jobs
):
    client.force_login(scored.county_staff)
    first = _issue(client, scored)
    second = _issue(client, scored)
    assert first["Location"] == second["Location"]
    assert Job.objects.filter(kind=SLIPS_JOB).count() == 1 and IssueBatch.objects.get().count == 10
    run_jobs()
    job = Job.objects.get(kind=SLIPS_JOB)
    assert job.status == JobStatus.DONE
    pdf = client.get(reverse("jobs:download", args=[job.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.getvalue().startswith(b"%PDF")
    assert _issue(client, scored)["Location"] == first["Location"]  # a third, after the job: still the same
    assert Credential.objects.filter(group=scored.delegates).count() == 6 + 10
    assert AuditEvent.objects.filter(action="credentials.issue").count() == 1 + 2  # the fixture's two


def test_another_form_issues_another_batch(client, scored, run_jobs):
    client.force_login(scored.county_staff)
    _slips(client, scored, run_jobs, key="one")
    _slips(client, scored, run_jobs, key="two")
    assert Credential.objects.filter(group=scored.delegates).count() == 6 + 20
    assert list(IssueBatch.objects.values_list("first_serial", "count")) == [(13, 10), (23, 10)]


def test_the_key_is_stored_hashed_and_forgotten_by_the_job_and_its_codes_open_the_ballot(
    client, scored, run_jobs
):
    client.force_login(scored.county_staff)
    job, _pdf = _slips(client, scored, run_jobs, key="secret-form-key", count=1)
    batch = IssueBatch.objects.get()
    assert batch.key_hash != "secret-form-key" and "secret-form-key" not in batch.key_hash
    assert "secret-form-key" not in str(Job.objects.get(pk=job.pk).params)
    token = tokens.batch_token("secret-form-key", batch.first_serial)
    assert Credential.objects.get(serial=batch.first_serial).token_hash == tokens.token_hash(token)
    receipt = ballots_services.ballot_submit(code=token, marks=scored.marks(), submission_key="k")
    assert receipt.receipt


def test_the_csv_lists_the_batch_with_short_codes_qr_addresses_and_names(client, scored, run_jobs):
    EvaluatorGroup.objects.filter(pk=scored.delegates.pk).update(anonymous=False)
    client.force_login(scored.county_staff)
    response = _issue(client, scored, names="张三\n李四", count="", format="csv")
    assert response["Content-Type"].startswith("text/csv")
    assert response.cookies["sz_codes_download"].value == "d0wn"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["编号", "测评码", "二维码地址", "评议代表"]
    assert [row[0] for row in rows[1:]] == ["0013", "0014"] and [row[3] for row in rows[1:]] == [
        "张三",
        "李四",
    ]
    token = tokens.batch_token("form-key-1", 13)
    assert rows[1][2].endswith(f"/vote/{token}/") and rows[1][1] == tokens.format_short(
        tokens.short_code_for(token)
    )
    # The PDF of the same form is the same batch: its slips are printed, no new codes.
    job, pdf = _slips(client, scored, run_jobs, names="张三\n李四", count="")
    assert pdf["Content-Type"] == "application/pdf" and job.params.get("reprint")
    assert Credential.objects.filter(group=scored.delegates).count() == 8
    assert IssueBatch.objects.get().status == BatchStatus.READY


def test_the_csv_of_a_form_whose_slips_are_ready_lists_the_same_codes(client, scored, run_jobs):
    client.force_login(scored.county_staff)
    _slips(client, scored, run_jobs, count=2)
    response = _issue(client, scored, count=2, format="csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["0013", "0014"]
    assert rows[1][2].endswith(f"/vote/{tokens.batch_token('form-key-1', 13)}/")
    assert Credential.objects.filter(group=scored.delegates).count() == 6 + 2


def test_the_csv_of_a_form_whose_slips_are_printing_leads_to_the_job(client, scored, run_jobs):
    client.force_login(scored.county_staff)
    first = _issue(client, scored, count=2)
    response = _issue(client, scored, count=2, format="csv")
    assert response.status_code == 302 and response["Location"] == first["Location"]
    assert Credential.objects.filter(group=scored.delegates).count() == 6


def test_two_threads_posting_the_same_key_make_one_batch_and_one_job():
    world = ScoredWorld()

    def issue():
        return codes_services.slips_issue_start(
            actor=world.county_staff, session=world.session, group=world.delegates, count=5, issue_key="k2"
        )

    outcomes = _run_together(issue, issue)
    assert all(isinstance(o, IssueBatch) for o in outcomes), outcomes
    assert outcomes[0].pk == outcomes[1].pk and outcomes[0].job_id == outcomes[1].job_id
    assert IssueBatch.objects.count() == 1 and Job.objects.filter(kind=SLIPS_JOB).count() == 1
    assert Credential.objects.count() == 12  # nothing live before the slips exist


test_two_threads_posting_the_same_key_make_one_batch_and_one_job = pytest.mark.django_db(transaction=True)(
    test_two_threads_posting_the_same_key_make_one_batch_and_one_job
)


def test_issuing_beyond_the_expected_delegates_asks_first(client, scored, run_jobs):
    EvaluatorGroup.objects.filter(pk=scored.delegates.pk).update(expected_delegates=10)
    client.force_login(scored.county_staff)
    response = _issue(client, scored, count=5)
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert 'id="sz-over"' in html and "多出 1 个" in html
    assert Credential.objects.filter(group=scored.delegates).count() == 6
    _job, confirmed = _slips(client, scored, run_jobs, count=5, confirm_over="on")
    assert confirmed["Content-Type"] == "application/pdf"
    assert Credential.objects.filter(group=scored.delegates).count() == 11


def test_within_the_expected_delegates_nothing_is_asked(client, scored):
    EvaluatorGroup.objects.filter(pk=scored.delegates.pk).update(expected_delegates=11)
    client.force_login(scored.county_staff)
    assert "/jobs/" in _issue(client, scored, count=5)["Location"]


def test_slips_still_printing_count_towards_the_expected_delegates(client, scored):
    EvaluatorGroup.objects.filter(pk=scored.delegates.pk).update(expected_delegates=11)
    client.force_login(scored.county_staff)
    _issue(client, scored, key="printing", count=5)  # 6 + 5 printing: as many as expected
    response = _issue(client, scored, key="next", count=1)
    assert 'id="sz-over"' in response.content.decode() and "多出 1 个" in response.content.decode()


def test_the_expected_delegates_are_edited_with_the_scheme(scored):
    from scoring.schemes.forms import GroupForm

    assert "expected_delegates" in GroupForm.base_fields


def test_all_unused_codes_of_a_group_are_revoked_at_once(client, scored):
    ballots_services.ballot_submit(
        code=scored.delegate_codes[0].token, marks=scored.marks(), submission_key="k"
    )
    client.force_login(scored.county_staff)
    response = client.post(_url(scored, "codes_revoke_unused"), {"group": scored.delegates.pk}, follow=True)
    assert "已作废 5 个未使用的测评码" in response.content.decode()
    states = set(Credential.objects.filter(group=scored.delegates).values_list("used", "revoked"))
    assert states == {(True, False), (False, True)}
    assert not Credential.objects.filter(group=scored.leaders, revoked=True).exists()
    assert AuditEvent.objects.filter(action="credentials.revoke_unused").count() == 1


def test_the_unused_codes_of_one_batch_are_revoked_at_once(client, scored, run_jobs):
    client.force_login(scored.county_staff)
    _slips(client, scored, run_jobs, key="a", count=3)
    _slips(client, scored, run_jobs, key="b", count=3)
    batch = IssueBatch.objects.get(first_serial=13)
    html = client.get(_url(scored)).content.decode()
    assert 'id="sz-batches"' in html and "data-sz-confirm" in html
    client.post(_url(scored, "codes_revoke_unused"), {"batch": batch.pk})
    revoked = list(Credential.objects.filter(revoked=True).values_list("serial", flat=True))
    assert revoked == [13, 14, 15]


def test_revoking_when_nothing_is_unused_is_refused_with_a_message(client, scored):
    Credential.objects.filter(group=scored.delegates).update(revoked=True)
    client.force_login(scored.county_staff)
    response = client.post(_url(scored, "codes_revoke_unused"), {"group": scored.delegates.pk}, follow=True)
    assert "没有可作废的未使用测评码" in response.content.decode()
    assert not AuditEvent.objects.filter(action="credentials.revoke_unused").exists()


def test_revoking_without_a_group_or_batch_is_refused(scored):
    with pytest.raises(ScoringError) as error:
        codes_services.credentials_revoke_unused(actor=scored.county_staff, session=scored.session)
    assert error.value.code == "what"
    assert not Credential.objects.filter(revoked=True).exists()


def test_township_staff_cannot_revoke_at_once(client, scored):
    client.force_login(scored.shijia_staff)
    response = client.post(_url(scored, "codes_revoke_unused"), {"group": scored.delegates.pk})
    assert response.status_code == 404
    assert not Credential.objects.filter(revoked=True).exists()


def test_the_page_loads_its_script_and_marks_the_issue_form(client, scored):
    client.force_login(scored.county_staff)
    html = client.get(_url(scored)).content.decode()
    assert "scoring/codes.js" in html and "data-sz-issue" in html and "data-sz-issue-progress" in html
    assert "<script>" not in html


def test_an_old_form_does_not_hand_out_its_batch_again(client, scored, run_jobs):
    client.force_login(scored.county_staff)
    _slips(client, scored, run_jobs, key="old-form")
    IssueBatch.objects.update(issued_at=timezone.now() - codes_services.REPLAY_WINDOW - timedelta(minutes=1))
    response = client.post(
        _url(scored, "codes_issue"),
        {"group": scored.delegates.pk, "count": 10, "issue_key": "old-form"},
        follow=True,
    )
    assert "该表单已发放过测评码" in " ".join(str(m) for m in response.context["messages"])
    assert response["Content-Type"].startswith("text/html")
    assert Credential.objects.filter(group=scored.delegates).count() == 16


def test_the_codes_page_is_never_cached(client, scored):
    client.force_login(scored.county_staff)
    assert "no-cache" in client.get(_url(scored))["Cache-Control"]
