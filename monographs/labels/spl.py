"""US Structured Product Labeling (SPL, HL7 v3 XML, the format DailyMed serves) into a
Label.

Sections are filed by their LOINC codes (SECTION_CODES; the names are those of
spl-loinc-sections.csv); an unclassified section (42229-5), and the
patient-facing parts (patient package insert 42230-3, Medication Guide 42231-1,
and every section of an over-the-counter Drug Facts label), are filed by their
headings (reading.key_for_heading). Products come from the structured product
data elements (manufacturedProduct), never from the prose. Anything optional
that a label leaves out (a title, a version, a route) is left empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .reading import (
    SPL_NS,
    Block,
    Ingredient,
    Label,
    LabelSection,
    NotALabel,
    Product,
    inline_text,
    key_for_heading,
    narrative_blocks,
    normalise,
    split_by_headings,
)

NS = {"v": SPL_NS}
UNCLASSIFIED = "42229-5"
PATIENT_INSERT = "42230-3"
MEDICATION_GUIDE = "42231-1"
PRODUCT_DATA = ("48780-1",)
OTC_LABEL = "34390-5"
# LOINC section code -> monograph section key (None: kept, not filed under a section).
SECTION_CODES = {
    "34067-9": "uses",  # Indications & usage (OTC: Uses)
    "55105-1": "uses",  # OTC purpose
    "34070-3": "who-should-not",  # Contraindications
    "50570-1": "who-should-not",  # OTC do not use
    "34066-1": "warnings",  # Boxed warning
    "43685-7": "warnings",  # Warnings and precautions
    "34071-1": "warnings",  # Warnings
    "42232-9": "warnings",  # Precautions
    "50569-3": "warnings",  # OTC ask doctor
    "50567-7": "warnings",  # OTC when using
    "50566-9": "warnings",  # OTC stop use
    "50565-1": "warnings",  # OTC keep out of reach of children
    "34072-1": "warnings",  # General precautions
    "43684-0": "pregnancy",  # Use in specific populations
    "42228-7": "pregnancy",  # Pregnancy
    "34077-8": "pregnancy",  # Teratogenic effects
    "34080-2": "pregnancy",  # Nursing mothers
    "77290-5": "pregnancy",  # Lactation
    "53414-9": "pregnancy",  # OTC pregnancy or breast feeding
    "34073-7": "interactions",  # Drug interactions
    "50568-5": "interactions",  # OTC ask doctor or pharmacist
    "34068-7": "dosage",  # Dosage & administration (OTC: Directions)
    "34088-5": "overdose",  # Overdosage
    "34084-4": "side-effects",  # Adverse reactions
    "44425-7": "storage",  # Storage and handling
    "34069-5": "contents",  # How supplied
    "43678-2": "contents",  # Dosage forms & strengths
    "55106-9": "contents",  # OTC active ingredient
    "51727-6": "contents",  # Inactive ingredient
    "34089-3": None,  # Description
    "34076-0": None,  # Patient counseling information (for the prescriber)
}
PATIENT_CODES = (PATIENT_INSERT, MEDICATION_GUIDE)
# Patient text starts by saying what the medicine is.
PATIENT_FIRST_KEY = "uses"


def read_spl(root, path: Path) -> Label:
    """The Label of an SPL <document> element (parsed by reading.parse_xml)."""
    body = root.find("v:component/v:structuredBody", NS)
    if body is None:
        raise NotALabel("the SPL document has no structured body, so it holds no label text")
    kind_code = root.find("v:code", NS)
    kind = _attr(kind_code, "displayName")
    otc = _attr(kind_code, "code") == OTC_LABEL or "OTC" in kind.upper()
    prescription = True if "PRESCRIPTION" in kind.upper() else (False if otc else None)
    products = tuple(_products(root, prescription))
    sections = []
    for component in body.findall("v:component/v:section", NS):
        sections.extend(_sections(component, otc=otc, parent_key=None))
    if not sections and not products:
        # SPL also carries indexing files, establishment listings and the like.
        raise NotALabel(
            f"the SPL document is a{'n' if kind[:1].lower() in 'aeiou' else ''} "
            f"'{kind or 'untitled'}' document with no label text and no products"
        )
    return Label(
        path=path,
        format="SPL",
        kind=kind,
        title=_title(root, products),
        language="en",
        id=_attr(root.find("v:setId", NS), "root") or _attr(root.find("v:id", NS), "root"),
        version=_attr(root.find("v:versionNumber", NS), "value"),
        date=_date(_attr(root.find("v:effectiveTime", NS), "value")),
        publisher=_publisher(root),
        products=products,
        sections=tuple(sections),
    )


def _sections(section, *, otc: bool, parent_key: str | None) -> Iterator[LabelSection]:
    code = _attr(section.find("v:code", NS), "code")
    if code in PRODUCT_DATA:
        return
    title_element = section.find("v:title", NS)
    heading = normalise(inline_text(title_element)) if title_element is not None else ""
    if not heading:
        heading = _attr(section.find("v:code", NS), "displayName").title()
    patient = otc or code in PATIENT_CODES
    if code in SECTION_CODES:
        key = SECTION_CODES[code]
    elif code == UNCLASSIFIED or otc or not code:
        # Unclassified, Drug Facts, or a section without a code: its heading says.
        key = key_for_heading(heading) if heading else parent_key
    else:
        key = parent_key
    text = section.find("v:text", NS)
    blocks = list(narrative_blocks(text)) if text is not None else []
    children = section.findall("v:component/v:section", NS)
    if code in PATIENT_CODES:
        # A patient leaflet is one section whose questions are its headings; its
        # subsections (instructions for use) are read as more of its text.
        for child in children:
            blocks.extend(_all_blocks(child))
        yield from split_by_headings(
            blocks, first_key=PATIENT_FIRST_KEY, heading=heading, code=code, patient=True
        )
        return
    own, separate = blocks, []
    for child in children:
        child_code = _attr(child.find("v:code", NS), "code")
        child_key = SECTION_CODES.get(child_code, key)
        if child_key != key and child_key is not None:
            separate.extend(_sections(child, otc=otc, parent_key=key))
        else:
            own.extend(_all_blocks(child))
    if own:
        yield LabelSection(key, heading, code, tuple(own), patient)
    yield from separate


def _all_blocks(section) -> list[Block]:
    """A subsection as blocks: its title as a heading, its text, its own subsections."""
    blocks = []
    title = section.find("v:title", NS)
    if title is not None and normalise(inline_text(title)):
        blocks.append(Block("heading", normalise(inline_text(title))))
    text = section.find("v:text", NS)
    if text is not None:
        blocks.extend(narrative_blocks(text))
    for child in section.findall("v:component/v:section", NS):
        blocks.extend(_all_blocks(child))
    return blocks


def _products(root, prescription: bool | None) -> Iterator[Product]:
    """Each product of the structured product data, kits read through their parts."""
    seen = set()
    for outer in root.iter(f"{{{SPL_NS}}}manufacturedProduct"):
        product = outer.find("v:manufacturedProduct", NS)
        if product is None:
            product = outer.find("v:manufacturedMedicine", NS)
        if product is None:
            continue
        parts = [
            part
            for part in product.findall("v:part/v:partProduct", NS)
            if _active_ingredients(part)
        ]
        for item in parts or [product]:
            ingredients = _active_ingredients(item)
            name = _text(item.find("v:name", NS)) or _text(product.find("v:name", NS))
            generic = _text(
                item.find("v:asEntityWithGeneric/v:genericMedicine/v:name", NS)
            ) or _text(product.find("v:asEntityWithGeneric/v:genericMedicine/v:name", NS))
            if not generic:
                generic = ", ".join(ingredient.name.lower() for ingredient in ingredients)
            found = Product(
                name=name or generic,
                generic_name=generic,
                form=_attr(item.find("v:formCode", NS), "displayName"),
                routes=_routes(outer),
                ingredients=ingredients,
                prescription=prescription,
            )
            if found.name and found not in seen:
                seen.add(found)
                yield found


def _active_ingredients(product) -> tuple[Ingredient, ...]:
    found = []
    for ingredient in product.findall("v:ingredient", NS):
        if not (ingredient.get("classCode") or "").startswith("ACT"):
            continue
        name = _text(ingredient.find("v:ingredientSubstance/v:name", NS))
        if name:
            found.append(Ingredient(name, _strength(ingredient.find("v:quantity", NS))))
    return tuple(found)


def _strength(quantity) -> str:
    """'10 mg' or '40 mg/0.8 mL' from an SPL quantity (a numerator over a denominator)."""
    if quantity is None:
        return ""
    numerator = quantity.find("v:numerator", NS)
    denominator = quantity.find("v:denominator", NS)
    amount = " ".join(
        part for part in (_attr(numerator, "value"), _unit(_attr(numerator, "unit"))) if part
    )
    if not amount:
        return ""
    per_value, per_unit = _attr(denominator, "value"), _unit(_attr(denominator, "unit"))
    if per_unit:
        return (
            f"{amount}/{per_unit}" if per_value in ("", "1") else f"{amount}/{per_value} {per_unit}"
        )
    return amount


def _unit(unit: str) -> str:
    return "" if unit in ("1", "") else unit


def _routes(outer) -> tuple[str, ...]:
    """The routes of administration the product's consumedIn/substanceAdministration names."""
    subject = outer.getparent()
    if subject is None:
        return ()
    routes = []
    for code in subject.iter(f"{{{SPL_NS}}}routeCode"):
        name = _attr(code, "displayName").lower()
        if name and name not in routes:
            routes.append(name)
    return tuple(routes)


def _title(root, products: tuple[Product, ...]) -> str:
    title = root.find("v:title", NS)
    text = normalise(inline_text(title)) if title is not None else ""
    # The Highlights' title starts with boilerplate; the product's own line follows it.
    boilerplate = "See full prescribing information for"
    if boilerplate in text:
        text = text.split(boilerplate, 1)[1].split(".", 1)[-1].strip() or text
    if text:
        return text.split(" Initial U.S. Approval")[0].strip()
    if products:
        first = products[0]
        return f"{first.name} ({first.generic_name}) label".strip()
    return "Untitled label"


def _publisher(root) -> str:
    organisation = root.find("v:author/v:assignedEntity/v:representedOrganization/v:name", NS)
    return _text(organisation)


def _date(value: str) -> str:
    digits = value[:8]
    if len(digits) == 8 and digits.isdigit():
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
    return ""


def _attr(element, name: str) -> str:
    return (element.get(name) or "").strip() if element is not None else ""


def _text(element) -> str:
    return normalise(inline_text(element)) if element is not None else ""
