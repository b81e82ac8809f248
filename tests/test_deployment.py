"""Running several app servers: the settings that choose shared parts, gunicorn's
settings (gunicorn.conf.py) and bin/serve-production.

The settings helpers are tested in-process; how they are wired into
druginfo/settings.py and gunicorn.conf.py is tested in a subprocess with a
crafted environment, as the servers start.
"""

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from druginfo.settings import _parse_cache_url, _parse_search_backend, _parse_storage

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ENGINE = "django.db.backends.postgresql"
SQLITE_ENGINE = "django.db.backends.sqlite3"


def _clean_env(tmp_path, **env: str) -> dict[str, str]:
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("DJANGO_", "DATABASE_", "CACHE_URL", "SEARCH_", "MEDIA_", "GUNICORN_", "STATIC_")
        )
    }
    clean.update(
        {
            "DJANGO_VAR_DIR": str(tmp_path / "var"),
            "DJANGO_SETTINGS_MODULE": "druginfo.settings",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    clean.update(env)
    return clean


# --- Search backend ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("engine", "expected"), [(SQLITE_ENGINE, "whoosh"), (POSTGRES_ENGINE, "postgres")]
)
def test_search_backend_follows_the_database_when_not_set(monkeypatch, engine, expected):
    monkeypatch.delenv("SEARCH_BACKEND", raising=False)

    assert _parse_search_backend("SEARCH_BACKEND", engine) == expected


def test_search_backend_whoosh_can_be_chosen_on_postgresql(monkeypatch):
    monkeypatch.setenv("SEARCH_BACKEND", "Whoosh")

    assert _parse_search_backend("SEARCH_BACKEND", POSTGRES_ENGINE) == "whoosh"


def test_postgres_search_on_sqlite_stops_start_up_with_the_reason(monkeypatch):
    monkeypatch.setenv("SEARCH_BACKEND", "postgres")

    with pytest.raises(ImproperlyConfigured, match="needs a PostgreSQL database"):
        _parse_search_backend("SEARCH_BACKEND", SQLITE_ENGINE)


def test_unknown_search_backend_is_an_error_not_a_guess(monkeypatch):
    monkeypatch.setenv("SEARCH_BACKEND", "elasticsearch")

    with pytest.raises(ImproperlyConfigured, match="use whoosh or postgres"):
        _parse_search_backend("SEARCH_BACKEND", POSTGRES_ENGINE)


# --- Cache and storage ---------------------------------------------------------------


def test_a_redis_cache_url_gives_djangos_redis_cache(monkeypatch):
    monkeypatch.setenv("CACHE_URL", "redis://cache.internal:6379/2")

    assert _parse_cache_url("CACHE_URL") == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.internal:6379/2",
    }


def test_storage_defaults_to_the_local_media_folder(monkeypatch):
    monkeypatch.delenv("MEDIA_STORAGE", raising=False)
    monkeypatch.delenv("MEDIA_STORAGE_OPTIONS", raising=False)

    assert _parse_storage("MEDIA_STORAGE", "MEDIA_STORAGE_OPTIONS") == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {},
    }


def test_storage_class_and_options_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("MEDIA_STORAGE", "storages.backends.s3.S3Storage")
    monkeypatch.setenv("MEDIA_STORAGE_OPTIONS", '{"bucket_name": "druginfo-media"}')

    assert _parse_storage("MEDIA_STORAGE", "MEDIA_STORAGE_OPTIONS") == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": "druginfo-media"},
    }


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("MEDIA_STORAGE", "S3Storage", "not a dotted class path"),
        ("MEDIA_STORAGE_OPTIONS", "{bucket: x}", "not a JSON object"),
        ("MEDIA_STORAGE_OPTIONS", '["location"]', "not a JSON object"),
    ],
)
def test_unusable_storage_settings_stop_start_up(monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)

    with pytest.raises(ImproperlyConfigured, match=message):
        _parse_storage("MEDIA_STORAGE", "MEDIA_STORAGE_OPTIONS")


def test_settings_of_an_app_server_on_postgresql_redis_and_a_shared_folder(tmp_path):
    shared = tmp_path / "shared-media"
    env = _clean_env(
        tmp_path,
        DATABASE_URL="postgres://druginfo:secret@db.internal:5432/druginfo",
        CACHE_URL="redis://cache.internal:6379/0",
        MEDIA_STORAGE_OPTIONS=json.dumps({"location": str(shared)}),
    )
    code = (
        "import django, json; django.setup(); from django.conf import settings;"
        "from django.core.files.storage import default_storage;"
        "print(json.dumps([settings.SEARCH_BACKEND, settings.CACHES['default']['BACKEND'],"
        " str(default_storage.location)]))"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        "postgres",
        "django.core.cache.backends.redis.RedisCache",
        str(shared),
    ]


# --- gunicorn and bin/serve-production --------------------------------------------


def _gunicorn_config(tmp_path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "--print-config"],
        cwd=ROOT,
        env=_clean_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _setting(output: str, name: str) -> str:
    return re.search(rf"^{name}\s+= (.*)$", output, re.M)[1]


@pytest.fixture(scope="module")
def default_gunicorn_config(tmp_path_factory) -> str:
    result = _gunicorn_config(tmp_path_factory.mktemp("gunicorn"))
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_gunicorn_takes_workers_and_address_from_the_environment(tmp_path):
    result = _gunicorn_config(tmp_path, GUNICORN_WORKERS="3", GUNICORN_BIND="10.0.0.5:8001")

    assert result.returncode == 0, result.stderr
    assert _setting(result.stdout, "workers") == "3"
    assert _setting(result.stdout, "bind") == "['10.0.0.5:8001']"
    assert _setting(result.stdout, "wsgi_app") == "druginfo.wsgi:application"


def test_gunicorn_runs_two_workers_per_core_and_one_more_by_default(default_gunicorn_config):
    assert _setting(default_gunicorn_config, "workers") == str(2 * os.cpu_count() + 1)
    assert _setting(default_gunicorn_config, "bind") == "['127.0.0.1:8000']"


def test_gunicorn_keeps_no_access_log_unless_asked(default_gunicorn_config):
    assert _setting(default_gunicorn_config, "accesslog") == "None"


def test_gunicorn_lets_requests_in_progress_finish_on_a_restart(default_gunicorn_config):
    assert _setting(default_gunicorn_config, "graceful_timeout") == "30"
    assert _setting(default_gunicorn_config, "timeout") == "60"


def test_gunicorn_keeps_connections_alive_with_one_request_per_worker_by_default(
    default_gunicorn_config,
):
    # Sync workers close every connection; under load the reconnections made one
    # request in a hundred wait most of a second (bench/README.md, "pages.py").
    assert _setting(default_gunicorn_config, "worker_class") == "gthread"
    assert _setting(default_gunicorn_config, "threads") == "1"
    assert _setting(default_gunicorn_config, "keepalive") == "5"


def test_gunicorn_replaces_a_worker_only_after_many_requests(default_gunicorn_config):
    # Each replacement makes requests wait about a second for Django to start:
    # at 5,000 that happened every few seconds under load.
    assert int(_setting(default_gunicorn_config, "max_requests")) >= 100_000
    assert int(_setting(default_gunicorn_config, "max_requests_jitter")) > 0


def test_gunicorn_takes_threads_from_the_environment(tmp_path):
    result = _gunicorn_config(tmp_path, GUNICORN_THREADS="4")

    assert result.returncode == 0, result.stderr
    assert _setting(result.stdout, "threads") == "4"


def test_the_production_server_answers_several_requests_on_one_connection(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=_clean_env(tmp_path, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        connection = _connect_when_listening(port)
        statuses = []
        for _ in range(3):
            connection.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
            assert not response.will_close, response.getheader("Connection")
        first_socket = connection.sock
        connection.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
        connection.getresponse().read()

        assert connection.sock is first_socket  # not reconnected
        assert all(status in (200, 503) for status in statuses), statuses
        connection.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


def _connect_when_listening(port: int) -> http.client.HTTPConnection:
    deadline = time.monotonic() + 30
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.connect()
            return connection
        except OSError:
            connection.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_an_access_log_never_records_search_terms_or_referrers(tmp_path):
    result = _gunicorn_config(tmp_path, GUNICORN_ACCESS_LOG="true")

    log_format = _setting(result.stdout, "access_log_format")
    assert _setting(result.stdout, "accesslog") == "-"
    assert "%(U)s" in log_format  # the path alone
    for with_query_or_referrer in ("%(r)s", "%(q)s", "%(f)s", "%(u)s"):
        assert with_query_or_referrer not in log_format


@pytest.mark.parametrize(
    ("variable", "value"),
    [("GUNICORN_WORKERS", "many"), ("GUNICORN_THREADS", "0"), ("GUNICORN_ACCESS_LOG", "sometimes")],
)
def test_a_bad_gunicorn_setting_stops_start_up_naming_it(tmp_path, variable, value):
    result = _gunicorn_config(tmp_path, **{variable: value})

    assert result.returncode != 0
    assert variable in result.stderr


def test_serve_production_refuses_to_run_in_debug_mode(tmp_path):
    result = subprocess.run(
        ["bin/serve-production"],
        cwd=ROOT,
        env=_clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert "set DJANGO_DEBUG=false" in result.stderr


def test_serve_production_stops_at_settings_that_cannot_work(tmp_path):
    result = subprocess.run(
        ["bin/serve-production"],
        cwd=ROOT,
        env=_clean_env(tmp_path, DJANGO_DEBUG="false", DJANGO_ALLOWED_HOSTS="example.org"),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr
