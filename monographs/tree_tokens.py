"""markdown-it-py's block tokens, built from markdown-it-pyrs's syntax tree.

parsing.py reads a monograph as markdown-it-py's token stream (types, line
maps, inline children) and rendering.py renders those tokens. Parsing a 38 KB
monograph in pure Python takes about 10 ms, most of a large load's work.
markdown-it-pyrs, the Rust port of the same parser from the same project
(executablebooks), parses the same CommonMark with tables and strikethrough
about ten times faster, but answers with a tree. `block_tokens` rebuilds the
token stream from that tree for the Markdown that monographs are written in:
headings, paragraphs, lists, tables, emphasis, code spans and plain links.

For anything else (raw HTML, images, code blocks, quotes, rules, tabs, links
with unusual addresses, setext headings, and the corners where the two ports
are known to differ, listed below) it returns None and the caller parses with
markdown-it-py, which stays the reference. tests/test_tree_tokens.py checks
that both give the same tokens, field by field, for the monographs in content/
and tests/content/, synthetic monographs, generated Markdown and the inputs
where they were once found to differ; that is evidence, not proof, so the
list of exclusions below grows when a new difference is found.
"""

from __future__ import annotations

import bisect
import re
import unicodedata

import markdown_it_pyrs
from markdown_it.token import Token

_parser = markdown_it_pyrs.MarkdownIt("commonmark").enable_many(["table", "strikethrough"])

# Text that may mean something the fast path does not build: raw HTML and
# autolinks ("<"), tabs and carriage returns (indentation columns), NUL
# (replaced by the parser), images, escaped table pipes, runs of three emphasis
# marks (nested emphasis leaves tokens in an order of its own) or tildes, and reference
# definitions ("[x]: address"; markdown-it-pyrs drops those it thinks unsafe,
# where parsing.py must see them to report them).
_UNSUPPORTED_TEXT = ("<", "\t", "\r", "\x00", "![", "\\|", "***", "___", "~~~", "]:")
# Link targets other than web, mail and site addresses (dropped by
# markdown-it-pyrs as above), and targets with non-ASCII characters, entities
# or "[" (markdown-it-py writes international host names in punycode, the
# Rust port percent-encodes them).
_NON_WEB_LINK = re.compile(r"\]\((?!\s*(?:https?://|mailto:|/|#))")
_LINK_TARGET = re.compile(r"\]\(\s*<?([^\s)]*)")
_UNSUPPORTED_IN_TARGET = re.compile(r"[^\x00-\x7f]|\[|&")
# Deleted from UTF-8 text, these leave its non-ASCII characters.
_ASCII_BYTES = bytes(range(128))
# markdown-it-py stops nesting blocks and inline markup at 20 levels (its
# maxNesting), the Rust port does not: deeper text is left to markdown-it-py,
# and the builder's recursion stays shallow.
_MAX_DEPTH = 8
# Text the Rust port must not see: it crashes the process (a segmentation
# fault) at some 45,000 levels of nesting, long before the builder could give
# up, and its emphasis matching takes time quadratic in a paragraph's marks
# (600 KB of "*a* *b" took minutes). A line that starts with many container
# characters, or text with many marks, goes to markdown-it-py, which caps
# nesting and is linear there; markdown_limits.py bounds what reaches either.
_DEEP_LINE = re.compile(r"^[ \t>*+\-0-9.)]{24}", re.M)
_MAX_FAST_MARKS = 2_000
# A line that may start another block where the Rust port sees a table row.
_BLOCK_START = re.compile(rb" {0,3}(?:[-+*]|\d{1,9}[.)])(?: |$)| {0,3}(?:#|>|```|~~~)")

# A line of dashes, colons and "|" under a line of text: a setext heading's
# underline, or a table's delimiter row. Without a "|", or indented four
# spaces or more, markdown-it-py and the Rust port may read it differently.
_DASH_LINE = re.compile(r"\n( *)([-:|][-:| ]*)(?=\n|$)")

_WHITESPACE = frozenset(b" \t\r\n")
# ASCII characters Python counts as spaces besides " ", "\n", "\t" and "\r".
_OTHER_ASCII_SPACES = "\x0b\x0c\x1c\x1d\x1e\x1f"

_INLINE_MARKUP = {
    "em": ("em", None),
    "strong": ("strong", None),
    "strikethrough": ("s", "~~"),
    "link": ("a", ""),
}


# Tokens are made with positional arguments, in the order of Token's fields
# (type, tag, nesting, attrs, map, level, children, content, markup, info,
# meta, block, hidden): half the cost of keywords, for 1,500 tokens a monograph.


class _Unsupported(Exception):
    """The tree holds something the fast path does not rebuild."""


def block_tokens(text: str) -> list[Token] | None:
    """The tokens markdown-it-py would give for `text`, or None to ask it instead."""
    if _outside_the_subset(text) or _unsafe_for_the_rust_port(text):
        return None
    try:
        tree = _parser.tree(text)
    except BaseException as error:
        # The Rust parser panics on some malformed input ("[`"); pyo3 raises
        # that as a BaseException. markdown-it-py reads such text instead.
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        return None
    builder = _Builder(text)
    try:
        builder.blocks(tree.children, level=0, tight=False, indent=0, end=0, start=0)
    except _Unsupported:
        return None
    return builder.tokens


def _unsafe_for_the_rust_port(text: str) -> bool:
    """Whether `text` may crash markdown-it-pyrs or keep it busy (see above)."""
    marks = 0
    for mark in "*_~`[]":
        marks += text.count(mark)
    return marks > _MAX_FAST_MARKS or _DEEP_LINE.search(text) is not None


def _outside_the_subset(text: str) -> bool:
    """Whether `text` holds something markdown-it-pyrs may read differently (see above)."""
    # A search for one character is many times quicker than for two or three,
    # and most of these start with a character most monographs never use.
    if any(part[0] in text and part in text for part in _UNSUPPORTED_TEXT):
        return True
    if _NON_WEB_LINK.search(text) or _unsupported_link_target(text):
        return True
    if _dash_line_under_text(text):
        return True
    if "`" in text and "[" in text:
        # markdown-it-pyrs 0.4 panics on an unclosed "[" before a code span.
        return True
    # Python's strip() and markdown-it-py trim every kind of space; the Rust
    # port only ASCII ones.
    if any(space in text for space in _OTHER_ASCII_SPACES):
        return True
    if not text.isascii():
        try:
            encoded = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate
            return True
        # Its UTF-8 with the ASCII bytes taken out: the other characters.
        for character in set(encoded.translate(None, _ASCII_BYTES).decode("utf-8")):
            if character.isspace():
                return True
            # A symbol (£, ®, ±, °) beside an emphasis or strikethrough mark:
            # markdown-it-py follows CommonMark 0.31, where it counts as
            # punctuation there, the Rust port does not.
            if unicodedata.category(character).startswith("S") and any(
                f"{mark}{character}" in text or f"{character}{mark}" in text for mark in "*_~"
            ):
                return True
    return False


def _dash_line_under_text(text: str) -> bool:
    for match in _DASH_LINE.finditer(text):
        indent, line = match.groups()
        if "-" not in line or ("|" in line and len(indent) < 4):
            continue
        above = text[text.rfind("\n", 0, match.start()) + 1 : match.start()]
        if above.strip():
            return True
    return False


def _unsupported_link_target(text: str) -> bool:
    """Whether a link target in `text` holds a character the ports encode differently.

    Each target is read once: a "](" inside a target that has none of those
    characters starts a target that is the rest of it, so the search goes on
    after its end (a search from every "](" took quadratic time on text made
    of many of them).
    """
    return any(_UNSUPPORTED_IN_TARGET.search(match[1]) for match in _LINK_TARGET.finditer(text))


class _Builder:
    def __init__(self, text: str):
        # markdown-it-pyrs gives positions in bytes of UTF-8.
        self.source = text.encode("utf-8")
        self.lines = text.split("\n")
        self.line_starts = [0]
        for line in self.source.split(b"\n")[:-1]:
            self.line_starts.append(self.line_starts[-1] + len(line) + 1)
        self.tokens: list[Token] = []

    # --- positions ---

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset) - 1

    def line_map(self, node) -> list[int]:
        start, end = node.srcmap
        # The line after the node's last character: trailing blank lines are
        # not part of it (parsing.py strips them from a block's source anyway).
        return [self.line_of(start), self.line_of(max(start, end - 1)) + 1]

    def line_bytes(self, line: int) -> bytes:
        return self.source[self.line_starts[line] : self.line_end(line)]

    def line_text(self, line: int) -> str:
        return self.lines[line]

    def column_of(self, offset: int) -> int:
        line = self.line_of(offset)
        line_start = self.line_starts[line]
        text = self.lines[line]
        if len(text) == self.line_end(line) - line_start:  # all ASCII
            return offset - line_start
        return len(self.source[line_start:offset].decode("utf-8"))

    def line_end(self, line: int) -> int:
        """The byte offset of the end of `line` (its newline, or the end of the text)."""
        if line + 1 < len(self.line_starts):
            return self.line_starts[line + 1] - 1
        return len(self.source)

    # --- block tokens ---

    def push(
        self,
        type_: str,
        tag: str,
        nesting: int,
        level: int,
        map: list[int] | None = None,  # noqa: A002 -- markdown-it's name for it
        *,
        attrs: dict | None = None,
        children: list[Token] | None = None,
        content: str = "",
        markup: str = "",
        info: str = "",
        hidden: bool = False,
    ) -> None:
        self.tokens.append(
            Token(
                type_, tag, nesting, attrs or {}, map, level, children, content, markup, info,
                {}, True, hidden,
            )
        )  # fmt: skip

    def blocks(self, nodes, level: int, tight: bool, indent: int, end: int, start: int) -> None:
        """Tokens for block `nodes`, in a container whose content starts at byte
        `start`, column `indent`, and ends at byte `end`."""
        names = [node.name for node in nodes]
        index = 0
        while index < len(nodes):
            node = nodes[index]
            name = names[index]
            if name == "paragraph":
                self.paragraph(node.srcmap, node.children, level, tight, indent)
            elif name == "heading":
                self.heading(node, level)
            elif name in ("bullet_list", "ordered_list"):
                self.list_block(node, level)
            elif name == "table":
                self.table(node, level)
            elif tight and name not in _BLOCK_NAMES:
                # A tight list item's paragraph is not in the tree: its inline
                # nodes are the item's children.
                stop = index
                while stop < len(nodes) and names[stop] not in _BLOCK_NAMES:
                    stop += 1
                # Inline nodes' own source positions are not reliable at their
                # ends; the paragraph ends where the next block or the item does.
                span = (
                    start if index == 0 else nodes[index].srcmap[0],
                    nodes[stop].srcmap[0] if stop < len(nodes) else end,
                )
                self.paragraph(span, nodes[index:stop], level, True, indent)
                index = stop
                continue
            else:
                raise _Unsupported(name)
            index += 1

    def paragraph(self, span, children, level: int, hidden: bool, indent: int) -> None:
        start, end = span
        source = self.source
        while end > start and source[end - 1] in _WHITESPACE:
            end -= 1
        first = self.line_of(start)
        last = self.line_of(max(start, end - 1)) + 1
        line_map = [first, last]
        lines = self.lines
        # As markdown-it's getLines: each line loses up to the container's
        # indentation; the first starts where the paragraph does.
        if last - first == 1:
            content = lines[first][self.column_of(start) :].strip()
        elif indent == 0:
            # At the top level a paragraph starts at most three spaces into its
            # first line, and strip() takes those.
            content = "\n".join(lines[first:last]).strip()
        else:
            content = "\n".join(
                [lines[first][self.column_of(start) :]]
                + [
                    line[min(indent, len(line) - len(line.lstrip(" "))) :]
                    for line in lines[first + 1 : last]
                ]
            ).strip()
        inline: list[Token] = []
        _inline_children(children, 0, inline)
        tokens = self.tokens
        tokens.append(
            Token("paragraph_open", "p", 1, {}, line_map, level, None, "", "", "", {}, True, hidden)
        )
        tokens.append(
            Token(
                "inline", "", 0, {}, line_map, level + 1, inline, content, "", "", {}, True, False
            )
        )
        tokens.append(
            Token("paragraph_close", "p", -1, {}, None, level, None, "", "", "", {}, True, hidden)
        )

    def heading(self, node, level: int) -> None:
        line_map = self.line_map(node)
        line = self.line_text(line_map[0]).strip()
        marks = len(line) - len(line.lstrip("#"))
        if marks != node.meta["level"]:
            raise _Unsupported("setext heading")
        content = _atx_heading_text(line[marks:])
        tag = f"h{marks}"
        self.push("heading_open", tag, 1, level, map=line_map, markup="#" * marks)
        self.inline(node.children, content, line_map, level + 1)
        self.push("heading_close", tag, -1, level, markup="#" * marks)

    def list_block(self, node, level: int) -> None:
        if level >= 2 * _MAX_DEPTH:
            raise _Unsupported("deeply nested lists")
        ordered = node.name == "ordered_list"
        marker = node.meta["marker"]
        kind, tag = ("ordered_list", "ol") if ordered else ("bullet_list", "ul")
        attrs = {}
        if ordered and node.meta["start"] != 1:
            attrs["start"] = node.meta["start"]
        items = node.children
        # Each read of a node's children, position or meta builds new Python
        # objects from the Rust tree, so each is read once.
        spans = [item.srcmap for item in items]
        contents = [item.children for item in items]
        # markdown-it-pyrs leaves out the paragraphs of a tight list.
        tight = all(child.name != "paragraph" for children in contents for child in children)
        list_map = self.line_map(node)
        self.push(f"{kind}_open", tag, 1, level, map=list_map, markup=marker, attrs=attrs)
        for position, (start, end) in enumerate(spans):
            if position + 1 < len(spans):
                end_line = self.line_of(spans[position + 1][0])
            else:
                end_line = list_map[1]
            info = ""
            if ordered:
                line = self.line_text(self.line_of(start))
                info = line[self.column_of(start) :].lstrip(" ").split(marker, 1)[0]
            self.push(
                "list_item_open",
                "li",
                1,
                level + 1,
                map=[self.line_of(start), end_line],
                markup=marker,
                info=info,
            )
            content_start, indent = self.item_content(start, marker)
            self.blocks(contents[position], level + 2, tight, indent, end, content_start)
            self.push("list_item_close", "li", -1, level + 1, markup=marker)
        self.push(f"{kind}_close", tag, -1, level, markup=marker)

    def item_content(self, start: int, marker: str) -> tuple[int, int]:
        """Where the list item whose marker is at byte `start` has its content:
        (byte offset, column), as markdown-it finds it.

        From the item's marker, not from its first child, whose position
        markdown-it-pyrs sometimes gives one character late.
        """
        line_number = self.line_of(start)
        line_start = self.line_starts[line_number]
        line = self.line_bytes(line_number)
        position = start - line_start
        while position < len(line) and line[position : position + 1].isdigit():
            position += 1
        if line[position : position + 1] != marker.encode():
            raise _Unsupported("list marker")
        position += 1
        spaces = len(line[position:]) - len(line[position:].lstrip(b" "))
        if spaces == 0 or position + spaces == len(line):
            raise _Unsupported("list item starting with a blank line")
        # More than four spaces after the marker: the content is indented code
        # and starts one space after it.
        position += spaces if spaces <= 4 else 1
        offset = line_start + position
        return offset, self.column_of(offset)

    def table(self, node, level: int) -> None:
        alignments = node.meta.get("alignments") or []
        table_map = self.line_map(node)
        # The Rust port also takes a header or delimiter row without "|" (a
        # paragraph in markdown-it-py), and keeps a list item after the last row
        # as a row (markdown-it-py ends the table there).
        header, delimiter = self.line_bytes(table_map[0]), self.line_bytes(table_map[0] + 1)
        if b"|" not in header or b"|" not in delimiter:
            raise _Unsupported("table rows without '|'")
        if _BLOCK_START.match(header):
            # markdown-it-py reads such a line as a list item or heading.
            raise _Unsupported("a table header that may start another block")
        for line in range(table_map[0] + 2, table_map[1]):
            if _BLOCK_START.match(self.line_bytes(line)):
                raise _Unsupported("a table row that may start another block")
        self.push("table_open", "table", 1, level, map=table_map)
        for part in node.children:
            if part.name not in ("thead", "tbody") or not part.children:
                raise _Unsupported(part.name)
            cell_tag = "th" if part.name == "thead" else "td"
            rows = part.children
            self.push(
                f"{part.name}_open",
                part.name,
                1,
                level + 1,
                map=[self.line_of(rows[0].srcmap[0]), self.line_map(rows[-1])[1]],
            )
            if part.name == "thead" and len(rows[0].children) != len(alignments):
                raise _Unsupported("header cells")
            for row in rows:
                row_line = self.line_of(row.srcmap[0])
                row_map = [row_line, row_line + 1]
                self.push("tr_open", "tr", 1, level + 2, map=row_map)
                for column, cell in enumerate(row.children):
                    align = alignments[column] if column < len(alignments) else "none"
                    attrs = {"style": f"text-align:{align}"} if align != "none" else {}
                    self.push(f"{cell_tag}_open", cell_tag, 1, level + 3, attrs=attrs)
                    start, end = cell.srcmap
                    content = self.source[start:end].decode("utf-8").strip()
                    self.inline(cell.children, content, row_map, level + 4)
                    self.push(f"{cell_tag}_close", cell_tag, -1, level + 3)
                self.push("tr_close", "tr", -1, level + 2)
            self.push(f"{part.name}_close", part.name, -1, level + 1)
        self.push("table_close", "table", -1, level)

    # --- inline tokens ---

    def inline(self, nodes, content: str, line_map: list[int], level: int) -> None:
        children: list[Token] = []
        _inline_children(nodes, 0, children)
        self.push("inline", "", 0, level, map=line_map, content=content, children=children)


_BLOCK_NAMES = frozenset(
    {
        "paragraph",
        "heading",
        "bullet_list",
        "ordered_list",
        "table",
        "blockquote",
        "code_block",
        "fence",
        "hr",
        "html_block",
    }
)


def _inline_children(nodes, level: int, out: list[Token]) -> None:
    if level > _MAX_DEPTH:
        raise _Unsupported("deeply nested inline markup")
    for node in nodes:
        name = node.name
        if name == "text":
            _text(node.meta["content"], level, out)
        elif name == "text_special":  # an entity or a backslash escape
            meta = node.meta
            _text(meta["content"], level, out, meta.get("markup", ""), meta.get("info", ""))
        elif name == "softbreak" or name == "hardbreak":
            out.append(Token(name, "br", 0, {}, None, level))
        elif name == "code_inline":
            content = "".join(child.meta["content"] for child in node.children)
            if not content.strip():
                # A code span of spaces, maybe over a line end: the two parsers
                # keep different numbers of them.
                raise _Unsupported("blank code span")
            markup = node.meta["marker"] * node.meta["marker_len"]
            out.append(Token("code_inline", "code", 0, {}, None, level, None, content, markup))
        elif name in _INLINE_MARKUP:
            tag, markup = _INLINE_MARKUP[name]
            if markup is None:
                markup = node.meta["marker"] * (2 if name == "strong" else 1)
            attrs = {}
            if name == "link":
                attrs["href"] = node.meta["url"]
                if node.meta.get("title"):
                    attrs["title"] = node.meta["title"]
            type_ = "s" if name == "strikethrough" else tag if name != "link" else "link"
            if name == "strong":
                # markdown-it leaves the outer '*' of each '**' as an empty text token.
                _text("", level, out)
            out.append(Token(f"{type_}_open", tag, 1, attrs, None, level, None, "", markup))
            _inline_children(node.children, level + 1, out)
            out.append(Token(f"{type_}_close", tag, -1, {}, None, level, None, "", markup))
            if name == "strong":
                _text("", level, out)
        else:
            raise _Unsupported(name)


def _text(content: str, level: int, out: list[Token], markup: str = "", info: str = "") -> None:
    """Append text, joined to the text before it as markdown-it's text_join does
    (which keeps the markup and info of the first piece)."""
    if out and out[-1].type == "text":
        out[-1].content += content
    else:
        out.append(Token("text", "", 0, {}, None, level, None, content, markup, info))


def _atx_heading_text(rest: str) -> str:
    """The text of an ATX heading line after its opening '#'s, as markdown-it takes it."""
    text = rest.rstrip(" ")
    without_closing = text.rstrip("#")
    if without_closing != text and (not without_closing or without_closing.endswith(" ")):
        text = without_closing
    return text.strip()
