"""The editor's outline, caret line and bar in a real Chromium (issue #17: 3).

An editor opens baclofen (500 lines): the outline lists its sections as buttons,
pressing one with the keyboard puts the caret on that heading and scrolls the
editor's own box to it; the bar with Save stays in view wherever the page is
scrolled; no CSP errors, no axe-core violations.
"""

import pytest
from playwright.sync_api import Page, expect

from monographs.models import Medicine
from tests.factories import BACLOFEN, ensure_roles, load_baclofen
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
    live_server, page, django_db_serialized_rollback, page_closed_before_flush
):
    ensure_roles()  # an earlier test with transaction=True may have flushed them
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
    # The live preview, in its own box, follows: its "Side effects" heading is in view,
    # drawn as the public page draws it (an h2 after the page's own boxes).
    preview = page.locator(".markdownx-preview")
    expect(preview.get_by_role("note", name="Safety warnings: read these first")).to_be_visible()
    expect(preview.locator(".urgent-action .call-link")).to_be_visible()
    heading = preview.locator(".monograph-section > h2", has_text="Side effects").first
    expect(heading).to_be_visible()
    page.wait_for_function(
        """() => {
            const box = document.querySelector('.markdownx-preview');
            const heading = [...box.querySelectorAll('.monograph-section > h2')]
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


def gutter_offsets(page: Page, numbers: list[int]) -> dict:
    """Where each numbered gutter line and the editor's content start, in the window."""
    return page.evaluate(
        """(numbers) => {
            const editor = document.querySelector('#id_source_text');
            const gutter = document.querySelector('.editor-gutter');
            const style = getComputedStyle(editor);
            const lines = [...gutter.querySelectorAll('.editor-gutter__line')];
            const box = editor.getBoundingClientRect();
            return {
                tops: numbers.map((n) => lines[n - 1].getBoundingClientRect().top),
                count: lines.length,
                texts: numbers.map((n) => lines[n - 1].textContent),
                contentTop: box.top + parseFloat(style.borderTopWidth)
                    + parseFloat(style.paddingTop),
                lineHeight: parseFloat(style.lineHeight),
                editorScroll: editor.scrollTop,
                gutterScroll: gutter.scrollTop,
                gutterBox: gutter.getBoundingClientRect().toJSON(),
                editorBox: box.toJSON(),
                hidden: gutter.getAttribute('aria-hidden'),
            };
        }""",
        numbers,
    )


def test_the_gutter_numbers_the_lines_and_scrolls_with_the_text(
    live_server, page, django_db_serialized_rollback, page_closed_before_flush
):
    ensure_roles()  # an earlier test with transaction=True may have flushed them
    load_baclofen()
    medicine = Medicine.objects.get(slug="baclofen")
    make_user("erin", "Editor")
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server.url, "erin")
    page.goto(f"{live_server.url}/admin/monographs/medicine/{medicine.pk}/change/")

    text = BACLOFEN.read_text()
    total = len(text.splitlines())
    gutter = page.locator(".editor-gutter")
    expect(gutter).to_be_visible()
    expect(gutter.locator(".editor-gutter__line")).to_have_count(total + 1)  # the final newline

    # At the top: line 1 beside the text's first line, the gutter as tall as the editor.
    at_top = gutter_offsets(page, [1, 2])
    assert at_top["hidden"] == "true"  # screen readers have "Line N of M" instead
    assert at_top["texts"] == ["1", "2"]
    first, second = at_top["tops"]
    assert abs(first - at_top["contentTop"]) <= 1
    assert abs(second - first - at_top["lineHeight"]) <= 1
    assert abs(at_top["gutterBox"]["top"] - at_top["editorBox"]["top"]) <= 1
    assert abs(at_top["gutterBox"]["height"] - at_top["editorBox"]["height"]) <= 1
    assert at_top["gutterBox"]["right"] <= at_top["editorBox"]["left"] + 1  # beside it

    # The outline puts "Side effects" two lines below the editor's top (outline.js
    # measures wrapped lines on its own copy of the text): its number is there too,
    # after every long line above it has wrapped.
    page.get_by_role("navigation", name="Go to a section").get_by_role(
        "button", name="Side effects", exact=True
    ).click()
    side_effects = text.splitlines().index("## Side effects") + 1
    page.wait_for_function("() => document.querySelector('.editor-gutter').scrollTop > 0")
    there = gutter_offsets(page, [side_effects])
    assert there["gutterScroll"] == pytest.approx(there["editorScroll"], abs=1)
    assert there["texts"] == [str(side_effects)]
    expected = there["contentTop"] + 2 * there["lineHeight"]
    assert abs(there["tops"][0] - expected) <= 2, there
    expect(page.locator("#editor-caret")).to_contain_text(f"Line {side_effects} of {total}")

    # Scrolled by hand (the wheel), the gutter follows.
    page.locator("#id_source_text").hover()
    page.mouse.wheel(0, 600)
    page.wait_for_function(
        """(before) => {
            const e = document.querySelector('#id_source_text');
            const g = document.querySelector('.editor-gutter');
            return e.scrollTop !== before && Math.abs(g.scrollTop - e.scrollTop) <= 1;
        }""",
        arg=there["editorScroll"],
    )

    # A new line typed at the top: one more number, the rest moved down by one.
    page.evaluate("document.querySelector('#id_source_text').scrollTop = 0")
    editor = page.locator("#id_source_text")
    editor.focus()
    page.keyboard.press("Control+Home")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    expect(gutter.locator(".editor-gutter__line")).to_have_count(total + 2)

    assert_no_axe_violations(page)
    assert not [line for line in console if "Content Security Policy" in line], console
