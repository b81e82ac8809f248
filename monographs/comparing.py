"""Two versions' texts rendered side by side, the changed words marked (issue #17: 3).

The admin's versions page shows, for each part that differs (the fields at the
top, then each `##` section), the old part and the new part as the renderer
draws them, with removed words in `<del>` and added words in `<ins>`. Words are
compared where lines changed: a line diff first, then a word diff inside each
changed run of lines (a very long run is marked whole). The HTML comes from
rendering.render_markdown_marked, the one renderer.
"""

from __future__ import annotations

import dataclasses
import difflib
import re

from django.utils.safestring import SafeString

from .rendering import MARK_END, MARK_START, render_markdown_marked

# A word diff this long (old and new lines together) is marked line by line instead.
MAX_WORD_DIFF_LINES = 200
# Letters and digits (marked when changed), runs of space, or one other character.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+|\s+|[\W_]")
_LIST_NUMBER_AFTER = (".", ")")
# Punctuation with no meaning to Markdown, marked with the words around it.
_PLAIN_PUNCTUATION = frozenset(".,;:?'\"%°/±×–—‘’“”…")


@dataclasses.dataclass(frozen=True)
class ComparedPart:
    """One part of a monograph that differs; a side is None when the part is not there."""

    heading: str
    old_html: SafeString | None
    new_html: SafeString | None


FIELDS = "Fields at the top"


def compare_rendered(old_text: str, new_text: str) -> list[ComparedPart]:
    """The parts of two monograph texts that differ, each side rendered and marked."""
    old_parts = _parts(_unmarked(old_text))
    new_parts = _parts(_unmarked(new_text))
    headings = list(new_parts) + [heading for heading in old_parts if heading not in new_parts]
    compared = []
    for heading in headings:
        old, new = old_parts.get(heading), new_parts.get(heading)
        if old == new:
            continue
        if old is None or new is None:
            marked_old = _mark_all(old) if old is not None else None
            marked_new = _mark_all(new) if new is not None else None
        else:
            marked_old, marked_new = _mark_changes(old, new)
        compared.append(
            ComparedPart(
                heading,
                _render(marked_old, heading, "del"),
                _render(marked_new, heading, "ins"),
            )
        )
    return compared


def _unmarked(text: str) -> str:
    return text.replace("\r\n", "\n").replace(MARK_START, "").replace(MARK_END, "")


def _parts(text: str) -> dict[str, str]:
    """The fields block and each `##` section (outside fenced code), by heading."""
    lines = text.split("\n")
    parts: dict[str, list[str]] = {}
    start = 0
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        if end is not None:
            parts[FIELDS] = lines[1:end]
            start = end + 1
    current = parts.setdefault("", [])
    fence = ""
    for line in lines[start:]:
        stripped = line.lstrip()
        if fence:
            if stripped.startswith(fence):
                fence = ""
        elif stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
        elif line.startswith("## "):
            heading = line[3:].strip()
            while heading in parts:  # a section written twice stays two parts
                heading += " "
            current = parts.setdefault(heading, [])
        current.append(line)
    return {
        heading: "\n".join(body).strip("\n")
        for heading, body in parts.items()
        if heading or "\n".join(body).strip()
    }


def _render(marked: str | None, heading: str, tag: str) -> SafeString | None:
    if marked is None:
        return None
    if heading == FIELDS:
        marked = f"```\n{marked}\n```"
    return render_markdown_marked(marked, tag)


def _mark_changes(old: str, new: str) -> tuple[str, str]:
    old_lines, new_lines = old.split("\n"), new.split("\n")
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    marked_old, marked_new = [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old_run, new_run = "\n".join(old_lines[i1:i2]), "\n".join(new_lines[j1:j2])
        if tag == "equal":
            marked_old.append(old_run)
            marked_new.append(new_run)
        elif tag == "replace" and (i2 - i1) + (j2 - j1) <= MAX_WORD_DIFF_LINES:
            words_old, words_new = _mark_words(old_run, new_run)
            marked_old.append(words_old)
            marked_new.append(words_new)
        else:
            if i2 > i1:
                marked_old.append(_mark_all(old_run))
            if j2 > j1:
                marked_new.append(_mark_all(new_run))
    return "\n".join(marked_old), "\n".join(marked_new)


def _mark_words(old: str, new: str) -> tuple[str, str]:
    old_tokens, new_tokens = _TOKEN.findall(old), _TOKEN.findall(new)
    matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    changed_old, changed_new = set(), set()
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            changed_old.update(range(i1, i2))
            changed_new.update(range(j1, j2))
    return _join(old_tokens, changed_old), _join(new_tokens, changed_new)


def _mark_all(text: str) -> str:
    tokens = _TOKEN.findall(text)
    return _join(tokens, set(range(len(tokens))))


def _join(tokens: list[str], changed: set[int]) -> str:
    """The tokens again, each run of changed words between the marks.

    Only words, spaces within a line and plain punctuation are marked, never
    Markdown's own characters (* _ # [ ] ( ) | ` and so on), so a mark never
    crosses an element; a list item's number stays a list number.
    """
    flags = [False] * len(tokens)
    line_start, list_number = True, False
    # A link's address, "](...)", and anything in angle brackets are never marked:
    # a mark there would change the address, not the words.
    address_depth, in_angle, previous = 0, False, ""
    for index, piece in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        if piece == "(" and (address_depth or previous == "]"):
            address_depth += 1
        elif piece == ")" and address_depth:
            address_depth -= 1
        elif piece == "<":
            in_angle = True
        elif piece == ">" or "\n" in piece:
            in_angle = False
        if not piece.isspace():
            previous = piece
        if address_depth or in_angle:
            pass
        elif line_start and piece.isdigit() and following in _LIST_NUMBER_AFTER:
            list_number = True  # "1." or "1)" starting a line: never marked
        elif list_number:
            list_number = False  # its "." or ")"
        elif index in changed:
            flags[index] = piece[0].isalnum() or piece in _PLAIN_PUNCTUATION
        if "\n" in piece:
            line_start = True
        elif not piece.isspace():
            line_start = False
    # Spaces within a line between two marked tokens join them into one mark.
    for index in range(1, len(tokens) - 1):
        piece = tokens[index]
        if piece.isspace() and "\n" not in piece and flags[index - 1] and flags[index + 1]:
            flags[index] = True
    out = []
    for index, piece in enumerate(tokens):
        if flags[index] and (index == 0 or not flags[index - 1]):
            out.append(MARK_START)
        out.append(piece)
        if flags[index] and (index + 1 == len(tokens) or not flags[index + 1]):
            out.append(MARK_END)
    return "".join(out)
