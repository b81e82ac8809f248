"""A Label into draft monographs in our content format, and the files they are kept in.

`build_drafts(label, file_name)` makes one draft per product of the label
(products of one active substance, in several strengths, are one medicine):
the fields at the top filled from the label's structured data, `status:
draft`, the label cited in `source` with its id, version and date and listed
in `source_documents`. The body has every section of our format; under each,
the label's own text for it (patient-facing parts preferred), quoted and
marked as label text that an editor rewrites in plain words before review.
What the label cannot fill (the interactions table, the dosing cards, the
frequency bands, the FAQs) is a "[FILL IN ...]" placeholder that the parser
accepts and the admin refuses to save. Each draft is checked with the same
parser as load_content before it is returned.

`write_drafts(label, output_dir)` writes `<output_dir>/<slug>.md` and copies
the label to `<output_dir>/sources/<slug>/<file name>`.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
import shutil
import unicodedata
from pathlib import Path

from ..markdown_limits import check_markdown
from ..parsing import parse_monograph
from .reading import Label, LabelSection, Product

# A placeholder that the ATC pattern accepts, marked on its line for the editor.
ATC_PLACEHOLDER = "Z99ZZ99"
# Words of a generic name that name the salt, not the medicine (atorvastatin calcium).
SALT_WORDS = {
    "calcium", "sodium", "potassium", "magnesium", "hydrochloride", "hcl", "hydrobromide",
    "maleate", "mesylate", "besylate", "citrate", "sulfate", "sulphate", "tartrate",
    "succinate", "fumarate", "acetate", "phosphate", "trihydrate", "monohydrate",
    "dihydrate", "anhydrous", "bromide", "chloride",
}  # fmt: skip
# How much label text each part of a draft keeps, tried in turn until the draft is
# within the format's limits (markdown_limits): the whole label stays in sources/.
TEXT_BUDGETS = (4000, 2500, 1500, 800, 300)
_ESCAPE_RE = re.compile(r"([\\`*_\[\]<>|~&#!])")
_LINE_START_RE = re.compile(r"^(\d+)([.)])")
_PUBLISHED_RE = re.compile(r"^status:\s*[\"']?published", re.MULTILINE)


class DraftError(Exception):
    """A draft could not be made from a label that was read (the message says why)."""


@dataclasses.dataclass(frozen=True)
class Draft:
    slug: str
    name: str
    text: str
    source_document: str  # sources/<slug>/<file name>


def build_drafts(
    label: Label, file_name: str, *, today: datetime.date | None = None
) -> list[Draft]:
    """One Draft per medicine of `label`, whose file is kept as `file_name`; each is
    checked by the content parser (DraftError if one does not pass)."""
    today = today or datetime.date.today()
    drafts, slugs = [], set()
    for products in _medicines(label):
        slug = _slug_for(products, label)
        if slug in slugs:
            slug = _slugify(f"{slug} {products[0].name}")
        slugs.add(slug)
        source_document = f"sources/{slug}/{file_name}"
        for budget in TEXT_BUDGETS:
            text = _draft_text(label, products, slug, source_document, today, budget)
            if not check_markdown(text):
                break
        try:
            parse_monograph(text, path=f"{slug}.md", expected_slug=slug)
        except Exception as error:  # MonographError, with every problem
            problems = getattr(error, "problems", None)
            detail = problems[0] if problems else error
            raise DraftError(f"the draft for {slug} does not pass the parser: {detail}") from None
        drafts.append(Draft(slug, products[0].name, text, source_document))
    if not drafts:
        raise DraftError("the label names no product, so no draft could be made")
    return drafts


def write_drafts(
    label: Label, output_dir: Path, *, raw: bytes | None = None, replace: bool = False
) -> list[Path]:
    """Write each draft of `label` to `output_dir/<slug>.md` and keep the label (its
    bytes, `raw`, or its file) at `output_dir/sources/<slug>/<file name>`.

    DraftError, with nothing written, if a draft's file exists and `replace` is off.
    """
    output_dir = Path(output_dir)
    file_name = label.path.name
    drafts = build_drafts(label, file_name)
    targets = [output_dir / f"{draft.slug}.md" for draft in drafts]
    for target in targets:
        if not target.exists():
            continue
        if not replace:
            raise DraftError(f"{target} already exists; nothing was written (--replace)")
        if _PUBLISHED_RE.search(target.read_text(encoding="utf-8", errors="replace")):
            # A draft must never take the place of a page the public reads.
            raise DraftError(
                f"{target} is a published monograph; nothing was written (import the label "
                "into another folder and merge it by hand)"
            )
    written = []
    for draft, target in zip(drafts, targets, strict=True):
        kept = output_dir / draft.source_document
        kept.parent.mkdir(parents=True, exist_ok=True)
        if raw is not None:
            kept.write_bytes(raw)
        else:
            shutil.copyfile(label.path, kept)
        partial = target.with_name(f".{target.name}.partial")
        partial.write_text(draft.text, encoding="utf-8")
        partial.replace(target)
        written.append(target)
    return written


# --- which products make one medicine -------------------------------------------


def _medicines(label: Label) -> list[list[Product]]:
    if not label.products:
        # A label without structured product data: one medicine, named by its title.
        return [[Product(label.title, "", "", (), ())]]
    groups: dict[str, list[Product]] = {}
    for product in label.products:
        key = _base_name(product.generic_name) or product.name.lower()
        groups.setdefault(key, []).append(product)
    return list(groups.values())


def _base_name(generic: str) -> str:
    """'atorvastatin' from 'atorvastatin calcium'; 'diphenhydramine and phenylephrine'."""
    names = []
    for part in re.split(r",|\band\b|/|\+", generic.lower()):
        words = [word for word in part.split() if word not in SALT_WORDS]
        if words:
            names.append(" ".join(words))
    return " and ".join(names)


def _slug_for(products: list[Product], label: Label) -> str:
    base = _base_name(products[0].generic_name)
    if not base:
        # No generic name in the label: its product name's first word (the brand).
        base = products[0].name.split()[0] if products[0].name.split() else label.title
    return _slugify(base) or "imported-label"


def _slugify(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:100].strip("-")


# --- the draft's text -----------------------------------------------------------


def _draft_text(
    label: Label,
    products: list[Product],
    slug: str,
    source_document: str,
    today: datetime.date,
    budget: int,
) -> str:
    parts = _Parts(label, source_document, budget)
    body = "\n".join(
        [
            "## Key takeaways",
            "",
            "- [FILL IN: what it is for, in one short sentence.]",
            "- [FILL IN: the one thing a patient must not do.]",
            "",
            "## What it is and what it is used for",
            "",
            "[FILL IN: what it is and what it treats, in plain words.]",
            "",
            *parts.quote("uses"),
            "## Before you take it",
            "",
            "### Who should not take it",
            "",
            *parts.quote("who-should-not", fill=True),
            "### Warnings and precautions",
            "",
            *parts.quote("warnings", fill=True),
            "### Pregnancy and breastfeeding",
            "",
            *parts.quote("pregnancy", fill=True),
            "### Driving and using machines",
            "",
            *parts.quote("driving", fill=True),
            "## Interactions",
            "",
            "### Major interactions",
            "",
            "| Medicine or group | What can happen | What to do |",
            "| --- | --- | --- |",
            "| [FILL IN: a medicine or group] | [FILL IN] | [FILL IN] |",
            "",
            "### Minor interactions",
            "",
            "- **[FILL IN: a medicine or group]:** [FILL IN: what can happen.]",
            "",
            "### What the label says about other medicines",
            "",
            *parts.quote("interactions", fill=True),
            "## Dosage",
            "",
            *parts.quote("dosage"),
            *parts.quote("missed-dose"),
            "### Adults",
            "",
            "- **Who:** Adults",
            "- **Route:** [FILL IN: how it is given, such as By mouth]",
            "- **Usual maintenance dose:** [FILL IN: from the label text above]",
            "",
            "## Overdose",
            "",
            *parts.quote("overdose", fill=True),
            "## Stopping",
            "",
            *parts.quote("stopping", fill=True),
            "## Side effects",
            "",
            *parts.quote("side-effects"),
            "### Common",
            "",
            "- [FILL IN: the side effects of each frequency band the label gives]",
            "",
            "### When to get urgent help",
            "",
            "- [FILL IN]",
            "",
            "## Storage",
            "",
            *parts.quote("storage", fill=True),
            "## Contents and generic availability",
            "",
            *parts.quote("contents", fill=True),
            "## Frequently asked questions",
            "",
            "### [FILL IN: a question patients ask?]",
            "",
            "[FILL IN: its answer.]",
            "",
            "## References",
            "",
            f"1. {_reference(label)}",
            "",
        ]
    )
    return _front_matter(label, products, slug, source_document, today) + "\n" + body


class _Parts:
    """The label's text for each of our sections, quoted, within a budget."""

    def __init__(self, label: Label, source_document: str, budget: int):
        self.label = label
        self.source_document = source_document
        self.budget = budget

    def sections(self, key: str) -> list[LabelSection]:
        mine = [section for section in self.label.sections if section.key == key]
        patient = [section for section in mine if section.patient]
        return patient or mine

    def quote(self, key: str, *, fill: bool = False) -> list[str]:
        sections = self.sections(key)
        lines = []
        if fill:
            lines += ["[FILL IN: rewrite the label text below in plain words.]", ""]
        if not sections:
            return lines or []
        for section in sections:
            lines += [
                f"> **Label text, to rewrite in plain words before review** "
                f"({_escape(section.heading, line_start=False)}):",
                ">",
            ]
            used = 0
            for block in section.blocks:
                if used >= self.budget:
                    lines += [
                        f"> (Shortened here: the whole text is in {self.source_document}.)",
                        ">",
                    ]
                    break
                text = block.text[: self.budget - used + 200]
                used += len(text)
                bullet = "• " if block.kind == "item" else ""
                lines += [f"> {bullet}{_escape(text)}", ">"]
            lines[-1] = ""
        return lines


def _escape(text: str, *, line_start: bool = True) -> str:
    """Label text as Markdown that shows it as written: no markup, no HTML, no lists."""
    text = _ESCAPE_RE.sub(r"\\\1", text)
    if not line_start:
        return text
    text = _LINE_START_RE.sub(r"\1\\\2", text)
    if text[:1] in "-+=":
        text = "\\" + text
    return text


def _front_matter(
    label: Label,
    products: list[Product],
    slug: str,
    source_document: str,
    today: datetime.date,
) -> str:
    first = products[0]
    generic = first.generic_name or ""
    name = (_base_name(generic) or first.name).strip()
    name = name[:1].upper() + name[1:]
    forms = _unique(_form(product.form) for product in products if product.form)
    routes = _unique(_route(route) for product in products for route in product.routes)
    strengths = _unique(_strength(product) for product in products)
    brands = _unique(
        product.name for product in products if product.name.lower() != generic.lower()
    )
    atc = next((p.atc_code for p in products if p.atc_code), "")
    prescription = next((p.prescription for p in products if p.prescription is not None), None)
    if prescription is None and "OTC" in label.kind.upper():
        prescription = False
    status = "general sale" if prescription is False else "prescription only"
    try:
        next_review = today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        next_review = today + datetime.timedelta(days=365)
    lines = [
        "---",
        f"slug: {slug}",
        f"name: {_yaml(name or slug)}",
        f"generic_name: {_yaml(generic or '[FILL IN: the generic name]')}",
        f"atc_code: {atc}"
        if atc
        else f"atc_code: {ATC_PLACEHOLDER}  # FILL IN: the WHO ATC code; the label gives none",
        f"drug_class: {_yaml('[FILL IN: the group of medicines, in plain words]')}",
        f"prescription_status: {status}"
        + ("" if prescription is not None else "  # FILL IN: the label does not say"),
        f"forms: {_yaml_list(forms or ['[FILL IN: a form, such as Tablet]'])}",
        f"routes: {_yaml_list(routes or ['[FILL IN: a route, such as oral]'])}",
        f"strengths: {_yaml_list(strengths or ['[FILL IN: a strength]'])}",
        f"brands: {_yaml_list(brands)}",
        "synonyms: []",
        f"conditions: {_yaml_list(['[FILL IN: what it treats, in plain words]'])}",
        "safety_warnings:",
        f"  - {_yaml('**[FILL IN: the most important warning, in one sentence.]**')}",
        "version: 1",
        "status: draft",
        f"last_reviewed: {today.isoformat()}",
        f"next_review: {next_review.isoformat()}",
        f"authors: {_yaml_list(['[FILL IN: who rewrote this draft]'])}",
        "source:",
        f"  - title: {_yaml(label.citation())}",
        f"    publisher: {_yaml(label.publisher or 'unknown publisher')}",
        f"    date: {_yaml(label.date or 'no date given')}",
        "source_documents:",
        f"  - {_yaml(source_document)}",
        "change_summary: "
        + _yaml(
            f"Draft imported from the {label.format} label {label.id}"
            + (f" version {label.version}" if label.version else "")
            + "; its text is the label's own and must be rewritten in plain words before review."
        ),
        f"language: {_yaml(label.language)}",
        "---",
    ]
    return "\n".join(lines) + "\n"


def _reference(label: Label) -> str:
    publisher = _escape(label.publisher or "Unknown publisher").rstrip(".")
    year = label.date[:4] if label.date else "n.d"
    return f"{publisher}. {_escape(label.citation())}. {label.format} label. {year}."


def _form(form: str) -> str:
    form = form.strip().lower()
    return form[:1].upper() + form[1:]


def _route(route: str) -> str:
    return re.sub(r"\s+use$", "", route.strip().lower())


def _strength(product: Product) -> str:
    form = product.form.strip().lower()
    given = [ingredient for ingredient in product.ingredients if ingredient.strength]
    if not given:
        return ""
    if len(given) == 1:
        return f"{given[0].strength} {form}".strip()
    each = ", ".join(f"{ingredient.name.lower()} {ingredient.strength}" for ingredient in given)
    return f"{each} ({form})" if form else each


def _unique(values) -> list[str]:
    seen = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen


def _yaml(value: str) -> str:
    """A YAML double-quoted scalar (JSON's string form is one)."""
    return json.dumps(value, ensure_ascii=False)


def _yaml_list(values: list[str]) -> str:
    return "[" + ", ".join(_yaml(value) for value in values) + "]"
