"""bin/serve-production with nginx in front of two gunicorn pools (deploy/nginx.conf).

A real production site is prepared in a temporary folder (DEBUG off,
collectstatic, baclofen loaded) and served by the real script: nginx answers
static files itself, pages and the heavy work (searches, leaflets, the admin)
go to separate gunicorn pools, so a page answers while the heavy pool is busy.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bench.environment import production_env

ROOT = Path(__file__).resolve().parent.parent
HEADERS = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(port: int, path: str, headers=None, timeout: float = 60):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={**HEADERS, **(headers or {})})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("proxy")
    env = production_env(folder)
    env.update({"GUNICORN_WORKERS": "1", "GUNICORN_HEAVY_WORKERS": "1"})
    for command in (
        ["migrate", "--noinput", "-v", "0"],
        ["collectstatic", "--noinput", "-v", "0"],
        ["load_content", str(ROOT / "content" / "baclofen.md")],
    ):
        subprocess.run(
            [sys.executable, "manage.py", *command], env=env, cwd=ROOT, check=True, timeout=300
        )
    return env


def _start(env: dict[str, str], port: int) -> subprocess.Popen:
    return subprocess.Popen(
        ["bin/serve-production"],
        cwd=ROOT,
        env={**env, "PROXY_BIND": f"127.0.0.1:{port}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its processes are found by their session
    )


def _wait_until_serving(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if _get(port, "/healthz", timeout=5)[0] in (200, 503):
                return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"serve-production did not start:\n{process.stdout.read()}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def server(site):
    port = _free_port()
    process = _start(site, port)
    _wait_until_serving(process, port)
    yield port, process
    _stop_session(process)


def _descendants(pid: int) -> set[int]:
    children: dict[int, set[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), set()).add(int(entry.name))
    found, stack = set(), [pid]
    while stack:
        for child in children.get(stack.pop(), ()):
            found.add(child)
            stack.append(child)
    return found


def _stop_session(process: subprocess.Popen) -> None:
    """Whatever happened in the test, nothing of the server outlives it."""
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=60)
    for pid in _in_session(process.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _in_session(session: int) -> set[int]:
    """Live processes of the session serve-production was started in (its pid)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == session and fields[0] != "Z":
                found.add(int(entry.name))
    return found


def test_static_files_come_from_nginx_cached_for_a_year(server):
    port, _ = server
    status, _, page = _get(port, "/medicines/baclofen/")
    assert status == 200
    stylesheet = re.search(rb'href="(/static/[^"]+\.css)"', page)[1].decode()

    status, headers, body = _get(port, stylesheet)
    _, gzip_headers, _ = _get(port, stylesheet, {"Accept-Encoding": "gzip"})

    assert status == 200 and body
    assert headers["Server"] == "nginx"
    assert "immutable" in headers["Cache-Control"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    # WhiteNoise's compressed copy, sent as it is.
    assert gzip_headers.get("Content-Encoding") == "gzip"


def test_pages_searches_and_the_admin_pass_through_with_djangos_headers(server):
    port, _ = server

    status, headers, page = _get(port, "/medicines/baclofen/")
    assert status == 200
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert b"Baclofen" in page
    assert _get(port, "/medicines/baclofen/", {"If-None-Match": headers["ETag"]})[0] == 304

    status, _, results = _get(port, "/search/?q=drowsy")
    assert status == 200 and b"baclofen" in results.lower()
    assert _get(port, "/medicines/")[0] == 200
    assert _get(port, "/admin/login/")[0] == 200
    # Public pages go out compressed; the admin's (a CSRF token inside) never.
    gzip = {"Accept-Encoding": "gzip"}
    assert _get(port, "/medicines/baclofen/", gzip)[1].get("Content-Encoding") == "gzip"
    assert _get(port, "/search/?q=drowsy", gzip)[1].get("Content-Encoding") == "gzip"
    assert "Content-Encoding" not in _get(port, "/admin/login/", gzip)[1]
    assert _get(port, "/no-such-page/")[0] == 404


def test_a_page_answers_while_the_heavy_workers_are_busy(server):
    # One heavy worker, rendering the leaflet PDFs (seconds each, the first time):
    # the page does not wait for them.
    port, _ = server
    finished: dict[str, float] = {}
    statuses: dict[str, int] = {}

    def fetch(name: str, path: str) -> None:
        status, _, _ = _get(port, path, timeout=120)
        statuses[name] = status
        finished[name] = time.monotonic()

    leaflets = [
        threading.Thread(target=fetch, args=(f"leaflet {size}", path))
        for size, path in (
            ("standard", "/medicines/baclofen/leaflet.pdf"),
            ("large", "/medicines/baclofen/leaflet.pdf?size=large"),
        )
    ]
    for thread in leaflets:
        thread.start()
    time.sleep(0.5)
    fetch("page", "/medicines/baclofen/")
    for thread in leaflets:
        thread.join(timeout=180)

    assert statuses["page"] == 200
    assert all(status in (200, 404) for status in statuses.values()), statuses
    assert finished["page"] < min(finished[f"leaflet {size}"] for size in ("standard", "large"))


def test_a_reload_keeps_serving_and_stopping_stops_nginx_and_both_pools(site):
    port = _free_port()
    process = _start(site, port)
    try:
        _wait_until_serving(process, port)
        processes = _descendants(process.pid)
        assert len(processes) >= 5  # nginx master and worker, two gunicorn masters and workers
        assert _in_session(process.pid) >= processes

        # Both pools up (a signal before gunicorn sets its handlers would end it).
        assert _get(port, "/search/?q=drowsy")[0] == 200
        time.sleep(3)  # gunicorn sets its signal handlers early, but not at once
        process.send_signal(signal.SIGHUP)  # gunicorn's new workers, nginx's configuration
        time.sleep(3)
        assert process.poll() is None, process.stdout.read()
        assert _get(port, "/medicines/baclofen/")[0] == 200
        assert _get(port, "/search/?q=drowsy")[0] == 200

        process.send_signal(signal.SIGTERM)

        assert process.wait(timeout=60) == 0
        deadline = time.monotonic() + 10
        while _in_session(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _in_session(process.pid)
    finally:
        _stop_session(process)


def test_when_nginx_cannot_listen_nothing_is_left_running(site):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = _start(site, port)
        output = process.communicate(timeout=120)[0]

    assert process.returncode != 0
    assert "Address already in use" in output
    assert "serve-production: nginx ended" in output
    deadline = time.monotonic() + 10
    while _in_session(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _in_session(process.pid)
