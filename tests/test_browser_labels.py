"""New medicine from a label, in a real Chromium (issue #15: 1).

An editor uploads the Xenical ePI leaflet on "Add a medicine": the draft opens in
the editor and the label's sections are shown beside it, in their own scrolling
box reachable with the keyboard; no CSP errors, no axe-core violations.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import ensure_roles, make_user
from tests.test_browser_admin import assert_no_axe_violations, log_in

pytestmark = pytest.mark.browser

XENICAL = Path(__file__).resolve().parent / "labels" / "epi-en-37d610f9.json"


def test_the_label_is_shown_beside_the_editor_while_the_draft_is_written(
    live_server, page, django_db_serialized_rollback, page_closed_before_flush
):
    ensure_roles()
    make_user("erin", "Editor")
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, live_server.url, "erin")
    page.goto(f"{live_server.url}/admin/monographs/medicine/add/")

    page.get_by_label("Or start from an official label").set_input_files(str(XENICAL))
    page.get_by_role("button", name="New medicine from a label").click()

    editor = page.locator("#id_source_text")
    expect(editor).to_be_visible()
    assert "slug: orlistat" in editor.input_value()
    assert "Label text, to rewrite in plain words before review" in editor.input_value()
    panel = page.get_by_role("complementary", name="The label")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("TEST PURPOSES ONLY - Xenical 120mg hard capsules")

    # Beside the editor: to its right, at the same height on the screen.
    text_box = editor.bounding_box()
    panel_box = panel.bounding_box()
    assert panel_box["x"] >= text_box["x"] + text_box["width"] - 1
    assert panel_box["y"] < text_box["y"] + text_box["height"]
    assert panel_box["y"] + panel_box["height"] > text_box["y"]

    # A section opens from the keyboard and shows the label's own words.
    summary = panel.locator("summary", has_text="If you take more XENICAL than you should")
    summary.focus()
    page.keyboard.press("Enter")
    opened = panel.locator("details[open]")
    expect(opened).to_have_count(1)
    expect(opened.locator("p").first).to_be_visible()
    expect(opened).to_contain_text("contact a doctor, pharmacist or hospital")
    # The sections' box scrolls on its own and can be reached with the keyboard.
    sections = panel.get_by_role("region", name="Sections of the label")
    assert sections.get_attribute("tabindex") == "0"

    assert not [line for line in console if "Content Security Policy" in line]
    assert_no_axe_violations(page)
