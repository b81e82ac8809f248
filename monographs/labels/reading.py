"""What every official label reads into: a Label of plain text by section, and the
safe way to open one.

`read_label(path)` opens a US SPL document (HL7 v3 XML) or an EU ePI (a FHIR R5
Bundle, JSON or XML) and returns a `Label`: its title, language, id, version and
date, its products (from the structured product data, never from the prose),
and its sections as plain text, each with the key of the monograph section it
belongs to (`uses`, `dosage`, `storage` ...; see SECTION_KEYS) or None and its
own heading. Patient-facing parts (a US patient package insert or Medication
Guide, an over-the-counter Drug Facts label, an EU package leaflet) are marked
`patient=True`. Nothing is written anywhere.

A file that is not a label raises NotALabel with one sentence saying why.
Outside XML is parsed with lxml with entities left unresolved, no DTD loaded
and the network off, and a document that declares entities is refused.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from lxml import etree

# The monograph sections (and the sub-headings of "Before you take it" and
# "Dosage") a label's text can be filed under.
logger = logging.getLogger(__name__)

SECTION_KEYS = (
    "uses",
    "who-should-not",
    "warnings",
    "pregnancy",
    "driving",
    "interactions",
    "dosage",
    "missed-dose",
    "overdose",
    "stopping",
    "side-effects",
    "storage",
    "contents",
)
# Far above any real label (the largest of ours is 400 KB); a bigger file is refused
# before it is parsed.
MAX_LABEL_BYTES = 20_000_000
SPL_NS = "urn:hl7-org:v3"
FHIR_NS = "http://hl7.org/fhir"


class NotALabel(Exception):
    """The file is not an SPL or ePI label; the message says why, in one sentence."""


@dataclasses.dataclass(frozen=True)
class Block:
    """One piece of a section's text: a heading, a paragraph, a list item or a table row."""

    kind: str  # "heading", "paragraph", "item" or "row"
    text: str


@dataclasses.dataclass(frozen=True)
class LabelSection:
    """A part of the label: `key` is the monograph section it belongs to, or None."""

    key: str | None
    heading: str
    code: str
    blocks: tuple[Block, ...]
    patient: bool = False

    @property
    def text(self) -> str:
        """The section's plain text, one block a line, list items starting with '- '."""
        lines = []
        for block in self.blocks:
            lines.append(f"- {block.text}" if block.kind == "item" else block.text)
        return "\n".join(lines)


@dataclasses.dataclass(frozen=True)
class Ingredient:
    name: str
    strength: str  # "10 mg", "40 mg/0.8 mL", or "" when the label gives none


@dataclasses.dataclass(frozen=True)
class Product:
    """One product of the label, from its structured data."""

    name: str
    generic_name: str
    form: str
    routes: tuple[str, ...]
    ingredients: tuple[Ingredient, ...]
    atc_code: str = ""
    prescription: bool | None = None  # None: the label does not say


@dataclasses.dataclass(frozen=True)
class Label:
    """An official label as plain data, whatever its format."""

    path: Path
    format: str  # "SPL" or "ePI"
    kind: str  # "HUMAN PRESCRIPTION DRUG LABEL", "Package leaflet", ...
    title: str
    language: str
    id: str  # SPL set id; ePI document identifier
    version: str  # "" when the label has none
    date: str  # YYYY-MM-DD, "" when the label has none
    publisher: str
    products: tuple[Product, ...]
    sections: tuple[LabelSection, ...]

    def text_by_section(self) -> list[tuple[str, str]]:
        """(our section key, or the label's heading when it has none; the text), in order."""
        return [(section.key or section.heading, section.text) for section in self.sections]

    def citation(self) -> str:
        """The label as `source` and the references cite it: title, id, version, date."""
        parts = [f"{self.format} {self.id}"]
        if self.version:
            parts.append(f"version {self.version}")
        if self.date:
            parts.append(self.date)
        return f"{self.title} ({', '.join(parts)})"


def read_label(path: str | Path) -> Label:
    """Read the label at `path`; NotALabel (one sentence) if it is not one."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_LABEL_BYTES:
            raise NotALabel(
                f"the file is {size:,} bytes; a label may be at most {MAX_LABEL_BYTES:,}"
            )
        raw = path.read_bytes()
    except OSError as error:
        raise NotALabel(f"the file cannot be read ({error.strerror})") from None
    return read_label_bytes(raw, path)


def read_label_bytes(raw: bytes, path: Path) -> Label:
    """As read_label, for bytes already read (an upload); `path` names them."""
    try:
        return _read(raw, path)
    except NotALabel:
        raise
    except RecursionError:
        raise NotALabel("the file is nested too deeply to be a label") from None
    except Exception as error:
        # Outside input must never crash the importer or the admin: say what failed.
        logger.exception("label_unreadable file=%s", path.name)
        raise NotALabel(
            f"the file could not be read as a label ({type(error).__name__}: {error})"
        ) from None


def _read(raw: bytes, path: Path) -> Label:
    from . import epi, spl

    head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise NotALabel("the file is empty")
    if head[:1] in (b"{", b"["):
        try:
            data = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as error:
            raise NotALabel(f"the file is not valid JSON ({_first_line(error)})") from None
        return epi.read_epi_json(data, path)
    if head[:1] != b"<":
        raise NotALabel("the file is neither XML nor JSON, so it is not an SPL or ePI label")
    root = parse_xml(raw)
    if root.tag == f"{{{SPL_NS}}}document":
        return spl.read_spl(root, path)
    if root.tag == f"{{{FHIR_NS}}}Bundle":
        return epi.read_epi_xml(raw, path)
    local = etree.QName(root).localname.lower() if isinstance(root.tag, str) else ""
    if local == "html":
        raise NotALabel("the file is an HTML page, not an SPL or ePI label")
    raise NotALabel(
        f"the file is XML whose root element is <{local}>, not an SPL <document> or a FHIR <Bundle>"
    )


def safe_xml_parser() -> etree.XMLParser:
    """lxml's parser for outside XML: no entity resolution, no DTD, no network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(raw: bytes) -> etree._Element:
    """The root of the XML in `raw`, parsed safely; NotALabel if broken or if it
    declares entities (no label needs them: an entity bomb or a file reader does)."""
    if _ENTITY_DECLARATION_RE.search(raw):
        raise NotALabel("the XML declares entities, which no label uses; it was not read")
    try:
        tree = etree.fromstring(raw, parser=safe_xml_parser()).getroottree()
    except etree.XMLSyntaxError as error:
        raise NotALabel(f"the XML is broken or cut off ({_first_line(error)})") from None
    dtd = tree.docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise NotALabel("the XML declares entities, which no label uses; it was not read")
    if any(isinstance(node, etree._Entity) for node in tree.getroot().iter()):
        raise NotALabel("the XML uses entities, which no label uses; it was not read")
    return tree.getroot()


_ENTITY_DECLARATION_RE = re.compile(rb"<!ENTITY", re.IGNORECASE)


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


# --- narrative text: SPL <text> and FHIR XHTML <div> into blocks ---------------

_SPACE_RE = re.compile(r"\s+")
_BOLD_TAGS = {"b", "strong"}
_PARAGRAPH_TAGS = {"paragraph", "p", "caption", "h1", "h2", "h3", "h4", "h5", "h6"}
_LIST_TAGS = {"list", "ul", "ol"}
_ITEM_TAGS = {"item", "li"}
_INLINE_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "span",
    "a",
    "content",
    "sup",
    "sub",
    "br",
    "linkHtml",
    "font",
    "small",
    "big",
    "abbr",
    "code",
}
_SKIP_TAGS = {"renderMultiMedia", "img", "style", "script", "footnote", "col", "colgroup"}


def normalise(text: str) -> str:
    return _SPACE_RE.sub(" ", text).strip()


def local_name(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def inline_text(element, *, stop: frozenset[str] = frozenset()) -> str:
    """The text of `element` and its inline children; children named in `stop` skipped."""
    parts = [element.text or ""]
    for child in element:
        name = local_name(child)
        if name and name not in stop and name not in _SKIP_TAGS:
            parts.append(" " if name == "br" else inline_text(child, stop=stop))
        parts.append(child.tail or "")
    return "".join(parts)


def _is_bold(element) -> bool:
    name = local_name(element)
    return name in _BOLD_TAGS or (
        name == "content" and "bold" in (element.get("styleCode") or "").lower()
    )


def _bold_text(element) -> str:
    if _is_bold(element):
        return inline_text(element)
    return "".join(_bold_text(child) for child in element if local_name(child))


def narrative_blocks(element) -> Iterator[Block]:
    """The blocks of a narrative element (SPL <text> or an XHTML <div>), in order.

    Inline text directly inside it (a loose <b>heading</b> followed by text, as
    some ePI leaflets write) is gathered into runs; a run all in bold is a heading.
    """
    run: list[tuple[str, str]] = []  # (text, its bold part)

    def flush() -> Iterator[Block]:
        text = normalise("".join(part for part, _bold in run))
        bold = normalise("".join(bold for _part, bold in run))
        run.clear()
        if text:
            heading = bold == text and len(text) <= 200
            yield Block("heading" if heading else "paragraph", text)

    run.append((element.text or "", ""))
    for child in element:
        name = local_name(child)
        if name in _INLINE_TAGS:
            if _is_bold(child) and run and normalise(run[-1][0]) and not normalise(run[-1][1]):
                yield from flush()  # plain text, then a bold phrase: the phrase heads what follows
            text = " " if name == "br" else inline_text(child)
            run.append((text, text if _is_bold(child) else _bold_text(child)))
        else:
            yield from flush()
            if name in _PARAGRAPH_TAGS:
                text = normalise(inline_text(child, stop=frozenset(_LIST_TAGS | {"table"})))
                if text:
                    bold = normalise(_bold_text(child))
                    heading = name.startswith("h") or (bold == text and len(text) <= 200)
                    yield Block("heading" if heading else "paragraph", text)
                # A list or table inside a paragraph (SPL allows it) follows it.
                for inner in child:
                    if local_name(inner) in _LIST_TAGS or local_name(inner) == "table":
                        yield from narrative_blocks_of(inner)
            elif name in _LIST_TAGS or name == "table":
                yield from narrative_blocks_of(child)
            elif name and name not in _SKIP_TAGS:
                yield from narrative_blocks(child)
        if child.tail and child.tail.strip():
            if (
                run
                and normalise(run[-1][1])
                and normalise("".join(p for p, _b in run))
                == (normalise("".join(b for _p, b in run)))
            ):
                yield from flush()  # a bold run ends where plain text starts
            run.append((child.tail, ""))
        elif child.tail:
            run.append((child.tail, ""))
    yield from flush()


def narrative_blocks_of(element) -> Iterator[Block]:
    """The blocks of one list or table element."""
    name = local_name(element)
    if name in _LIST_TAGS:
        for item in element:
            if local_name(item) not in _ITEM_TAGS:
                continue
            text = normalise(inline_text(item, stop=frozenset(_LIST_TAGS | {"table"})))
            if text:
                yield Block("item", text)
            for inner in item:
                if local_name(inner) in _LIST_TAGS or local_name(inner) == "table":
                    yield from narrative_blocks_of(inner)
    elif name == "table":
        for row in element.iter():
            if local_name(row) != "tr":
                continue
            cells = [
                normalise(inline_text(cell)) for cell in row if local_name(cell) in ("td", "th")
            ]
            cells = [cell for cell in cells if cell]
            if cells:
                yield Block("row", " · ".join(cells))


# --- filing text under our sections ---------------------------------------------

# Headings inside patient-facing text, English and Spanish, to the key they mean.
# The first pattern that matches wins, so the narrower ones come first.
HEADING_KEYS: tuple[tuple[str, re.Pattern], ...] = tuple(
    (key, re.compile(pattern, re.IGNORECASE))
    for key, pattern in (
        ("overdose", r"too much|more .* than (you )?should|overdos|más .* de(l| lo) que debe"),
        ("missed-dose", r"\b(forget|forgot|miss(ed)?)\b|olvid"),
        ("stopping", r"\bstop(s|ping)? (taking|using)|interrump|deja de"),
        (
            "who-should-not",
            r"do not (take|use)|should not (take|use)|^no (tome|use)|contraindica",
        ),
        ("pregnancy", r"pregnan|breast|nursing|lactation|embaraz|lactancia"),
        ("driving", r"driving|machines|conducci|máquinas"),
        (
            "interactions",
            r"other medicines|drug interactions|ask a doctor or pharmacist before use|"
            r"otros medicamentos",
        ),
        (
            "side-effects",
            r"side effects|adverse reactions|efectos adversos|reacciones adversas",
        ),
        ("storage", r"\bstor(e|age|ing)\b|other informat|conservaci"),
        (
            "contents",
            r"ingredients|contents of the pack|what .* contains|how supplied|"
            r"contenido del envase|composici",
        ),
        (
            "dosage",
            r"how (should i |to )?(take|use)|instructions for use|directions|dosage|"
            r"cómo (tomar|usar)|posolog",
        ),
        (
            "warnings",
            r"warning|precaution|before (you |taking|using)|important information|"
            r"should i avoid|tell your doctor|ask a doctor|when using|stop use|advertencia",
        ),
        ("uses", r"what is .*( used for|\?)|\buses\b|used for|indications|para qué|qué es"),
    )
)


def key_for_heading(heading: str) -> str | None:
    """The section key a heading means, or None."""
    for key, pattern in HEADING_KEYS:
        if pattern.search(heading):
            return key
    return None


def split_by_headings(
    blocks: Iterable[Block], *, first_key: str | None, heading: str, code: str, patient: bool
) -> Iterator[LabelSection]:
    """Cut patient text at its headings: each heading that names a section starts a new
    LabelSection with that key; text before any such heading keeps `first_key`."""
    key, title, current = first_key, heading, []
    for block in blocks:
        new_key = key_for_heading(block.text) if block.kind == "heading" else None
        if new_key is not None:
            if current:
                yield LabelSection(key, title, code, tuple(current), patient)
            key, title, current = new_key, block.text, []
        else:
            current.append(block)
    if current:
        yield LabelSection(key, title, code, tuple(current), patient)
