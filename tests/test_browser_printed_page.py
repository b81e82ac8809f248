"""Printing a medicine's web page from the browser (issue 16: 7), in a real Chromium.

A carer who presses Print on the page gets the urgent help on page 1 and, for
one route, at most 8 A4 sheets: the page's print CSS (site.css) sets it in two
columns of 9.5 pt and leaves out what is background (the printout says so and
where to read it). Counted from the PDF Chromium prints, read back with pypdf.
"""

import io
import re
import unicodedata

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.browser


@pytest.fixture
def site(baclofen_site):
    return baclofen_site


def _printed(page, address: str, paper: str = "A4") -> list[str]:
    """The text of each sheet Chromium prints for `address`."""
    page.goto(address)
    page.emulate_media(media="print")
    reader = PdfReader(io.BytesIO(page.pdf(format=paper)))
    # NFKC undoes the font's ligatures ("ﬁ"); split() joins the lines of the columns.
    return [" ".join(unicodedata.normalize("NFKC", s.extract_text()).split()) for s in reader.pages]


@pytest.mark.parametrize("route", ["oral", "intrathecal"])
def test_one_routes_page_prints_on_at_most_8_a4_sheets(site, page, route):
    sheets = _printed(page, f"{site}/medicines/baclofen/?route={route}")

    assert len(sheets) <= 8
    # What cannot wait is on the first sheet.
    first = sheets[0]
    assert "Safety warnings: read these first" in first
    assert "Never stop baclofen suddenly." in first
    assert "Call 999 for an ambulance" in first
    # And the printout says what it leaves out, and where to read it.
    assert re.search(r"Printed from https?://\S+/medicines/baclofen/\. This printout", first)


def test_the_printout_keeps_what_a_carer_needs_and_leaves_out_the_background(site, page):
    text = " ".join(_printed(page, f"{site}/medicines/baclofen/?route=oral"))

    for needed in (
        "Adults: tablets",
        "Maximum dose",
        "Missed dose",
        "Medicines that can interact badly with Baclofen",
        "When to get urgent help",
        "Not yet checked by a clinician",
        "This information does not replace advice from your doctor or pharmacist.",
    ):
        assert needed in text, needed
    # The pump's doses and liquid, the questions, the references and the history are not.
    for left_out in (
        "Adults: pump into the spine",
        "Pump liquid (intrathecal solution):",
        "Frequently asked questions",
        "Can I drink alcohol while taking baclofen?",
        "A short history",
        "doi:10.1136",
    ):
        assert left_out not in text, left_out
    # Addresses of this site's own links mean nothing on paper; phone numbers are text.
    assert "(/medicines/" not in text
    assert "(tel:" not in text


def test_urgent_help_is_on_the_first_sheet_on_letter_paper_and_for_every_route(site, page):
    sheets = _printed(page, f"{site}/medicines/baclofen/", paper="Letter")

    assert "Call 999 for an ambulance" in sheets[0]


def test_the_note_about_the_printout_is_not_on_the_screen(site, page):
    page.goto(f"{site}/medicines/baclofen/")

    assert page.locator(".print-note").is_hidden()
    assert page.locator("#faqs").is_visible()
