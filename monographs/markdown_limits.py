"""Limits on Markdown that any parser may be asked to read, checked before one reads it.

Both Markdown parsers this site uses can be made to crash or stall by text
well under the 1 MB file limit: about 45,000 levels of block quotes or list
markers crash markdown-it-pyrs (the Rust parser, tree_tokens.py) with a
segmentation fault, which kills the whole process; emphasis runs (`*a* *b`
repeated over 600 KB) keep it busy for minutes, as its emphasis matching is
quadratic in the marks of one paragraph; and markdown-it-py slows down with
many brackets or very long lines. `check_markdown(text)` measures the few
things that bound both parsers' time, with a plain scan that takes a few
milliseconds on a megabyte, and says at which line a limit is passed:

- MAX_NESTING: containers on one line (block quotes `>`, list markers `-`,
  `*`, `+`, `1.`, and every two spaces of indentation), at most 20, where
  markdown-it-py stops nesting (its maxNesting) and shows the rest as text;
- MAX_LINE_CHARS: characters on one line, at most 5,000;
- MAX_LINES: lines, at most 5,000;
- MAX_MARKS: markup characters (`*`, `_`, `~`, backticks, `[`, `]`, `|`,
  `\\`, `&` and `<`) in the whole text, at most 5,000;
- MAX_TABLE_COLUMNS: `|` on one line, at most 50.

content/baclofen.md, the largest real monograph (38 KB), has 468 body lines, none
longer than 474 characters, 381 markup characters, nesting of 1 and 4 `|` a line:
each limit is ten times or more what it needs. The worst text within every
limit, up to 1 MB, parses and renders in well under a second
(bench/hostile_parse.py prints the figures).

parsing.py checks a monograph's body (and the length of its front-matter
lines) before parsing it, rendering.py every piece it renders; tree_tokens.py
keeps markdown-it-pyrs to text with shallow nesting and few emphasis marks,
which it parses in linear time. This module is pure Python with no Django
imports.
"""

from __future__ import annotations

import dataclasses

MAX_NESTING = 20
MAX_LINE_CHARS = 5_000
MAX_LINES = 5_000
MAX_MARKS = 5_000
MAX_TABLE_COLUMNS = 50

# Characters that start inline markup: emphasis, strikethrough, code, links,
# table cells, escapes, entities and HTML.
MARKS = "*_~`[]|\\&<"
# Characters a line's run of containers starts with: spaces, tabs, quote
# marks, bullets and the digits of ordered-list numbers.
_CONTAINER_START = frozenset(" \t>-+*0123456789")


@dataclasses.dataclass(frozen=True)
class Excess:
    """A limit passed at a line of the checked text (1-based, from first_line)."""

    line: int
    message: str


def check_markdown(text: str, first_line: int = 1) -> list[Excess]:
    """The limits `text` passes, each once, at the first line where it does.

    Line numbers start at `first_line`, the line of the file or the editor
    where `text` starts. An empty list means any parser may read `text`.
    """
    lines = text.split("\n")
    if len(lines) > MAX_LINES:
        # The other checks would each walk every line: one problem is enough.
        return [
            Excess(
                first_line + MAX_LINES,
                f"the text is {len(lines):,} lines long; a monograph may have at most "
                f"{MAX_LINES:,} lines",
            )
        ]
    excesses = check_line_lengths(lines, first_line)
    excesses += _check_nesting(lines, first_line)
    excesses += _check_table_columns(lines, first_line)
    excesses += _check_marks(lines, first_line)
    return sorted(excesses, key=lambda excess: excess.line)


def check_line_lengths(lines: list[str], first_line: int = 1) -> list[Excess]:
    """The first of `lines` longer than MAX_LINE_CHARS, if any."""
    for number, line in enumerate(lines, first_line):
        if len(line) > MAX_LINE_CHARS:
            return [
                Excess(
                    number,
                    f"this line is {len(line):,} characters long; a line may have at most "
                    f"{MAX_LINE_CHARS:,}: break it into paragraphs or list items",
                )
            ]
    return []


def measure_nesting(line: str) -> int:
    """How many containers `line` opens or continues: quote marks, list
    markers and every two columns of indentation before its text (the one
    space after a marker belongs to the marker)."""
    depth = columns = 0
    position, end = 0, min(len(line), MAX_LINE_CHARS)
    while position < end:
        character = line[position]
        if character == " ":
            columns += 1
            position += 1
            continue
        if character == "\t":
            columns += 4
            position += 1
            continue
        if character == ">":
            marker_end = position + 1
        elif character in "-+*":
            marker_end = position + 1
            if marker_end < len(line) and line[marker_end] not in " \t":
                break
        elif character.isdigit():
            digits = position
            while digits < end and line[digits].isdigit():
                digits += 1
            marker_end = digits + 1
            if digits - position > 9 or digits >= len(line) or line[digits] not in ".)":
                break
            if marker_end < len(line) and line[marker_end] not in " \t":
                break
        else:
            break
        depth += 1
        position = marker_end + (marker_end < len(line) and line[marker_end] == " ")
    return depth + columns // 2


def _check_nesting(lines: list[str], first_line: int) -> list[Excess]:
    for number, line in enumerate(lines, first_line):
        if line[:1] not in _CONTAINER_START:
            continue
        depth = measure_nesting(line)
        if depth > MAX_NESTING:
            return [
                Excess(
                    number,
                    f"this line is nested {depth:,} levels deep (block quotes '>', list "
                    f"markers or indentation); at most {MAX_NESTING} levels are allowed",
                )
            ]
    return []


def _check_table_columns(lines: list[str], first_line: int) -> list[Excess]:
    for number, line in enumerate(lines, first_line):
        pipes = line.count("|")
        if pipes > MAX_TABLE_COLUMNS:
            return [
                Excess(
                    number,
                    f"this line has {pipes:,} '|' characters; a table may have at most "
                    f"{MAX_TABLE_COLUMNS} columns",
                )
            ]
    return []


def _check_marks(lines: list[str], first_line: int) -> list[Excess]:
    total = 0
    for number, line in enumerate(lines, first_line):
        total += sum(line.count(mark) for mark in MARKS)
        if total > MAX_MARKS:
            return [
                Excess(
                    number,
                    f"the text has more than {MAX_MARKS:,} markup characters "
                    f"({' '.join(MARKS)}) by this line; that is more than any monograph "
                    "needs, and so many slow every parser down",
                )
            ]
    return []
