"""Which parts of a monograph apply to a route, and the usual adult dose for each.

A monograph names its routes in its front matter (`routes: [oral, intrathecal]`);
its dosing cards say theirs in words (`Route: By mouth`, a title such as
`Adults: pump into the spine (intrathecal)`). This module matches the two, so a
reader who chooses "By mouth" (`?route=oral`) is not shown the pump's cards,
and picks the adult cards whose "Usual maintenance dose" the top of the page
repeats. It reads the stored rows only: every dose shown is the monograph's
own text, never a number of ours.
"""

from __future__ import annotations

import dataclasses
import re

from django.utils.translation import gettext_lazy as _

# Words in a dosing card's route or title that name a route of the front matter.
# A route not listed here is matched by its own name only.
ROUTE_WORDS = {
    "oral": ("oral", "by mouth", "tablet", "capsule", "swallow"),
    "intrathecal": ("intrathecal", "pump", "into the spine"),
}

# What the route choice says for each route; others show the route's own name.
ROUTE_CHOICES = {
    "oral": _("I take it by mouth (tablets)"),
    "intrathecal": _("I have a pump (into the spine)"),
}


@dataclasses.dataclass(frozen=True)
class RouteChoice:
    route: str  # the front matter's name, used in ?route=
    label: str


def route_choices(routes: list[str]) -> list[RouteChoice]:
    """One choice per route of a monograph that has more than one; none otherwise."""
    if len(routes) < 2:
        return []
    return [
        RouteChoice(route=route, label=str(ROUTE_CHOICES.get(route, route.capitalize())))
        for route in routes
    ]


def chosen_route(value: str | None, routes: list[str]) -> str:
    """The route asked for by `?route=`, if the monograph has it and more than one; else ''."""
    return value if value and len(routes) > 1 and value in routes else ""


def routes_of(entry, routes: list[str]) -> set[str]:
    """The monograph's routes that a dosing entry (a DosingEntry row) is about.

    An entry whose route and title name none of them (`People over 65`) is
    about all of them.
    """
    return routes_named(f"{entry.route} {entry.title}", routes) or set(routes)


def routes_named(text: str, routes: list[str]) -> set[str]:
    """The monograph's routes that `text` (a heading) names; empty when it names none."""
    words = text.casefold()
    return {
        route for route in routes if any(word in words for word in ROUTE_WORDS.get(route, (route,)))
    }


# A subsection (a `####` heading, an <h4> in the stored HTML) and what follows it,
# up to the next heading of the same or a higher level.
_SUBSECTION = re.compile(r"(?=<h[1-4][ >])")
_H4 = re.compile(r"<h4[^>]*>(.*?)</h4>", re.S)
_TAG = re.compile(r"<[^>]+>")


# A list item that starts with its subject in bold ("**Pump liquid:** keep it …"),
# without a list inside it.
_LABELLED_ITEM = re.compile(r"<li>\s*<strong>(.*?)</strong>(?:(?!<li[ >]).)*?</li>\s*", re.S)


def without_other_routes(html: str, route: str, routes: list[str]) -> str:
    """Stored section HTML without the subsections and list items about other routes only.

    "Too much from the pump" goes for a reader who chose tablets, and so does a
    list item whose bold subject is "Pump liquid (intrathecal solution)"; "Tablets
    and the pump", or a heading naming no route, stays. The HTML is our own
    sanitised output (rendering.py), so its tags are exactly as written there.
    """
    if not route:
        return html
    if "<strong>" in html:
        html = _LABELLED_ITEM.sub(
            lambda item: item[0] if _about(_TAG.sub("", item[1]), route, routes) else "", html
        )
    if "<h4" not in html:
        return html
    kept = []
    for part in _SUBSECTION.split(html):
        heading = _H4.match(part)
        if heading:
            named = routes_named(_TAG.sub("", heading[1]), routes)
            if named and route not in named:
                continue
        kept.append(part)
    return "".join(kept)


def applies(entry, route: str, routes: list[str]) -> bool:
    """Whether a dosing entry is shown to a reader who chose `route` ('' : every entry)."""
    return not route or route in routes_of(entry, routes)


def usual_adult_doses(entries, routes: list[str], route: str = "") -> list:
    """The adult dosing entries with a usual maintenance dose, one per route, in page order.

    An adult card is one whose population (`Who:`) starts with "Adult"; the first
    card for each route wins, as the page lists the general case first.
    """
    doses = []
    seen: set[frozenset[str]] = set()
    for entry in entries:
        if not entry.population.casefold().startswith("adult") or not entry.maintenance_html:
            continue
        if not applies(entry, route, routes):
            continue
        key = frozenset(routes_of(entry, routes))
        if key in seen:
            continue
        seen.add(key)
        doses.append(entry)
    return doses


def route_label(route: str) -> str:
    """What the route choice calls `route` ("I take it by mouth (tablets)")."""
    return str(ROUTE_CHOICES.get(route, route.capitalize()))


def alerts_for_route(alerts: list, route: str, routes: list[str]) -> list:
    """Alert rows without those about other routes only ('' : every alert).

    "If you have a baclofen pump, never miss a refill" goes for a reader of the
    tablets; "Never stop baclofen suddenly", which names no route, stays.
    """
    if not route:
        return alerts
    return [alert for alert in alerts if _about(alert.text, route, routes)]


def _about(text: str, route: str, routes: list[str]) -> bool:
    named = routes_named(text, routes)
    return not named or route in named


def sections_for_route(sections: list[dict], route: str, routes: list[str]) -> list[dict]:
    """Version.sections_with_rows' sections without the dosing cards and subsections
    about other routes ('' : unchanged). Changes the rows' HTML in place: the rows
    must have been read for this use alone."""
    if not route:
        return sections
    for item in sections:
        section = item["section"]
        section.intro_html = without_other_routes(section.intro_html, route, routes)
        for block in item["blocks"]:
            row = block["block"]
            row.html = without_other_routes(row.html, route, routes)
        item["blocks"] = [block for block in item["blocks"] if _block_applies(block, route, routes)]
    return sections


def _block_applies(block: dict, route: str, routes: list[str]) -> bool:
    """A dosing card by its route and title; a block of prose ("Medicines given
    into the spine") by its title; the structured blocks (interactions, side
    effects, questions) always."""
    if block["kind"] == "dosing":
        return block.get("entry") is None or applies(block["entry"], route, routes)
    if block["kind"] == "prose":
        return _about(block["block"].title, route, routes)
    return True
