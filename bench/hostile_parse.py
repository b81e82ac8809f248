"""Benchmark the Markdown limits: the slowest text they accept, and how soon they refuse the rest.

Each case is a hostile Markdown body sitting just under one or more of the
limits in monographs/markdown_limits.py (nesting, line length, lines, inline
marks, table columns), grown towards the 1 MB file limit, and put into the
example monograph (tests/content/examplamide.md). For each it prints the
time of

- parse: parse_monograph on the whole file (limits, both parsers, sections),
- render: render_markdown on the hostile body (what the editor's live
  preview shows),
- readability: measure_readability on the whole file (the preview's figures),

the best of --repeat runs, and whether the parser accepted the text or which
problem it gave (a case within the limits may still break another rule, such
as raw HTML: it is parsed all the same). Then the same for inputs past the limits (the inputs of
issue #20: 50,000 levels of quotes, 600 KB of emphasis runs), which must be
refused, not parsed. It ends with the worst accepted time.

    .venv/bin/python bench/hostile_parse.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monographs.markdown_limits import (  # noqa: E402
    MAX_LINE_CHARS,
    MAX_LINES,
    MAX_MARKS,
    MAX_NESTING,
    MAX_TABLE_COLUMNS,
    check_markdown,
)
from monographs.parsing import MAX_FILE_BYTES, MonographError, parse_monograph  # noqa: E402
from monographs.readability import measure_readability  # noqa: E402
from monographs.rendering import render_markdown  # noqa: E402

EXAMPLE = ROOT / "tests" / "content" / "examplamide.md"
ANCHOR = "It works in the spinal cord.\n"
# Room left for the example monograph around the hostile body.
BUDGET = MAX_FILE_BYTES - 5_000
WORDS = "Take one tablet with water and tell your doctor about it "


def _fill_lines(line: str, lines: int | None = None) -> str:
    """`line` repeated on as many lines as the budget and MAX_LINES allow."""
    most = min(BUDGET // (len(line) + 2), (lines or MAX_LINES) - 200)
    return "\n".join([line] * most)


def _words(length: int) -> str:
    return (WORDS * (length // len(WORDS) + 1))[:length].strip()


def _marked(unit: str, marks_per_unit: int) -> str:
    """As many `unit`s as MAX_MARKS allows (less a margin for the
    example's own marks), on lines as long as allowed, then plain paragraphs
    up to the budget."""
    units = (MAX_MARKS - 100) // marks_per_unit
    per_line = max(1, (MAX_LINE_CHARS - 10) // len(unit))
    lines = [unit * min(per_line, units - i) for i in range(0, units, per_line)]
    marked = "\n".join(lines)
    rest = BUDGET - len(marked)
    plain = _fill_lines(_words(MAX_LINE_CHARS - 10), lines=MAX_LINES - len(lines))
    return marked + "\n\n" + plain[: max(0, rest)]


def _accepted_cases() -> dict[str, str]:
    depth = MAX_NESTING
    cases = {
        f"quotes, {depth} deep, long lines": _fill_lines(
            "> " * depth + _words(MAX_LINE_CHARS - 3 * depth)
        ),
        f"quotes, {depth} deep, short lines": _fill_lines(">" * depth + " a"),
        f"list markers, {depth} deep": _fill_lines("- " * depth + _words(150)),
        f"ordered markers, {depth} deep": _fill_lines("1. " * depth + _words(150)),
        f"indented lists, {depth} deep": "\n".join(
            " " * (2 * (i % depth)) + "- " + _words(150) for i in range(MAX_LINES - 200)
        )[:BUDGET],
        "long lines": _fill_lines(_words(MAX_LINE_CHARS - 10)),
        "one long paragraph": "\n".join([_words(190)] * (MAX_LINES - 200)),
        "list items": _fill_lines("- " + _words(190)),
        "headings": _fill_lines("### " + _words(190)),
        "emphasis runs *a **b": _marked("*a **b ", 3),
        "emphasis pairs *b* *c": _marked("*b* *c ", 3),
        "underscores and tildes": _marked("_a __b ~~c ", 5),
        "brackets [": _marked("[", 1),
        "link openers [a](": _marked("[a](", 2),
        "links [a](/x)": _marked("[a](/x) ", 2),
        "images ![a](/x)": _marked("![a](/x) ", 2),
        "backticks": _marked("`a ``b ", 3),
        "reference definitions": _fill_lines("[a]: /x", lines=(MAX_MARKS - 100) // 2),
        "entities": _marked("&amp; &#123; &#x41; ", 3),
        "escapes": _marked("\\* \\_ \\! ", 5),
        "autolinks and tags": _marked("<http://a.b> <b> ", 2),
        "table, 49 columns": "|"
        + "h|" * (MAX_TABLE_COLUMNS - 1)
        + "\n|"
        + "-|" * (MAX_TABLE_COLUMNS - 1)
        + "\n"
        + "\n".join(
            ["|" + "word four|" * (MAX_TABLE_COLUMNS - 1)] * (MAX_MARKS // MAX_TABLE_COLUMNS - 4)
        ),
        "dash lines": _fill_lines(_words(190) + "\n---", lines=MAX_LINES // 2),
        "blank lines": "\n" * (MAX_LINES - 200),
    }
    return {name: body[:BUDGET] for name, body in cases.items()}


def _refused_cases() -> dict[str, str]:
    return {
        "50,000 quote levels (crashed the Rust parser)": ">" * 50_000 + " a",
        "50,000 list levels (crashed the Rust parser)": "- " * 50_000 + "a",
        "600 KB of *a **b (stalled it for minutes)": "*a **b " * 85_000,
        "600 KB of *b* *c": "*b* *c " * 85_000,
        "one 900 KB line": _words(900_000),
        f"{MAX_LINE_CHARS - 2:,} quote levels on one line": ">" * (MAX_LINE_CHARS - 2) + " a",
        "*a **b on 4,900 short lines": "\n".join(["*a **b"] * 4_900),
        "[ on 5,100 short lines": "\n".join(["[a"] * 5_100),
        "200,000 lines": "a\n" * 200_000,
        f"{MAX_NESTING + 1} levels of quotes": "> " * (MAX_NESTING + 1) + "a",
        f"table of {MAX_TABLE_COLUMNS + 10} columns": "|" + "a|" * (MAX_TABLE_COLUMNS + 10),
    }


def _document(body: str) -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    return text.replace(ANCHOR, ANCHOR + "\n" + body + "\n", 1)


def _best(function, argument, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function(argument)
        times.append(time.perf_counter() - start)
    return min(times)


def _outcome(text: str) -> str:
    try:
        parse_monograph(text, "hostile.md")
    except MonographError as error:
        return str(error.problems[0]).removeprefix("hostile.md:")[:90]
    return "accepted"


def _parse(text: str) -> None:
    with contextlib.suppress(MonographError):
        parse_monograph(text, "hostile.md")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(
        f"limits: nesting {MAX_NESTING}, line {MAX_LINE_CHARS:,} characters, {MAX_LINES:,} lines, "
        f"{MAX_MARKS:,} markup characters, {MAX_TABLE_COLUMNS} table columns; "
        f"best of {args.repeat}"
    )
    worst, worst_readability = (0.0, ""), 0.0
    for heading, cases, accepted in (
        ("within the limits", _accepted_cases(), True),
        ("past the limits", _refused_cases(), False),
    ):
        print(f"\n{heading}:")
        print(f"{'case':<48} {'KB':>5} {'parse':>8} {'render':>8} {'readab.':>8}  outcome")
        for name, body in cases.items():
            text = _document(body)
            size = len(text.encode("utf-8"))
            parse = _best(_parse, text, args.repeat)
            render = _best(render_markdown, body, args.repeat)
            readability = _best(measure_readability, text, args.repeat)
            outcome = _outcome(text)
            print(
                f"{name:<48} {size / 1000:>5.0f} {parse * 1000:>6.0f}ms {render * 1000:>6.0f}ms "
                f"{readability * 1000:>6.0f}ms  {outcome}",
                flush=True,
            )
            if accepted:
                # Within every limit (the parser may still find the text wrong otherwise).
                assert not check_markdown(body), (name, check_markdown(body)[0])
                slowest = max(parse, render)
                if slowest > worst[0]:
                    worst = (slowest, name)
                worst_readability = max(worst_readability, readability)
    print(
        f"\nworst accepted input: {worst[1]}, {worst[0] * 1000:.0f} ms to parse or render; "
        f"readability figures at most {worst_readability * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
