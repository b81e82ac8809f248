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
from bench.generate import generate_monographs, synthetic_slug  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
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
# Medicines whose standard A4 leaflet the mix downloads.
LEAFLET_MEDICINES = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="length of each measured run")
    parser.add_argument("--connections", type=int, default=64, help="concurrent connections")
    parser.add_argument("--medicines", type=int, default=200, help="synthetic monographs")
    parser.add_argument("--setups", nargs="+", choices=["sqlite", "postgres"], default=None)
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

    workers = os.environ.get("GUNICORN_WORKERS") or f"{2 * (os.cpu_count() or 1) + 1} (default)"
    print(
        f"\n{args.medicines + 1} medicines; wrk, 1 thread, {args.connections} connections, "
        f"{args.seconds} s; gunicorn {workers} workers (gunicorn.conf.py: gthread, "
        f"{os.environ.get('GUNICORN_THREADS') or 1} thread each, keep-alive); "
        f"{os.cpu_count()} CPU cores"
    )
    print(f"{'set-up':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'requests':>10}{'errors':>8}")
    for setup, result in results.items():
        name = {"sqlite": "SQLite + whoosh + locmem", "postgres": "PostgreSQL + Redis"}[setup]
        print(
            f"{name:<34}{result['rps']:>9.0f}{result['p50']:>9.1f}{result['p99']:>9.1f}"
            f"{result['requests']:>10}{result['errors']:>8}"
        )
        if result["errors"]:
            print(f"    errors: {result['error_detail']}")


def _request_paths(medicines: int) -> dict[str, list[str]]:
    slugs = ["baclofen"] + [synthetic_slug(index) for index in range(medicines)]
    leaflet_slugs = slugs[:LEAFLET_MEDICINES]
    return {
        "pages": [f"/medicines/{slug}/" for slug in slugs],
        "a_z": ["/medicines/"],
        "searches": [f"/search/?q={quote(query)}" for query in SEARCHES],
        "leaflets": [f"/medicines/{slug}/leaflet.pdf" for slug in leaflet_slugs],
    }


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
    with _gunicorn(env, folder) as port:
        _check_every_path(port, _request_paths(args.medicines))
        _wrk(port, folder, args.connections, WARM_UP_SECONDS)
        return _wrk(port, folder, args.connections, args.seconds)


@contextlib.contextmanager
def _gunicorn(env: dict[str, str], folder: Path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (folder / "gunicorn.log").open("ab")
    process = subprocess.Popen(
        [GUNICORN, "--config", "gunicorn.conf.py"],
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while _status(port, "/healthz") != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start; see {folder / 'gunicorn.log'}")
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
    for group in paths.values():
        for path in group:
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
