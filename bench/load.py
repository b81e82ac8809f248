"""Load benchmark: gunicorn with production settings under a mix of what patients ask for.

For each set-up it builds a throw-away production site in a temporary folder
(DEBUG off, collectstatic, migrations, baclofen and --medicines synthetic
monographs from bench/generate.py loaded, the search index built), starts gunicorn
with gunicorn.conf.py on a free loopback port and runs wrk against it:

- ``sqlite``: SQLite, the whoosh index in files, gunicorn's own memory as the
  page cache (CACHE_URL=locmem://): the one-machine site;
- ``postgres``: a fresh PostgreSQL database (dropped afterwards) with its
  full-text search backend, and Redis as the shared cache (a database number of
  its own, emptied before and after): the set-up of several app servers.

The request mix (bench/load.lua): 50 % monograph pages (baclofen and the
synthetic ones), 10 % the A-Z list, 30 % searches (words, phrases, a brand
that redirects to its page, a misspelling that gets "did you mean") and 10 %
PDF leaflet downloads (of 5 medicines, stored before the load starts, as
publishing stores them). wrk runs one thread with --connections connections for
--seconds, after a short warm-up (which fills each worker's page cache and
opens its searchers), loopback only. gunicorn runs GUNICORN_WORKERS workers:
by default gunicorn.conf.py's 2 x cores + 1.

Prints, for each set-up: requests per second, p50 and p99 latency, and errors:
socket errors (connect, read, write, timeout) and responses other than 2xx/3xx.
Target: no errors at 64 connections for 60 s.

    .venv/bin/python bench/load.py [--seconds 60] [--connections 64] [--medicines 200]
                                   [--setups sqlite postgres]

Needs wrk (Debian: apt-get install wrk) and, for ``postgres``, PostgreSQL and
Redis on their usual local ports (or POSTGRES_URL / REDIS_URL).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.environment import production_env  # noqa: E402
from bench.generate import (  # noqa: E402
    CONDITIONS,
    SIDE_EFFECTS,
    generate_monographs,
    synthetic_slug,
)
from bench.pages import read_wrk_report  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")
LUA_SCRIPT = ROOT / "bench" / "load.lua"
POSTGRES_URL = os.environ.get("POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
REDIS_DB = 13
HEADERS = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
WARM_UP_SECONDS = 5
SEARCHES = [
    "drowsy",
    "hair loss",
    "maximum dose",
    "pump refill",
    "can I drink alcohol",
    "stop taking baclofen",
    "headache",
    "missed dose",
    "Lioresal",  # a brand: redirects to the page
    "baclofn",  # a misspelling: "did you mean"
    "spasticity",
    "pregnancy",
]
# Patients ask many different questions: besides SEARCHES, the mix asks this
# many two-word searches made of side effects and condition words (seeded), so
# that a search is seldom answered from a cache, as on a real site.
MIXED_SEARCHES = 3_000
# Medicines whose standard A4 leaflet the mix downloads.
LEAFLET_MEDICINES = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="length of each measured run")
    parser.add_argument("--connections", type=int, default=64, help="concurrent connections")
    parser.add_argument("--medicines", type=int, default=200, help="synthetic monographs")
    parser.add_argument("--setups", nargs="+", choices=["sqlite", "postgres"], default=None)
    parser.add_argument(
        "--proxy",
        choices=["nginx", "none"],
        default="nginx",
        help="SERVE_PROXY of bin/serve-production: nginx in front (default) or gunicorn alone",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench/load.py needs wrk: apt-get install wrk")

    results = {}
    with tempfile.TemporaryDirectory(prefix="druginfo-load-") as folder:
        content = Path(folder) / "content"
        generate_monographs(args.medicines, content)
        shutil.copy(ROOT / "content" / "baclofen.md", content / "baclofen.md")
        paths = _request_paths(args.medicines)
        lines = [f"{group} {path}" for group, group_paths in paths.items() for path in group_paths]
        (Path(folder) / "paths.txt").write_text("\n".join(lines) + "\n")
        for setup in args.setups or ["sqlite", "postgres"]:
            with _site(setup, Path(folder) / setup, content, args.medicines) as env:
                results[setup] = _measure(env, Path(folder), args)

    cores = os.cpu_count() or 1
    if args.proxy == "nginx":
        pages = os.environ.get("GUNICORN_WORKERS") or f"{cores + 1}"
        heavy = os.environ.get("GUNICORN_HEAVY_WORKERS") or f"{2 * cores + 1}"
        server = f"nginx in front of gunicorn pools of {pages} page and {heavy} heavy workers"
    else:
        server = f"gunicorn with {os.environ.get('GUNICORN_WORKERS') or 2 * cores + 1} workers"
    print(
        f"\n{args.medicines + 1} medicines; wrk, 1 thread, {args.connections} connections, "
        f"{args.seconds} s; bin/serve-production, {server} (gthread, "
        f"{os.environ.get('GUNICORN_THREADS') or 1} thread each, keep-alive); {cores} CPU cores"
    )
    print(
        f"{'set-up':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'requests':>10}{'errors':>8}"
        f"{'page p99':>10}{'static p99':>12}"
    )
    for setup, result in results.items():
        name = {"sqlite": "SQLite + whoosh + locmem", "postgres": "PostgreSQL + Redis"}[setup]
        print(
            f"{name:<34}{result['rps']:>9.0f}{result['p50']:>9.1f}{result['p99']:>9.1f}"
            f"{result['requests']:>10}{result['errors']:>8}"
            f"{result['page_p99']:>10.1f}{result['static_p99']:>12.1f}"
        )
        if result["errors"]:
            print(f"    errors: {result['error_detail']}")


def _request_paths(medicines: int) -> dict[str, list[str]]:
    slugs = ["baclofen"] + [synthetic_slug(index) for index in range(medicines)]
    leaflet_slugs = slugs[:LEAFLET_MEDICINES]
    return {
        "pages": [f"/medicines/{slug}/" for slug in slugs],
        "a_z": ["/medicines/"],
        "searches": [f"/search/?q={quote(query)}" for query in _searches()],
        "leaflets": [f"/medicines/{slug}/leaflet.pdf" for slug in leaflet_slugs],
    }


def _searches() -> list[str]:
    words = sorted(
        {
            word.lower().strip(",.()")
            for phrase in (*SIDE_EFFECTS, *CONDITIONS, *SEARCHES)
            for word in phrase.split()
            if len(word) > 3
        }
    )
    generator = random.Random(20261204)
    pairs = {" ".join(generator.sample(words, 2)) for _ in range(MIXED_SEARCHES * 2)}
    return SEARCHES + generator.sample(sorted(pairs), min(MIXED_SEARCHES, len(pairs)))


@contextlib.contextmanager
def _site(setup: str, folder: Path, content: Path, medicines: int):
    """A prepared production site for `setup`; yields its environment."""
    folder.mkdir()
    # The leaflets the mix downloads are rendered by the check before the load.
    env = production_env(folder)
    database = None
    if setup == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{folder / 'db.sqlite3'}"
        env["CACHE_URL"] = "locmem://"
    else:
        import psycopg
        import redis

        database = f"druginfo_load_{secrets.token_hex(4)}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database}"')
        env["DATABASE_URL"] = POSTGRES_URL.rsplit("/", 1)[0] + f"/{database}"
        env["CACHE_URL"] = f"{REDIS_URL}/{REDIS_DB}"
        redis.Redis.from_url(env["CACHE_URL"]).flushdb()
    try:
        started = time.perf_counter()
        manage = [PYTHON, str(ROOT / "manage.py")]
        for command in (
            ["migrate", "--noinput", "-v", "0"],
            ["collectstatic", "--noinput", "-v", "0"],
            ["load_content", str(content)],
            ["rebuild_index"],
        ):
            subprocess.run([*manage, *command], env=env, cwd=ROOT, check=True, capture_output=True)
        print(
            f"{setup}: site of {medicines + 1} medicines ready in "
            f"{time.perf_counter() - started:.0f} s"
        )
        yield env
    finally:
        if database:
            import psycopg
            import redis

            redis.Redis.from_url(env["CACHE_URL"]).flushdb()
            with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _measure(env: dict[str, str], folder: Path, args) -> dict:
    with _server(env, folder, args.proxy) as port:
        _check_every_path(port, _request_paths(args.medicines))
        _wrk(port, folder, args.connections, WARM_UP_SECONDS)
        # While the mix runs, one more connection each asks only for the cached
        # baclofen page or only for a static file: what a patient opening a page
        # waits for when the server is busy with everyone else's searches.
        probes = {
            name: _start_probe(port, path, args.seconds)
            for name, path in (("page", "/medicines/baclofen/"), ("static", _static_path(port)))
        }
        result = _wrk(port, folder, args.connections, args.seconds)
        for name, process in probes.items():
            output = process.communicate(timeout=args.seconds + 60)[0]
            report = read_wrk_report(output)
            result[f"{name}_p99"] = report["p99"]
        return result


def _static_path(port: int) -> str:
    """The hashed address of the site's stylesheet, as the page links it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/medicines/baclofen/", headers=HEADERS)
        html = connection.getresponse().read().decode()
    finally:
        connection.close()
    match = re.search(r'href="(/static/[^"]+\.css)"', html)
    if not match:
        raise RuntimeError("the baclofen page links no stylesheet")
    return match.group(1)


def _start_probe(port: int, path: str, seconds: int) -> subprocess.Popen:
    command = ["wrk", "--threads", "1", "--connections", "1", "--duration", f"{seconds}s"]
    command += ["--timeout", "10s", "--latency"]
    for name, value in HEADERS.items():
        command += ["--header", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{port}{path}")
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


@contextlib.contextmanager
def _server(env: dict[str, str], folder: Path, proxy: str):
    """bin/serve-production on a free loopback port: nginx in front of gunicorn,
    or (proxy "none") gunicorn alone."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (folder / "server.log").open("ab")
    address = {"PROXY_BIND": f"127.0.0.1:{port}", "GUNICORN_BIND": f"127.0.0.1:{port}"}
    process = subprocess.Popen(
        [str(ROOT / "bin" / "serve-production")],
        env={**env, **address, "SERVE_PROXY": proxy},
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while _status(port, "/healthz") != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                tail = (folder / "server.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"the server did not start:\n{tail}")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _status(port: int, path: str) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=HEADERS)
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return None
    finally:
        connection.close()


def _check_every_path(port: int, paths: dict[str, list[str]]) -> None:
    """Each address of the mix answers 200 (or a redirect) before the load starts.

    The first request for a leaflet renders and stores it, as after a publish.
    """
    for name, group in paths.items():
        # The fixed searches and a sample of the two-word ones: all of them would take minutes.
        for path in group[: len(SEARCHES) + 20] if name == "searches" else group:
            status = _status(port, path)
            if status not in (200, 302):
                raise RuntimeError(f"GET {path}: {status}")


def _wrk(port: int, folder: Path, connections: int, seconds: int) -> dict:
    command = [
        "wrk",
        "--threads",
        "1",
        "--connections",
        str(connections),
        "--duration",
        f"{seconds}s",
        "--timeout",
        "10s",
        "--script",
        str(LUA_SCRIPT),
        f"http://127.0.0.1:{port}",
    ]
    env = {**os.environ, "DRUGINFO_PATHS": str(folder / "paths.txt")}
    output = subprocess.run(
        command, env=env, capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    errors = result["errors"]
    return {
        "rps": result["requests"] / (result["duration_us"] / 1e6),
        "p50": result["p50_us"] / 1000,
        "p99": result["p99_us"] / 1000,
        "requests": result["requests"],
        "errors": sum(errors.values()),
        "error_detail": errors,
    }


if __name__ == "__main__":
    main()
