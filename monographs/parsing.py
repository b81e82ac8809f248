"""Parse a monograph file (front matter + Markdown) into plain, validated dataclasses.

This module owns the content format described in docs/content-format.md. It is
pure Python with no Django imports, so it can run in a pre-commit hook, in the
admin and in the loader alike. It never stops at the first problem: every
problem in a file is collected, with its line, in words a pharmacist can act on.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from .markdown_limits import check_line_lengths, check_markdown
from .tree_tokens import block_tokens

MAX_FILE_BYTES = 1_000_000

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# WHO ATC level 5: anatomical group letter, two digits, two letters, two digits.
ATC_RE = re.compile(r"^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$")
DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
DOI_IN_TEXT_RE = re.compile(r"(?:\bdoi:\s*|https?://(?:dx\.)?doi\.org/)(\S+?)[.,;]?(?=\s|$)", re.I)
URL_IN_TEXT_RE = re.compile(r"\bhttps?://\S+?(?=[.,;]?(?:\s|$))", re.I)
YEAR_RE = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
# Vancouver author names: "Kheder A", "Nair KPS", "van Gogh V", and "et al".
PERSON_RE = re.compile(r"^(?:(?:[\w'’-]+\s)+[A-Z]{1,4}|et al)$")
JOURNAL_ISSUE_RE = re.compile(r"^(?:1[89]|20)\d\d(?:\s*[;:(]|\s+[A-Z][a-z]{2}\b|$)")
BOOK_IMPRINT_RE = re.compile(r"^[^:;]+:\s*(?P<publisher>[^;]+);\s*(?:1[89]|20)\d\d")
LABEL_RE = re.compile(r"^\*\*(?P<label>[^*]+?)\s*:\s*\*\*\s*(?P<text>.*)$", re.S)
LABEL_AFTER_RE = re.compile(r"^\*\*(?P<label>[^*]+?)\*\*\s*:\s*(?P<text>.*)$", re.S)
QUICK_ANSWER_RE = re.compile(r"^\*\*\s*quick answer\s*:?\s*\*\*\s*:?\s*", re.I)
ALLOWED_SCHEMES = ("http:", "https:", "mailto:")
PRESCRIPTION_STATUSES = ("prescription only", "pharmacy", "general sale")
STATUSES = ("draft", "published")
# The largest version number every database stores (a PostgreSQL integer).
MAX_VERSION = 2_147_483_647
# Front matter is at most a list of groups of fields; deeper is a mistake, and
# the YAML constructor recurses once per level.
MAX_YAML_DEPTH = 10
# A tag, a closing tag, a comment or a declaration: what makes text HTML. A lone
# "<" ("< 5 mg") is still text.
HTML_TAG_RE = re.compile(r"<[A-Za-z/!?]")
# Control characters other than tab and newline; PostgreSQL refuses NUL in text.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclasses.dataclass(frozen=True)
class SectionSpec:
    key: str
    heading: str
    anchor: str


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("takeaways", "Key takeaways", "key-takeaways"),
    SectionSpec("uses", "What it is and what it is used for", "uses"),
    SectionSpec("before", "Before you take it", "before-you-take-it"),
    SectionSpec("interactions", "Interactions", "interactions"),
    SectionSpec("dosage", "Dosage", "dosage"),
    SectionSpec("overdose", "Overdose", "overdose"),
    SectionSpec("stopping", "Stopping", "stopping"),
    SectionSpec("side_effects", "Side effects", "side-effects"),
    SectionSpec("storage", "Storage", "storage"),
    SectionSpec("contents", "Contents and generic availability", "contents"),
    SectionSpec("faqs", "Frequently asked questions", "faqs"),
    SectionSpec("references", "References", "references"),
)
SECTION_BY_HEADING = {spec.heading.lower(): spec for spec in SECTIONS}
SECTION_ORDER = {spec.key: index for index, spec in enumerate(SECTIONS)}

LIST_SECTIONS = ("takeaways", "references")

BEFORE_SUBSECTIONS = (
    "Who should not take it",
    "Warnings and precautions",
    "Pregnancy and breastfeeding",
    "Driving and using machines",
)


@dataclasses.dataclass(frozen=True)
class Band:
    key: str
    name: str
    meaning: str


# The standard frequency bands of EU product information, most frequent first.
BANDS: tuple[Band, ...] = (
    Band("very_common", "Very common", "more than 1 in 10 people"),
    Band("common", "Common", "up to 1 in 10 people"),
    Band("uncommon", "Uncommon", "up to 1 in 100 people"),
    Band("rare", "Rare", "up to 1 in 1,000 people"),
    Band("very_rare", "Very rare", "up to 1 in 10,000 people"),
    Band("not_known", "Not known", "how often cannot be told from the information available"),
)
BAND_BY_NAME = {band.name.lower(): band for band in BANDS}
URGENT_HELP_HEADING = "When to get urgent help"

MAJOR_INTERACTIONS_HEADING = "Major interactions"
MINOR_INTERACTIONS_HEADING = "Minor interactions"
INTERACTION_COLUMNS = ("Medicine or group", "What can happen", "What to do")

DOSING_LABELS = {
    "who": "population",
    "route": "route",
    "starting dose": "starting_dose",
    "how to increase": "titration",
    "usual maintenance dose": "maintenance",
    "maximum dose": "maximum",
    "notes": "notes",
}
DOSING_LABEL_NAMES = (
    "Who",
    "Route",
    "Starting dose",
    "How to increase",
    "Usual maintenance dose",
    "Maximum dose",
    "Notes",
)


# --- Output ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, at a line (1-based; 0 when it is the whole file)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return (
            f"{self.path}:{self.line}: {self.message}"
            if self.line
            else f"{self.path}: {self.message}"
        )


class MonographError(Exception):
    """A file that cannot be loaded, with every problem found in it."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclasses.dataclass(frozen=True)
class Source:
    title: str
    publisher: str
    date: str


@dataclasses.dataclass(frozen=True)
class AcceptedNumber:
    """A number of the page that its sources do not hold as written, accepted by an
    editor with the reason (e.g. a conversion the page explains); the reviewer sees it."""

    number: str
    reason: str


@dataclasses.dataclass(frozen=True)
class Block:
    """A `###` subsection of a section: prose, or the heading of a structured block."""

    title: str
    anchor: str
    kind: str  # "prose" or the structured kind ("major_interactions", "dosing", "band", ...)
    markdown: str
    line: int
    # The parsed tokens of `markdown`, so that loading renders them without parsing again.
    tokens: tuple[Token, ...] = dataclasses.field(default=(), compare=False, repr=False)


@dataclasses.dataclass(frozen=True)
class Section:
    key: str
    title: str
    anchor: str
    quick_answer: str  # inline Markdown, "" when the section has none
    intro: str  # Markdown between the quick answer and the first `###`
    blocks: tuple[Block, ...]
    line: int
    intro_tokens: tuple[Token, ...] = dataclasses.field(default=(), compare=False, repr=False)


@dataclasses.dataclass(frozen=True)
class Interaction:
    medicine: str
    examples: tuple[str, ...]
    effect: str
    action: str
    line: int


@dataclasses.dataclass(frozen=True)
class MinorInteraction:
    medicine: str
    examples: tuple[str, ...]
    text: str
    line: int


@dataclasses.dataclass(frozen=True)
class DosingEntry:
    title: str
    anchor: str
    population: str = ""
    route: str = ""
    starting_dose: str = ""
    titration: str = ""
    maintenance: str = ""
    maximum: str = ""
    notes: str = ""
    line: int = 0


@dataclasses.dataclass(frozen=True)
class SideEffect:
    band: str  # a Band.key
    text: str
    line: int


@dataclasses.dataclass(frozen=True)
class Faq:
    question: str
    anchor: str
    answer: str  # Markdown
    line: int
    tokens: tuple[Token, ...] = dataclasses.field(default=(), compare=False, repr=False)


@dataclasses.dataclass(frozen=True)
class Reference:
    number: int
    text: str  # the citation exactly as written
    authors: str
    title: str
    container: str  # journal or publisher
    year: int | None
    doi: str
    url: str
    line: int


@dataclasses.dataclass(frozen=True)
class Monograph:
    """A parsed, valid monograph. `source_text` is the file exactly as read."""

    path: str
    slug: str
    name: str
    generic_name: str
    atc_code: str
    drug_class: str
    prescription_status: str
    forms: tuple[str, ...]
    routes: tuple[str, ...]
    strengths: tuple[str, ...]
    brands: tuple[str, ...]
    synonyms: tuple[str, ...]
    conditions: tuple[str, ...]
    safety_warnings: tuple[str, ...]
    version: int
    status: str
    last_reviewed: datetime.date
    next_review: datetime.date
    authors: tuple[str, ...]
    reviewers: tuple[str, ...]
    sources: tuple[Source, ...]
    # The groups this medicine belongs to as other monographs' interactions name them.
    classes: tuple[str, ...]
    # The official documents the text was written from, relative to the content folder.
    source_documents: tuple[str, ...]
    accepted_numbers: tuple[AcceptedNumber, ...]
    change_summary: str
    language: str
    sections: tuple[Section, ...]
    takeaways: tuple[str, ...]
    interactions: tuple[Interaction, ...]
    minor_interactions: tuple[MinorInteraction, ...]
    dosing: tuple[DosingEntry, ...]
    side_effects: tuple[SideEffect, ...]
    urgent_help: tuple[str, ...]
    faqs: tuple[Faq, ...]
    references: tuple[Reference, ...]
    source_text: str
    field_lines: dict[str, int]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.source_text.encode("utf-8")).hexdigest()

    def section(self, key: str) -> Section:
        return next(section for section in self.sections if section.key == key)


# --- Entry points ----------------------------------------------------------


def parse_file(path: str | Path) -> Monograph:
    """Read and parse `path`. Raises MonographError listing every problem.

    The slug in the front matter must equal the file name without `.md`.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise MonographError([Problem(str(path), 0, f"cannot be read: {exc.strerror}")]) from exc
    return parse_bytes(raw, str(path), expected_slug=path.stem)


def parse_bytes(raw: bytes, path: str, expected_slug: str | None = None) -> Monograph:
    """Decode `raw` (UTF-8, at most 1 MB) and parse it; see parse_monograph."""
    if len(raw) > MAX_FILE_BYTES:
        raise MonographError(
            [
                Problem(
                    path,
                    0,
                    f"is {len(raw):,} bytes; a monograph may be at most {MAX_FILE_BYTES:,} bytes",
                )
            ]
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise MonographError(
            [
                Problem(
                    path,
                    line,
                    f"is not valid UTF-8 (byte {exc.start}); save the file as UTF-8",
                )
            ]
        ) from exc
    return parse_monograph(text, path, expected_slug=expected_slug)


def parse_monograph(text: str, path: str = "<text>", expected_slug: str | None = None) -> Monograph:
    """Parse monograph `text` into a Monograph; raise MonographError with every problem.

    `path` is only used in messages. When `expected_slug` is given, the
    front-matter slug must equal it (the file name rule).
    """
    if match := CONTROL_RE.search(text):
        line = text.count("\n", 0, match.start()) + 1
        raise MonographError(
            [
                Problem(
                    path,
                    line,
                    f"contains the control character U+{ord(match.group()):04X}, which no "
                    "page can show; delete it",
                )
            ]
        )
    return _Parser(text, path, expected_slug).parse()


def set_front_matter_fields(text: str, **fields: int | str | datetime.date) -> str:
    """Return `text` with the top-level front-matter `fields` set to the given values.

    The admin uses it to manage `version`, `status` and the review dates for the
    editor. Each field's line, with any indented or list lines under it, becomes
    one `field: value` line; a missing field is added just before the closing
    `---`. Everything else is kept byte for byte. Text without a closed front
    matter is returned unchanged, for the parser to report.
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return text
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        return text
    newline = "\r\n" if lines[0].endswith("\r\n") else "\n"
    head = lines[1:end]
    for field, value in fields.items():
        new_line = f"{field}: {_yaml_scalar(value)}{newline}"
        key = re.compile(rf"{re.escape(field)}\s*:(?:\s|$)")
        start = next((i for i, line in enumerate(head) if key.match(line)), None)
        if start is None:
            head.append(new_line)
            continue
        stop = probe = start + 1
        while probe < len(head):
            line = head[probe]
            probe += 1
            if not line.strip():
                continue
            if line[0] not in " \t-":  # the next top-level line
                break
            stop = probe
        head[start:stop] = [new_line]
    return "".join([lines[0], *head, *lines[end:]])


def markdown_body(text: str) -> tuple[str, int]:
    """The Markdown after the front matter of `text`, and how many lines come before it.

    Text without a closed front matter is all body. For the admin's live preview
    and readability figures, which must work on text that does not parse yet.
    """
    lines = text.splitlines()
    if lines and lines[0].strip() == "---":
        for index in range(1, len(lines)):
            if lines[index].strip() == "---":
                return "\n".join(lines[index + 1 :]), index + 1
    return text, 0


def _yaml_scalar(value: int | str | datetime.date) -> str:
    """`value` written so that YAML reads it back as the same int, date or text."""
    if isinstance(value, bool):
        raise TypeError("front-matter fields set by the admin are never true/false")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    for candidate in (text, json.dumps(text, ensure_ascii=False)):
        try:
            if "\n" not in candidate and yaml.safe_load(f"v: {candidate}") == {"v": text}:
                return candidate
        except yaml.YAMLError:
            continue
    # JSON's escapes are a subset of YAML's double-quoted ones.
    return json.dumps(text)


# --- The parser ------------------------------------------------------------


def _new_markdown() -> MarkdownIt:
    # html=True so that raw HTML shows up as tokens we can reject with a line
    # number; the renderer itself never passes HTML through.
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    # Accept every link here so that forbidden schemes become link tokens we can
    # report, instead of markdown-it silently leaving them as text.
    md.validateLink = lambda url: True
    return md


# One parser for the safety warnings' inline checks: building one per warning
# cost more than the check.
_INLINE_CHECKER = _new_markdown()


def _unsafe_markup(children: Iterable[Token]) -> Iterator[tuple[str, str]]:
    """("html", the start of it) for raw HTML, ("link", the address) for a disallowed link."""
    for child in children:
        if child.type == "html_inline":
            yield "html", child.content.strip()[:40]
        elif child.type in ("link_open", "image"):
            url = str(child.attrs.get("href") or child.attrs.get("src") or "")
            if not _is_allowed_url(url):
                yield "link", url[:60]


def make_anchor(*parts: str) -> str:
    """`("dosage", "Adults: tablets")` -> `dosage-adults-tablets`."""
    text = "-".join(parts).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


class _Parser:
    def __init__(self, text: str, path: str, expected_slug: str | None):
        self.path = path
        self.text = text
        self.expected_slug = expected_slug
        self.problems: list[Problem] = []
        self.lines = text.splitlines()
        self.body_offset = 0  # lines of front matter before the Markdown body

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def parse(self) -> Monograph:
        meta, field_lines = self._parse_front_matter()
        body = "\n".join(self.lines[self.body_offset :])
        # Text past these limits may crash or stall a parser: it is not parsed.
        excesses = check_line_lengths(self.lines[: self.body_offset])
        excesses += check_markdown(body, first_line=self.body_offset + 1)
        if excesses:
            for excess in excesses:
                self.error(excess.line, excess.message)
            raise MonographError(sorted(self.problems, key=lambda p: p.line))
        # markdown-it-pyrs where it gives markdown-it-py's very tokens (ten
        # times sooner), else markdown-it-py itself: see tree_tokens.py.
        tokens = block_tokens(body)
        if tokens is None:
            tokens = _new_markdown().parse(body)
        self._check_inline_safety(tokens)
        sections = self._split_sections(tokens)
        result = self._parse_sections(sections)
        if self.problems:
            raise MonographError(sorted(self.problems, key=lambda p: p.line))
        return Monograph(
            path=self.path,
            source_text=self.text,
            field_lines=field_lines,
            **meta,
            **result,
        )

    # --- front matter ---

    def _parse_front_matter(self) -> tuple[dict, dict[str, int]]:
        if not self.lines or self.lines[0].strip() != "---":
            self.error(
                1,
                "the text must start with the fields block: a line '---', then one "
                "'field: value' per line, then another line '---'",
            )
            return self._empty_meta(), {}
        end = next((i for i in range(1, len(self.lines)) if self.lines[i].strip() == "---"), None)
        # A heading before the closing '---' (or none at all) means it was left out:
        # one clear problem, not the YAML error and missing sections that would follow.
        heading = next(
            (
                i
                for i in range(1, end if end is not None else len(self.lines))
                if self.lines[i].startswith(("## ", "### "))
            ),
            None,
        )
        if end is None or heading is not None:
            self._unclosed_front_matter(heading)
        self.body_offset = end + 1
        yaml_text = "\n".join(self.lines[1:end])
        try:
            node, data = _load_yaml(yaml_text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 2 if mark is not None else 1
            problem = getattr(exc, "problem", None) or str(exc)
            # An unclosed bracket or quote is noticed lines later; name where it opened.
            context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
            problem = _plain_yaml_words(problem)
            if context and start is not None and start.line + 2 != line:
                problem += f" ({_plain_yaml_words(context)} that starts on line {start.line + 2})"
            self.error(line, f"the fields at the top cannot be read: {problem}")
            return self._empty_meta(), {}
        if not isinstance(data, dict) or node is None:
            self.error(1, "the fields at the top must be 'field: value' lines")
            return self._empty_meta(), {}
        field_lines = {
            key_node.value: key_node.start_mark.line + 2
            for key_node, _ in node.value
            if isinstance(key_node, yaml.ScalarNode)
        }
        return _FrontMatter(self, data, field_lines).validate(), field_lines

    def _unclosed_front_matter(self, heading: int | None) -> None:
        """Stop with one problem: the fields block has no closing '---' line."""
        if heading is None:
            self.error(
                1,
                "the fields block at the top is not closed: add a line '---' after the last field",
            )
        else:
            last = next(
                (i for i in range(heading - 1, 0, -1) if self.lines[i].strip()), heading - 1
            )
            self.error(
                last + 1,
                f"the fields block at the top is not closed: add a line '---' after line "
                f"{last + 1}, the last field, before the heading "
                f"'{self.lines[heading].strip()[:60]}'",
            )
        raise MonographError(self.problems)

    @staticmethod
    def _empty_meta() -> dict:
        return {}

    # --- whole-body checks ---

    def _line(self, token: Token) -> int:
        return (token.map[0] if token.map else 0) + self.body_offset + 1

    def _check_inline_safety(self, tokens: list[Token]) -> None:
        for token in tokens:
            if token.type == "html_block":
                self.error(
                    self._line(token),
                    "raw HTML is not allowed in a monograph; write it in Markdown",
                )
            if token.type == "heading_open" and token.tag == "h1":
                self.error(
                    self._line(token),
                    "level-1 headings ('# ') are not allowed; sections are level-2 ('## ')",
                )
            for kind, found in _unsafe_markup(token.children or ()):
                if kind == "html":
                    message = f"raw HTML ({found}) is not allowed; write it in Markdown"
                else:
                    message = (
                        f"the link '{found}' is not allowed; links must start with "
                        "http://, https://, mailto: or / (a page of this site)"
                    )
                self.error(self._line(token), message)

    def _split_sections(self, tokens: list[Token]) -> list[tuple[SectionSpec, Token, list[Token]]]:
        """Group top-level tokens by `##` heading, checking names and order."""
        found: list[tuple[SectionSpec, Token, list[Token]]] = []
        current: list[Token] | None = None
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if token.type == "heading_open" and token.tag == "h2":
                title = tokens[index + 1].content.strip()
                spec = SECTION_BY_HEADING.get(title.lower())
                if spec is None:
                    self.error(
                        self._line(token),
                        f"'{title}' is not a section of a monograph; use one of: "
                        + ", ".join(s.heading for s in SECTIONS),
                    )
                    current = []  # swallow its content so it is not reported twice
                elif any(s.key == spec.key for s, _, _ in found):
                    self.error(self._line(token), f"the section '{spec.heading}' appears twice")
                    current = []
                else:
                    if found and SECTION_ORDER[spec.key] < SECTION_ORDER[found[-1][0].key]:
                        self.error(
                            self._line(token),
                            f"the section '{spec.heading}' is out of order; it must come "
                            f"before '{found[-1][0].heading}' (the order is: "
                            + ", ".join(s.heading for s in SECTIONS)
                            + ")",
                        )
                    current = []
                    found.append((spec, token, current))
                index += 3
                continue
            if current is None:
                if token.map and token.level == 0 and token.type != "html_block":
                    self.error(
                        self._line(token),
                        "text before the first section; every part of a monograph belongs "
                        "under a '## ' section heading",
                    )
                    current = []
            else:
                current.append(token)
            index += 1
        present = {spec.key for spec, _, _ in found}
        last_line = len(self.lines)
        for spec in SECTIONS:
            if spec.key not in present:
                self.error(last_line, f"the section '## {spec.heading}' is missing")
        return found

    # --- sections ---

    def _parse_sections(self, found) -> dict:
        out: dict = {
            "sections": [],
            "takeaways": (),
            "interactions": (),
            "minor_interactions": (),
            "dosing": (),
            "side_effects": (),
            "urgent_help": (),
            "faqs": (),
            "references": (),
        }
        sections = []
        for spec, heading, tokens in found:
            quick_answer, tokens = self._take_quick_answer(tokens)
            intro_tokens, blocks = self._split_blocks(tokens)
            handler = getattr(self, f"_section_{spec.key}", None)
            kinds = {}
            if handler is not None:
                kinds = handler(spec, heading, intro_tokens, blocks, out) or {}
            sections.append(
                Section(
                    key=spec.key,
                    title=spec.heading,
                    anchor=spec.anchor,
                    quick_answer=quick_answer,
                    # In the two list-only sections the list is the content, not an intro.
                    intro="" if spec.key in LIST_SECTIONS else self._markdown_of(intro_tokens),
                    intro_tokens=() if spec.key in LIST_SECTIONS else tuple(intro_tokens),
                    blocks=tuple(
                        Block(
                            title=title,
                            anchor=make_anchor(spec.anchor, title),
                            kind=kinds.get(index, "prose"),
                            markdown=self._markdown_of(block_tokens),
                            line=self._line(block_heading),
                            tokens=tuple(block_tokens),
                        )
                        for index, (title, block_heading, block_tokens) in enumerate(blocks)
                    ),
                    line=self._line(heading),
                )
            )
        out["sections"] = tuple(sections)
        return out

    def _take_quick_answer(self, tokens: list[Token]) -> tuple[str, list[Token]]:
        if (
            len(tokens) >= 3
            and tokens[0].type == "paragraph_open"
            and QUICK_ANSWER_RE.match(tokens[1].content)
        ):
            return QUICK_ANSWER_RE.sub("", tokens[1].content, count=1).strip(), tokens[3:]
        return "", tokens

    def _split_blocks(self, tokens: list[Token]):
        """Split a section's tokens at `###` headings.

        Returns (intro tokens, [(title, heading token, tokens)]).
        """
        intro: list[Token] = []
        blocks: list[tuple[str, Token, list[Token]]] = []
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if token.type == "heading_open" and token.tag == "h3":
                blocks.append((tokens[index + 1].content.strip(), token, []))
                index += 3
                continue
            (blocks[-1][2] if blocks else intro).append(token)
            index += 1
        return intro, blocks

    def _markdown_of(self, tokens: list[Token]) -> str:
        """The source text of the top-level tokens, as written."""
        spans = [t.map for t in tokens if t.map and t.level == 0]
        if not spans:
            return ""
        start = min(span[0] for span in spans) + self.body_offset
        end = max(span[1] for span in spans) + self.body_offset
        return "\n".join(self.lines[start:end]).strip("\n")

    # structured lists

    def _list_items(self, tokens: list[Token]) -> list[tuple[str, Token]]:
        """(inline Markdown, item token) for each item of the top-level lists in `tokens`."""
        items: list[tuple[str, Token]] = []
        depth = 0
        current: list[str] | None = None
        item_token: Token | None = None
        for token in tokens:
            if token.type == "list_item_open":
                depth += 1
                if depth == 1:
                    current, item_token = [], token
            elif token.type == "list_item_close":
                depth -= 1
                if depth == 0 and current is not None:
                    items.append(("\n\n".join(current).strip(), item_token))
                    current = None
            elif token.type == "inline" and current is not None and depth == 1:
                current.append(token.content)
        return items

    def _non_list_tokens(self, tokens: list[Token]) -> list[Token]:
        return [
            t
            for t in tokens
            if t.level == 0 and t.map and t.type not in ("bullet_list_open", "ordered_list_open")
        ]

    def _require_list(self, tokens, line: int, what: str, ordered: bool = False):
        kind = "ordered_list_open" if ordered else "bullet_list_open"
        items = self._list_items(tokens)
        if not any(t.type == kind for t in tokens) or not items:
            marker = "'1.'" if ordered else "'-'"
            self.error(line, f"{what} must be a list, one item per line starting with {marker}")
            return []
        for token in self._non_list_tokens(tokens):
            self.error(self._line(token), f"{what} may only contain a list; move this text")
        return items

    # --- section handlers: each fills `out` and returns {block index: kind} ---

    def _section_takeaways(self, spec, heading, intro, blocks, out):
        for _, block_heading, _ in blocks:
            self.error(self._line(block_heading), "Key takeaways has no sub-headings; use a list")
        items = self._require_list(intro, self._line(heading), "Key takeaways")
        out["takeaways"] = tuple(text for text, _ in items)

    def _section_before(self, spec, heading, intro, blocks, out):
        titles = [title.lower() for title, _, _ in blocks]
        position = -1
        for required in BEFORE_SUBSECTIONS:
            if required.lower() not in titles:
                self.error(
                    self._line(heading),
                    f"'Before you take it' needs a sub-heading '### {required}'",
                )
                continue
            found_at = titles.index(required.lower())
            if found_at < position:
                self.error(
                    self._line(blocks[found_at][1]),
                    f"'### {required}' is out of order; the order is: "
                    + ", ".join(BEFORE_SUBSECTIONS),
                )
            position = found_at

    def _section_interactions(self, spec, heading, intro, blocks, out):
        kinds = {}
        titles = [title.lower() for title, _, _ in blocks]
        for required in (MAJOR_INTERACTIONS_HEADING, MINOR_INTERACTIONS_HEADING):
            if required.lower() not in titles:
                self.error(self._line(heading), f"'Interactions' needs a '### {required}' block")
        for index, (title, block_heading, tokens) in enumerate(blocks):
            if title.lower() == MAJOR_INTERACTIONS_HEADING.lower():
                kinds[index] = "major_interactions"
                out["interactions"] = self._interaction_table(block_heading, tokens)
            elif title.lower() == MINOR_INTERACTIONS_HEADING.lower():
                kinds[index] = "minor_interactions"
                minor = []
                items = self._require_list(tokens, self._line(block_heading), "Minor interactions")
                for text, item in items:
                    match = LABEL_RE.match(text) or LABEL_AFTER_RE.match(text)
                    if not match or not match["text"].strip():
                        self.error(
                            self._line(item),
                            "each minor interaction starts with the medicine in bold and a "
                            "colon, then what happens: '- **Lithium:** …'",
                        )
                        continue
                    medicine, examples = _split_examples(match["label"].strip())
                    minor.append(
                        MinorInteraction(
                            medicine, examples, match["text"].strip(), self._line(item)
                        )
                    )
                out["minor_interactions"] = tuple(minor)
        return kinds

    def _interaction_table(self, block_heading, tokens) -> tuple[Interaction, ...]:
        expected = " | ".join(INTERACTION_COLUMNS)
        tables = [t for t in tokens if t.type == "table_open"]
        if not tables:
            self.error(
                self._line(block_heading),
                f"'Major interactions' must be a table whose header is '| {expected} |', "
                "followed by a line '| --- | --- | --- |'",
            )
            return ()
        rows: list[list[str]] = []
        row_lines: list[int] = []
        for token in tokens:
            if token.type == "tr_open":
                rows.append([])
                row_lines.append(self._line(token))
            elif token.type == "inline" and rows and token.level >= 3:
                rows[-1].append(token.content.strip())
        header, body, body_lines = rows[0], rows[1:], row_lines[1:]
        if [cell.lower() for cell in header] != [c.lower() for c in INTERACTION_COLUMNS]:
            self.error(
                row_lines[0],
                f"the interactions table header must be '| {expected} |', "
                f"not '| {' | '.join(header)} |'",
            )
            return ()
        # markdown-it quietly drops extra cells and pads missing ones, so count them
        # in the source: a row that lost a cell would show a dose against the wrong drug.
        table_map = tables[0].map
        miscounted = set()
        for offset in range(table_map[0] + 2, table_map[1]):
            raw = self.lines[offset + self.body_offset]
            cells = _split_table_row(raw)
            if len(cells) != len(INTERACTION_COLUMNS):
                miscounted.add(offset + self.body_offset + 1)
                self.error(
                    offset + self.body_offset + 1,
                    f"this interactions row has {len(cells)} cells; it needs "
                    f"{len(INTERACTION_COLUMNS)} ({expected})",
                )
        interactions = []
        for cells, line in zip(body, body_lines, strict=True):
            if len(cells) != 3 or line in miscounted:
                continue
            if not all(cells):
                self.error(line, "every cell of an interactions row must be filled in")
                continue
            medicine, examples = _split_examples(cells[0])
            interactions.append(Interaction(medicine, examples, cells[1], cells[2], line))
        if not body:
            self.error(self._line(block_heading), "the major interactions table has no rows")
        return tuple(interactions)

    def _section_dosage(self, spec, heading, intro, blocks, out):
        if not blocks:
            self.error(
                self._line(heading),
                "'Dosage' needs at least one dosing card: a '### ' heading per population and "
                "route, with a list of fields",
            )
        entries = []
        kinds = {}
        for index, (title, block_heading, tokens) in enumerate(blocks):
            kinds[index] = "dosing"
            fields: dict[str, str] = {}
            for text, item in self._list_items(tokens):
                match = LABEL_RE.match(text) or LABEL_AFTER_RE.match(text)
                label = match["label"].strip().lower() if match else ""
                if label not in DOSING_LABELS:
                    shown = match["label"].strip() if match else text[:40]
                    self.error(
                        self._line(item),
                        f"'{shown}' is not a dosing field; start each item with one of: "
                        + ", ".join(f"**{name}:**" for name in DOSING_LABEL_NAMES),
                    )
                    continue
                field = DOSING_LABELS[label]
                if field in fields:
                    self.error(self._line(item), f"the field '{match['label']}' appears twice")
                fields[field] = match["text"].strip()
            extra = self._markdown_of(self._non_list_tokens(tokens))
            if extra:
                fields["notes"] = f"{fields.get('notes', '')}\n\n{extra}".strip()
            if not fields:
                self.error(
                    self._line(block_heading),
                    f"the dosing card '{title}' has no fields; add a list such as "
                    "'- **Starting dose:** …'",
                )
                continue
            entries.append(
                DosingEntry(
                    title=title,
                    anchor=make_anchor(spec.anchor, title),
                    line=self._line(block_heading),
                    **fields,
                )
            )
        out["dosing"] = tuple(entries)
        return kinds

    def _section_side_effects(self, spec, heading, intro, blocks, out):
        effects: list[SideEffect] = []
        kinds = {}
        seen: list[int] = []
        band_names = ", ".join(band.name for band in BANDS)
        for index, (title, block_heading, tokens) in enumerate(blocks):
            line = self._line(block_heading)
            if title.lower() == URGENT_HELP_HEADING.lower():
                kinds[index] = "urgent_help"
                items = self._require_list(tokens, line, URGENT_HELP_HEADING)
                out["urgent_help"] = tuple(text for text, _ in items)
                continue
            band = BAND_BY_NAME.get(title.lower())
            if band is None:
                self.error(
                    line,
                    f"'{title}' is not a frequency band; use one of: {band_names} "
                    f"(or '### {URGENT_HELP_HEADING}')",
                )
                continue
            kinds[index] = "band"
            position = BANDS.index(band)
            if position in seen:
                self.error(line, f"the band '{band.name}' appears twice; merge the two lists")
            elif seen and position < seen[-1]:
                self.error(
                    line,
                    f"the band '{band.name}' is out of order; bands go from most to least "
                    f"frequent: {band_names}",
                )
            seen.append(position)
            items = self._require_list(tokens, line, f"The '{band.name}' band")
            effects.extend(SideEffect(band.key, text, self._line(item)) for text, item in items)
        if not effects:
            self.error(self._line(heading), "'Side effects' needs at least one frequency band")
        out["side_effects"] = tuple(effects)
        return kinds

    def _section_faqs(self, spec, heading, intro, blocks, out):
        if not blocks:
            self.error(self._line(heading), "add at least one question as a '### ' heading")
        faqs = []
        for title, block_heading, tokens in blocks:
            answer = self._markdown_of(tokens)
            if not answer:
                self.error(self._line(block_heading), f"the question '{title}' has no answer")
                continue
            faqs.append(
                Faq(
                    title,
                    make_anchor(spec.anchor, title),
                    answer,
                    self._line(block_heading),
                    tokens=tuple(tokens),
                )
            )
        out["faqs"] = tuple(faqs)
        return dict.fromkeys(range(len(blocks)), "faq")

    def _section_references(self, spec, heading, intro, blocks, out):
        for _, block_heading, _ in blocks:
            self.error(self._line(block_heading), "References has no sub-headings; use one list")
        items = self._require_list(intro, self._line(heading), "References", ordered=True)
        references = []
        for number, (text, item) in enumerate(items, start=1):
            reference = parse_reference(text, number, self._line(item))
            if reference.doi and not DOI_RE.match(reference.doi):
                self.error(
                    self._line(item),
                    f"'{reference.doi}' is not a valid DOI; a DOI looks like 10.1136/abc-123",
                )
            references.append(reference)
        out["references"] = tuple(references)


class _FrontMatter:
    """Validates the front matter fields, reporting each problem at its line."""

    TEXT = ("slug", "name", "generic_name", "atc_code", "drug_class", "prescription_status")
    TEXT_LISTS = (
        "forms",
        "routes",
        "strengths",
        "brands",
        "synonyms",
        "conditions",
        "safety_warnings",
        "authors",
        "reviewers",
        "classes",
        "source_documents",
    )
    NON_EMPTY_LISTS = ("forms", "routes", "strengths", "conditions", "authors")
    # Who reviewed a page is known from the account that published it, not from the file.
    OPTIONAL = ("reviewers", "classes", "source_documents", "accepted_numbers", "language")
    REQUIRED = (
        *TEXT,
        *TEXT_LISTS[:-3],  # all but reviewers, classes and source_documents
        "version",
        "status",
        "last_reviewed",
        "next_review",
        "source",
        "change_summary",
    )
    KNOWN = (*REQUIRED, *OPTIONAL)
    # The database columns' lengths (monographs/models.py); the others are unlimited.
    MAX_LENGTHS = {"slug": 100, "name": 200, "generic_name": 200, "drug_class": 200, "language": 20}

    def __init__(self, parser: _Parser, data: dict, lines: dict[str, int]):
        self.parser = parser
        self.data = data
        self.lines = lines

    def error(self, field: str, message: str) -> None:
        self.parser.error(self.lines.get(field, 1), message)

    def validate(self) -> dict:
        meta: dict = {}
        for field in self.data:
            if field not in self.KNOWN:
                self.error(
                    str(field),
                    f"'{field}' is not a field of a monograph; the fields are: "
                    + ", ".join(self.KNOWN),
                )
        for field in self.REQUIRED:
            if field not in self.data or self.data[field] is None:
                self.error(
                    field,
                    f"the field '{field}' is missing; add a line '{field}: ...' between "
                    "the '---' lines at the top",
                )
        for field in self.TEXT:
            meta[field] = self._text(field)
        for field in self.TEXT_LISTS:
            meta[field] = self._text_list(field)
        meta["change_summary"] = self._text("change_summary")
        meta["language"] = self._text("language") if "language" in self.data else "en"
        meta["version"] = self._version()
        meta["status"] = self._choice("status", STATUSES)
        meta["last_reviewed"] = self._date("last_reviewed")
        meta["next_review"] = self._date("next_review")
        meta["sources"] = self._sources()
        meta["accepted_numbers"] = self._accepted_numbers()
        self._check_source_documents(meta["source_documents"])
        self._check_values(meta)
        return meta

    def _text(self, field: str) -> str:
        value = self.data.get(field)
        if value is None:
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.error(field, f"'{field}' must be text, not {_kind(value)}")
            return ""
        text = str(value).strip()
        if not text:
            self.error(field, f"'{field}' is empty")
        limit = self.MAX_LENGTHS.get(field)
        if limit and len(text) > limit:
            self.error(field, f"'{field}' is {len(text):,} characters long; at most {limit}")
        self._check_plain(field, text)
        return text

    def _check_plain(self, field: str, text: str) -> None:
        """Report HTML in a plain-text field: it would be shown as text, never run."""
        self._check_characters(field, text)
        if match := HTML_TAG_RE.search(text):
            tag = text[match.start() :].split(">", 1)[0][:40]
            self.error(
                field,
                f"'{field}' is plain text; HTML ({tag}) is not allowed in it. Write it in words",
            )

    def _check_characters(self, field: str, text: str) -> None:
        # A YAML escape ("\\0") makes a control character the file itself does not hold.
        if match := CONTROL_RE.search(text):
            self.error(
                field,
                f"'{field}' contains the control character U+{ord(match.group()):04X}; delete it",
            )

    def _check_warning(self, text: str) -> None:
        """A safety warning is inline Markdown: no raw HTML, and only the allowed links."""
        self._check_characters("safety_warnings", text)
        for token in _INLINE_CHECKER.parseInline(text):
            for kind, found in _unsafe_markup(token.children or ()):
                if kind == "html":
                    message = (
                        f"raw HTML ({found}) is not allowed in 'safety_warnings'; "
                        "write it in Markdown"
                    )
                else:
                    message = (
                        f"the link '{found}' is not allowed in 'safety_warnings'; links "
                        "must start with http://, https://, mailto: or / (a page of this site)"
                    )
                self.error("safety_warnings", message)

    def _text_list(self, field: str) -> tuple[str, ...]:
        value = self.data.get(field)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.error(field, f"'{field}' must be a list, such as [a, b], not {_kind(value)}")
            return ()
        items = []
        for item in value:
            if not isinstance(item, str | int | float) or isinstance(item, bool) or not str(item):
                self.error(field, f"every item of '{field}' must be text; found {_kind(item)}")
                continue
            text = str(item).strip()
            if field == "safety_warnings":
                self._check_warning(text)
            else:
                self._check_plain(field, text)
            items.append(text)
        if field in self.NON_EMPTY_LISTS and not items:
            self.error(field, f"'{field}' needs at least one item")
        return tuple(items)

    def _version(self) -> int:
        value = self.data.get("version")
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.error("version", f"'version' must be a whole number of 1 or more, not {value!r}")
            return 0
        if value > MAX_VERSION:
            self.error("version", f"'version' {value} is too large; at most {MAX_VERSION:,}")
            return 0
        return value

    def _choice(self, field: str, choices: Iterable[str]) -> str:
        text = self._text(field).lower()
        if text and text not in choices:
            self.error(field, f"'{field}' must be one of: {', '.join(choices)}; not '{text}'")
        return text

    def _date(self, field: str) -> datetime.date | None:
        value = self.data.get(field)
        if value is None:
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, str):
            # The loader reads dates as text (_FrontMatterLoader), so a month 13 lands here.
            try:
                return datetime.date.fromisoformat(value.strip())
            except ValueError:
                if re.fullmatch(r"\d{4}-\d\d-\d\d", value.strip()):
                    self.error(field, f"'{field}' {value.strip()} is not a date in the calendar")
                    return None
        self.error(field, f"'{field}' must be a date written YYYY-MM-DD, not {value!r}")
        return None

    def _sources(self) -> tuple[Source, ...]:
        value = self.data.get("source")
        if value is None:
            return ()
        if not isinstance(value, list) or not value:
            self.error(
                "source",
                "'source' must be a list of the labels the text rests on, each with "
                "title, publisher and date",
            )
            return ()
        sources = []
        for item in value:
            if not isinstance(item, dict) or not all(
                isinstance(item.get(key), str | int)
                and not isinstance(item.get(key), bool)
                and str(item.get(key)).strip()
                for key in ("title", "publisher", "date")
            ):
                self.error("source", "each 'source' item needs a title, a publisher and a date")
                continue
            for key in ("title", "publisher", "date"):
                self._check_plain("source", str(item[key]))
            sources.append(
                Source(str(item["title"]), str(item["publisher"]), str(item["date"]).strip())
            )
        return tuple(sources)

    def _accepted_numbers(self) -> tuple[AcceptedNumber, ...]:
        value = self.data.get("accepted_numbers")
        if value is None:
            return ()
        shape = (
            "'accepted_numbers' must be a list of numbers the sources do not hold as "
            "written, each with 'number' (as the page writes it) and 'reason'"
        )
        if not isinstance(value, list):
            self.error("accepted_numbers", shape)
            return ()
        accepted = []
        for item in value:
            if not isinstance(item, dict) or set(item) != {"number", "reason"}:
                self.error("accepted_numbers", shape)
                continue
            texts = []
            for key in ("number", "reason"):
                text = item[key]
                if not isinstance(text, str | int | float) or isinstance(text, bool):
                    self.error("accepted_numbers", f"'{key}' of an accepted number must be text")
                    break
                text = str(text).strip()
                if not text:
                    self.error("accepted_numbers", f"'{key}' of an accepted number is empty")
                    break
                self._check_plain("accepted_numbers", text)
                texts.append(text)
            else:
                accepted.append(AcceptedNumber(*texts))
        return tuple(accepted)

    def _check_source_documents(self, paths: tuple[str, ...]) -> None:
        for path in paths:
            parts = path.split("/")
            if (
                parts[0] != "sources"
                or len(parts) < 3
                or any(part in ("", ".", "..") for part in parts)
                or "\\" in path
            ):
                self.error(
                    "source_documents",
                    f"source document '{path}' must be a file under the content folder's "
                    "sources/ folder, written like sources/<slug>/<file name>",
                )

    def _check_values(self, meta: dict) -> None:
        slug = meta["slug"]
        if slug and not SLUG_RE.match(slug):
            self.error(
                "slug",
                f"slug '{slug}' may only use lower-case letters, digits and single hyphens",
            )
        expected = self.parser.expected_slug
        if slug and expected is not None and slug != expected:
            self.error(
                "slug",
                f"slug '{slug}' does not match the file name '{expected}.md', which is also "
                f"the medicine's web address; change the slug back to '{expected}' or, for a "
                "content file, rename the file",
            )
        atc = meta["atc_code"]
        if atc and not ATC_RE.match(atc):
            self.error(
                "atc_code",
                f"atc_code '{atc}' is not a valid ATC code; it should look like M03BX01 "
                "(a letter, two digits, two letters, two digits)",
            )
        status = meta["prescription_status"]
        if status and status.lower() not in PRESCRIPTION_STATUSES:
            self.error(
                "prescription_status",
                f"prescription_status must be one of: {', '.join(PRESCRIPTION_STATUSES)}",
            )
        meta["prescription_status"] = status.lower()
        last, following = meta["last_reviewed"], meta["next_review"]
        if last and following and following <= last:
            self.error(
                "next_review",
                f"next_review ({following}) must be later than last_reviewed ({last})",
            )


# --- Small pure helpers ----------------------------------------------------

# What YAML says, in the words of the editor's text (see _parse_front_matter).
_YAML_WORDS = (
    ("while parsing a flow sequence", "in the list in [ ]"),
    ("while parsing a flow mapping", "in the group in { }"),
    ("while scanning a quoted scalar", "in the text in quotes"),
    ("while parsing a block mapping", "in the fields"),
    ("while parsing a block collection", "in the list"),
    ("while scanning a simple key", "in the field name"),
    ("found unexpected end of stream", "the fields end before a quote or bracket is closed"),
    (
        "mapping values are not allowed here",
        "a ':' followed by a space is not allowed here; put text that contains ': ' in "
        "double quotes",
    ),
    ("could not find expected ':'", "a field name needs a ':' after it"),
    ("flow sequence", "list in [ ]"),
    ("flow mapping", "group in { }"),
    ("scalar", "value"),
)


def _plain_yaml_words(message: str) -> str:
    for yaml_words, plain in _YAML_WORDS:
        message = message.replace(yaml_words, plain)
    return message


def _load_yaml(text: str) -> tuple[yaml.Node | None, object]:
    """The YAML node tree (for line numbers) and its values, composed once.

    libyaml's loader is many times faster, which counts when thousands of files
    load; a file it rejects is read again by the pure-Python loader so that the
    error message is the same on every machine. Anything the constructor cannot
    turn into a value (a number too long, nesting too deep) is a YAMLError with
    its line, like every other YAML mistake.
    """
    try:
        return _compose_and_construct(_FAST_YAML_LOADER, text)
    except yaml.YAMLError as fast_error:
        # libyaml stops nesting at a depth where the pure-Python composer would
        # recurse for a second before giving up: its own message will do.
        if _FAST_YAML_LOADER is _PYTHON_YAML_LOADER or "nesting depth" in str(fast_error):
            raise
    except RecursionError:
        pass  # only without libyaml: the pure-Python composer recurses once per level
    try:
        return _compose_and_construct(_PYTHON_YAML_LOADER, text)
    except RecursionError:
        raise yaml.YAMLError(f"it is nested more than {MAX_YAML_DEPTH} levels deep") from None


def _compose_and_construct(loader_class, text: str) -> tuple[yaml.Node | None, object]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_depth(node)
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def _check_depth(root: yaml.Node) -> None:
    """Raise a YAMLError at the first node nested deeper than MAX_YAML_DEPTH.

    An alias repeats its node; each node is walked again only when it is met
    deeper, so a "billion laughs" of aliases is a few hundred steps, not billions.
    """
    pending = [(root, 1)]
    deepest: dict[int, int] = {}
    while pending:
        node, depth = pending.pop()
        if deepest.get(id(node), 0) >= depth:
            continue
        deepest[id(node)] = depth
        if depth > MAX_YAML_DEPTH:
            raise yaml.constructor.ConstructorError(
                None, None, f"it is nested more than {MAX_YAML_DEPTH} levels deep", node.start_mark
            )
        if isinstance(node, yaml.SequenceNode):
            pending.extend((child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                pending.extend(((key, depth + 1), (value, depth + 1)))


def _front_matter_loader(base):
    """`base` without implicit dates, and with integers that cannot fail.

    YAML would turn `2026-13-01` into a ValueError, not a date; read as text,
    `_FrontMatter._date` reports it at its field. An integer past Python's
    4,300-digit limit becomes a YAMLError at its line.
    """

    def construct_int(loader, node):
        try:
            return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)
        except ValueError:
            raise yaml.constructor.ConstructorError(
                None, None, "this number is too long", node.start_mark
            ) from None

    resolvers = {
        first: [(tag, regexp) for tag, regexp in found if tag != "tag:yaml.org,2002:timestamp"]
        for first, found in base.yaml_implicit_resolvers.items()
    }
    loader = type(f"FrontMatter{base.__name__}", (base,), {"yaml_implicit_resolvers": resolvers})
    loader.add_constructor("tag:yaml.org,2002:int", construct_int)
    return loader


_PYTHON_YAML_LOADER = _front_matter_loader(yaml.SafeLoader)
_FAST_YAML_LOADER = _front_matter_loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a group of fields"
    if isinstance(value, datetime.date):
        return "a date"
    return type(value).__name__


def _is_allowed_url(url: str) -> bool:
    lowered = url.strip().lower()
    if lowered.startswith(ALLOWED_SCHEMES):
        return True
    # Site-internal: a path or a fragment, never protocol-relative (//evil.example).
    return lowered.startswith(("/", "#")) and not lowered.startswith("//")


def _split_table_row(raw: str) -> list[str]:
    row = raw.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return re.split(r"(?<!\\)\|", row)


def _split_examples(cell: str) -> tuple[str, tuple[str, ...]]:
    """`Opioids (morphine, oxycodone)` -> ("Opioids", ("morphine", "oxycodone"))."""
    match = re.match(r"^(?P<name>.+?)\s*\((?P<examples>[^()]+)\)\s*$", cell)
    if not match:
        return cell, ()
    examples = tuple(
        part.strip() for part in re.split(r",|\bor\b|\band\b", match["examples"]) if part.strip()
    )
    return match["name"], examples


def _split_citation(text: str) -> list[str]:
    """Split a citation at '. ' outside brackets, keeping initials like 'Nair KPS' whole."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        elif char == "." and depth == 0:
            following = text[index + 1 : index + 2]
            word = text[start:index].rsplit(" ", 1)[-1]
            # "U.S. Food and Drug Administration": a dotted abbreviation, not a break.
            if following in ("", " ") and "." not in word:
                parts.append(text[start:index].strip())
                start = index + 1
    tail = text[start:].strip()
    if tail:
        parts.append(tail)
    return [part for part in parts if part]


def _container(parts: list[str]) -> str:
    """The journal or publisher of a citation split at its full stops.

    A journal article names its journal after the title and then the issue
    ("Practical Neurology. 2012;12(5):289-298"); a book names "Place: Publisher;
    year". An organisation's own label or guideline ("European Medicines Agency
    (EMA). Baclofen SmPC. Updated 2024.") is published by that organisation, and
    what follows its title is an edition or a series number, not a container.
    """
    if len(parts) > 3 and JOURNAL_ISSUE_RE.match(parts[3]):
        return parts[2]
    if len(parts) > 2 and (imprint := BOOK_IMPRINT_RE.match(parts[2])):
        return imprint["publisher"].strip()
    authors = parts[0] if parts else ""
    people = [name.strip() for name in authors.split(",")]
    if authors and not all(PERSON_RE.match(name) for name in people):
        return authors
    return ""


def parse_reference(text: str, number: int, line: int = 0) -> Reference:
    """Pick the parts out of a Vancouver-style citation; the text itself is kept as written."""
    citation = " ".join(text.split())
    doi_match = DOI_IN_TEXT_RE.search(citation)
    doi = doi_match.group(1) if doi_match else ""
    bare = DOI_IN_TEXT_RE.sub("", citation).strip()
    url_match = URL_IN_TEXT_RE.search(bare)
    url = url_match.group(0) if url_match else ""
    if url:
        bare = bare.replace(url, "").strip()
    parts = _split_citation(bare)
    years = YEAR_RE.findall(bare)
    authors = parts[0] if parts else ""
    title = parts[1] if len(parts) > 1 else ""
    return Reference(
        number=number,
        text=citation,
        authors=authors,
        title=title,
        container=_container(parts),
        year=int(years[-1]) if years else None,
        doi=doi,
        url=url,
        line=line,
    )
