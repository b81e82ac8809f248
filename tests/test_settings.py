"""Settings: typed environment helpers and start-up checks.

Start-up is tested in a subprocess with a crafted environment, so the settings
module is imported fresh, as it is when the site starts.
"""

import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from druginfo.settings import env_bool, env_int, env_list, env_path

BASE_DIR = Path(__file__).resolve().parent.parent

PRINT_SECRET_KEY = (
    "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
)


def _run_django(tmp_path, env, *args):
    """Run ``args`` with python in the project root; only ``env`` and a few basics are set."""
    clean_env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "CACHE_URL", "SITE_URL", "STATIC_"))
    }
    clean_env.update({"DJANGO_VAR_DIR": str(tmp_path / "var"), "PYTHONDONTWRITEBYTECODE": "1"})
    clean_env.update(env)
    clean_env["DJANGO_SETTINGS_MODULE"] = "druginfo.settings"
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _production_env(**overrides):
    env = {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "druginfo.example.org",
    }
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("FALSE", False),
        ("1", True),
        ("0", False),
        ("yes", True),
        ("no", False),
        ("On", True),
        ("off", False),
        ("", True),
    ],
)
def test_env_bool_accepts_the_usual_words(monkeypatch, raw, expected):
    monkeypatch.setenv("DRUGINFO_TEST_FLAG", raw)
    assert env_bool("DRUGINFO_TEST_FLAG", True) is expected


def test_env_bool_rejects_maybe_and_names_the_variable(monkeypatch):
    monkeypatch.setenv("DRUGINFO_TEST_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DRUGINFO_TEST_FLAG='maybe'"):
        env_bool("DRUGINFO_TEST_FLAG", False)


def test_env_int_rejects_words_and_names_the_variable(monkeypatch):
    monkeypatch.setenv("DRUGINFO_TEST_NUMBER", "soon")
    with pytest.raises(ImproperlyConfigured, match="DRUGINFO_TEST_NUMBER"):
        env_int("DRUGINFO_TEST_NUMBER", 1)


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("DRUGINFO_TEST_LIST", " a.example , ,b.example,")
    assert env_list("DRUGINFO_TEST_LIST") == ["a.example", "b.example"]


def test_env_path_resolves_relative_paths_from_the_project_root(monkeypatch):
    monkeypatch.setenv("DRUGINFO_TEST_PATH", "some/dir")
    assert env_path("DRUGINFO_TEST_PATH", Path("/unused")) == BASE_DIR / "some" / "dir"


def test_debug_maybe_stops_start_up_naming_the_variable(tmp_path):
    result = _run_django(tmp_path, {"DJANGO_DEBUG": "maybe"}, "manage.py", "check")
    assert result.returncode != 0
    assert "DJANGO_DEBUG='maybe' is not a yes/no value" in result.stderr


@pytest.mark.parametrize(("raw", "message"), [("0", "must be 1 or more"), ("two", "whole number")])
def test_bad_search_writer_processes_stops_start_up_naming_the_variable(tmp_path, raw, message):
    result = _run_django(tmp_path, {"SEARCH_WRITER_PROCESSES": raw}, "manage.py", "check")
    assert result.returncode != 0
    assert "SEARCH_WRITER_PROCESSES=" in result.stderr
    assert message in result.stderr


def test_production_without_secret_key_stops_start_up(tmp_path):
    env = _production_env(DJANGO_SECRET_KEY=None)
    result = _run_django(tmp_path, env, "manage.py", "check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in result.stderr
    assert not (tmp_path / "var" / "secret_key").exists()


def test_production_without_allowed_hosts_stops_start_up(tmp_path):
    env = _production_env(DJANGO_ALLOWED_HOSTS=None)
    result = _run_django(tmp_path, env, "manage.py", "check")
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off" in result.stderr


def test_bad_database_url_is_named_without_echoing_the_password(tmp_path):
    env = {"DATABASE_URL": "nosuchdb://user:hunter2@host/db"}
    result = _run_django(tmp_path, env, "manage.py", "check")
    assert result.returncode != 0
    assert "DATABASE_URL is not a database address" in result.stderr
    assert "hunter2" not in result.stderr


def test_deploy_check_is_clean_under_production_variables(tmp_path):
    result = _run_django(
        tmp_path, _production_env(), "manage.py", "check", "--deploy", "--fail-level", "WARNING"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_development_secret_key_is_created_once_and_kept(tmp_path):
    first = _run_django(tmp_path, {}, "-c", PRINT_SECRET_KEY)
    second = _run_django(tmp_path, {}, "-c", PRINT_SECRET_KEY)

    key_file = tmp_path / "var" / "secret_key"
    assert first.returncode == 0, first.stderr
    assert len(first.stdout.strip()) >= 50
    assert second.stdout == first.stdout
    assert key_file.read_text().strip() == first.stdout.strip()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_given_secret_key_is_used_and_no_file_is_written(tmp_path):
    result = _run_django(tmp_path, {"DJANGO_SECRET_KEY": "x" * 60}, "-c", PRINT_SECRET_KEY)
    assert result.stdout.strip() == "x" * 60
    assert not (tmp_path / "var" / "secret_key").exists()
