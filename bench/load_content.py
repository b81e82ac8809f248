"""Benchmark `manage.py load_content`: time and peak memory for a first load and a reload.

For each size (1,000 and 10,000 by default) it generates that many synthetic
monographs (bench/generate.py) into a temporary folder, migrates a fresh
temporary SQLite database, then runs load_content twice, each run in its own
subprocess with production settings (DJANGO_DEBUG=false): the first load, and
an unchanged reload. Two ways of running it:

- loader: the loader alone (monographs.loading), with the receivers of
  versions_published (search re-indexing, leaflets) disconnected;
- command: `manage.py load_content` exactly as shipped, receivers included
  (by default only for the smaller sizes, see --shipped-sizes).

Each run's wall time is measured around the subprocess, its CPU time (user +
system, worker processes included) comes from os.wait4, and its peak memory is
read two ways:

- largest process: ru_maxrss from os.wait4 on that subprocess (the biggest
  single process among it and its worker processes);
- whole tree: the sum of the resident memory of the subprocess and all its
  children, sampled every 20 ms (the parser's worker processes included).

Targets on the 2-core machine: 10,000 loaded in under 60 s, an unchanged
reload in under 10% of that, peak memory under 500 MB.

    .venv/bin/python bench/load_content.py [--sizes 1000 10000] [--shipped-sizes 1000]
                                           [--keep DIR] [--postgres SERVER_URL]

With --postgres, each run loads into a fresh PostgreSQL database of its own
(druginfo_bench_load_<n>_<mode>, dropped afterwards) instead of SQLite.

The machine is shared while engineers work: wall times swing with its load,
so the table also gives CPU seconds and the load average at the start.
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import generate_monographs  # noqa: E402
from bench.memory import PeakSampler  # noqa: E402

TARGET_LOAD_SECONDS = 60.0
TARGET_RELOAD_SHARE = 0.10
TARGET_PEAK_MB = 500.0


def run_measured(command: list[str], env: dict[str, str]) -> dict:
    """Run `command`; return its wall time, exit code, output and peak memory."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    with PeakSampler(process.pid) as peak:
        output = process.stdout.read()  # read until the process closes it, so the pipe never fills
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "seconds": seconds,
        "returncode": process.returncode,
        "output": output.decode(errors="replace"),
        "cpu": usage.ru_utime + usage.ru_stime,
        "largest_mb": usage.ru_maxrss / 1024,  # kilobytes on Linux
        "tree_mb": peak.bytes / 2**20,
    }


def generate(n: int, folder: Path) -> Path:
    content = folder / f"content-{n}"
    started = time.perf_counter()
    generate_monographs(n, content)
    megabytes = sum(p.stat().st_size for p in content.glob("*.md")) / 2**20
    print(
        f"generated {n:,} monographs ({megabytes:,.0f} MB) in {time.perf_counter() - started:.1f} s"
    )
    return content


def _fresh_postgres(server: str, name: str) -> str:
    """Create the PostgreSQL database ``name`` anew on ``server``; return its URL."""
    import psycopg

    with psycopg.connect(f"{server.rstrip('/')}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{server.rstrip('/')}/{name}"


def _drop_postgres(server: str, name: str) -> tuple[int, float]:
    """Count the versions and size of database ``name``, then drop it."""
    import psycopg

    with psycopg.connect(f"{server.rstrip('/')}/{name}") as connection:
        versions = connection.execute("select count(*) from monographs_version").fetchone()[0]
        size = connection.execute("select pg_database_size(current_database())").fetchone()[0]
    with psycopg.connect(f"{server.rstrip('/')}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE "{name}"')
    return versions, size / 2**20


def bench_size(
    n: int, content: Path, folder: Path, mode: str, postgres: str | None = None
) -> list[dict]:
    """Load `content` into a fresh database, then reload it; one subprocess per run."""
    database = folder / f"db-{n}-{mode}.sqlite3"
    postgres_name = f"druginfo_bench_load_{n}_{mode}"
    url = _fresh_postgres(postgres, postgres_name) if postgres else f"sqlite:///{database}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CONTENT_DIR": str(content),
        "SEARCH_INDEX_DIR": str(folder / f"index-{n}-{mode}"),
        "MEDIA_ROOT": str(folder / f"media-{n}-{mode}"),
        # Leaflets for thousands of medicines are rendered by `manage.py
        # render_leaflets`, not by the publish signal; keep WeasyPrint out.
        "LEAFLETS_RENDER_ON_PUBLISH": "false",
        # As a production server runs it: with debug on, Django also logs
        # every statement, formatting the 38 KB source text of each version.
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    }
    python = sys.executable
    migrate = subprocess.run(
        [python, "manage.py", "migrate", "--noinput", "-v", "0"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if migrate.returncode:
        sys.exit(f"migrate failed:\n{migrate.stdout}{migrate.stderr}")
    if mode == "loader":
        command = [python, str(Path(__file__).resolve()), "--run-loader", str(content)]
    else:
        command = [python, "manage.py", "load_content", str(content)]
    results = []
    for label in ("first load", "unchanged reload"):
        load = os.getloadavg()[0]
        result = run_measured(command, env)
        summary = [line for line in result["output"].splitlines() if "load_content:" in line]
        if result["returncode"]:
            sys.exit(f"load_content failed ({label}):\n{result['output'][-3000:]}")
        result.update(
            n=n,
            mode=mode,
            run=label,
            load=load,
            summary=summary[-1].split("\r")[-1] if summary else "",
        )
        print(f"  {mode}, {label}: {result['seconds']:.1f} s  {result['summary']}")
        results.append(result)
    if postgres:
        versions, megabytes = _drop_postgres(postgres, postgres_name)
    else:
        with sqlite3.connect(database) as connection:
            versions = connection.execute("select count(*) from monographs_version").fetchone()[0]
        megabytes = database.stat().st_size / 2**20
        database.unlink()
    results[-1]["versions"] = versions
    results[-1]["db_mb"] = megabytes
    return results


def run_loader(content: str) -> int:
    """In the subprocess: load_content with the versions_published receivers disconnected."""
    os.chdir(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "druginfo.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from monographs.loading import versions_published

    for entry in list(versions_published.receivers):
        lookup_key = entry[0]  # (dispatch_uid or receiver id, sender id)
        versions_published.disconnect(dispatch_uid=lookup_key[0])
    assert not versions_published.has_listeners()
    call_command("load_content", content)
    return 0


def print_table(results: list[dict]) -> None:
    print()
    print(
        f"{'monographs':>10}  {'mode':<8}{'run':<17}{'seconds':>8}{'cpu s':>8}"
        f"{'largest MB':>11}{'tree MB':>9}{'load avg':>9}"
    )
    for r in results:
        print(
            f"{r['n']:>10,}  {r['mode']:<8}{r['run']:<17}{r['seconds']:>8.1f}{r['cpu']:>8.1f}"
            f"{r['largest_mb']:>11.0f}{r['tree_mb']:>9.0f}{r['load']:>9.1f}"
        )
    print()
    for first, reload in zip(results[::2], results[1::2], strict=True):
        n = first["n"]
        share = reload["seconds"] / first["seconds"]
        peak = max(first["tree_mb"], reload["tree_mb"])
        print(
            f"{n:,} ({first['mode']}): reload takes {share:.1%} of the first load; "
            f"{reload['versions']:,} versions, database {reload['db_mb']:,.0f} MB; "
            f"peak memory {peak:.0f} MB"
        )
        if n == 10_000:
            checks = [
                (f"first load under {TARGET_LOAD_SECONDS:.0f} s", first["seconds"] < 60),
                (f"reload under {TARGET_RELOAD_SHARE:.0%} of it", share < TARGET_RELOAD_SHARE),
                (f"peak memory under {TARGET_PEAK_MB:.0f} MB", peak < TARGET_PEAK_MB),
            ]
            for label, ok in checks:
                print(f"  target {label}: {'met' if ok else 'MISSED'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument(
        "--shipped-sizes",
        type=int,
        nargs="*",
        default=[1_000],
        help="sizes also run as the shipped command, receivers included",
    )
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument(
        "--postgres",
        metavar="SERVER_URL",
        help="load into a fresh PostgreSQL database on this server "
        "(e.g. postgres://postgres@127.0.0.1:5432) instead of SQLite",
    )
    parser.add_argument("--run-loader", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_loader:
        return run_loader(args.run_loader)
    database = f"PostgreSQL at {args.postgres}" if args.postgres else "SQLite"
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {database}")
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-load-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for n in args.sizes:
            content = generate(n, folder)
            results += bench_size(n, content, folder, "loader", args.postgres)
            if n in args.shipped_sizes:
                results += bench_size(n, content, folder, "command", args.postgres)
    print_table(results)
    # The parent's own children, as a cross-check of the per-run figures above.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"\nlargest child process of the whole benchmark: {children.ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
