"""The publish outbox (followups.py): a publish killed after its commit heals itself.

The kill tests run the publish in a real subprocess on a database of its own
(SQLite with the whoosh index; in the PostgreSQL pass, a fresh PostgreSQL
database with its own search backend) and end it with os._exit right after the
commit, before its follow-up: an on_commit callback registered ahead of the
publish's own runs first. What is left is then inspected, and healed, by
further subprocesses: requests through the real middleware stack, and
`manage.py complete_publishes`.
"""

from __future__ import annotations

import datetime
import json
import os
import secrets
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from monographs import followups, search
from monographs.models import Medicine, PublishFollowUp, Version
from monographs.search import whoosh as whoosh_search
from tests.conftest import database_is_postgresql
from tests.factories import load_example, load_files, monograph_text, write_monograph

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
KILLED = 17  # the exit status of a publish ended right after its commit

# Run in the subprocesses: python -c CHILD ACTION [ARG]
CHILD = textwrap.dedent(
    """
    import datetime, json, os, sys

    import django
    from django.db import transaction

    django.setup()

    from django.contrib.auth import get_user_model
    from django.test import Client

    from monographs import editing, search
    from monographs.loading import load_content
    from monographs.models import Medicine, PublishFollowUp

    action = sys.argv[1]


    def die_after_commit():
        # Registered before the publish's own callback, so it runs first: the
        # process ends with the commit done and the follow-up not begun.
        transaction.on_commit(lambda: os._exit(17))


    if action == "load":
        with transaction.atomic():
            if sys.argv[3] == "die":
                die_after_commit()
            report = load_content([sys.argv[2]])
        assert report.ok, report.problems
    elif action == "publish":
        users = get_user_model().objects
        editor = users.create_superuser("editor", "e@example.org", "pw")
        reviewer = users.create_superuser("reviewer", "r@example.org", "pw")
        medicine = Medicine.objects.get(slug="examplamide")
        text = medicine.latest_version().source_text.replace("- Hair loss", "- Brittle nails")
        draft = editing.save_draft(medicine, text, base_number=1, user=editor)
        editing.submit_for_review(draft, user=editor)
        with transaction.atomic():
            if sys.argv[2] == "die":
                die_after_commit()
            editing.publish(
                draft,
                user=reviewer,
                change_summary="Nails, not hair.",
                last_reviewed=datetime.date.today(),
                next_review=datetime.date.today() + datetime.timedelta(days=365),
            )
    elif action == "inspect":
        client = Client(HTTP_HOST="localhost")
        first = client.get("/healthz")  # through every middleware, then the view
        found = search.search("brittle nails").total
        second = client.get("/healthz")
        print(json.dumps({
            "found": found,
            "first": [first.status_code, first.json()],
            "second": [second.status_code, second.json()],
            "rows": PublishFollowUp.objects.count(),
        }))
    """
)


@pytest.fixture
def site(tmp_path, services_if_postgresql):
    """A migrated database of its own with examplamide v1 published and indexed, and a
    function running CHILD (or manage.py) in a subprocess against it."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "CACHE_URL", "SEARCH_", "CONTENT_"))
        and not key.startswith(("PUBLISH_FOLLOWUP_", "LEAFLETS_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "druginfo.settings",
            "DJANGO_VAR_DIR": str(tmp_path / "var"),
            "CONTENT_DIR": str(tmp_path / "content"),
            "LEAFLETS_RENDER_ON_PUBLISH": "false",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONPATH": str(ROOT),
        }
    )
    database = None
    if services_if_postgresql:
        database = f"druginfo_followups_{secrets.token_hex(4)}"
        server = services_if_postgresql["postgres"]
        _postgres(server, f'CREATE DATABASE "{database}"')
        env["DATABASE_URL"] = urlunsplit(urlsplit(server)._replace(path=f"/{database}"))
    else:
        env["SEARCH_BACKEND"] = "whoosh"

    def run(*args: str, expect: int = 0, **extra_env: str) -> str:
        command = ["manage.py", *args[1:]] if args[0] == "manage" else ["-c", CHILD, *args]
        done = subprocess.run(
            [sys.executable, *command],
            cwd=ROOT,
            env={**env, **extra_env},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == expect, done.stdout + done.stderr
        return done.stdout

    content = tmp_path / "content"
    write_monograph(content, "examplamide", monograph_text())
    run("manage", "migrate", "--no-input")
    run("load", str(content / "examplamide.md"), "live")
    try:
        yield run, content
    finally:
        if database:
            _postgres(server, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture
def services_if_postgresql(request):
    """The PostgreSQL and Redis addresses in the PostgreSQL pass, else None."""
    return request.getfixturevalue("services") if database_is_postgresql() else None


def _postgres(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(sql)


def _inspect(run, **extra_env) -> dict:
    return json.loads(run("inspect", **extra_env).strip().splitlines()[-1])


def _kill_a_load_after_its_commit(run, content: Path) -> None:
    changed = monograph_text(version=2).replace("- Hair loss", "- Brittle nails")
    path = write_monograph(content, "examplamide", changed)
    run("load", str(path), "die", expect=KILLED)


def _assert_left_pending(run) -> None:
    """The killed publish is committed, its text not yet searchable: 200, pending 1."""
    state = _inspect(run)  # the default grace period: a request leaves the row alone
    assert state["found"] == 0
    assert state["first"] == [
        200,
        {"status": "ok", "database": "ok", "search_index": "pending", "pending": 1},
    ]
    assert state["rows"] == 1


def _assert_healed(state: dict) -> None:
    assert state["found"] == 1
    assert state["second"] == [200, {"status": "ok", "database": "ok", "search_index": "ok"}]
    assert state["rows"] == 0


def test_a_load_killed_after_its_commit_is_completed_by_a_later_request(site):
    run, content = site
    _kill_a_load_after_its_commit(run, content)
    _assert_left_pending(run)

    # Past the grace period, the first request completes the leftover before its view.
    healed = _inspect(run, PUBLISH_FOLLOWUP_GRACE_SECONDS="0", PUBLISH_FOLLOWUP_CHECK_SECONDS="0")

    _assert_healed(healed)
    assert healed["first"][1].get("pending") is None


def test_a_load_killed_after_its_commit_is_completed_by_complete_publishes(site):
    run, content = site
    _kill_a_load_after_its_commit(run, content)
    _assert_left_pending(run)

    output = run("manage", "complete_publishes")

    lines = output.strip().splitlines()
    assert lines[0].startswith("complete_publishes: follow-up ")
    assert lines[0].endswith(": completed")
    assert lines[-1] == "complete_publishes: 1 completed, 0 failed, 0 still pending"
    _assert_healed(_inspect(run))


def test_an_editor_publish_killed_after_its_commit_is_completed_by_a_later_request(site):
    run, _content = site
    run("publish", "die", expect=KILLED)
    _assert_left_pending(run)

    healed = _inspect(run, PUBLISH_FOLLOWUP_GRACE_SECONDS="0", PUBLISH_FOLLOWUP_CHECK_SECONDS="0")

    _assert_healed(healed)


def test_an_editor_publish_killed_after_its_commit_is_completed_by_complete_publishes(site):
    run, _content = site
    run("publish", "die", expect=KILLED)
    _assert_left_pending(run)

    run("manage", "complete_publishes")

    _assert_healed(_inspect(run))


def test_a_publish_that_is_not_killed_completes_its_own_follow_up(site):
    run, _content = site
    run("publish", "live")

    _assert_healed(_inspect(run))


# --- In the test process -----------------------------------------------------------


def _changed_example(settings) -> Path:
    text = monograph_text(version=2).replace("- Hair loss", "- Brittle nails")
    return write_monograph(settings.CONTENT_DIR, "examplamide", text)


def test_a_publish_records_its_follow_up_and_completes_it_on_commit(
    settings, django_capture_on_commit_callbacks, search_backend
):
    load_example(settings.CONTENT_DIR)
    search.rebuild()
    PublishFollowUp.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        load_files(_changed_example(settings))
    (row,) = PublishFollowUp.objects.all()
    version = Medicine.objects.get().published_version
    assert (row.bulk, row.version_ids, row.needs_index) == (False, [version.pk], True)

    for callback in callbacks:
        callback()

    assert not PublishFollowUp.objects.exists()
    assert search.search("brittle nails").total == 1


def test_a_bulk_load_records_one_bulk_row(settings, monkeypatch, whoosh_backend):
    monkeypatch.setattr(search, "PUBLISH_REINDEX_LIMIT", 2)
    paths = [
        write_monograph(settings.CONTENT_DIR, slug, monograph_text(slug=slug))
        for slug in ("examplamide", "examplamide-two", "examplamide-three")
    ]

    load_files(*paths)

    (row,) = PublishFollowUp.objects.all()
    assert (row.bulk, row.version_ids, row.needs_index, row.needs_leaflets) == (
        True,
        [],
        True,
        False,
    )


def test_a_bulk_row_waits_for_complete_publishes_and_healthz_says_the_index_is_stale(
    settings, monkeypatch, client, django_capture_on_commit_callbacks, search_backend
):
    search.rebuild()
    monkeypatch.setattr(search, "PUBLISH_REINDEX_LIMIT", 1)
    settings.PUBLISH_FOLLOWUP_GRACE_SECONDS = 0
    settings.PUBLISH_FOLLOWUP_CHECK_SECONDS = 0
    paths = [
        write_monograph(settings.CONTENT_DIR, slug, monograph_text(slug=slug))
        for slug in ("examplamide", "examplamide-two")
    ]
    with django_capture_on_commit_callbacks(execute=True):
        load_files(*paths)

    # Requests do not rebuild the whole index: the operator's commands do.
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["search_index"]
    assert response.json()["pending"] == 1

    call_command("complete_publishes", verbosity=0)

    assert search.search("examplamide").total == 2
    assert client.get("/healthz").json() == {
        "status": "ok",
        "database": "ok",
        "search_index": "ok",
    }


def test_a_failing_follow_up_records_the_error_and_healthz_fails_after_the_attempts(
    settings, client, django_capture_on_commit_callbacks, whoosh_backend
):
    load_example(settings.CONTENT_DIR)
    search.rebuild()
    PublishFollowUp.objects.all().delete()
    # The index stays readable but cannot be written: its lock file is a folder.
    lock = Path(settings.SEARCH_INDEX_DIR) / whoosh_search.LOCK_FILE
    lock.unlink()
    lock.mkdir()
    settings.PUBLISH_FOLLOWUP_MAX_ATTEMPTS = 3

    with django_capture_on_commit_callbacks(execute=True):
        load_files(_changed_example(settings))

    (row,) = PublishFollowUp.objects.all()
    assert row.attempts == 1
    assert row.last_error.startswith("IsADirectoryError")
    assert row.claimed_until is None  # free for the next try
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["pending"] == 1

    for attempt in (2, 3):
        report = followups.complete_followups()
        assert (report.completed, report.failed) == (0, 1)
        assert PublishFollowUp.objects.get().attempts == attempt

    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "ok",
        "search_index": "error",
        "publishing": "error",
        "pending": 1,
        "failing": ["search_index", "publishing"],
    }

    lock.rmdir()
    call_command("complete_publishes", verbosity=0)
    assert client.get("/healthz").status_code == 200
    assert search.search("brittle nails").total == 1


def test_a_row_stuck_past_the_limit_fails_healthz(settings, client, search_backend):
    load_example(settings.CONTENT_DIR)
    search.rebuild()
    settings.PUBLISH_FOLLOWUP_STUCK_SECONDS = 600
    PublishFollowUp.objects.update(created_at=timezone.now() - datetime.timedelta(seconds=599))
    assert client.get("/healthz").status_code == 200

    PublishFollowUp.objects.update(created_at=timezone.now() - datetime.timedelta(seconds=601))

    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["publishing"]


def test_a_request_leaves_a_row_in_its_grace_period_alone(settings, client, search_backend):
    search.rebuild()
    load_example(settings.CONTENT_DIR)  # its on-commit follow-up never runs in a test
    settings.PUBLISH_FOLLOWUP_CHECK_SECONDS = 0
    settings.PUBLISH_FOLLOWUP_GRACE_SECONDS = 30

    assert client.get("/healthz").json()["pending"] == 1
    assert search.search("examplamide").total == 0

    PublishFollowUp.objects.update(created_at=timezone.now() - datetime.timedelta(seconds=31))
    response = client.get("/healthz")

    assert response.json() == {"status": "ok", "database": "ok", "search_index": "ok"}
    assert search.search("examplamide").total == 1


def test_a_failing_check_does_not_fail_the_request(settings, client, whoosh_backend):
    search.rebuild()
    Path(settings.SEARCH_INDEX_DIR, whoosh_search.LOCK_FILE).unlink()
    Path(settings.SEARCH_INDEX_DIR, whoosh_search.LOCK_FILE).mkdir()
    load_example(settings.CONTENT_DIR)
    settings.PUBLISH_FOLLOWUP_CHECK_SECONDS = 0
    settings.PUBLISH_FOLLOWUP_GRACE_SECONDS = 0

    response = client.get("/medicines/examplamide/")

    assert response.status_code == 200
    assert PublishFollowUp.objects.get().attempts == 1


def test_requests_check_at_most_once_per_interval(settings, client, search_backend):
    search.rebuild()
    settings.PUBLISH_FOLLOWUP_CHECK_SECONDS = 3600
    settings.PUBLISH_FOLLOWUP_GRACE_SECONDS = 0
    load_example(settings.CONTENT_DIR)

    client.get("/healthz")

    # The first check is due an interval after the process starts.
    assert PublishFollowUp.objects.count() == 1


def test_a_row_another_process_is_working_on_is_skipped(settings, search_backend):
    load_example(settings.CONTENT_DIR)
    PublishFollowUp.objects.update(claimed_until=timezone.now() + datetime.timedelta(minutes=5))

    assert followups.complete_followups().completed == 0

    PublishFollowUp.objects.update(claimed_until=timezone.now() - datetime.timedelta(seconds=1))
    assert followups.complete_followups().completed == 1
    assert not PublishFollowUp.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_row_another_process_has_locked_is_skipped_without_waiting():
    # PostgreSQL: the claim locks rows with SKIP LOCKED, so a second process
    # neither waits for the first nor does the same row.
    row = PublishFollowUp.objects.create(needs_index=False)
    locked, release = threading.Event(), threading.Event()

    def hold_the_row():
        try:
            with transaction.atomic():
                list(PublishFollowUp.objects.select_for_update().filter(pk=row.pk))
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        assert locked.wait(30)
        started = time.monotonic()
        assert followups.complete_followups().completed == 0
        assert time.monotonic() - started < 5
    finally:
        release.set()
        holder.join()

    assert followups.complete_followups().completed == 1
    assert not PublishFollowUp.objects.exists()


def test_rebuild_index_clears_the_search_work_it_covered(settings, search_backend):
    settings.LEAFLETS_RENDER_ON_PUBLISH = True
    load_example(settings.CONTENT_DIR, "examplamide")
    settings.LEAFLETS_RENDER_ON_PUBLISH = False
    load_example(settings.CONTENT_DIR, "examplamide-two")

    call_command("rebuild_index", verbosity=0)

    # The first row still owes its leaflets; the second had nothing else to do.
    (row,) = PublishFollowUp.objects.all()
    assert (row.needs_index, row.needs_leaflets) == (False, True)
    assert row.version_ids == [Medicine.objects.get(slug="examplamide").published_version_id]


def test_render_leaflets_clears_the_leaflet_work_it_covered(settings, search_backend):
    settings.LEAFLETS_RENDER_ON_PUBLISH = True
    load_example(settings.CONTENT_DIR, "examplamide")
    PublishFollowUp.objects.update(needs_index=False)

    call_command("render_leaflets", "--slug", "examplamide-other", verbosity=0)
    assert PublishFollowUp.objects.count() == 1  # not its medicine

    call_command("render_leaflets", verbosity=0)
    assert not PublishFollowUp.objects.exists()
    assert Version.objects.count() == 1


def test_leftover_index_files_are_removed_only_while_no_writer_runs(settings, whoosh_backend):
    search.rebuild()
    directory = Path(settings.SEARCH_INDEX_DIR)
    (directory / "MAIN.tmp").mkdir()  # as a killed writer leaves it
    (directory / "MAIN.tmp" / "part.seg").write_bytes(b"half")

    with whoosh_search._write_lock(directory):  # a writer at work: its files are not touched
        assert search.remove_leftover_files() == []
        assert (directory / "MAIN.tmp").is_dir()

    assert search.remove_leftover_files() == ["MAIN.tmp"]
    assert search.search("examplamide").total == 0  # the index still opens
