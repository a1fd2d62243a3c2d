"""The restore drill (issue 14, requirement 5): back up with deploy/backup.sh, wipe, restore with
deploy/restore.sh into an empty database, and the published results and a private file come back.

PostgreSQL only (pg_dump and pg_restore): tests/deploy/conftest.py collects it on PostgreSQL.
"""

import os
import shutil
import subprocess

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from reviews.drafts import services as services_drafts
from reviews.drafts.models import Draft
from scoring.ballots import services as ballots_services
from scoring.results import services as results_services
from scoring.results.models import ResultSnapshot
from tests.reviews.drafts.test_support import build_chain, pdf_upload, private_storage_in
from tests.scoring.conftest import ScoredWorld
from tests.servers import ROOT, AppServers, HttpClient, database_url_of_tests

BACKUP, RESTORE = str(ROOT / "deploy" / "backup.sh"), str(ROOT / "deploy" / "restore.sh")


def _run(script: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [script, *args], cwd=ROOT, env=os.environ | env, capture_output=True, text=True, timeout=120
    )


def _psql(url: str, sql: str) -> str:
    result = subprocess.run(["psql", url, "-XtAc", sql], capture_output=True, text=True, check=True)
    return result.stdout.strip()


@pytest.fixture
def meeting_with_a_draft(transactional_db, server_key, tmp_path, settings, monkeypatch):
    """A session whose results are published, and a secretary's draft with its file in the private root."""
    private_storage_in(tmp_path, settings, monkeypatch)  # tmp_path/"private"
    world = ScoredWorld(codes_per_group=3)
    world.chain = build_chain(world)
    world.draft = services_drafts.draft_save(
        actor=world.chain.shijia_user,
        report=world.reports[0],
        text="述职报告正文",
        item_answers={},
        file=pdf_upload("石匣乡述职报告.pdf"),
    )
    for i, code in enumerate(world.leader_codes + world.delegate_codes):
        marks = world.marks("good" if i % 2 else "fairly_good", r2="average")
        ballots_services.ballot_submit(code=code.token, marks=marks, submission_key=f"k{i}")
    ballots_services.scoring_close(actor=world.county_staff, session=world.session)
    world.snapshot = results_services.results_publish(actor=world.county_staff, session=world.session)
    world.private = tmp_path / "private"
    return world


@pytest.fixture
def restored_database():
    """An empty database on the same server, dropped after the test."""
    url = database_url_of_tests()
    name = connection.settings_dict["NAME"] + "_restored"
    _psql(url, f'DROP DATABASE IF EXISTS "{name}"')
    _psql(url, f'CREATE DATABASE "{name}"')
    yield url.rsplit("/", 1)[0] + "/" + name
    _psql(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_restored_into_an_empty_database_keeps_the_published_digests_and_the_private_files(
    meeting_with_a_draft, restored_database, static_root, tmp_path
):
    world = meeting_with_a_draft
    content = world.draft.file.open("rb").read()
    login = Client()
    login.force_login(world.chain.shijia_user)  # a session row: it is restored with the rest
    cookie = login.cookies["sessionid"].value
    roots = {"PRIVATE_MEDIA_ROOT": str(world.private), "MEDIA_ROOT": str(tmp_path / "media")}

    backup = _run(BACKUP, str(tmp_path / "backups"), DATABASE_URL=database_url_of_tests(), **roots)
    assert backup.returncode == 0, backup.stderr
    backup_dir = backup.stdout.strip().splitlines()[-1]
    assert sorted(os.listdir(backup_dir)) == ["SHA256SUMS", "database.dump", "media.tar.gz", "private.tar.gz"]

    shutil.rmtree(world.private)  # the wipe: the files are gone, the new database is empty
    restore = _run(RESTORE, backup_dir, DATABASE_URL=restored_database, **roots)
    assert restore.returncode == 0, restore.stderr
    assert world.snapshot.digest[:16] in restore.stdout  # results_verify recomputed it from the ballots
    assert _psql(restored_database, "SELECT digest FROM scoring_resultsnapshot") == world.snapshot.digest
    assert _psql(restored_database, "SELECT count(*) FROM scoring_ballot") == "6"

    with AppServers(restored_database, tmp_path, static_root, **roots) as servers:
        port = servers.start_web(workers=1)
        status, _, body = HttpClient(port, cookies={"sessionid": cookie}).get(
            reverse("drafts:file", args=[world.draft.pk])
        )
    assert status == 200 and body == content


def test_restore_refuses_a_database_that_is_not_empty_and_changes_nothing(meeting_with_a_draft, tmp_path):
    world = meeting_with_a_draft
    roots = {"PRIVATE_MEDIA_ROOT": str(world.private), "MEDIA_ROOT": str(tmp_path / "media")}
    backup = _run(BACKUP, str(tmp_path / "backups"), DATABASE_URL=database_url_of_tests(), **roots)
    backup_dir = backup.stdout.strip().splitlines()[-1]
    empty_files = {
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "new-private"),
        "MEDIA_ROOT": str(tmp_path / "new-media"),
    }

    restore = _run(RESTORE, backup_dir, DATABASE_URL=database_url_of_tests(), **empty_files)
    assert restore.returncode == 1
    assert "目标数据库不是空的" in restore.stderr and "nothing was changed" in restore.stderr
    assert not (tmp_path / "new-private").exists()
    assert ResultSnapshot.objects.get().digest == world.snapshot.digest
    assert Draft.objects.count() == 1


def test_restore_refuses_a_backup_whose_checksum_does_not_match(
    meeting_with_a_draft, restored_database, tmp_path
):
    world = meeting_with_a_draft
    roots = {"PRIVATE_MEDIA_ROOT": str(world.private), "MEDIA_ROOT": str(tmp_path / "media")}
    backup = _run(BACKUP, str(tmp_path / "backups"), DATABASE_URL=database_url_of_tests(), **roots)
    backup_dir = backup.stdout.strip().splitlines()[-1]
    with open(f"{backup_dir}/database.dump", "ab") as dump:
        dump.write(b"\0")
    empty_files = {"PRIVATE_MEDIA_ROOT": str(tmp_path / "new-private")}

    restore = _run(RESTORE, backup_dir, DATABASE_URL=restored_database, **empty_files)
    assert restore.returncode == 1 and "备份文件校验失败" in restore.stderr
    assert _psql(restored_database, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0"
