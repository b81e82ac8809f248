"""The documents both search backends index, built from the published versions.

One document per section of each published version, one per ``###`` part of a
section, and one per side effect and per interaction row, so that "hair loss"
lands on the side effects and "lithium" on the interactions. Each document is a
plain dict of fields (names, conditions, heading, aliases, items, overview,
body, text, ...); the backends decide how to weigh them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db.models import Prefetch

from .. import models
from ..loading import normalize_name
from ..parsing import BANDS, DOSING_LABEL_NAMES, SECTIONS, make_anchor
from .query import WORD_RE

# Words patients use for a section that its heading does not contain.
SECTION_ALIASES = {
    "takeaways": "summary key points important",
    "uses": "used for treat treats treatment",
    "before": "before taking precautions warnings cautions",
    "interactions": "interactions other medicines mixing together combining",
    "dosage": "dose doses dosing how much often take taking amount",
    "overdose": "overdose overdosed poisoning too",
    "stopping": "stop stopping withdrawal coming off",
    "side_effects": "side effects adverse reactions",
    "storage": "storage store keep temperature fridge heat expiry dispose",
    "contents": "contents ingredients excipients generic",
    "faqs": "questions",
}
# Structured parts whose items are indexed one by one instead (side-effect
# bands, interaction tables); references are not what patients search for.
SKIPPED_BLOCK_KINDS = frozenset({"band", "major_interactions", "minor_interactions"})
SKIPPED_SECTIONS = frozenset({"references"})
# The labels of a dosing card are its sub-headings ("Maximum dose").
DOSING_ALIASES = tuple(name for name in DOSING_LABEL_NAMES if name not in {"Who", "Route", "Notes"})


def published_documents(medicines) -> Iterator[tuple[dict, list[dict]]]:
    """``(meta, documents)`` of the published version of each of ``medicines`` (a queryset)."""
    for version in _published_versions(medicines):
        meta = _version_meta(version)
        yield meta, version_documents(meta, _version_rows(version))


def _published_versions(medicines):
    """The published versions of ``medicines`` with every row the documents need."""
    return (
        models.Version.objects.filter(
            pk__in=medicines.filter(published_version__isnull=False).values("published_version_id")
        )
        .select_related("medicine")
        # In the order of the medicines' slugs, however the medicines were batched.
        .order_by("medicine__slug")
        .defer("source_text")
        .prefetch_related(
            Prefetch(
                "sections",
                queryset=models.Section.objects.exclude(key__in=SKIPPED_SECTIONS)
                .defer("quick_answer_html", "intro_html")
                .prefetch_related(
                    Prefetch(
                        "blocks",
                        queryset=models.Block.objects.exclude(kind__in=SKIPPED_BLOCK_KINDS).defer(
                            "html"
                        ),
                    )
                ),
            ),
            Prefetch("side_effects", queryset=models.SideEffect.objects.defer("html")),
            Prefetch(
                "interactions",
                queryset=models.Interaction.objects.defer("effect_html", "action_html"),
            ),
            Prefetch("takeaways", queryset=models.Takeaway.objects.defer("html")),
            Prefetch("alerts", queryset=models.Alert.objects.defer("html")),
        )
    )


def _version_meta(version: models.Version) -> dict:
    return {
        "slug": version.medicine.slug,
        "version_id": version.pk,
        "name": version.name,
        "generic_name": version.generic_name,
        "atc_code": version.atc_code,
        "drug_class": version.drug_class,
        "brands": list(version.brands),
        "synonyms": list(version.synonyms),
        "conditions": list(version.conditions),
    }


def _version_rows(version: models.Version) -> dict:
    """The rows of a stored version in the shape loading.project_rows() gives."""
    return {
        "sections": [
            {
                "key": section.key,
                "title": section.title,
                "anchor": section.anchor,
                "quick_answer_text": section.quick_answer_text,
                "intro_text": section.intro_text,
                "blocks": [
                    {"title": b.title, "anchor": b.anchor, "kind": b.kind, "text": b.text}
                    for b in section.blocks.all()
                ],
            }
            for section in version.sections.all()
        ],
        "side_effects": [{"band": e.band, "text": e.text} for e in version.side_effects.all()],
        "interactions": [
            {
                "severity": i.severity,
                "medicine": i.medicine,
                "examples": list(i.examples),
                "effect_text": i.effect_text,
                "action_text": i.action_text,
            }
            for i in version.interactions.all()
        ],
        "takeaways": [{"text": t.text} for t in version.takeaways.all()],
        "alerts": [{"kind": a.kind, "text": a.text} for a in version.alerts.all()],
    }


_SECTION_TITLES = {spec.key: spec.heading for spec in SECTIONS}
_SECTION_ANCHORS = {spec.key: spec.anchor for spec in SECTIONS}
_BAND_NAMES = {band.key: band.name for band in BANDS}
_BAND_MEANINGS = {band.key: band.meaning for band in BANDS}


def version_documents(meta: dict, rows: dict) -> list[dict]:
    """The index documents of one medicine version given as ``(meta, rows)``.

    ``meta`` has slug, version_id, name, generic_name, atc_code, drug_class,
    brands, synonyms and conditions; ``rows`` is what loading.project_rows()
    returns (or _version_rows gives for a stored version).
    """
    return list(_parts(meta, rows))


def _parts(meta: dict, rows: dict) -> Iterator[dict]:
    slug = meta["slug"]
    names = [meta["name"], meta["generic_name"], *meta["brands"], *meta["synonyms"]]
    common = {
        "slug": slug,
        "version_id": meta["version_id"],
        "medicine": meta["name"],
        "names": " ".join(names),
    }
    number = 0

    def document(**fields) -> dict:
        nonlocal number
        number += 1
        return {**common, "doc_id": f"{slug}:{number}", **fields}

    for section in rows["sections"]:
        key = section["key"]
        if key in SKIPPED_SECTIONS:
            continue
        parts = [section.get("quick_answer_text", ""), section.get("intro_text", "")]
        if key == "takeaways":
            parts += [row["text"] for row in rows.get("takeaways", [])]
            parts += [row["text"] for row in rows.get("alerts", []) if row["kind"] == "safety"]
        text = join(parts)
        fields = {
            "kind": "section",
            "section_key": key,
            "section": section["title"],
            "heading": section["title"],
            "title": "",
            "aliases": SECTION_ALIASES.get(key, ""),
            "anchor": section["anchor"],
            "body": text,
            "text": text,
        }
        if key == "uses":
            fields.update(_overview_fields(meta, names))
        yield document(**fields)
        for block in section.get("blocks", []):
            if block["kind"] in SKIPPED_BLOCK_KINDS:
                continue
            yield document(
                kind="block",
                section_key=key,
                section=section["title"],
                heading=block["title"],
                title=block["title"],
                aliases=" ".join(label for label in DOSING_ALIASES if f"{label}:" in block["text"])
                if block["kind"] == "dosing"
                else "",
                anchor=block["anchor"],
                body=block["text"],
                text=block["text"],
            )

    for effect in rows.get("side_effects", []):
        band = _BAND_NAMES.get(effect["band"], effect["band"])
        yield document(
            kind="side_effect",
            section_key="side_effects",
            section=_SECTION_TITLES["side_effects"],
            title=effect["text"],
            items=effect["text"],
            anchor=make_anchor(_SECTION_ANCHORS["side_effects"], band),
            text=f"{band} ({_BAND_MEANINGS.get(effect['band'], '')}): {effect['text']}",
        )

    for row in rows.get("interactions", []):
        severity = "Major interactions" if row["severity"] == "major" else "Minor interactions"
        examples = ", ".join(row.get("examples", []))
        label = f"{row['medicine']} ({examples})" if examples else row["medicine"]
        body = join([row.get("effect_text", ""), row.get("action_text", "")])
        yield document(
            kind="interaction",
            section_key="interactions",
            section=_SECTION_TITLES["interactions"],
            title=label,
            items=label,
            anchor=make_anchor(_SECTION_ANCHORS["interactions"], severity),
            body=body,
            text=f"{label}: {body}",
        )


def _overview_fields(meta: dict, names: list[str]) -> dict:
    """Fields only the medicine's "what it is for" section carries: who the medicine is."""
    of_names = name_words(meta["name"], meta["generic_name"], *meta["brands"])
    labels = [(meta["name"], "name")]
    if normalize_name(meta["generic_name"]) != normalize_name(meta["name"]):
        labels.append((meta["generic_name"], "generic"))
    labels += [(brand, "brand") for brand in meta["brands"]]
    return {
        "kind": "overview",
        "overview": " ".join(names),
        "conditions": " ".join(
            [
                *meta["conditions"],
                *_acronyms(meta["conditions"]),
                meta["atc_code"],
                meta.get("drug_class", ""),
            ]
        ),
        "exact": ",".join(normalize_name(name).replace(",", " ") for name in names),
        "spell": " ".join(sorted(set(of_names) | set(name_words(*meta["conditions"])))),
        "complete": " ".join(sorted(set(of_names))),
        "labels": labels,
    }


def _acronyms(conditions: Iterable[str]) -> list[str]:
    """Initials of the many-word conditions: patients write "MS" for multiple sclerosis."""
    acronyms = []
    for condition in conditions:
        words = WORD_RE.findall(condition)
        if len(words) >= 2:
            acronyms.append("".join(word[0] for word in words))
    return acronyms


def name_words(*texts: str) -> list[str]:
    return [
        word
        for text in texts
        for word in WORD_RE.findall(text.casefold())
        if len(word) >= 2 and not word.isdigit()
    ]


def join(parts: Iterable[str]) -> str:
    return " ".join(part for part in parts if part)
