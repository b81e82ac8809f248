"""Editing together in a real Chromium, two editors in two browser contexts.

Presence: each sees the other in "Also editing", and the list follows them
leaving. Autosave: typed text kept by the timer or when the page is left comes
back after the browser context is closed. Merge: two saves from one version
keep both changes; overlapping saves show both sides and a choice, with no
axe-core violations or CSP errors on the way.
"""

import time

import pytest
from django.db import OperationalError
from playwright.sync_api import Browser, Page, expect

from collaboration import editor as collaboration_editor
from collaboration import models as collaboration_models
from collaboration.models import Autosave, Presence
from monographs.models import Medicine
from tests.factories import ensure_roles, load_example
from tests.test_admin import NEW_DOSE, OLD_DOSE, make_user
from tests.test_browser_admin import assert_no_axe_violations, log_in

pytestmark = pytest.mark.browser

EDITOR_LABEL = "Monograph (Markdown with front matter)"


@pytest.fixture
def medicine(live_server, settings, django_db_serialized_rollback):
    ensure_roles()  # an earlier test with transaction=True may have flushed them
    load_example(settings.CONTENT_DIR)
    make_user("erin", "Editor")
    make_user("ed", "Editor")
    return Medicine.objects.get(slug="examplamide")


# How long a page's heartbeat may take to change what the other page shows, with a
# two-core machine under load: a heartbeat or a leaving beacon can fail (the live
# server's threads share one SQLite connection: "database table is locked") and
# only the next heartbeat, or the row's expiry, puts it right.
PRESENCE_WAIT_MS = 20_000


@pytest.fixture
def fast_polls(monkeypatch):
    """Heartbeats and autosaves every second, not every 15 and 30; a heartbeat row
    expires after 5 seconds, not 45 (missed beats, as the 15 and 45 seconds allow)."""
    monkeypatch.setattr(collaboration_editor, "PRESENCE_SECONDS", 1)
    monkeypatch.setattr(collaboration_editor, "AUTOSAVE_SECONDS", 1)
    monkeypatch.setattr(collaboration_models, "PRESENCE_EXPIRY_SECONDS", 5)


@pytest.fixture
def contexts(browser: Browser):
    """Each editor's own browser context, all closed after the test (their timers too).

    A closing editor page still sends its leaving beacon, which the live server
    handles in a thread of its own: its DELETE is waited for (at most 10 seconds),
    so it does not meet the database flush that ends the test ("database table is
    locked" under load). The context closes before the wait, so no new beat can come.
    """
    opened = []
    yield opened
    for context in opened:
        context.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if not Presence.objects.exists():
                break
        except OperationalError:
            pass  # the beacon's DELETE holds the table: ask again
        time.sleep(0.05)


def open_editor(browser: Browser, base: str, username: str, medicine, contexts) -> Page:
    context = browser.new_context()
    contexts.append(context)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.console_lines = console
    log_in(page, base, username)
    page.goto(f"{base}/admin/monographs/medicine/{medicine.pk}/change/")
    assert page.get_by_label(EDITOR_LABEL).count() == 1, (page.url, page.content()[:3000])
    return page


def assert_no_csp_errors(page: Page) -> None:
    lines = [line for line in page.console_lines if "Content Security Policy" in line]
    assert not lines, lines


def test_each_editor_sees_who_else_has_the_medicine_open(
    live_server, browser, medicine, contexts, fast_polls
):
    erin = open_editor(browser, live_server.url, "erin", medicine, contexts)
    expect(erin.locator(".editor-presence")).to_have_text("Nobody else has this medicine open.")

    ed = open_editor(browser, live_server.url, "ed", medicine, contexts)

    expect(ed.locator(".editor-presence")).to_contain_text(
        "Also editing: erin (since ", timeout=PRESENCE_WAIT_MS
    )
    # Erin's page learns of Ed from a later heartbeat, without a reload.
    expect(erin.locator(".editor-presence")).to_contain_text(
        "Also editing: ed (since ", timeout=PRESENCE_WAIT_MS
    )
    assert_no_axe_violations(ed)
    assert_no_csp_errors(erin)
    assert_no_csp_errors(ed)

    # Ed leaves: his page says so (a beacon when it is left), then his browser closes.
    # Playwright does not report beacons: the page's own sendBeacon notes each one
    # saying it is leaving in the tab's session storage, which outlives the page.
    ed.evaluate(
        """() => {
            const send = navigator.sendBeacon.bind(navigator);
            navigator.sendBeacon = (url, data) => {
                const sent = send(url, data);
                if (data instanceof FormData && data.get('leaving') === '1') {
                    sessionStorage.setItem('leaving-beacon', url + (sent ? ' sent' : ' refused'));
                }
                return sent;
            };
        }"""
    )
    ed.goto(f"{live_server.url}/admin/")
    presence_url = f"/admin/collaboration/{medicine.pk}/presence/"
    assert ed.evaluate("sessionStorage.getItem('leaving-beacon')") == f"{presence_url} sent"
    ed.context.close()
    # Erin's list follows from one of her heartbeats. A beacon that failed on the
    # server (a locked table under load) is made up for by the row's expiry.
    expect(erin.locator(".editor-presence")).to_have_text(
        "Nobody else has this medicine open.", timeout=PRESENCE_WAIT_MS
    )


def test_autosaved_text_comes_back_after_the_browser_is_closed(
    live_server, browser, medicine, contexts, fast_polls
):
    page = open_editor(browser, live_server.url, "erin", medicine, contexts)
    editor = page.get_by_label(EDITOR_LABEL)
    typed = editor.input_value().replace("Keep below 25°C.", "Keep in a cool, dry place.")
    editor.fill(typed)
    expect(page.locator(".editor-autosave__status")).to_contain_text(
        "Your text was autosaved privately at"
    )
    assert medicine.versions.count() == 1  # never a version
    page.context.close()

    again = open_editor(browser, live_server.url, "erin", medicine, contexts)
    expect(again.locator(".editor-autosave")).to_contain_text(
        "You have unsaved text of this medicine from"
    )
    assert_no_axe_violations(again)
    again.get_by_role("link", name="Restore my unsaved text").click()

    assert again.get_by_label(EDITOR_LABEL).input_value() == typed
    again.get_by_role("button", name="Save draft").click()
    expect(again.locator(".messagelist")).to_contain_text("Saved as draft version 2")
    assert "Keep in a cool, dry place." in medicine.versions.get(number=2).source_text
    assert not Autosave.objects.exists()
    expect(again.locator(".editor-autosave")).to_have_count(0)


def test_text_is_autosaved_when_the_editor_page_is_left(live_server, browser, medicine, contexts):
    page = open_editor(
        browser, live_server.url, "erin", medicine, contexts
    )  # 30 s timer: not in time
    editor = page.get_by_label(EDITOR_LABEL)
    typed = editor.input_value().replace("Keep below 25°C.", "Keep it dry.")
    editor.fill(typed)
    page.on("dialog", lambda dialog: dialog.accept())  # "leave the page with unsaved text?"

    page.goto(f"{live_server.url}/admin/")  # the editor page is left: pagehide

    for _attempt in range(50):
        if Autosave.objects.filter(text=typed).exists():
            break
        time.sleep(0.1)
    assert Autosave.objects.get().text == typed
    page.context.close()
    again = open_editor(browser, live_server.url, "erin", medicine, contexts)
    again.get_by_role("link", name="Restore my unsaved text").click()
    assert again.get_by_label(EDITOR_LABEL).input_value() == typed


def test_two_editors_saving_from_one_version_keep_both_or_choose_where_they_overlap(
    live_server, browser, medicine, contexts
):
    erin = open_editor(browser, live_server.url, "erin", medicine, contexts)
    ed = open_editor(browser, live_server.url, "ed", medicine, contexts)

    # Different sections: both kept, and Ed is told what was merged.
    erin_editor, ed_editor = erin.get_by_label(EDITOR_LABEL), ed.get_by_label(EDITOR_LABEL)
    erin_editor.fill(erin_editor.input_value().replace(OLD_DOSE, NEW_DOSE))
    erin.get_by_role("button", name="Save draft").click()
    expect(erin.locator(".messagelist")).to_contain_text("Saved as draft version 2")
    ed_editor.fill(ed_editor.input_value().replace("Keep below 25°C.", "Keep in a fridge."))
    ed.get_by_role("button", name="Save draft").click()
    notice = ed.locator(".messagelist")
    expect(notice).to_contain_text("Version 2 was saved by erin while you were editing")
    expect(notice).to_contain_text("your changes added in Storage")
    text = medicine.versions.get(number=3).source_text
    assert NEW_DOSE in text and "Keep in a fridge." in text

    # The same lines: both sides shown, named, and Ed chooses.
    erin.reload()
    erin_editor.fill(erin_editor.input_value().replace("Keep in a fridge.", "Keep below 8°C."))
    ed_editor.fill(ed_editor.input_value().replace("Keep in a fridge.", "Keep cold."))
    erin.get_by_role("button", name="Save draft").click()
    expect(erin.locator(".messagelist")).to_contain_text("Saved as draft version 4")
    ed.get_by_role("button", name="Save draft").click()

    overlap = ed.get_by_role("group", name="Overlap 1 of 1: Storage (line")
    expect(overlap.locator(".merge-side--mine")).to_contain_text("Your text")
    expect(overlap.locator(".merge-side--mine")).to_contain_text("Keep cold.")
    expect(overlap.locator(".merge-side--theirs")).to_contain_text("Their text: version 4, by erin")
    expect(overlap.locator(".merge-side--theirs")).to_contain_text("Keep below 8°C.")
    assert_no_axe_violations(ed)
    assert medicine.versions.count() == 4

    ed.get_by_role("button", name="Save draft").click()  # nothing chosen: refused
    expect(ed.locator(".editor-problems")).to_contain_text("not resolved yet")
    assert medicine.versions.count() == 4

    ed.get_by_label("Keep both (yours first)").check()
    ed.get_by_role("button", name="Save draft").click()
    expect(ed.locator(".messagelist")).to_contain_text("Saved as draft version 5")
    assert "Keep cold.\nKeep below 8°C." in medicine.versions.get(number=5).source_text
    assert_no_csp_errors(ed)
    assert_no_csp_errors(erin)
