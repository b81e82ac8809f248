"""Lighthouse scores of the main page types, mobile and desktop.

Usage (the site must already be running, see bench/README.md):

    .venv/bin/python bench/lighthouse.py [--base http://127.0.0.1:8765]
        [--lighthouse /tmp/lh/node_modules/.bin/lighthouse] [--runs 1]
        [--presets mobile desktop] [--keep DIR] [--path /medicines/ ...]
        [--extra-headers '{"X-Forwarded-Proto": "https"}']

Prints one line per page and preset: performance, accessibility,
best-practices and SEO scores (0-100), and every audit that scored below 1
(so what to fix is in the output). Needs Node.js, Lighthouse installed with
npm outside the repository and Chromium (CHROME_PATH, default
/usr/bin/chromium). Not part of bin/run-tests: it needs npm, and the
performance score depends on the machine's load.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PAGES = [
    "/",
    "/medicines/baclofen/",
    "/medicines/baclofen/?route=oral",
    "/search/?q=drowsy",
    "/medicines/",
]
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]


def run(lighthouse, url, preset, out_path, extra_headers=None, attempts=3):
    command = [
        lighthouse,
        url,
        "--chrome-flags=--headless=new --no-sandbox",
        "--only-categories=" + ",".join(CATEGORIES),
        "--output=json",
        f"--output-path={out_path}",
        "--quiet",
    ]
    if preset == "desktop":
        command.append("--preset=desktop")
    if extra_headers:
        command.append(f"--extra-headers={extra_headers}")
    env = dict(os.environ)
    env.setdefault("CHROME_PATH", "/usr/bin/chromium")
    # On a busy machine Lighthouse now and then fails to record the trace
    # (NO_NAVSTART): that run is repeated.
    for attempt in range(attempts):
        if subprocess.run(command, env=env).returncode == 0:
            return json.loads(Path(out_path).read_text())
        print(f"    lighthouse failed (attempt {attempt + 1} of {attempts})", file=sys.stderr)
    raise SystemExit(f"lighthouse failed {attempts} times on {url}")


def failing_audits(report):
    names = []
    for category in report["categories"].values():
        for ref in category["auditRefs"]:
            audit = report["audits"][ref["id"]]
            score = audit.get("score")
            mode = audit.get("scoreDisplayMode")
            scored = mode in ("binary", "numeric", "metricSavings")
            if scored and score is not None and score < 1 and (ref["weight"] or mode == "binary"):
                names.append(f"{ref['id']} ({score:.2f})")
    return sorted(set(names))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8765")
    parser.add_argument("--lighthouse", default="/tmp/lh/node_modules/.bin/lighthouse")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--presets", nargs="+", default=["mobile", "desktop"])
    parser.add_argument("--path", nargs="+", dest="paths", default=PAGES)
    parser.add_argument("--keep", help="folder for the JSON reports")
    parser.add_argument(
        "--extra-headers",
        help='JSON object of request headers, e.g. \'{"X-Forwarded-Proto": "https"}\' '
        "for a production server (DJANGO_SECURE_PROXY_SSL_HEADER=true) over plain HTTP",
    )
    args = parser.parse_args()

    keep = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="lighthouse-"))
    keep.mkdir(parents=True, exist_ok=True)
    print(f"{'page':40} {'preset':8} {'perf':>5} {'a11y':>5} {'bp':>5} {'seo':>5}")
    for preset in args.presets:
        for path in args.paths:
            for n in range(args.runs):
                slug = path.strip("/").replace("/", "_").replace("?", "_").replace("=", "-")
                out_path = keep / f"{slug or 'home'}-{preset}-{n}.json"
                url = args.base.rstrip("/") + path
                report = run(args.lighthouse, url, preset, out_path, args.extra_headers)
                scores = [report["categories"][c]["score"] for c in CATEGORIES]
                shown = ["  n/a" if s is None else f"{round(s * 100):5d}" for s in scores]
                print(f"{path:40} {preset:8} {' '.join(shown)}")
                for name in failing_audits(report):
                    print(f"    below 1: {name}")
                sys.stdout.flush()
    print(f"reports: {keep}")


if __name__ == "__main__":
    main()
