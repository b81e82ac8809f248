"""EU electronic product information (ePI: FHIR R5 Bundles, JSON or XML) into a Label.

The Bundle is read by fhir.resources (typed, validated FHIR R5 models), XML
through reading.safe_xml_parser. A document Bundle holds one Composition; a
collection may hold several document Bundles (a package leaflet and an SmPC,
say): the package leaflet's sections are the patient-facing ones, the SmPC's
the professional ones.

ePI sections all carry one generic code, so they are filed by their numbered
headings, in any language: the leaflet's "1. What X is and what it is used
for" ... "6. Contents of the pack", the SmPC's "4.1" ... "6.5"; sub-headings
inside a numbered section ("Do not take X", "Si olvidó tomar X") by
reading.key_for_heading, limited to the keys that section can hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from fhir.resources.bundle import Bundle
from lxml import etree
from pydantic import ValidationError

from .reading import (
    Block,
    Ingredient,
    Label,
    LabelSection,
    NotALabel,
    Product,
    narrative_blocks,
    normalise,
    safe_xml_parser,
    split_by_headings,
)

LEAFLET_TYPE = "100000155538"  # EMA SPOR: package leaflet
SMPC_TYPE = "100000155532"  # EMA SPOR: summary of product characteristics
LEAFLET_WORDS = re.compile(r"leaflet|prospecto|notice|packungsbeilage|foglio", re.IGNORECASE)
NUMBERED_RE = re.compile(r"^\s*(\d+(?:\.\d+)*)\.?\s+\S")
# Leaflet section number -> (key of its opening text, keys its sub-headings may take).
LEAFLET_NUMBERS = {
    "1": ("uses", ("uses",)),
    "2": ("warnings", ("who-should-not", "warnings", "interactions", "pregnancy", "driving")),
    "3": ("dosage", ("dosage", "overdose", "missed-dose", "stopping")),
    "4": ("side-effects", ("side-effects",)),
    "5": ("storage", ("storage",)),
    "6": ("contents", ("contents",)),
}
# SmPC section number -> key.
SMPC_NUMBERS = {
    "2": "contents",
    "4.1": "uses",
    "4.2": "dosage",
    "4.3": "who-should-not",
    "4.4": "warnings",
    "4.5": "interactions",
    "4.6": "pregnancy",
    "4.7": "driving",
    "4.8": "side-effects",
    "4.9": "overdose",
    "6.4": "storage",
    "6.5": "contents",
}


def read_epi_json(data: object, path: Path) -> Label:
    """The Label of an ePI Bundle already loaded from JSON."""
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        kind = data.get("resourceType") if isinstance(data, dict) else None
        what = f"a FHIR {kind}" if isinstance(kind, str) else "JSON that is not FHIR"
        raise NotALabel(f"the file is {what}, not an ePI Bundle")
    try:
        bundle = Bundle.model_validate(data)
    except ValidationError as error:
        raise NotALabel(f"the FHIR Bundle is not valid ({_first_error(error)})") from None
    return _read_bundle(bundle, path)


def read_epi_xml(raw: bytes, path: Path) -> Label:
    """The Label of an ePI Bundle in XML (already checked safe by reading.parse_xml)."""
    try:
        bundle = Bundle.model_validate_xml(raw, xmlparser=safe_xml_parser())
    except ValidationError as error:
        raise NotALabel(f"the FHIR Bundle is not valid ({_first_error(error)})") from None
    except (ValueError, etree.LxmlError) as error:
        raise NotALabel(f"the FHIR Bundle cannot be read ({error})") from None
    return _read_bundle(bundle, path)


def _read_bundle(bundle: Bundle, path: Path) -> Label:
    documents = list(_documents(bundle))
    if not documents:
        raise NotALabel("the FHIR Bundle holds no Composition, so it is not an ePI document")
    resources = [resource for document, _c in documents for resource in _resources(document)]
    leaflets = [(d, c) for d, c in documents if _is_leaflet(c)]
    document, composition = (leaflets or documents)[0]
    sections = []
    for _doc, each in documents:
        sections.extend(_sections(each, patient=_is_leaflet(each)))
    # The patient leaflet's parts first.
    sections.sort(key=lambda section: not section.patient)
    products = tuple(_products(resources)) or _products_from_text(sections, composition)
    return Label(
        path=path,
        format="ePI",
        kind=_kind(composition),
        title=normalise(composition.title or "") or "Untitled ePI document",
        language=composition.language or document.language or bundle.language or "en",
        id=_identifier(document) or _identifier(bundle) or _composition_id(composition),
        version=composition.version or "",
        date=_date(composition.date or document.timestamp or bundle.timestamp),
        publisher=_publisher(composition, resources, document),
        products=products,
        sections=tuple(sections),
    )


def _documents(bundle: Bundle) -> Iterator[tuple[Bundle, object]]:
    """(document Bundle, its Composition) for the bundle and every Bundle inside it."""
    for entry in bundle.entry or []:
        resource = entry.resource
        if resource is None:
            continue
        kind = resource.get_resource_type()
        if kind == "Composition":
            yield bundle, resource
        elif kind == "Bundle":
            yield from _documents(resource)


def _resources(bundle: Bundle) -> list:
    return [entry.resource for entry in bundle.entry or [] if entry.resource is not None]


def _is_leaflet(composition) -> bool:
    codes = [coding.code for coding in (composition.type.coding or [])] if composition.type else []
    if LEAFLET_TYPE in codes:
        return True
    if SMPC_TYPE in codes:
        return False
    return bool(LEAFLET_WORDS.search(composition.title or ""))


def _kind(composition) -> str:
    if composition.type and composition.type.coding:
        coding = composition.type.coding[0]
        if coding.display:
            return coding.display
    return "Package leaflet" if _is_leaflet(composition) else "Product information"


def _sections(composition, *, patient: bool) -> Iterator[LabelSection]:
    for section in composition.section or []:
        yield from _section(section, patient=patient)


def _section(section, *, patient: bool) -> Iterator[LabelSection]:
    heading = normalise(section.title or "")
    number = match[1] if (match := NUMBERED_RE.match(heading)) else ""
    if patient and number in LEAFLET_NUMBERS:
        first_key, allowed = LEAFLET_NUMBERS[number]
        blocks = _div_blocks(section) + _child_blocks(section)
        for part in split_by_headings(
            blocks, first_key=first_key, heading=heading, code=_code(section), patient=True
        ):
            if part.key not in allowed:
                part = LabelSection(first_key, part.heading, part.code, part.blocks, True)
            yield part
        return
    key = None
    if not patient:
        # 4.2.1 belongs where 4.2 does.
        parts = number.split(".") if number else []
        while parts and key is None:
            key = SMPC_NUMBERS.get(".".join(parts))
            parts.pop()
    blocks = _div_blocks(section)
    if blocks:
        yield LabelSection(key, heading, _code(section), tuple(blocks), patient)
    for child in section.section or []:
        yield from _section(child, patient=patient)


def _child_blocks(section) -> list[Block]:
    blocks = []
    for child in section.section or []:
        title = normalise(child.title or "")
        if title:
            blocks.append(Block("heading", title))
        blocks.extend(_div_blocks(child))
        blocks.extend(_child_blocks(child))
    return blocks


def _div_blocks(section) -> list[Block]:
    """The blocks of a section's XHTML narrative (parsed again, safely)."""
    if section.text is None or not section.text.div:
        return []
    try:
        div = etree.fromstring(section.text.div.encode("utf-8"), parser=safe_xml_parser())
    except etree.XMLSyntaxError:
        return []
    return list(narrative_blocks(div))


def _code(section) -> str:
    if section.code and section.code.coding:
        return section.code.coding[0].code or ""
    return ""


def _products(resources: list) -> Iterator[Product]:
    by_type: dict[str, list] = {}
    for resource in resources:
        by_type.setdefault(resource.get_resource_type(), []).append(resource)
    ingredients = tuple(
        _ingredient(resource) for resource in by_type.get("Ingredient", []) if _is_active(resource)
    )
    ingredients = tuple(ingredient for ingredient in ingredients if ingredient.name)
    form, routes = "", []
    for administrable in by_type.get("AdministrableProductDefinition", []):
        form = form or _concept(administrable.administrableDoseForm)
        for route in administrable.routeOfAdministration or []:
            name = _concept(route.code)
            if name and name not in routes:
                routes.append(name)
    for definition in by_type.get("MedicinalProductDefinition", []):
        names = [name.productName for name in definition.name or [] if name.productName]
        if not names:
            continue
        status = _concept(definition.legalStatusOfSupply).lower()
        atc = ""
        for classification in definition.classification or []:
            for coding in classification.coding or []:
                if "atc" in (coding.system or "").lower() and coding.code:
                    atc = coding.code
        yield Product(
            name=names[0],
            generic_name=", ".join(ingredient.name.lower() for ingredient in ingredients),
            form=form or _concept(definition.combinedPharmaceuticalDoseForm),
            routes=tuple(routes),
            ingredients=ingredients,
            atc_code=atc,
            prescription=("prescription" in status) if status else None,
        )


def _products_from_text(sections: list[LabelSection], composition) -> tuple[Product, ...]:
    """A document without product resources: its name from the SmPC's section 1 (the
    medicine's name) or the leaflet's section 1 heading, nothing else guessed."""
    for section in sections:
        match = NUMBERED_RE.match(section.heading or "")
        if not section.patient and match and match[1] == "1" and section.blocks:
            return (Product(section.blocks[0].text, "", "", (), ()),)
    title = normalise(composition.title or "")
    return (Product(title, "", "", (), ()),) if title else ()


def _is_active(ingredient) -> bool:
    role = _concept(ingredient.role).lower()
    return "active" in role


def _ingredient(resource) -> Ingredient:
    substance = resource.substance
    name = ""
    if substance and substance.code:
        if substance.code.concept:
            name = _concept(substance.code.concept)
        elif substance.code.reference and substance.code.reference.display:
            name = substance.code.reference.display
    strength = ""
    for each in (substance.strength if substance else None) or []:
        strength = _quantity(each.presentationQuantity) or _ratio(each.presentationRatio)
        strength = strength or _quantity(each.concentrationQuantity)
        strength = strength or _ratio(each.concentrationRatio)
        if strength:
            break
    return Ingredient(name, strength)


def _quantity(quantity) -> str:
    if quantity is None or quantity.value is None:
        return ""
    unit = quantity.unit or quantity.code or ""
    return f"{_number(quantity.value)} {unit}".strip()


def _ratio(ratio) -> str:
    if ratio is None or ratio.numerator is None:
        return ""
    top = _quantity(ratio.numerator)
    bottom = _quantity(ratio.denominator)
    if not bottom or bottom in ("1", "1 1"):
        return top
    return f"{top}/{bottom[2:] if bottom.startswith('1 ') else bottom}"


def _number(value) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _concept(concept) -> str:
    if concept is None:
        return ""
    if concept.text:
        return concept.text
    for coding in concept.coding or []:
        if coding.display:
            return coding.display
    return ""


def _identifier(resource) -> str:
    identifier = getattr(resource, "identifier", None)
    if isinstance(identifier, list):
        identifier = identifier[0] if identifier else None
    return (identifier.value or "") if identifier is not None else ""


def _composition_id(composition) -> str:
    return _identifier(composition) or (composition.id or "")


def _publisher(composition, resources: list, document) -> str:
    organisations = {
        f"Organization/{resource.id}": resource
        for resource in resources
        if resource.get_resource_type() == "Organization" and resource.id
    }
    for author in composition.author or []:
        organisation = organisations.get(author.reference or "")
        if organisation is not None and organisation.name:
            return normalise(organisation.name)
        if author.display:
            return author.display
    identifier = getattr(document, "identifier", None)
    system = (identifier.system or "") if identifier is not None else ""
    host = re.sub(r"^https?://(www\.)?", "", system).split("/")[0]
    return host or "unknown publisher"


def _date(value) -> str:
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text[:10] if re.match(r"\d{4}-\d{2}-\d{2}", text) else text[:4]


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0] if error.errors() else {}
    where = ".".join(str(part) for part in first.get("loc", ()))[:120]
    return f"{where}: {first.get('msg', 'invalid')}" if where else first.get("msg", "invalid")
