""" "My medicines": one sheet for several medicines a person takes.

The interactions between the chosen medicines come from each monograph's own
structured interactions (the rows of its "Major interactions" table and the
items of "Minor interactions"): a row of A names B when it names B's name,
generic name, a brand, a synonym, or a group B belongs to (its front matter's
`classes`), whole words, case and plural aside ("blood pressure medicines"
names irbesartan, whose classes include "Blood pressure medicines"). Then comes
a summary of each medicine and one schedule for them all. The choice lives in
the URL (`?m=baclofen&m=irbesartan`) and the visitor's browser; the rendered
sheet is kept in the cache only (store.cached_pdf), never as a file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re

from django.db.models import Prefetch
from django.template.loader import render_to_string

from monographs import models

from . import leaflets, products
from .store import Variant, cached_pdf, write_pdf

MAX_MEDICINES = 20


class BadChoice(ValueError):
    """A list of medicines that cannot be printed; the message is fit to show the visitor."""


def chosen_versions(slugs: list[str]) -> list[models.Version]:
    """The published versions of the medicines `slugs` (repeats dropped, order kept).

    Raises BadChoice for more than MAX_MEDICINES or for a slug that is no
    published medicine (naming it).
    """
    wanted = list(dict.fromkeys(slug.strip() for slug in slugs if slug.strip()))
    if len(wanted) > MAX_MEDICINES:
        raise BadChoice(
            f"Choose at most {MAX_MEDICINES} medicines for one sheet "
            f"({len(wanted)} were chosen). Print two sheets instead."
        )
    medicines = {
        medicine.slug: medicine
        for medicine in models.Medicine.objects.with_published_version()
        .select_related("published_version__medicine")
        .filter(slug__in=wanted)
    }
    unknown = [slug for slug in wanted if slug not in medicines]
    if unknown:
        raise BadChoice(
            "We have no published medicine with the address: "
            + ", ".join(repr(slug[:100]) for slug in unknown)
            + ". Choose the medicines from the list."
        )
    return [medicines[slug].published_version for slug in wanted]


# --- Matching ------------------------------------------------------------------

_WORD = re.compile(r"[^\w]+")


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words_of(text: str) -> tuple[str, ...]:
    """`text` as casefolded singular words ("Blood pressures" -> blood, pressure)."""
    return tuple(_singular(word) for word in _WORD.split(text.casefold()) if word)


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    size = len(needle)
    return size > 0 and any(
        haystack[start : start + size] == needle for start in range(len(haystack) - size + 1)
    )


@dataclasses.dataclass(frozen=True)
class NameOf:
    text: str  # as the front matter writes it
    kind: str  # "name", "brand", "synonym" or "class"


def names_of(version: models.Version) -> list[NameOf]:
    """What other monographs may call `version`'s medicine: its names and its groups."""
    names = [NameOf(version.name, "name"), NameOf(version.generic_name, "name")]
    names += [NameOf(brand, "brand") for brand in version.brands]
    names += [NameOf(synonym, "synonym") for synonym in version.synonyms]
    names += [NameOf(group, "class") for group in (version.classes or [])]
    return [name for name in names if words_of(name.text)]


@dataclasses.dataclass(frozen=True)
class FoundInteraction:
    """A row of `source`'s interactions that names `other`, through `matched`."""

    source: models.Version
    other: models.Version
    interaction: models.Interaction
    matched: NameOf


def match(interaction: models.Interaction, other: models.Version) -> NameOf | None:
    """The name or group of `other` that the interaction row names, or None."""
    terms = [words_of(interaction.medicine)] + [words_of(e) for e in interaction.examples]
    for name in names_of(other):
        needle = words_of(name.text)
        if any(_contains(term, needle) for term in terms):
            return name
    return None


def find_interactions(versions: list[models.Version]) -> list[FoundInteraction]:
    """Every interaction row of a chosen medicine that names another chosen one, major
    ones first, each pair in the order chosen. Reads the rows in one query."""
    by_pk = {
        version.pk: version
        for version in models.Version.objects.filter(pk__in=[v.pk for v in versions])
        .select_related("medicine")
        .prefetch_related(
            Prefetch(
                "interactions",
                queryset=models.Interaction.objects.order_by("severity", "position"),
            )
        )
    }
    ordered = [by_pk[version.pk] for version in versions]
    found = []
    for source in ordered:
        for other in ordered:
            if other.pk == source.pk:
                continue
            for interaction in source.interactions.all():
                matched = match(interaction, other)
                if matched:
                    found.append(FoundInteraction(source, other, interaction, matched))
    found.sort(key=lambda f: f.interaction.severity != "major")
    return found


# --- The sheet -----------------------------------------------------------------


def build_sheet_html(versions: list[models.Version], variant: Variant) -> str:
    """The "my medicines" sheet as HTML for WeasyPrint: interactions, then a summary of
    each medicine (all its routes), then one schedule for them all."""
    found = find_interactions(versions)
    full = [leaflets.version_with_rows(version) for version in versions]
    context = {
        "variant": variant,
        "versions": full,
        "language": full[0].language if full else "en",
        "found": found,
        "summaries": [
            {
                **products.summary_context(version, ""),
                **products.print_context(version, variant),
            }
            for version in full
        ],
        "columns": [products.TIMES[time] for time in products.TIMES],
        "emergency": products.emergency_contacts(),
    }
    return render_to_string("monographs/print/my_medicines.html", context)


def render_sheet(versions: list[models.Version], variant: Variant) -> bytes:
    """The sheet's PDF: from the cache, or rendered now (once, under its lock)."""
    chosen = "|".join(f"{version.medicine.slug}:{version.pk}" for version in versions)
    digest = hashlib.sha256(chosen.encode()).hexdigest()[:24]
    key = f"print-my-medicines-{variant.size}-{variant.paper}-{digest}"
    return cached_pdf(key, lambda: write_pdf(build_sheet_html(versions, variant)))
