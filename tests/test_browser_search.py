"""The search box and the results page in a real Chromium: keyboard, screen reader, axe-core.

Baclofen is loaded into the live server's database and indexed for each test
(the after-commit re-index builds the index, as in production).
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from monographs import search
from tests.factories import load_baclofen

pytestmark = pytest.mark.browser


@pytest.fixture
def site(live_server, transactional_db, settings):
    """The live server with baclofen published and indexed."""
    settings.LEAFLETS_RENDER_ON_PUBLISH = False
    load_baclofen()
    assert search.search("lioresal").exact is not None
    return live_server.url


def _console_problems(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def test_suggestion_box_works_by_keyboard_alone(site, page):
    problems = _console_problems(page)
    page.goto(site + "/")
    box = page.get_by_role("combobox", name="Search for a medicine")
    expect(box).to_have_attribute("aria-expanded", "false")

    box.focus()
    page.keyboard.type("baclo")

    listbox = page.get_by_role("listbox", name="Suggested medicines")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(box).to_have_attribute("aria-controls", "site-search-q-listbox")
    options = listbox.get_by_role("option")
    expect(options).to_have_count(3)
    expect(options.first).to_have_text("Baclofen")
    expect(page.get_by_role("status").filter(has_text="suggestions")).to_have_text(
        "3 suggestions. Use the up and down arrow keys to choose one."
    )
    expect(box).to_be_focused()

    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "site-search-q-listbox-option-0")
    expect(options.first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    expect(options.first).to_have_attribute("aria-selected", "true")

    page.keyboard.press("Enter")

    expect(page).to_have_url(site + "/medicines/baclofen/")
    assert problems == []


def test_escape_closes_the_suggestions_and_enter_then_searches(site, page):
    page.goto(site + "/")
    box = page.get_by_role("combobox", name="Search for a medicine")
    box.focus()
    page.keyboard.type("lio")
    listbox = page.get_by_role("listbox", name="Suggested medicines")
    expect(listbox.get_by_role("option")).to_have_text(["Lioresal (brand name of Baclofen)"])

    page.keyboard.press("Escape")

    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).not_to_have_attribute("aria-activedescendant", "site-search-q-listbox-option-0")
    expect(box).to_have_value("lio")
    page.keyboard.type("resal side effects")
    page.keyboard.press("Enter")
    expect(page).to_have_url(site + "/search/?q=lioresal+side+effects")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Search results for “lioresal side effects”"
    )


def test_search_results_and_open_suggestions_have_no_axe_violations(site, page):
    problems = _console_problems(page)
    reports = []

    for query in ["hair loss", "baclofn", "xylophone"]:
        page.goto(site + "/search/?q=" + query)
        results = Axe().run(page)
        if results.violations_count:
            reports.append(f"{query}:\n{results.generate_report()}")
    # The results page's one search box holds the last query: start afresh.
    page.get_by_role("combobox", name="Search for a medicine").clear()
    page.keyboard.type("baclo")
    expect(page.get_by_role("listbox", name="Suggested medicines")).to_be_visible()
    page.keyboard.press("ArrowDown")
    results = Axe().run(page)
    if results.violations_count:
        reports.append(f"open listbox:\n{results.generate_report()}")

    assert reports == [], "\n".join(reports)
    assert problems == []


def test_plain_form_works_without_javascript(site, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site + "/")
    box = page.get_by_role("searchbox", name="Search for a medicine")
    expect(box).not_to_have_attribute("role", "combobox")

    box.fill("hair loss")
    box.press("Enter")

    expect(page).to_have_url(site + "/search/?q=hair+loss")
    page.get_by_role("link", name="Side effects: Hair loss").click()
    expect(page).to_have_url(site + "/medicines/baclofen/#side-effects-uncommon")
    context.close()
