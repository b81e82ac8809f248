"""Benchmark search: index build time, and query latency beside whoosh alone.

For each size (1,000 and 10,000 synthetic monographs by default, from
bench/generate.py) a subprocess generates the files into a temporary folder,
migrates a fresh temporary SQLite database, loads them with the real loader
(the after-publish receivers disconnected, so the index is built once, by the
timed step), then times ``search.rebuild()``: the index build exactly as
``manage.py rebuild_index`` runs it.

Then a fixed mix of queries (names, brands, symptoms, questions and typos) is
run REPEAT times the way the search page runs them (``search.exact_match()``,
which sends an exact name, brand or synonym straight to the monograph, else
``search.search()``: tokenising, did-you-mean, grouping by medicine, the total
count and highlighted snippets), and the same whoosh queries straight through
whoosh's top-10 search (``search.top_documents``, the collector the page uses)
with the stored fields of the hits read: the floor. Median and p95 per query
kind are printed side by side. Each synthetic name has a first word of its own
("Fakenodebasartan 0042"), as real medicine names do.

Targets on the 2-core machine: p95 under 50 ms at 10,000 monographs, and our
overhead under 1.5x the direct whoosh time.

    .venv/bin/python bench/search.py [--sizes 1000 10000] [--repeat 5] [--keep DIR]
                                     [--skip-build]

The machine is shared while engineers work: figures swing with its load, so
the load average at the start is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_P95_MS = 50.0
TARGET_OVERHEAD = 1.5

SYMPTOMS = [
    "headache",
    "dizziness",
    "dry mouth",
    "hair thinning",
    "ringing in the ears",
    "can I drink alcohol",
    "missed dose",
    "maximum dose",
    "warfarin",
    "how do I store it",
]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def _typo(word: str) -> str:
    """The word with two neighbouring letters swapped: one edit."""
    middle = len(word) // 2
    return word[: middle - 1] + word[middle] + word[middle - 1] + word[middle + 1 :]


def run_one_size(
    size: int, workdir: Path, repeat: int, prepare_only: bool = False, skip_build: bool = False
) -> dict:
    """In this process: generate, load, build, then time the query mix. Returns figures."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "druginfo.settings",
            "DJANGO_VAR_DIR": str(workdir / "var"),
            "SEARCH_INDEX_DIR": str(workdir / "index"),
            "CONTENT_DIR": str(workdir / "content"),
            "MEDIA_ROOT": str(workdir / "media"),
            "LEAFLETS_RENDER_ON_PUBLISH": "false",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from whoosh import index as whoosh_index

    from bench.generate import generate_monographs
    from monographs import search
    from monographs.loading import load_content, versions_published
    from monographs.models import Medicine, Name
    from monographs.search import whoosh as whoosh_search

    call_command("migrate", verbosity=0)
    generated = loaded = 0.0
    # A kept work folder (--keep) that was loaded before is used as it is.
    if Medicine.objects.published().count() != size:
        started = time.perf_counter()
        generate_monographs(size, workdir / "content", seed=0)
        generated = time.perf_counter() - started
        for uid in ("monographs.search", "monographs.leaflets"):
            versions_published.disconnect(dispatch_uid=uid)
        started = time.perf_counter()
        report = load_content([workdir / "content"])
        loaded = time.perf_counter() - started
        assert report.ok, report.problems[:5]
    if prepare_only:
        return {"size": size, "generated_s": generated, "loaded_s": loaded}

    # With --skip-build a kept, current index is reused: the queries are timed only.
    built = None if skip_build and search.index_status()["ok"] else search.rebuild()

    # The query mix: names and brands spread across the collection, symptoms
    # and questions, and one-letter-swap typos of names and brands.
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
    typos = [_typo(name.split()[0].lower()) + " " + name.split()[-1] for name in names[:3]]
    typos += [_typo(brand.lower()) for brand in brands[:3]]
    topics = [f"{names[0]} side effects", f"{names[1]} dose", f"{brands[0]} alcohol"]
    topics += [f"{names[2]} headache", f"{brands[1]} pregnancy"]
    mix = {
        "name": names,
        "brand": brands,
        "name+": topics,
        "symptom": SYMPTOMS,
        "typo": typos,
    }

    floor_searcher = whoosh_index.open_dir(str(workdir / "index")).searcher(
        weighting=whoosh_search.WEIGHTING
    )

    def ours(query: str) -> None:
        # What the search page does: an exact name, brand or synonym goes
        # straight to the monograph; anything else is searched.
        if search.exact_match(query) is None:
            results = search.search(query)
            assert results.page is not None

    def floor(query: str) -> None:
        terms = whoosh_search.query_terms(query)
        if not terms:
            return
        # The same top-N search the page runs (whoosh's collector with ties
        # skipped, search.top_documents), without grouping, counting,
        # spelling or snippets.
        hits = whoosh_search.top_documents(
            floor_searcher, whoosh_search.build_query(terms), search.PER_PAGE
        )
        [hit.fields() for hit in hits]

    timings: dict[str, dict[str, list[float]]] = {"ours": {}, "floor": {}}
    queries = [(kind, query) for kind, items in mix.items() for query in items]
    for _, query in queries:  # warm both: first searcher open, caches
        ours(query)
        floor(query)
    for _ in range(repeat):
        for kind, query in queries:
            for label, function in (("ours", ours), ("floor", floor)):
                started = time.perf_counter()
                function(query)
                elapsed = (time.perf_counter() - started) * 1000
                timings[label].setdefault(kind, []).append(elapsed)
    floor_documents = floor_searcher.doc_count()
    floor_searcher.close()

    index_bytes = sum(path.stat().st_size for path in (workdir / "index").iterdir())
    return {
        "size": size,
        "generated_s": generated,
        "loaded_s": loaded,
        "build_s": built.seconds if built else float("nan"),
        "documents": built.documents if built else floor_documents,
        "index_mb": index_bytes / 1e6,
        "queries": queries,
        "timings": timings,
    }


def _summary(values: list[float]) -> tuple[float, float]:
    return statistics.median(values), _percentile(values, 0.95)


def print_report(results: list[dict]) -> None:
    print()
    print("Index build (search.rebuild(), as manage.py rebuild_index)")
    print(f"{'monographs':>10} {'documents':>10} {'build s':>9} {'index MB':>9} {'load s':>8}")
    for r in results:
        print(
            f"{r['size']:>10,} {r['documents']:>10,} {r['build_s']:>9.1f} "
            f"{r['index_mb']:>9.1f} {r['loaded_s']:>8.1f}"
        )
    print()
    print("Query latency in ms: search.search() vs. the same whoosh query alone (floor)")
    header = (
        f"{'monographs':>10} {'queries':>8} {'ours med':>9} {'ours p95':>9} "
        f"{'floor med':>10} {'floor p95':>10} {'ratio med':>10} {'ratio p95':>10}"
    )
    for r in results:
        print(header)
        kinds = [*r["timings"]["ours"].keys(), "all"]
        for kind in kinds:
            if kind == "all":
                ours = [v for values in r["timings"]["ours"].values() for v in values]
                floor = [v for values in r["timings"]["floor"].values() for v in values]
            else:
                ours, floor = r["timings"]["ours"][kind], r["timings"]["floor"][kind]
            ours_med, ours_p95 = _summary(ours)
            floor_med, floor_p95 = _summary(floor)
            print(
                f"{r['size']:>10,} {kind:>8} {ours_med:>9.1f} {ours_p95:>9.1f} "
                f"{floor_med:>10.1f} {floor_p95:>10.1f} {ours_med / floor_med:>9.2f}x "
                f"{ours_p95 / floor_p95:>9.2f}x"
            )
        print()
    largest = results[-1]
    ours = [v for values in largest["timings"]["ours"].values() for v in values]
    floor = [v for values in largest["timings"]["floor"].values() for v in values]
    p95 = _percentile(ours, 0.95)
    overhead = statistics.median(ours) / statistics.median(floor)
    print(
        f"Targets at {largest['size']:,}: p95 {p95:.1f} ms (target < {TARGET_P95_MS:.0f}) "
        f"{'met' if p95 < TARGET_P95_MS else 'MISSED'}; median overhead {overhead:.2f}x "
        f"(target < {TARGET_OVERHEAD}x) {'met' if overhead < TARGET_OVERHEAD else 'MISSED'}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--one-size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--prepare-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--skip-build",
        action="store_true",
        help="with --keep: time the queries on the kept index when it is current",
    )
    args = parser.parse_args(argv)

    if args.one_size:
        figures = run_one_size(
            args.one_size, args.workdir, args.repeat, args.prepare_only, args.skip_build
        )
        print(json.dumps(figures))
        return 0

    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores)", flush=True)
    results = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix=f"bench-search-{size}-") as temporary:
            workdir = (args.keep / str(size)) if args.keep else Path(temporary)
            workdir.mkdir(parents=True, exist_ok=True)
            print(f"{size:,} monographs: generating, loading, indexing, querying…", flush=True)
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--one-size",
                    str(size),
                    "--workdir",
                    str(workdir),
                    "--repeat",
                    str(args.repeat),
                    *(["--skip-build"] if args.skip_build else []),
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
                return done.returncode
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print_report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
