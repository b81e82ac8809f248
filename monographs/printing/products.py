"""The one-medicine print products beside the leaflet: the summary, the dose schedule
and the wallet card, and the list of every product a medicine's print page offers.

Each is built from the version's stored rows (every dose and warning is the
monograph's own text, never a number of ours), rendered by store.write_pdf and,
when it depends on nothing but the version, route and variant, stored as the
leaflets are (`baclofen-summary-oral-v3-large-print.pdf`). A schedule with
times or a dose from the URL is kept in the cache only (store.cached_pdf):
nothing a carer writes is stored on the server.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from monographs import models, routes
from monographs.emergency import emergency_contacts

from . import leaflets
from .store import (
    VARIANTS,
    Variant,
    cached_pdf,
    open_pdf,
    pages_name,
    store_pdf,
    stored_info,
    write_pdf,
)

# The products stored per version, route and variant (the schedule too, with its
# default options); `leaflet` with a route is the leaflet of that route alone.
STORED_PRODUCTS = ("summary", "leaflet", "schedule", "card")


class BadOptions(ValueError):
    """A print option that cannot be honoured; the message is fit to show the visitor."""


def product_route(value: str | None, version: models.Version) -> str:
    """The route of a product asked for by `?route=`: one of the version's routes, or ''
    for a medicine with one route (whose products are about that route anyway).

    Raises BadOptions for a route the medicine does not have.
    """
    if value is None or value == "":
        return ""
    if value not in version.routes:
        raise BadOptions(
            f"route must be one of this medicine's routes: {', '.join(version.routes)}."
        )
    return value if len(version.routes) > 1 else ""


# --- The summary -------------------------------------------------------------


def summary_context(version: models.Version, route: str) -> dict:
    """What a summary prints of `version` (read with leaflets.version_with_rows) for `route`.

    The quick answers of the sections a carer needs first, the usual adult dose
    and the maximum of the route's adult card, the missed-dose advice, and the
    safety and urgent-help alerts that are not about another route only.
    """
    alerts = routes.alerts_for_route(list(version.alerts.all()), route, version.routes)
    sections = {section.key: section for section in version.sections.all()}
    dosing = list(version.dosing.all())
    missed = [
        entry
        for entry in dosing
        if "missed" in entry.title.casefold() and routes.applies(entry, route, version.routes)
    ]
    return {
        "version": version,
        "route": route,
        "route_label": routes.route_label(route) if route else "",
        "strengths": strengths_for_route(version, route),
        "safety_alerts": [a for a in alerts if a.kind == models.Alert.Kind.SAFETY],
        "urgent_alerts": [a for a in alerts if a.kind == models.Alert.Kind.URGENT],
        "uses": sections.get("uses"),
        "stopping": sections.get("stopping"),
        "storage": sections.get("storage"),
        "adult_doses": adult_cards(dosing, version.routes, route),
        "missed_doses": missed,
    }


def adult_cards(entries, medicine_routes: list[str], route: str) -> list:
    """The first adult dosing card of each route (of `route` only, if given), in page
    order: routes.usual_adult_doses, but also a card that gives no usual dose (its
    starting dose and maximum still print)."""
    cards = []
    seen: set[frozenset[str]] = set()
    for entry in entries:
        if not entry.population.casefold().startswith("adult"):
            continue
        if not routes.applies(entry, route, medicine_routes):
            continue
        key = frozenset(routes.routes_of(entry, medicine_routes))
        if key not in seen:
            seen.add(key)
            cards.append(entry)
    return cards


def strengths_for_route(version: models.Version, route: str) -> list[str]:
    """The version's strengths, without those naming another route only."""
    if not route:
        return list(version.strengths)
    return [
        strength
        for strength in version.strengths
        if not (named := routes.routes_named(strength, version.routes)) or route in named
    ]


def print_context(version: models.Version, variant: Variant) -> dict:
    page_url = settings.SITE_URL + version.medicine.get_absolute_url()
    return {
        "variant": variant,
        "page_url": page_url,
        "qr_code_uri": leaflets.qr_code_uri(page_url),
        "printed_on": timezone.localdate(),
        "emergency": emergency_contacts(),
    }


def build_summary_html(version: models.Version, variant: Variant, route: str = "") -> str:
    version = leaflets.version_with_rows(version)
    context = {**print_context(version, variant), **summary_context(version, route)}
    return render_to_string("monographs/print/summary.html", context)


# --- The wallet card -----------------------------------------------------------

_STRONG = re.compile(r"<strong>(.*?)</strong>", re.S)
_TAG = re.compile(r"<[^>]+>")


def do_not_stop_warnings(alerts: list) -> list[str]:
    """The bold first sentence of each safety alert about stopping suddenly, as plain text
    ("Never stop baclofen suddenly."): the card's warning, in the monograph's own words."""
    found = []
    for alert in alerts:
        text = alert.text.casefold()
        if "stop" in text and "sudden" in text:
            strong = _STRONG.search(alert.html)
            found.append(_TAG.sub("", strong[1]) if strong else alert.text)
    return found


def build_card_html(version: models.Version, variant: Variant, route: str = "") -> str:
    version = leaflets.version_with_rows(version)
    alerts = routes.alerts_for_route(list(version.alerts.all()), route, version.routes)
    safety = [a for a in alerts if a.kind == models.Alert.Kind.SAFETY]
    context = {
        **print_context(version, variant),
        "version": version,
        "route_label": routes.route_label(route) if route else "",
        "strengths": strengths_for_route(version, route),
        "do_not_stop": do_not_stop_warnings(safety),
        "safety_alerts": safety,
    }
    return render_to_string("monographs/print/card.html", context)


# --- The dose schedule -----------------------------------------------------------

TIMES = {
    "morning": _("Morning"),
    "midday": _("Midday"),
    "evening": _("Evening"),
    "bedtime": _("Bedtime"),
}
WEEKS = (1, 4)
DOSE_MAX_LENGTH = 80


@dataclasses.dataclass(frozen=True)
class ScheduleOptions:
    """What the carer chose on the print page; all of it from the URL, none of it stored."""

    times: tuple[str, ...] = tuple(TIMES)
    weeks: int = 1
    dose: str = ""

    @property
    def is_default(self) -> bool:
        return self == ScheduleOptions()

    @property
    def key(self) -> str:
        """A short digest of the normalised options, for the cache key."""
        text = f"{','.join(self.times)}|{self.weeks}|{self.dose}"
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    @classmethod
    def from_query(cls, query) -> ScheduleOptions:
        """The options of `?times=morning&times=bedtime&weeks=4&dose=...` (a QueryDict).

        No `times` is all four; they are put in the day's order and repeats are
        dropped. Raises BadOptions with a message fit to show the visitor.
        """
        times = query.getlist("times")
        unknown = [time for time in times if time not in TIMES]
        if unknown:
            raise BadOptions(
                f"times must be some of: {', '.join(TIMES)} "
                "(for example ?times=morning&times=bedtime)."
            )
        chosen = tuple(time for time in TIMES if time in times) or tuple(TIMES)
        weeks_text = query.get("weeks", "1")
        if weeks_text not in {str(weeks) for weeks in WEEKS}:
            raise BadOptions("weeks must be 1 or 4 (for example ?weeks=4).")
        dose = " ".join(query.get("dose", "").split())
        if len(dose) > DOSE_MAX_LENGTH:
            raise BadOptions(f"The dose may be at most {DOSE_MAX_LENGTH} characters.")
        if any(not character.isprintable() for character in dose):
            raise BadOptions("The dose may hold letters, numbers and punctuation only.")
        return cls(times=chosen, weeks=int(weeks_text), dose=dose)


def build_schedule_html(
    version: models.Version, variant: Variant, route: str = "", options: ScheduleOptions = None
) -> str:
    options = options or ScheduleOptions()
    version = leaflets.version_with_rows(version)
    days = 7 * options.weeks
    context = {
        **print_context(version, variant),
        "version": version,
        "route_label": routes.route_label(route) if route else "",
        "strengths": strengths_for_route(version, route),
        "options": options,
        "columns": [TIMES[time] for time in options.times],
        "days": range(1, days + 1),
        "four_weeks": options.weeks == 4,
    }
    return render_to_string("monographs/print/schedule.html", context)


def render_schedule(
    version: models.Version, variant: Variant, route: str, options: ScheduleOptions
) -> bytes:
    """A schedule with the carer's options: from the cache, or rendered now. Stores no file."""
    key = (
        f"print-schedule-{version.pk}-{route or 'all'}-{variant.size}-{variant.paper}-{options.key}"
    )
    return cached_pdf(key, lambda: write_pdf(build_schedule_html(version, variant, route, options)))


# --- Stored products -------------------------------------------------------------

BUILDERS = {
    "summary": build_summary_html,
    "leaflet": leaflets.build_leaflet_html,
    "schedule": build_schedule_html,
    "card": build_card_html,
}


def render_product(version: models.Version, product: str, variant: Variant, route: str) -> bytes:
    """Render one stored product (`product` in STORED_PRODUCTS) to PDF. Stores nothing."""
    return write_pdf(BUILDERS[product](version, variant, route))


def store_product(
    version: models.Version, product: str, variant: Variant, route: str = "", *, force=False
) -> bool:
    """Make sure the product is stored (rendered once, under its lock); True if rendered now."""
    return store_pdf(
        leaflets.product_name(version, product, variant, route),
        lambda: render_product(version, product, variant, route),
        force=force,
    )


def open_product(version: models.Version, product: str, variant: Variant, route: str = "") -> File:
    """Open the stored product, rendering it first if it is missing. The caller closes it."""
    return open_pdf(
        leaflets.product_name(version, product, variant, route),
        lambda: render_product(version, product, variant, route),
    )


def stored_names(version: models.Version) -> list[str]:
    """Every name a product of `version` may be stored under (all routes and variants),
    the all-routes leaflets too."""
    route_options = version.routes if len(version.routes) > 1 else [""]
    names = []
    for variant in VARIANTS:
        names.append(leaflets.leaflet_name(version, variant))
        for product in STORED_PRODUCTS:
            for route in route_options:
                if product == "leaflet" and not route:
                    continue  # the all-routes leaflet, listed above
                names.append(leaflets.product_name(version, product, variant, route))
    return names


def forget_products(version: models.Version) -> None:
    """Delete every stored product of `version` (and its page count), so the next request
    renders it anew: for a version whose printed facts (its dates) changed in place."""
    for name in stored_names(version):
        for stored in (name, pages_name(name)):
            if default_storage.exists(stored):
                default_storage.delete(stored)


# --- The print page's list -------------------------------------------------------


@dataclasses.dataclass
class Offer:
    """One product on a medicine's print page."""

    product: str
    title: str
    description: str
    url: str
    route: str
    route_label: str
    pages: int
    size: int


_TITLES = {
    "summary": (
        _("Summary"),
        _("The must-know facts on one or two pages (up to four in large print)."),
    ),
    "leaflet": (_("Full leaflet"), _("Everything on the web page, on paper.")),
    "schedule": (
        _("Dose chart"),
        _("A week to tick off each dose: morning, midday, evening, bedtime."),
    ),
    "card": (_("Wallet card"), _("Cut out and fold: the medicine, and what to tell a paramedic.")),
}


def print_offers(version: models.Version, variant: Variant) -> list[Offer]:
    """Every product of `version` in `variant`, with its page count and size, rendering
    (and storing) those not stored yet: the print page's list."""
    slug = version.medicine.slug
    several = len(version.routes) > 1
    route_options = version.routes if several else [""]
    offers = []
    wanted = []
    for product in ("summary", "leaflet", "schedule", "card"):
        for route in route_options:
            wanted.append((product, route))
        if product == "leaflet" and several:
            wanted.append(("leaflet", "all"))
    for product, route in wanted:
        stored_route = "" if route == "all" else route
        name = leaflets.product_name(version, product, variant, stored_route)
        info = stored_info(name)
        if info is None or not info.pages:
            store_product(version, product, variant, stored_route, force=info is not None)
            info = stored_info(name)
        query = variant.query + (f"&route={stored_route}" if stored_route else "")
        title, description = _TITLES[product]
        offers.append(
            Offer(
                product=product,
                title=str(title),
                description=str(description),
                url=f"{reverse(f'monographs:{product}', args=[slug])}?{query}",
                route=route,
                route_label=(
                    str(_("every way of taking it"))
                    if route == "all"
                    else routes.route_label(route)
                    if route
                    else ""
                ),
                pages=info.pages,
                size=info.size,
            )
        )
    return offers
