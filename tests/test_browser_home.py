"""The home page (and the 404 page) in a real Chromium: accessibility, keyboard, small screens."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", ["/", "/no-such-page/"])
def test_page_has_no_axe_violations(live_server, page, path):
    page.goto(live_server.url + path)

    results = Axe().run(page)

    assert results.violations_count == 0, results.generate_report()


def test_skip_link_is_first_tab_stop_and_visible_when_focused(live_server, page):
    page.goto(live_server.url + "/")
    skip_link = page.locator("a.skip-link")
    expect(skip_link).not_to_be_in_viewport()

    page.keyboard.press("Tab")

    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport(ratio=1)
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server.url + "/#main")


def test_page_loads_without_console_errors_or_csp_violations(live_server, page):
    problems = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(live_server.url + "/")
    page.wait_for_load_state("networkidle")

    assert problems == []
    assert page.evaluate("getComputedStyle(document.body).lineHeight") == "27px"


def test_narrow_screen_has_no_sideways_scroll_and_large_targets(live_server, page):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(live_server.url + "/")

    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    # Links and buttons outside running text: the site name, search button, footer links.
    targets = page.locator(".site-name, .site-search button, .site-search input, .site-footer a")
    assert targets.count() >= 4
    for index in range(targets.count()):
        box = targets.nth(index).bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, targets.nth(index).inner_text()
