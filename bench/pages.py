"""Page benchmark: the baclofen page served by gunicorn, cached and uncached, against a static file.

Builds a throw-away production site in a temporary folder (DEBUG off, a
SQLite database, collectstatic, baclofen loaded), then, on a free loopback port:

1. gunicorn as bin/serve-production runs it (gunicorn.conf.py: gthread workers
   keeping connections alive), 2 workers, with the page cache on: the monograph page,
   and the same bytes saved as a static file served through WhiteNoise by
   the same server;
2. gunicorn with a dummy cache: the monograph page rendered on every request;
3. in-process: the median time of 50 uncached renders with Django's test client.

Each case runs a few seconds against 127.0.0.1 only, with wrk when it is
installed, otherwise a small Python load generator (threads, keep-alive
http.client). The static file and the cached page are measured in alternating
rounds and the best round of each is kept, as other work on the machine
disturbs single runs. Prints requests per second, p50/p99 latency and the ratios.
Targets: the cached page at 0.8 or more of the static file's rate; the
uncached render under 30 ms median.

    .venv/bin/python bench/pages.py [--seconds 5] [--connections 4] [--rounds 3]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.environment import production_env  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PAGE = "/medicines/baclofen/"
STATIC_COPY = "bench/baclofen.html"
# The settings trust X-Forwarded-Proto from the proxy (DJANGO_SECURE_PROXY_SSL_HEADER),
# so the HTTPS redirect of production leaves these requests alone.
HEADERS = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each case")
    parser.add_argument("--connections", type=int, default=4, help="concurrent connections")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of static and cached")
    parser.add_argument(
        "--proxy",
        choices=["none", "nginx"],
        default="none",
        help="gunicorn alone (static files through WhiteNoise), or bin/serve-production's nginx",
    )
    parser.add_argument("--render-timing", metavar="N", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    _gunicorn.PROXY = args.proxy
    if args.render_timing:
        _print_render_timing(args.render_timing)
        return

    with tempfile.TemporaryDirectory(prefix="druginfo-bench-") as folder:
        env = production_env(Path(folder), DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver")
        _prepare_site(env)
        static_root = Path(folder) / "static"
        tool = "wrk" if shutil.which("wrk") else "python"
        print(f"load generator: {tool}, {args.connections} connections, {args.seconds:g} s a case")

        with _gunicorn(env, "locmem://") as port:
            page = _get(port, PAGE)
            (static_root / STATIC_COPY).parent.mkdir(parents=True, exist_ok=True)
            (static_root / STATIC_COPY).write_bytes(page)
        # WhiteNoise lists the static files when the server starts.
        with _gunicorn(env, "locmem://") as port:
            assert _get(port, "/static/" + STATIC_COPY) == _get(port, PAGE), "bytes differ"
            _show_static_headers(port, static_root)
            rounds = []
            for _ in range(args.rounds):  # alternated, so that a busy moment hits both
                rounds.append(
                    (
                        _measure(port, "/static/" + STATIC_COPY, args, tool),
                        _measure(port, PAGE, args, tool),
                    )
                )
        with _gunicorn(env, "dummy://") as port:
            uncached = _measure(port, PAGE, args, tool)
        render_ms = _render_timing(env)

    for number, (static, cached) in enumerate(rounds, start=1):
        print(
            f"round {number}: static {static['rps']:.0f} req/s (p99 {static['p99']:.1f} ms), "
            f"cached page {cached['rps']:.0f} req/s (p99 {cached['p99']:.1f} ms), "
            f"ratio {cached['rps'] / static['rps']:.2f}"
        )
    # The best round of each: the one least disturbed by anything else on the machine.
    static = max((r[0] for r in rounds), key=lambda r: r["rps"])
    cached = max((r[1] for r in rounds), key=lambda r: r["rps"])

    print(f"\npage: {PAGE} ({len(page):,} bytes); best round of {args.rounds}")
    print(f"{'case':<28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for name, result in (
        (f"static file ({'nginx' if args.proxy == 'nginx' else 'WhiteNoise'})", static),
        ("page, cached", cached),
        ("page, uncached", uncached),
    ):
        print(f"{name:<28}{result['rps']:>10.0f}{result['p50']:>10.2f}{result['p99']:>10.2f}")
    ratio = cached["rps"] / static["rps"]
    print(f"\ncached page / static file rate: {ratio:.2f} (target >= 0.80)")
    print(f"uncached page / static file rate: {uncached['rps'] / static['rps']:.2f}")
    print(f"uncached render in-process, median of 50: {render_ms:.1f} ms (target < 30 ms)")


def _prepare_site(env: dict[str, str]) -> None:
    manage = [PYTHON, str(ROOT / "manage.py")]
    for command in (
        ["migrate", "--noinput", "-v", "0"],
        ["collectstatic", "--noinput", "-v", "0"],
        ["load_content", str(ROOT / "content" / "baclofen.md")],
    ):
        subprocess.run([*manage, *command], env=env, cwd=ROOT, check=True, capture_output=True)


class _gunicorn:
    """gunicorn.conf.py with 2 workers on a free loopback port, stopped on leaving the block.

    With PROXY = "nginx" (--proxy nginx): bin/serve-production with nginx in
    front, 2 page workers and 1 for searches and leaflets.
    """

    PROXY = "none"

    def __init__(self, env: dict[str, str], cache_url: str):
        self.env = {**env, "CACHE_URL": cache_url, "GUNICORN_WORKERS": "2"}

    def __enter__(self) -> int:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        if self.PROXY == "nginx":
            command = [str(ROOT / "bin" / "serve-production")]
            extra = {"SERVE_PROXY": "nginx", "GUNICORN_HEAVY_WORKERS": "1"}
            extra["PROXY_BIND"] = f"127.0.0.1:{self.port}"
        else:
            command = [GUNICORN, "--config", "gunicorn.conf.py"]
            extra = {"GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self.process = subprocess.Popen(command, env={**self.env, **extra}, cwd=ROOT)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            try:
                if _get_status(self.port, "/healthz") in (200, 503):
                    return self.port
            except OSError:
                pass
            time.sleep(0.1)
        self.process.kill()
        raise RuntimeError("the server did not start within 40 s")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def _get_status(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=HEADERS)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _get(port: int, path: str, expect: int | None = 200, headers=None) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={**HEADERS, **(headers or {})})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if expect is not None and response.status != expect:
        raise RuntimeError(f"GET {path}: {response.status}, expected {expect}")
    return body


def _show_static_headers(port: int, static_root: Path) -> None:
    """Show that hashed static files go out compressed and cached for a year."""
    manifest = json.loads((static_root / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/site.css"]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", f"/static/{hashed}", headers={**HEADERS, "Accept-Encoding": "br"})
    response = connection.getresponse()
    response.read()
    connection.close()
    print(
        f"/static/{hashed}: {response.status}, Content-Encoding: "
        f"{response.getheader('Content-Encoding')}, Cache-Control: "
        f"{response.getheader('Cache-Control')}"
    )


def _measure(port: int, path: str, args, tool: str) -> dict[str, float]:
    _python_load(port, path, connections=2, seconds=1.0)  # warm every worker's cache
    if tool == "wrk":
        return _wrk_load(port, path, args.connections, args.seconds)
    return _python_load(port, path, args.connections, args.seconds)


def _wrk_load(port: int, path: str, connections: int, seconds: float) -> dict[str, float]:
    # One client thread: the machine's cores are for the two workers.
    command = ["wrk", "--latency", "-t", "1", "-c", str(connections), "-d", f"{seconds:g}s"]
    for name, value in HEADERS.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
    ).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"wrk saw error responses:\n{output}")
    return read_wrk_report(output)


_WRK_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def read_wrk_report(output: str) -> dict[str, float]:
    """Requests per second and p50/p99 in ms from the text `wrk --latency` prints.

    wrk pads its figures to a fixed width, so a latency in seconds ends with a
    space ("99%    1.35s "); a report without the figures is an error naming
    what is missing.
    """

    def latency(percent: str) -> float:
        found = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.M)
        if found is None:
            raise RuntimeError(f"wrk printed no {percent}% latency:\n{output}")
        return float(found[1]) * _WRK_UNITS_MS[found[2]]

    rate = re.search(r"^Requests/sec:\s+([\d.]+)\s*$", output, re.M)
    if rate is None:
        raise RuntimeError(f"wrk printed no Requests/sec:\n{output}")
    return {"rps": float(rate[1]), "p50": latency("50"), "p99": latency("99")}


def _python_load(port: int, path: str, connections: int, seconds: float) -> dict[str, float]:
    """Threads with keep-alive connections (reopened when the server closes them)."""
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        mine = []
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            connection.request("GET", path, headers=HEADERS)
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - start)
            if response.status != 200:
                raise RuntimeError(f"GET {path}: {response.status}")
            if response.will_close:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.close()
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[int(len(latencies) * 0.99)] * 1000,
    }


def _render_timing(env: dict[str, str]) -> float:
    result = subprocess.run(
        [PYTHON, __file__, "--render-timing", "50"],
        env={**env, "CACHE_URL": "locmem://"},
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return float(result.stdout.strip().splitlines()[-1])


def _print_render_timing(count: int) -> None:
    """In the child process: median ms of `count` renders of the page, cache cleared each time."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "druginfo.settings")
    import django

    django.setup()
    from django.core.cache import cache
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.get(PAGE, secure=True)  # templates loaded, connection open
    timings = []
    for _ in range(count):
        cache.clear()
        start = time.perf_counter()
        response = client.get(PAGE, secure=True)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    print(f"{statistics.median(timings):.3f}")


if __name__ == "__main__":
    main()
