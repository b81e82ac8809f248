"""The content-format guide (docs/content-format.md) as the admin shows it to editors.

The guide is split at its level-2 headings, outside code blocks, and each part is
rendered by rendering.render_markdown, the one sanitising renderer: the parts keep
their headings as a table of contents, and each stays well within the renderer's
limits (a part past them is shown as plain text, as the renderer does).
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

from django.conf import settings
from django.utils.safestring import SafeString
from django.utils.text import slugify

from .rendering import render_markdown

GUIDE_PATH = Path(settings.BASE_DIR) / "docs" / "content-format.md"


@dataclasses.dataclass(frozen=True)
class GuidePart:
    anchor: str
    heading: str
    html: SafeString


@dataclasses.dataclass(frozen=True)
class Guide:
    title: str
    parts: tuple[GuidePart, ...]


def content_format_guide() -> Guide:
    """The guide, read again only when the file changes."""
    return _guide(GUIDE_PATH, GUIDE_PATH.stat().st_mtime_ns)


@functools.lru_cache(maxsize=2)
def _guide(path: Path, _mtime: int) -> Guide:
    return split_guide(path.read_text(encoding="utf-8"))


def split_guide(text: str) -> Guide:
    title, heading, lines, parts = "", "", [], []
    fence = ""

    def close_part():
        body = "\n".join(lines).strip("\n")
        if heading or body:
            anchor = f"guide-{slugify(heading) or 'introduction'}"
            parts.append(GuidePart(anchor, heading, render_markdown(body)))

    for line in text.splitlines():
        stripped = line.lstrip()
        if fence:
            if stripped.startswith(fence):
                fence = ""
        elif stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
        elif line.startswith("# ") and not title:
            title = line[2:].strip()
            continue
        elif line.startswith("## "):
            close_part()
            heading, lines = line[3:].strip(), []
            continue
        lines.append(line)
    close_part()
    return Guide(title, tuple(parts))
