"""The home page and the site-wide template around every page."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_home_page_names_the_site_and_offers_search(client):
    response = client.get("/")

    assert response.status_code == 200
    assert "<h1>" in response.text
    assert re.search(
        r'<form[^>]*role="search"[^>]*action="/search/"[^>]*method="get"', response.text
    )
    assert 'name="q"' in response.text
    assert '<label for="site-search-q">' in response.text


def test_every_page_declares_its_language_and_has_a_skip_link(client):
    response = client.get("/")

    assert '<html lang="en-gb">' in response.text
    assert '<a class="skip-link" href="#main">' in response.text
    assert '<main id="main"' in response.text


def test_footer_gives_disclaimer_and_emergency_advice(client):
    response = client.get("/")

    assert "does not replace advice from your doctor or pharmacist" in response.text
    assert 'In an emergency, call <a class="site-footer__call" href="tel:999">999</a>' in (
        response.text
    )


def test_footer_gives_the_emergency_number_of_the_site_country(client, settings):
    settings.SITE_COUNTRY = "US"

    response = client.get("/")

    assert '<a class="site-footer__call" href="tel:911">911</a>' in response.text


def test_page_has_no_inline_script_or_style(client):
    text = client.get("/").text

    # The only scripts are files (the search box's suggestions), never inline code.
    assert not re.search(r"<script(?![^>]*\ssrc=)", text)
    assert "<style" not in text
    assert " style=" not in text
    assert not re.search(r"\son[a-z]+=", text)
