"""Three-way merge of monograph texts, and the overlap markers an editor resolves.

When an editor saves a text that started from an older version, their text
("yours") and the latest version ("theirs") are merged line by line against the
version the editor started from (the base), with merge3. Lines only one side
changed are taken from that side; where both sides changed the same lines
differently (an overlap), both are kept in the text between markers:

    <<<<<<< yours (overlap 1)
    ...your lines...
    =======
    ...their lines...
    >>>>>>> theirs: version 3 (overlap 1)

The markers carry everything needed to resolve the overlap, so the page is
stateless: `find_overlaps` reads them back, `apply_choices` replaces an
overlap by yours, theirs or both, and `marker_problems` refuses any text that
still holds a marker line. Pure functions on strings: no Django, no database.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

from merge3 import Merge3

from monographs.parsing import Problem

START = "<<<<<<<"
MIDDLE = "======="
END = ">>>>>>>"
CHOICES = ("mine", "theirs", "both")

_START = re.compile(r"^<{7} .*\(overlap (\d+)\)\s*$")
_END = re.compile(r"^>{7} .*\(overlap (\d+)\)\s*$")
# Any line a merge tool could have left: refused, whatever follows the marker.
_ANY_MARKER = re.compile(r"^(<{7}|>{7})(\s|$)")
_HEADING = re.compile(r"^(#{2,6})\s+(.+?)\s*#*\s*$")
_FIELD = re.compile(r"^([A-Za-z_][\w-]*)\s*:")


@dataclasses.dataclass(frozen=True)
class Overlap:
    """Lines both editors changed differently: yours and theirs, at `line` of the merged text."""

    number: int
    mine: str
    theirs: str
    section: str
    line: int


@dataclasses.dataclass(frozen=True)
class MergeResult:
    """The merged text, its overlaps, and the parts each side changed that were merged."""

    text: str
    overlaps: list[Overlap]
    mine_parts: list[str]
    theirs_parts: list[str]

    @property
    def clean(self) -> bool:
        return not self.overlaps


def merge_texts(base: str, theirs: str, mine: str, *, theirs_label: str) -> MergeResult:
    """Merge `mine` and `theirs`, both edited from `base`.

    `theirs_label` names their version in the end markers ("version 3").
    Returns the merged text (with markers around each overlap), the overlaps,
    and the names of the parts (sections, front-matter fields) where only one
    side's change was taken.
    """
    base_lines, theirs_lines, mine_lines = (_lines(text) for text in (base, theirs, mine))
    merger = Merge3(base_lines, mine_lines, theirs_lines)
    out: list[str] = []
    changed: list[tuple[str, int]] = []  # (side, index in `out` where its change sits)
    overlaps: list[tuple[int, list[str], list[str], int]] = []
    for region in merger.reprocess_merge_regions(merger.merge_regions()):
        kind = region[0]
        if kind == "unchanged":
            out.extend(base_lines[region[1] : region[2]])
        elif kind == "same":
            out.extend(mine_lines[region[1] : region[2]])
        elif kind == "a":
            changed.append(("mine", len(out)))
            out.extend(mine_lines[region[1] : region[2]])
        elif kind == "b":
            changed.append(("theirs", len(out)))
            out.extend(theirs_lines[region[1] : region[2]])
        else:  # "conflict"
            _kind, _z1, _z2, a1, a2, b1, b2 = region
            number = len(overlaps) + 1
            mine_part, theirs_part = mine_lines[a1:a2], theirs_lines[b1:b2]
            overlaps.append((number, mine_part, theirs_part, len(out)))
            out.append(f"{START} yours (overlap {number})\n")
            out.extend(mine_part)
            out.append(f"{MIDDLE}\n")
            out.extend(theirs_part)
            out.append(f"{END} theirs: {theirs_label} (overlap {number})\n")
    sections = _sections(out)
    return MergeResult(
        text="".join(out),
        overlaps=[
            Overlap(number, "".join(m), "".join(t), sections[index], index + 1)
            for number, m, t, index in overlaps
        ],
        mine_parts=_unique(sections[i] for side, i in changed if side == "mine"),
        theirs_parts=_unique(sections[i] for side, i in changed if side == "theirs"),
    )


def find_overlaps(text: str) -> list[Overlap]:
    """The overlaps still marked in `text`, in order; a broken marker block is left out."""
    lines = text.splitlines(keepends=True)
    sections = _sections(lines)
    return [
        Overlap(number, "".join(lines[a:m]), "".join(lines[m + 1 : e]), sections[a - 1], a)
        for number, a, m, e in _blocks(lines)
    ]


def apply_choices(text: str, choices: Mapping[str, str]) -> str:
    """Replace each marked overlap whose `choices["overlap-N"]` is mine, theirs or both.

    "both" keeps your lines, then theirs. Overlaps without a choice (or chosen
    "edit") keep their markers, for the editor to resolve in the text.
    """
    lines = text.splitlines(keepends=True)
    for number, start, middle, end in reversed(_blocks(lines)):
        choice = choices.get(f"overlap-{number}")
        if choice not in CHOICES:
            continue
        mine, theirs = lines[start:middle], lines[middle + 1 : end]
        kept = {"mine": mine, "theirs": theirs, "both": _joined(mine, theirs)}[choice]
        lines[start - 1 : end + 1] = kept
    return "".join(lines)


def marker_problems(text: str, path: str) -> list[Problem]:
    """A problem for each line of `text` that starts with an overlap marker."""
    marked = [
        (number, line[:7])
        for number, line in enumerate(text.splitlines(), start=1)
        if _ANY_MARKER.match(line)
    ]
    # One problem per overlap (its start line); an end line alone is named too.
    starts = [number for number, marker in marked if marker == START]
    return [
        Problem(
            path,
            number,
            "an overlap between your text and someone else's is not resolved yet: "
            "choose yours, theirs or both for it, or edit the text between the "
            f"'{START}' and '{END}' lines and remove those lines",
        )
        for number in starts or [number for number, _marker in marked]
    ]


# --- Private helpers ---------------------------------------------------------


def _lines(text: str) -> list[str]:
    # A last line without a newline would run into a marker line.
    if text and not text.endswith("\n"):
        text += "\n"
    return text.splitlines(keepends=True)


def _joined(first: list[str], second: list[str]) -> list[str]:
    if first and not first[-1].endswith("\n"):
        first = [*first[:-1], first[-1] + "\n"]
    return [*first, *second]


def _blocks(lines: list[str]) -> list[tuple[int, int, int, int]]:
    """(number, first line of yours, the middle marker, the end marker), 0-based indexes.

    The first line of yours is the line after the start marker.
    """
    blocks = []
    index = 0
    while index < len(lines):
        start = _START.match(lines[index].rstrip("\r\n"))
        if not start:
            index += 1
            continue
        number, middle, end = int(start.group(1)), None, None
        probe = index + 1
        while probe < len(lines):
            line = lines[probe].rstrip("\r\n")
            if _START.match(line):
                break
            if line == MIDDLE and middle is None:
                middle = probe
            closing = _END.match(line)
            if closing and middle is not None and int(closing.group(1)) == number:
                end = probe
                break
            probe += 1
        if end is None:
            index += 1
            continue
        blocks.append((number, index + 1, middle, end))
        index = end + 1
    return blocks


def _sections(lines: list[str]) -> list[str]:
    """For each line index (and one past the end), the part of the monograph it is in.

    Front-matter lines are named by their field ("details at the top: name"),
    body lines by their heading, with the heading above it ("Dosage › Adults").
    """
    names: list[str] = []
    in_front = bool(lines) and lines[0].strip() == "---"
    field, headings = "", {}
    for index, line in enumerate(lines):
        text = line.rstrip("\r\n")
        if in_front:
            if index > 0 and text.strip() == "---":
                in_front = False
            elif (match := _FIELD.match(text)) and not text.startswith((" ", "\t", "-")):
                field = match.group(1)
            names.append(f"details at the top: {field}" if field else "details at the top")
            continue
        if match := _HEADING.match(text):
            level = len(match.group(1))
            headings = {k: v for k, v in headings.items() if k < level}
            headings[level] = match.group(2)
        names.append(" › ".join(headings[k] for k in sorted(headings)) or "start of the text")
    names.append(names[-1] if names else "start of the text")
    return names


def _unique(names) -> list[str]:
    return list(dict.fromkeys(names))
