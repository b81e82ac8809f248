"""The top of a monograph page answers the urgent questions, and the route choice.

The usual adult dose per route is the monograph's own "Usual maintenance dose"
(never a number of ours); the emergency number is the site country's, as a
tap-to-call link; `?route=` leaves out the dosing cards of the other route.
"""

import html
import re
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from druginfo.settings import _parse_site_country
from monographs import emergency, routes
from tests.factories import load_baclofen

ROUTES = ["oral", "intrathecal"]


@pytest.fixture(autouse=True)
def _empty_page_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def baclofen(db):
    load_baclofen()


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _part(response, css_class: str) -> str:
    match = re.search(rf'<(section|nav) class="{css_class}".*?</\1>', response.text, re.S)
    assert match, f"no .{css_class}"
    return match.group(0)


def _dose_cards(response) -> list[str]:
    return re.findall(r'<div class="dose-card" id="([^"]+)">', response.text)


# --- Near the top: the usual adult dose and the emergency action ----------------


def test_usual_adult_dose_per_route_is_the_monographs_own_text(client, baclofen):
    response = client.get("/medicines/baclofen/")
    text = _text(_part(response, "usual-dose"))

    assert text.startswith("Usual adult dose Adults: tablets 30–80 mg a day, split into 3–4 doses.")
    assert (
        "Adults: pump into the spine (intrathecal) This varies a lot: 12–2000 micrograms a day"
        in text
    )
    assert '<a href="#dosage-adults-tablets">' in _part(response, "usual-dose")
    # Before the quick facts and the contents: at the top of the page.
    top = response.text.index('class="usual-dose"')
    assert top < response.text.index('class="quick-facts"') < response.text.index('class="toc"')


def test_emergency_action_calls_the_site_countrys_number(client, baclofen, settings):
    urgent = _part(client.get("/medicines/baclofen/"), "urgent-action")
    assert '<a class="call-link" href="tel:999">Call 999 for an ambulance</a>' in urgent
    assert '<a href="tel:111">' in urgent
    assert 'href="#side-effects-when-to-get-urgent-help"' in urgent

    settings.SITE_COUNTRY = "US"
    cache.clear()
    urgent = _part(client.get("/medicines/baclofen/"), "urgent-action")
    assert '<a class="call-link" href="tel:911">Call 911 for an ambulance</a>' in urgent
    assert '<a href="tel:+18002221222">call 1-800-222-1222 (Poison Control)</a>' in urgent


def test_site_country_accepts_the_known_countries_and_names_a_wrong_one(monkeypatch):
    monkeypatch.setenv("SITE_COUNTRY", "us")
    assert _parse_site_country("SITE_COUNTRY", "GB") == "US"
    monkeypatch.delenv("SITE_COUNTRY")
    assert _parse_site_country("SITE_COUNTRY", "GB") == "GB"
    monkeypatch.setenv("SITE_COUNTRY", "Narnia")
    with pytest.raises(ImproperlyConfigured, match="SITE_COUNTRY='NARNIA'.*GB, US, EU"):
        _parse_site_country("SITE_COUNTRY", "GB")


def test_every_accepted_country_has_emergency_numbers(settings):
    from druginfo.settings import SITE_COUNTRIES

    for country in SITE_COUNTRIES:
        settings.SITE_COUNTRY = country
        assert emergency.emergency_contacts().emergency.tel.lstrip("+").isdigit()


# --- The route choice ---------------------------------------------------------


def test_route_choice_leaves_out_the_other_routes_dosing(client, baclofen):
    everything = client.get("/medicines/baclofen/")
    tablets = client.get("/medicines/baclofen/?route=oral")
    pump = client.get("/medicines/baclofen/?route=intrathecal")

    assert len(_dose_cards(everything)) == 8
    assert _dose_cards(tablets) == [
        "dosage-adults-tablets",
        "dosage-children-over-10-tablets",
        "dosage-children-aged-1-to-10-tablets",
        "dosage-people-over-65",
        "dosage-people-with-kidney-problems",
        "dosage-missed-dose",
    ]
    assert _dose_cards(pump) == [
        "dosage-adults-pump-into-the-spine-intrathecal",
        "dosage-children-pump-into-the-spine-intrathecal",
        "dosage-people-over-65",
        "dosage-people-with-kidney-problems",
        "dosage-missed-dose",
    ]
    # Nor are they in the contents, nor in the usual dose at the top.
    assert 'href="#dosage-adults-pump-into-the-spine-intrathecal"' not in tablets.text
    assert "micrograms a day" not in _part(tablets, "usual-dose")
    assert "30–80 mg a day" not in _part(pump, "usual-dose")
    # The choice is shown as made, and every safety warning stays.
    choice = _part(tablets, "route-choice")
    assert 'href="?route=oral" aria-current="page"' in choice
    assert "Showing what applies to: I take it by mouth (tablets)." in _text(choice)
    assert tablets.text.count("never miss a refill appointment") == everything.text.count(
        "never miss a refill appointment"
    )
    # One address for search engines, whatever the choice.
    assert '<link rel="canonical" href="http://127.0.0.1:8000/medicines/baclofen/">' in (
        tablets.text
    )


def test_route_choice_leaves_out_subsections_about_the_other_route_only(client, baclofen):
    def subsections(address: str) -> list[str]:
        html = client.get(address).text
        return [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<h4[^>]*>(.*?)</h4>", html, re.S)]

    everything = subsections("/medicines/baclofen/")
    tablets = subsections("/medicines/baclofen/?route=oral")
    pump = subsections("/medicines/baclofen/?route=intrathecal")

    pump_only = ["Too much from the pump", "Problems with the pump", "Pump liquid (0.05 mg/ml, "
                 "0.5 mg/ml, 1 mg/ml and 2 mg/ml)"]  # fmt: skip
    tablets_only = ["Tablets (10 mg and 25 mg)"]
    assert set(pump_only + tablets_only) <= set(everything)
    assert tablets == [h for h in everything if h not in pump_only]
    assert pump == [h for h in everything if h not in tablets_only]
    # About both routes, or about none: kept for everyone.
    for heading in ("Tablets and the pump", "How to stop safely", "Pack sizes"):
        assert heading in tablets and heading in pump
    # A subsection's text goes with its heading; the next subsection's stays.
    oral_page = client.get("/medicines/baclofen/?route=oral").text
    assert "accidental bolus" not in oral_page
    assert "accidental bolus" in client.get("/medicines/baclofen/").text


def test_route_choice_leaves_out_parts_and_list_items_about_the_other_route_only(client, baclofen):
    def labelled_items(response) -> list[str]:
        return [
            _text(label) for label in re.findall(r"<li>\s*<strong>(.*?)</strong>", response.text)
        ]

    def parts(response) -> list[str]:
        return [
            _text(title) for title in re.findall(r"<h3 id=\"[^\"]+\">(.*?)</h3>", response.text)
        ]

    everything = client.get("/medicines/baclofen/")
    tablets = client.get("/medicines/baclofen/?route=oral")
    pump = client.get("/medicines/baclofen/?route=intrathecal")

    # A ### part about the pump alone, and list items whose subject is the pump's liquid.
    assert "Medicines given into the spine" in parts(everything)
    assert "Medicines given into the spine" not in parts(tablets)
    assert "Medicines given into the spine" in parts(pump)
    pump_items = ["Pump liquid by another route:", "Pump liquid (intrathecal solution):"]
    assert set(pump_items) <= set(labelled_items(everything))
    assert labelled_items(tablets) == [i for i in labelled_items(everything) if i not in pump_items]
    assert "Tablets:" in labelled_items(tablets)
    assert "Tablets:" not in labelled_items(pump)
    assert "Pump liquid (intrathecal solution):" in labelled_items(pump)
    # An item naming no route, or both, stays for everyone.
    for item in ("Allergy:", "Never stop baclofen suddenly."):
        assert item in labelled_items(tablets) and item in labelled_items(pump)


def test_a_route_the_medicine_lacks_leads_to_the_whole_page(client, baclofen):
    for value in ("rectal", "", "<script>", "x" * 100):
        response = client.get("/medicines/baclofen/", {"route": value})
        assert response.status_code == 302
        assert response["Location"] == "/medicines/baclofen/"


def test_cached_pages_keep_each_route_apart(client, baclofen):
    client.get("/medicines/baclofen/")  # stored in the page cache
    tablets = client.get("/medicines/baclofen/?route=oral")
    client.get("/medicines/baclofen/?route=oral")  # stored too
    everything = client.get("/medicines/baclofen/")
    again = client.get("/medicines/baclofen/?route=oral")

    assert len(_dose_cards(tablets)) == 6
    assert len(_dose_cards(everything)) == 8
    assert len(_dose_cards(again)) == 6


def _entry(title, route="", population="Adults", maintenance_html="<p>x</p>"):
    return SimpleNamespace(
        title=title, route=route, population=population, maintenance_html=maintenance_html
    )


def test_routes_of_a_card_come_from_its_route_and_title():
    assert routes.routes_of(_entry("Adults: tablets", "By mouth"), ROUTES) == {"oral"}
    assert routes.routes_of(_entry("Adults: pump", "Into the spine"), ROUTES) == {"intrathecal"}
    assert routes.routes_of(_entry("Missed dose", "By mouth or by pump"), ROUTES) == set(ROUTES)
    assert routes.routes_of(_entry("People over 65"), ROUTES) == set(ROUTES)


def test_usual_adult_doses_skip_children_and_cards_without_a_usual_dose():
    entries = [
        _entry("Children: tablets", "By mouth", population="Children over 10"),
        _entry("Adults: tablets", "By mouth", maintenance_html=""),
        _entry("Adults: tablets, first", "By mouth"),
        _entry("Adults: tablets, again", "By mouth"),
        _entry("Adults: pump", "Into the spine (intrathecal)"),
    ]

    doses = routes.usual_adult_doses(entries, ROUTES)

    assert [entry.title for entry in doses] == ["Adults: tablets, first", "Adults: pump"]
    assert [e.title for e in routes.usual_adult_doses(entries, ROUTES, "intrathecal")] == [
        "Adults: pump"
    ]


def test_a_medicine_with_one_route_offers_no_choice():
    assert routes.route_choices(["oral"]) == []
    assert routes.chosen_route("oral", ["oral"]) == ""
