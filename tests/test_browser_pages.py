"""The public pages in a real Chromium: axe-core, a keyboard-only walk, small screens, paper.

Baclofen (two versions, so that version 1 is a superseded page) is loaded
into the live server's database for each test; the tests are few and each
checks many pages.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.cache import cache
from playwright.sync_api import expect

from tests.factories import BACLOFEN, load_baclofen, load_files, monograph_text, write_monograph

pytestmark = pytest.mark.browser

PAGES = [
    "/",
    "/medicines/",
    "/medicines/baclofen/",
    "/medicines/baclofen/?route=oral",
    "/medicines/baclofen/changes/",
    "/medicines/baclofen/v1/",
    "/references/",
    "/search/?q=can+I+drink+alcohol",
    "/medicines/no-such-medicine/",
]

# Links and controls that stand alone (not inside running text): 44 x 44 px at least.
TARGETS = (
    ".site-name, .site-nav a, .site-search input, .site-search button, .home-search input,"
    " .home-search button, .letter-nav a, .a-z-group a, .recent__link, .toc a,"
    " .page-actions a, .faq__question, .changes a, .notice__link, .site-footer a"
)

FOCUS_RING = """() => {
    const style = getComputedStyle(document.activeElement);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    return outline || (style.boxShadow !== "" && style.boxShadow !== "none");
}"""


@pytest.fixture
def site(live_server, transactional_db, settings, tmp_path):
    """The live server with baclofen version 2 published over version 1."""
    # Leaflets are rendered by their first request instead; no test here opens one.
    settings.LEAFLETS_RENDER_ON_PUBLISH = False
    cache.clear()
    load_baclofen()
    text = monograph_text(BACLOFEN, version=2, change_summary='"Clearer advice on the pump."')
    load_files(write_monograph(tmp_path / "v2", "baclofen", text))
    yield live_server.url
    cache.clear()


@pytest.mark.parametrize("width", [375, 1280])
def test_every_page_type_has_no_axe_violations_or_console_errors(site, page, width):
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.set_viewport_size({"width": width, "height": 900})
    reports = []

    for path in PAGES:
        page.goto(site + path)
        results = Axe().run(page)
        if results.violations_count:
            reports.append(f"{path} at {width}px:\n{results.generate_report()}")

    assert reports == [], "\n".join(reports)
    # Among others: the JSON-LD data block must not count as an inline script.
    assert [p for p in problems if "404" not in p] == []


def _tab_to(page, selector: str, limit: int = 120) -> int:
    """Press Tab until `selector` has focus, checking a visible focus ring at every stop."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        focused = page.locator(":focus")
        # Scrolled into view (smoothly, so wait), and ringed.
        expect(focused).to_be_in_viewport()
        described = page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)")
        assert page.evaluate(FOCUS_RING), f"no visible focus ring on {described}"
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            _wait_for_scrolling_to_stop(page)
            return presses
    raise AssertionError(f"{selector} not reached in {limit} presses of Tab")


def _wait_for_scrolling_to_stop(page) -> None:
    """Let a smooth scroll to the focused element end: a key pressed during it would
    start a second scroll that Chromium lets the first one override."""
    last = None
    for _ in range(40):
        position = page.evaluate("scrollY")
        if position == last:
            return
        last = position
        page.wait_for_timeout(100)


def test_keyboard_alone_leads_from_home_to_the_dosing_and_the_leaflet(site, page):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(site + "/")

    assert _tab_to(page, "a.skip-link") == 1
    _tab_to(page, "#site-search-q", limit=3)
    _tab_to(page, ".site-nav a")
    page.keyboard.press("Enter")
    page.wait_for_url(site + "/medicines/")

    _tab_to(page, '.a-z-group a[href="/medicines/baclofen/"]')
    expect(page.locator(":focus")).to_have_text("Baclofen")
    page.keyboard.press("Enter")
    page.wait_for_url(site + "/medicines/baclofen/")

    _tab_to(page, '.toc a[href="#dosage"]')
    page.keyboard.press("Enter")
    page.wait_for_url(site + "/medicines/baclofen/#dosage")
    expect(page.locator("#dosage h2")).to_be_in_viewport()

    # Onwards from the dosing section, through the page, to the leaflet download.
    _tab_to(page, '.page-actions a[href="/medicines/baclofen/leaflet.pdf"]')


def test_pages_fit_a_320px_screen_with_large_targets_and_print_cleanly(site, page):
    page.set_viewport_size({"width": 320, "height": 640})
    small_targets = []

    for path in PAGES:
        page.goto(site + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
        targets = page.locator(TARGETS)
        for index in range(targets.count()):
            box = targets.nth(index).bounding_box()
            if box and (box["width"] < 44 or box["height"] < 44):
                small_targets.append(f"{path}: {targets.nth(index).inner_text()!r} {box}")
    assert small_targets == []

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(site + "/medicines/baclofen/")
    page.emulate_media(media="print")

    for hidden in (".site-search", ".site-nav", ".toc", ".page-actions", ".site-footer__nav"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.locator(".callout--safety").first).to_be_visible()
    expect(page.locator(".callout--urgent")).to_be_visible()
    # The questions are background on paper (issue 16: 7); the printout says where they are.
    expect(page.locator("#faqs")).to_be_hidden()
    expect(page.locator(".print-note")).to_be_visible()
    # An address on this site means nothing on paper, so it is not written after the link.
    after = page.evaluate(
        """() => getComputedStyle(
            document.querySelector('.review-dates a'), '::after').content"""
    )
    assert after == "none"
