"""The PDF leaflet: every section of a version, or of one route of it, on paper.

A leaflet is rendered once per version, route and variant (A4 or US Letter,
standard or large print) and kept in `default_storage` under
`leaflets/<slug>/<slug>-leaflet[-<route>]-v<N>[-large-print][-letter].pdf`
(store.py: the lock and the storage all print products share). Publishing
renders the new version's all-routes leaflets after the commit (followups.py);
a missing file is rendered by the first request that needs it.
Stored leaflets of superseded versions are never removed: the changelog links to them.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

import segno
from django.conf import settings
from django.core.files import File
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from monographs import models, routes
from monographs.emergency import emergency_contacts

from .store import (  # noqa: F401  (the leaflets' names, as callers have always used them)
    PDF_OPTIONS,
    SHARED_LOCK_SECONDS,
    VARIANTS,
    Variant,
    open_pdf,
    shared_lock_key,
    store_pdf,
    write_pdf,
)

logger = logging.getLogger(__name__)

# More published versions than this at once is a bulk import: rendering four
# PDFs for each inside the loading command would keep it busy for hours, so
# the operator runs `manage.py render_leaflets` instead (and any leaflet still
# missing is rendered by its first request).
PUBLISH_RENDER_LIMIT = 20


def product_filename(
    version: models.Version, product: str, variant: Variant, route: str = ""
) -> str:
    """`baclofen-leaflet-v3.pdf`, `baclofen-summary-oral-v3-large-print-letter.pdf`, …"""
    route_part = f"-{route}" if route else ""
    return f"{version.medicine.slug}-{product}{route_part}-v{version.number}{variant.suffix}.pdf"


def product_name(version: models.Version, product: str, variant: Variant, route: str = "") -> str:
    """A print product's name in default_storage."""
    return f"leaflets/{version.medicine.slug}/{product_filename(version, product, variant, route)}"


def leaflet_filename(version: models.Version, variant: Variant, route: str = "") -> str:
    """`baclofen-leaflet-v3.pdf`, `baclofen-leaflet-oral-v3-large-print.pdf`, …"""
    return product_filename(version, "leaflet", variant, route)


def leaflet_name(version: models.Version, variant: Variant, route: str = "") -> str:
    """The leaflet's name in default_storage."""
    return product_name(version, "leaflet", variant, route)


def version_with_rows(version: models.Version) -> models.Version:
    """`version` read again with every row a print product shows, in a fixed number of queries."""
    return (
        models.Version.objects.select_related("medicine")
        .defer("source_text")  # the Markdown: tens of kilobytes the leaflet never prints
        .prefetch_related(
            "alerts",
            "takeaways",
            "dosing",
            "side_effects",
            "faqs",
            "references",
            Prefetch(
                "interactions",
                queryset=models.Interaction.objects.order_by("severity", "position"),
            ),
            Prefetch("sections", queryset=models.Section.objects.prefetch_related("blocks")),
        )
        .get(pk=version.pk)
    )


def build_leaflet_html(version: models.Version, variant: Variant, route: str = "") -> str:
    """The leaflet of `version` as an HTML document for WeasyPrint (reads the version's rows).

    Page 1 has the name, the safety box, the currency block and the key
    takeaways; then comes every other section of the version in page order,
    printed from the same rows as the web page (detail.html): the quick answer,
    the introduction and each block. Product rule: every dose, limit and
    warning of the page is on paper too. With a `route` (one of the version's
    routes), what is about other routes only is left out, as the web page's
    `?route=` does. Runs a fixed number of queries.
    """
    version = version_with_rows(version)
    alerts = routes.alerts_for_route(list(version.alerts.all()), route, version.routes)
    interactions = list(version.interactions.all())
    urgent_alerts = [a for a in alerts if a.kind == models.Alert.Kind.URGENT]
    page_url = settings.SITE_URL + version.medicine.get_absolute_url()
    context = {
        "version": version,
        "variant": variant,
        "route": route,
        "route_label": routes.route_label(route) if route else "",
        # One route's leaflet in standard print is set tighter, in two columns.
        "compact": bool(route) and not variant.large_print,
        "page_url": page_url,
        "qr_code_uri": qr_code_uri(page_url),
        "printed_on": timezone.localdate(),
        "emergency": emergency_contacts(),
        "safety_alerts": [a for a in alerts if a.kind == models.Alert.Kind.SAFETY],
        "urgent_alerts": urgent_alerts,
        "major_interactions": [i for i in interactions if i.severity == "major"],
        "minor_interactions": [i for i in interactions if i.severity == "minor"],
        "sections": _sections(version, urgent_alerts, route),
    }
    return render_to_string("monographs/leaflet.html", context)


def qr_code_uri(url: str) -> str:
    """The QR code of `url` as an SVG data: URI (the only thing WeasyPrint may load)."""
    return segno.make(url, error="m", micro=False).svg_data_uri(scale=4, border=4)


# A side-effects band of at most this many effects is kept whole on one page;
# a longer one may run over a page break. Either way its header row (band name
# and meaning) is repeated on every page it reaches, so no effect is ever
# printed without its frequency.
SHORT_BAND_EFFECTS = 8


def _sections(version: models.Version, urgent_alerts: list, route: str = "") -> list[dict]:
    """The page's sections with their rows (of `route` only, if given), plus which bands
    are short enough to keep whole."""
    sections = routes.sections_for_route(
        version.sections_with_rows(urgent_alerts), route, version.routes
    )
    for section in sections:
        for item in section["blocks"]:
            if item["kind"] == "band":
                item["short"] = len(item["effects"]) <= SHORT_BAND_EFFECTS
    return sections


def render_leaflet(version: models.Version, variant: Variant, route: str = "") -> bytes:
    """Render the leaflet of `version` in `variant` (of one `route`) to PDF. Stores nothing."""
    return write_pdf(build_leaflet_html(version, variant, route))


def store_leaflet(
    version: models.Version, variant: Variant, *, force: bool = False, route: str = ""
) -> bool:
    """Make sure the leaflet of `version` in `variant` is stored; True if it was rendered now.

    Renders only when the file is missing (or when `force`), under the file's
    lock (store.store_pdf), so that a second caller waits for the first one's file.
    """
    return store_pdf(
        leaflet_name(version, variant, route),
        lambda: render_leaflet(version, variant, route),
        force=force,
    )


def open_leaflet(version: models.Version, variant: Variant, route: str = "") -> File:
    """Open the stored leaflet of `version` in `variant`, rendering it first if it is missing.

    The caller closes the file (a FileResponse does).
    """
    return open_pdf(
        leaflet_name(version, variant, route), lambda: render_leaflet(version, variant, route)
    )


@dataclasses.dataclass
class StoreReport:
    rendered: list[str] = dataclasses.field(default_factory=list)
    already_stored: list[str] = dataclasses.field(default_factory=list)
    failed: list[str] = dataclasses.field(default_factory=list)


def store_all_leaflets(
    *,
    force: bool = False,
    slugs: list[str] | None = None,
    progress: Callable[[int, int, str, str], None] | None = None,
) -> StoreReport:
    """Store the leaflets of every version ever published (superseded ones too), all variants.

    Existing files are kept unless `force`. `progress(done, total, name, outcome)`
    is called after each leaflet, outcome being "rendered", "already stored" or
    "failed". A leaflet that fails is logged and reported; the others go on.
    """
    versions = (
        models.Version.objects.ever_published()
        .select_related("medicine")
        .order_by("medicine__slug", "number", "language")
    )
    if slugs:
        versions = versions.filter(medicine__slug__in=slugs)
    jobs = [(version, variant) for version in versions for variant in VARIANTS]
    report = StoreReport()
    for done, (version, variant) in enumerate(jobs, start=1):
        name = leaflet_name(version, variant)
        try:
            rendered = store_leaflet(version, variant, force=force)
        except Exception:
            logger.exception("could not render leaflet %s", name)
            report.failed.append(name)
            outcome = "failed"
        else:
            outcome = "rendered" if rendered else "already stored"
            (report.rendered if rendered else report.already_stored).append(name)
        if progress:
            progress(done, len(jobs), name, outcome)
    return report
