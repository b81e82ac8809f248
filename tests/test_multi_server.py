"""Several app servers: a version published through one is served by another at once.

Two gunicorn instances with production settings (DEBUG off, gunicorn.conf.py)
on two loopback ports share what several servers of the real site share: one
PostgreSQL database (created for this test and dropped after it; search uses
its full-text backend), one Redis cache (a database number of its own, emptied
after) and one media folder. An editor publishes a new version of baclofen
through the admin of server A; server B must at once serve the new page (from
its page cache in Redis, which was holding the old one), find a word only the
new version has, and hand out the new leaflet, which A rendered into the
shared media folder on publishing.

Needs PostgreSQL and Redis (``postgres`` marker, see conftest.services).
"""

from __future__ import annotations

import contextlib
import datetime
import html
import http.client
import io
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg
import pytest
import redis
from pypdf import PdfReader

from tests.factories import BACLOFEN

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
# A Redis database of its own, so the test never touches the cache of the
# test run (or of anything else) on the same server.
REDIS_DB = 15
PASSWORD = "multi-server-" + secrets.token_hex(8)
# A word only the new version has: a made-up side effect.
NEW_WORD = "Quillwort"
START_TIMEOUT = 30


@pytest.fixture
def shared_services(services, tmp_path):
    """A fresh PostgreSQL database, an empty Redis database and a media folder; removed after."""
    name = f"druginfo_multi_server_{secrets.token_hex(4)}"
    with psycopg.connect(services["postgres"], autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    cache_url = f"{services['redis']}/{REDIS_DB}"
    cache = redis.Redis.from_url(cache_url)
    cache.flushdb()
    try:
        yield {
            "database_url": urlunsplit(urlsplit(services["postgres"])._replace(path=f"/{name}")),
            "cache_url": cache_url,
            "media": tmp_path / "media",
        }
    finally:
        cache.flushdb()
        with psycopg.connect(services["postgres"], autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _production_env(shared, var_dir: Path) -> dict[str, str]:
    """Production settings; ``var_dir`` is the machine's own (secret key, search index files)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "CACHE_", "SEARCH_", "GUNICORN_"))
    }
    env.update(
        {
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            # The balancer in front terminates HTTPS and says so in X-Forwarded-Proto.
            "DJANGO_SECURE_PROXY_SSL_HEADER": "true",
            "DJANGO_VAR_DIR": str(var_dir),
            "DATABASE_URL": shared["database_url"],
            "CACHE_URL": shared["cache_url"],
            "MEDIA_ROOT": str(shared["media"]),
            # Static files from the source tree: this test needs no collectstatic.
            "STATIC_MANIFEST": "false",
            "SITE_URL": "https://127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "LEAFLETS_RENDER_ON_PUBLISH": "true",
            "GUNICORN_WORKERS": "2",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def _manage(env: dict[str, str], *args: str, **extra_env: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**env, **extra_env},
        check=True,
        capture_output=True,
        timeout=120,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def _gunicorn(env: dict[str, str], name: str, log_dir: Path):
    """Start gunicorn with gunicorn.conf.py on a free port; yield a client; always stop it."""
    port = _free_port()
    log = (log_dir / f"gunicorn-{name}.log").open("wb")
    process = subprocess.Popen(
        [GUNICORN, "--config", "gunicorn.conf.py"],
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        client = _Client(port)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn {name} exited: {_tail(log_dir / log.name)}")
            try:
                if client.get("/healthz").status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn {name} not healthy in {START_TIMEOUT} s: {_tail(log.name)}")
            time.sleep(0.2)
        yield client
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _tail(path) -> str:
    return Path(path).read_text(errors="replace")[-2000:]


class _Response:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode()


class _Client:
    """An HTTP client for one server, as a browser behind the HTTPS balancer would be.

    Keeps its cookies itself: they are marked Secure, which http.cookiejar would
    never send over this plain loopback connection.
    """

    def __init__(self, port: int):
        self.port = port
        self.host = f"127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}

    def get(self, path: str, **params: str) -> _Response:
        if params:
            path = f"{path}?{urlencode(params)}"
        return self._request("GET", path)

    def post(self, path: str, form: dict[str, str]) -> _Response:
        form = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **form}
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"https://{self.host}",
        }
        return self._request("POST", path, urlencode(form).encode(), headers)

    def _request(self, method: str, path: str, body: bytes | None = None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            all_headers = {"Host": self.host, "X-Forwarded-Proto": "https", **(headers or {})}
            if self.cookies:
                all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            result = _Response(response.status, response.headers, response.read())
        finally:
            connection.close()
        for header in result.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return result


def _log_in(client: _Client, username: str) -> None:
    client.get("/admin/login/")  # the CSRF cookie
    response = client.post(
        "/admin/login/", {"username": username, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status == 302, response.text[:2000]
    assert "sessionid" in client.cookies


def _publish_new_version(client: _Client, medicine_id: int, text: str) -> None:
    """As in the admin: the editor saves a draft and sends it for review, then a
    reviewer (nobody publishes their own version) publishes it."""
    admin = f"/admin/monographs/medicine/{medicine_id}"
    client.get(f"{admin}/change/")
    saved = client.post(f"{admin}/change/", {"source_text": text, "base_number": "1"})
    assert saved.status == 302, _admin_errors(saved)
    submitted = client.post(f"{admin}/versions/2/submit/", {})
    assert submitted.status == 302, _admin_errors(submitted)
    client.cookies.clear()
    _log_in(client, "reviewer")
    today = datetime.datetime.now(datetime.UTC).date()
    published = client.post(
        f"{admin}/versions/2/publish/",
        {
            "change_summary": f"Adds {NEW_WORD} rash, a side effect.",
            "last_reviewed": today.isoformat(),
            "next_review": (today + datetime.timedelta(days=365)).isoformat(),
        },
    )
    assert published.status == 302, _admin_errors(published)


def _admin_errors(response: _Response) -> str:
    found = re.findall(r'<ul class="errorlist[^"]*">(.*?)</ul>', response.text, re.S)
    return f"{response.status}: {found or response.text[:1500]}"


def _version_shown(page: str) -> int:
    return int(re.search(r">Version (\d+)<span", page)[1])


def _pdf_text(body: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def _medicine_id(database_url: str) -> int:
    with psycopg.connect(database_url) as connection:
        row = connection.execute("SELECT id FROM monographs_medicine WHERE slug = 'baclofen'")
        return row.fetchone()[0]


def test_a_version_published_through_one_server_is_served_by_the_other_at_once(
    shared_services, tmp_path
):
    env = _production_env(shared_services, tmp_path / "jobs")
    source = (BACLOFEN).read_text(encoding="utf-8")
    assert "- Hair loss\n" in source and NEW_WORD.lower() not in source.lower()
    # Once per release, from any one machine: migrations and the content jobs.
    _manage(env, "migrate", "--noinput")
    _manage(env, "load_content", str(BACLOFEN))
    _manage(env, "rebuild_index")
    _manage(
        env,
        "createsuperuser",
        "--noinput",
        "--username=editor",
        "--email=editor@example.org",
        DJANGO_SUPERUSER_PASSWORD=PASSWORD,
    )
    _manage(
        env,
        "createsuperuser",
        "--noinput",
        "--username=reviewer",
        "--email=reviewer@example.org",
        DJANGO_SUPERUSER_PASSWORD=PASSWORD,
    )
    medicine_id = _medicine_id(shared_services["database_url"])

    # Two machines: their own local folders, the shared database, cache and media.
    env_a = {**env, "DJANGO_VAR_DIR": str(tmp_path / "a")}
    env_b = {**env, "DJANGO_VAR_DIR": str(tmp_path / "b")}
    cache = redis.Redis.from_url(shared_services["cache_url"])
    with _gunicorn(env_a, "a", tmp_path) as server_a, _gunicorn(env_b, "b", tmp_path) as server_b:
        # B has served version 1 of everything, its page from the cache in Redis.
        assert _version_shown(server_b.get("/medicines/baclofen/").text) == 1
        assert _version_shown(server_b.get("/medicines/baclofen/").text) == 1
        assert cache.keys("*monographs:page:baclofen:*")
        assert "Nothing was found" in server_b.get("/search/", q=NEW_WORD).text
        old_leaflet = server_b.get("/medicines/baclofen/leaflet.pdf")
        assert old_leaflet.status == 200
        assert "Version 1," in _pdf_text(old_leaflet.body)

        _log_in(server_a, "editor")
        new_text = source.replace("- Hair loss\n", f"- Hair loss\n- {NEW_WORD} rash\n", 1)
        _publish_new_version(server_a, medicine_id, new_text)

        page = server_b.get("/medicines/baclofen/")
        assert page.status == 200
        assert _version_shown(page.text) == 2
        assert f"{NEW_WORD} rash" in page.text

        results = server_b.get("/search/", q=NEW_WORD.lower())
        assert results.status == 200
        assert "1 medicine found" in results.text
        assert f"Side effects: {NEW_WORD} rash" in html.unescape(results.text)

        leaflet = server_b.get("/medicines/baclofen/leaflet.pdf")
        assert leaflet.status == 200
        text = _pdf_text(leaflet.body)
        assert "Version 2," in text
        assert f"{NEW_WORD} rash" in text
        # The very file A rendered on publishing, from the shared media folder.
        stored = shared_services["media"] / "leaflets/baclofen/baclofen-leaflet-v2.pdf"
        assert leaflet.body == stored.read_bytes()

        assert server_b.get("/healthz").status == 200
