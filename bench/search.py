"""Benchmark search on both backends: rebuild time and peak memory, and query latency.

For each size (1,000 and 10,000 synthetic monographs by default, from
bench/generate.py, plus content/baclofen.md) and each backend (whoosh on a
SQLite database, postgres on a PostgreSQL database of its own), subprocesses:

1. generate the files and load them with the real loader, unless the database
   already holds them (a kept work folder, --keep, or the same PostgreSQL
   database) -- the after-publish receivers disconnected, so the index is built
   once, by the timed step;
2. ``search.rebuild()`` in a process of its own, exactly as
   ``manage.py rebuild_index`` runs it: its time and the peak memory (largest
   resident set) of that process and of any process it started;
3. a mix of real patient queries, REPEAT times, the way the search page runs
   them (``search.exact_match()``, which sends an exact name, brand or synonym
   straight to the monograph, else ``search.search()`` with the spelling
   correction): names, brands, symptoms, everyday questions, long questions up
   to the maximum query length, and misspellings of names and of ordinary words.

Median and p95 in ms per query class, both backends side by side, and the
slowest queries. Target on the 2-core machine: p95 <= 50 ms per class at 10,000.

    .venv/bin/python bench/search.py [--backend whoosh|postgres|both] [--sizes 1000 10000]
                                     [--repeat 5] [--keep DIR] [--skip-build]
                                     [--postgres postgres://postgres@127.0.0.1:5432]

The PostgreSQL database of a size is ``druginfo_bench_search_<size>`` on the
server of --postgres (created if missing, kept between runs: loading 10,000
monographs takes minutes). The machine is shared while engineers work: figures
swing with its load, so the load average at the start is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.memory import PeakSampler, tree_pss_bytes  # noqa: E402

TARGET_P95_MS = 50.0
BACKENDS = ("whoosh", "postgres")
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432"

SYMPTOMS = [
    "headache",
    "dizziness",
    "dry mouth",
    "hair thinning",
    "ringing in the ears",
    "feeling sick",
    "leg cramps",
    "swollen ankles",
]
QUESTIONS = [
    "can I drink alcohol",
    "how long does it take to work",
    "what if I miss a dose",
    "is it safe to drive",
    "can I take it while pregnant",
    "how do I store it",
    "what is the maximum dose",
    "can I take it with ibuprofen",
]
LONG_QUESTIONS = [
    "what should I do if I took too many tablets by mistake and feel very sleepy",
    "I have been taking this medicine for three weeks and I still feel dizzy and tired in "
    "the morning, is that normal and should I stop taking it or talk to my doctor first",
    "what should I do if I take the tablets and it does not work, how long does it take, "
    "can I take it with food or a drink, and what if I take too much of it or stop taking it",
]
MISSPELT_WORDS = ["dizzyness", "diarhea", "hedache", "constipaton", "alcohal drink", "tirednes"]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def _typo(word: str) -> str:
    """The word with two neighbouring letters swapped: one edit."""
    middle = len(word) // 2
    return word[: middle - 1] + word[middle] + word[middle - 1] + word[middle + 1 :]


def _environment(size: int, backend: str, workdir: Path, postgres: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "druginfo.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "bench-search-" + "x" * 50,
            "DJANGO_ALLOWED_HOSTS": "localhost",
            "DJANGO_VAR_DIR": str(workdir / "var"),
            "SEARCH_INDEX_DIR": str(workdir / "index"),
            "CONTENT_DIR": str(workdir / "content"),
            "MEDIA_ROOT": str(workdir / "media"),
            "LEAFLETS_RENDER_ON_PUBLISH": "false",
            "LOG_LEVEL": "WARNING",
            "SEARCH_BACKEND": backend,
        }
    )
    env.pop("DATABASE_URL", None)
    env.pop("CACHE_URL", None)
    if backend == "postgres":
        env["DATABASE_URL"] = f"{postgres.rstrip('/')}/druginfo_bench_search_{size}"
    return env


def _create_database(url: str) -> None:
    """Create the PostgreSQL database of ``url`` if it does not exist."""
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')


def prepare(size: int) -> dict:
    """In this process: migrate, then generate and load the monographs unless loaded."""
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from bench.generate import generate_monographs
    from monographs.loading import load_content, versions_published
    from monographs.models import Medicine

    call_command("migrate", verbosity=0)
    content = Path(settings.CONTENT_DIR)
    if Medicine.objects.published().count() >= size:
        return {"loaded_s": float("nan")}
    generate_monographs(size, content, seed=0)
    shutil.copy(ROOT / "content" / "baclofen.md", content / "baclofen.md")
    for uid in ("monographs.search", "monographs.leaflets"):
        versions_published.disconnect(dispatch_uid=uid)
    started = time.perf_counter()
    report = load_content([content])
    assert report.ok, report.problems[:5]
    return {"loaded_s": time.perf_counter() - started}


def rebuild() -> dict:
    """In this process: search.rebuild(), its time and peak memory (this process and
    any it started, such as whoosh's writer processes)."""
    import django

    django.setup()
    from django.conf import settings

    from monographs import search
    from monographs.search.whoosh import PARALLEL_FROM

    report = search.rebuild()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "build_s": report.seconds,
        "documents": report.documents,
        "peak_mb": own,
        "children_peak_mb": children,
        "writers": settings.SEARCH_WRITER_PROCESSES
        if settings.SEARCH_BACKEND == "whoosh" and report.medicines >= PARALLEL_FROM
        else 1,
    }


def query_mix(size: int, repeat: int) -> dict:
    """In this process: time the query mix, each query REPEAT times after one warm-up."""
    import django

    django.setup()
    from monographs import search
    from monographs.models import Name

    step = max(1, size // 5)
    names = list(
        Name.objects.filter(kind=Name.Kind.NAME)
        .order_by("version__medicine__slug")
        .values_list("value", flat=True)[::step]
    )[:5]
    brands = list(
        Name.objects.filter(kind=Name.Kind.BRAND)
        .order_by("version__medicine__slug", "value")
        .values_list("value", flat=True)[::step]
    )[:5]
    misspelt = [_typo(name.split()[0].lower()) + " " + name.split()[-1] for name in names[:2]]
    misspelt += ["baclofin", _typo(brands[0].lower()), *MISSPELT_WORDS]
    mix = {
        "name": [*names, "baclofen"],
        "brand": brands,
        "name+topic": [f"{names[0]} side effects", f"{brands[1]} alcohol", "baclofen dose"],
        "symptom": SYMPTOMS,
        "question": QUESTIONS,
        "long": LONG_QUESTIONS,
        "misspelt": misspelt,
    }

    def run(query: str) -> None:
        # What the search page does: an exact name, brand or synonym goes
        # straight to the monograph; anything else is searched.
        if search.exact_match(query) is None:
            results = search.search(query)
            [hit.snippet for medicine in results.medicines for hit in medicine.hits]

    queries = [(kind, query) for kind, items in mix.items() for query in items]
    for _, query in queries:  # warm: first searcher open, caches
        run(query)
    timings: dict[str, list[float]] = {}
    slowest: dict[str, float] = {}
    for _ in range(repeat):
        for kind, query in queries:
            started = time.perf_counter()
            run(query)
            elapsed = (time.perf_counter() - started) * 1000
            timings.setdefault(kind, []).append(elapsed)
            slowest[query] = max(slowest.get(query, 0.0), elapsed)
    return {"timings": timings, "slowest": sorted(slowest.items(), key=lambda i: -i[1])[:5]}


def _child(step: str, size: int, backend: str, workdir: Path, args) -> dict:
    """Run one step in a process of its own; the rebuild's peak memory is sampled over
    the whole process tree (whoosh's writer processes included), as proportional set
    size."""
    process = subprocess.Popen(
        [sys.executable, __file__, "--step", step, "--sizes", str(size)]
        + ["--repeat", str(args.repeat)],
        cwd=ROOT,
        env=_environment(size, backend, workdir, args.postgres),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with PeakSampler(process.pid, tree_pss_bytes, interval=0.05) as peak:
        stdout, stderr = process.communicate()
    if process.returncode != 0:
        print(stdout[-3000:], stderr[-3000:], file=sys.stderr)
        raise SystemExit(process.returncode)
    figures = json.loads(stdout.strip().splitlines()[-1])
    if step == "rebuild":
        figures["tree_mb"] = peak.bytes / 2**20
    return figures


def run_one(size: int, backend: str, workdir: Path, args) -> dict:
    if backend == "postgres":
        _create_database(_environment(size, backend, workdir, args.postgres)["DATABASE_URL"])
    figures = {"size": size, "backend": backend}
    figures.update(_child("prepare", size, backend, workdir, args))
    figures.update(
        {"build_s": float("nan"), "documents": 0, "peak_mb": float("nan")}
        if args.skip_build
        else _child("rebuild", size, backend, workdir, args)
    )
    figures.update(_child("queries", size, backend, workdir, args))
    return figures


def print_report(results: list[dict]) -> None:
    print()
    print("rebuild_index (search.rebuild() in a process of its own)")
    print(
        f"{'monographs':>10} {'backend':>9} {'documents':>10} {'build s':>8} "
        f"{'peak MB':>8} {'writers':>7} {'load s':>7}"
    )
    for r in results:
        peak = r.get("tree_mb", float("nan"))
        print(
            f"{r['size']:>10,} {r['backend']:>9} {r['documents']:>10,} {r['build_s']:>8.1f} "
            f"{peak:>8.0f} {r.get('writers', 1):>7} {r['loaded_s']:>7.1f}"
        )
    print()
    print("Query latency in ms (median / p95), as the search page runs them")
    sizes = sorted({r["size"] for r in results})
    backends = [b for b in BACKENDS if any(r["backend"] == b for r in results)]
    for size in sizes:
        row = {r["backend"]: r for r in results if r["size"] == size}
        header = f"{'monographs':>10} {'class':>11}" + "".join(
            f" {backend + ' med':>13} {backend + ' p95':>13}" for backend in backends
        )
        print(header)
        kinds = list(next(iter(row.values()))["timings"]) + ["all"]
        for kind in kinds:
            line = f"{size:>10,} {kind:>11}"
            for backend in backends:
                timings = row[backend]["timings"]
                values = (
                    [v for vs in timings.values() for v in vs] if kind == "all" else timings[kind]
                )
                line += f" {statistics.median(values):>13.1f} {_percentile(values, 0.95):>13.1f}"
            print(line)
        for backend in backends:
            slowest = ", ".join(f"{q[:40]!r} {ms:.0f}" for q, ms in row[backend]["slowest"][:3])
            print(f"{'':>10} slowest on {backend}: {slowest}")
        print()
    for r in results:
        if r["size"] != sizes[-1]:
            continue
        worst = max(_percentile(values, 0.95) for values in r["timings"].values())
        verdict = "met" if worst <= TARGET_P95_MS else "MISSED"
        print(
            f"Target at {r['size']:,} on {r['backend']}: worst class p95 {worst:.1f} ms "
            f"(target <= {TARGET_P95_MS:.0f}) {verdict}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument(
        "--skip-build", action="store_true", help="time the queries on the index as it is"
    )
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL server URL")
    parser.add_argument("--step", choices=["prepare", "rebuild", "queries"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.step:
        size = args.sizes[0]
        steps = {"prepare": lambda: prepare(size), "rebuild": rebuild}
        steps["queries"] = lambda: query_mix(size, args.repeat)
        print(json.dumps(steps[args.step]()))
        return 0

    backends = BACKENDS if args.backend == "both" else (args.backend,)
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores)", flush=True)
    results = []
    for size in args.sizes:
        for backend in backends:
            with tempfile.TemporaryDirectory(prefix=f"bench-search-{size}-") as temporary:
                workdir = (args.keep / f"{size}-{backend}") if args.keep else Path(temporary)
                workdir.mkdir(parents=True, exist_ok=True)
                print(f"{size:,} monographs, {backend}: loading, indexing, querying…", flush=True)
                results.append(run_one(size, backend, workdir, args))
    print_report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
