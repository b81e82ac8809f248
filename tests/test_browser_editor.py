"""The editor's outline, caret line and bar in a real Chromium (issue #17: 3).

An editor opens baclofen (500 lines): the outline lists its sections as buttons,
pressing one with the keyboard puts the caret on that heading and scrolls the
editor's own box to it; the bar with Save stays in view wherever the page is
scrolled; no CSP errors, no axe-core violations.
"""

import pytest
from playwright.sync_api import Page, expect

from monographs.models import Medicine
from tests.factories import BACLOFEN, load_baclofen
from tests.test_admin import make_user
from tests.test_browser_admin import assert_no_axe_violations, log_in

pytestmark = pytest.mark.browser


def in_view(page: Page, selector: str) -> bool:
    return page.evaluate(
        """(selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return box.top >= 0 && box.bottom <= window.innerHeight && box.height > 0;
        }""",
        selector,
    )


def test_the_outline_goes_to_a_section_and_the_save_bar_stays_in_view(
    live_server, page, django_db_serialized_rollback
):
    load_baclofen()
    medicine = Medicine.objects.get(slug="baclofen")
    make_user("erin", "Editor")
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server.url, "erin")
    page.goto(f"{live_server.url}/admin/monographs/medicine/{medicine.pk}/change/")

    outline = page.get_by_role("navigation", name="Go to a section")
    expect(outline).to_be_visible()
    buttons = outline.get_by_role("button")
    expect(buttons.first).to_have_text("Fields at the top")
    expect(outline.get_by_role("button", name="References", exact=True)).to_be_visible()
    expect(outline.get_by_role("button", name="Who should not take it")).to_have_count(0)
    box = outline.get_by_role("button", name="Side effects", exact=True).bounding_box()
    assert box["height"] >= 44  # a large target

    # With the keyboard: focus the button, press Enter.
    outline.get_by_role("button", name="Side effects", exact=True).focus()
    page.keyboard.press("Enter")

    side_effects = BACLOFEN.read_text().splitlines().index("## Side effects") + 1
    editor = page.locator("#id_source_text")
    expect(editor).to_be_focused()
    caret = editor.evaluate("(e) => e.value.slice(0, e.selectionStart).split('\\n').length")
    assert caret == side_effects
    visible = editor.evaluate(
        """(e) => {
            const lineHeight = parseFloat(getComputedStyle(e).lineHeight);
            return [e.scrollTop, e.clientHeight, lineHeight];
        }"""
    )
    scroll_top, height, line_height = visible
    assert scroll_top > 0, "the editor did not scroll to the section"
    # The editor's box is at most 75% of the window: the page is not 20,000 px long.
    assert height <= 0.75 * 800 + 1
    expect(page.locator("#editor-caret")).to_have_text(
        f"Line {side_effects} of {len(BACLOFEN.read_text().splitlines())} · in “Side effects”"
    )
    # The live preview, in its own box, follows: its "Side effects" heading is in view.
    preview = page.locator(".markdownx-preview")
    heading = preview.locator("h3", has_text="Side effects").first
    expect(heading).to_be_visible()
    page.wait_for_function(
        """() => {
            const box = document.querySelector('.markdownx-preview');
            const heading = [...box.querySelectorAll('h3')]
                .find((h) => h.textContent.trim() === 'Side effects');
            const top = heading.getBoundingClientRect().top - box.getBoundingClientRect().top;
            return box.scrollTop > 0 && top >= 0 && top < box.clientHeight / 2;
        }"""
    )
    top = editor.evaluate("(e) => e.getBoundingClientRect().top")
    assert -1 <= top < 400, "the editor is not in view"

    # Typing moves the line shown; a new heading joins the outline.
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.type("\n## Extra part\n")
    expect(outline.get_by_role("button", name="Extra part")).to_be_visible()
    expect(page.locator("#editor-caret")).to_contain_text(f"Line {side_effects + 3} of")

    # The bar with Save stays at the bottom of the window, at the top of the page too.
    page.evaluate("window.scrollTo(0, 0)")
    assert in_view(page, "#editor-bar")
    save = page.get_by_role("button", name="Save draft")
    expect(save).to_be_visible()
    assert save.bounding_box()["height"] >= 44
    page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
    assert in_view(page, "#editor-bar")
    page.get_by_role("link", name="Go to the live preview").click()
    expect(page.locator("#live-preview-heading")).to_be_in_viewport()
    assert in_view(page, "#editor-bar")

    assert_no_axe_violations(page)
    assert not [line for line in console if "Content Security Policy" in line], console
