"""The print page and "my medicines" in a real Chromium (issue #16): axe-core, no
console or CSP errors, large targets, the keyboard, and the choice of medicines kept
in the address and in the browser by my-medicines.js.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.cache import cache
from playwright.sync_api import expect

from tests.factories import load_baclofen, load_files
from tests.test_printing import write_synthetic

pytestmark = pytest.mark.browser


@pytest.fixture
def site(live_server, transactional_db, settings):
    """Baclofen and a blood-pressure medicine (by its class) on the live server."""
    settings.LEAFLETS_RENDER_ON_PUBLISH = False
    cache.clear()
    load_baclofen()
    load_files(
        write_synthetic(
            settings.CONTENT_DIR,
            "pressuramide",
            "Pressuramide",
            generic="pressuramide",
            classes="[Blood pressure medicines]",
        )
    )
    yield live_server.url
    cache.clear()


def _errors(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def test_the_print_and_my_medicines_pages_pass_axe_with_large_targets(site, page):
    problems = _errors(page)
    page.set_viewport_size({"width": 375, "height": 800})
    reports = []
    for path in ("/medicines/baclofen/print/", "/my-medicines/?m=baclofen&m=pressuramide"):
        page.goto(site + path, timeout=120_000)
        results = Axe().run(page)
        if results.violations_count:
            reports.append(f"{path}:\n{results.generate_report()}")
        for target in page.locator(".print-choice__option, .print-product__link").all():
            box = target.bounding_box()
            assert box["height"] >= 44, target.inner_text()

    assert reports == [], "\n".join(reports)
    assert problems == []


def test_the_print_page_choices_are_made_with_the_keyboard(site, page):
    page.goto(site + "/medicines/baclofen/print/", timeout=120_000)
    expect(page.get_by_role("heading", name="What you can print (standard, A4)")).to_be_visible()

    page.get_by_label("US Letter").focus()
    page.keyboard.press("Space")
    page.get_by_label("Large print").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Show these").focus()
    page.keyboard.press("Enter")

    expect(
        page.get_by_role("heading", name="What you can print (large print, US Letter)")
    ).to_be_visible(timeout=120_000)
    summary = page.get_by_role("link", name="Summary: I take it by mouth (tablets)")
    expect(summary).to_have_attribute(
        "href", "/medicines/baclofen/summary.pdf?paper=letter&size=large&route=oral"
    )
    expect(page.locator("#summary-oral .print-product__facts")).to_contain_text("PDF, ")


def test_my_medicines_keeps_the_choice_in_the_address_and_the_browser(site, page):
    problems = _errors(page)
    page.goto(site + "/my-medicines/")
    page.get_by_label("Baclofen").check()
    page.get_by_label("Pressuramide").check()

    # The address follows the boxes as they are ticked (a bookmark keeps the list).
    expect(page).to_have_url(site + "/my-medicines/?m=baclofen&m=pressuramide")

    page.get_by_role("button", name="Show my medicines").click()
    expect(page.get_by_text("Baclofen + Pressuramide")).to_be_visible()
    sheet = page.get_by_role("link", name="Print the sheet (PDF, standard, A4)")
    expect(sheet).to_have_attribute(
        "href", "/my-medicines/print.pdf?m=baclofen&m=pressuramide&paper=a4&size=standard"
    )

    # A later visit without the list in the address finds it in the browser.
    page.goto(site + "/my-medicines/")
    expect(page).to_have_url(
        site + "/my-medicines/?paper=a4&size=standard&m=baclofen&m=pressuramide"
    )
    expect(page.get_by_label("Baclofen")).to_be_checked()
    expect(page.get_by_text("Baclofen + Pressuramide")).to_be_visible()

    page.get_by_label("Baclofen").uncheck()
    expect(page).to_have_url(site + "/my-medicines/?paper=a4&size=standard&m=pressuramide")
    assert page.evaluate("localStorage.getItem('druginfo:my-medicines')") == '["pressuramide"]'
    assert problems == []
