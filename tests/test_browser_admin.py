"""The editorial admin in a real Chromium: edit, preview, review, publish, and see it live.

One journey through the live server: an editor logs in, changes a dose, watches
the live preview follow, saves and sends the draft for review; a reviewer
publishes it with a summary; the public page, the search results, the leaflet
and the changelog all show the new version. On the way, the editor's page is
checked with axe-core and for Content-Security-Policy errors.
"""

import io

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from monographs.models import Medicine
from tests.factories import ensure_roles, load_example
from tests.test_admin import NEW_DOSE, OLD_DOSE, make_user

pytestmark = pytest.mark.browser


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(f"pw-{username}")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#user-tools")).to_contain_text(username)


def assert_no_axe_violations(page: Page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_an_edit_goes_from_the_editor_to_the_public_page_search_and_leaflet(
    live_server, page, browser, settings, django_db_serialized_rollback, page_closed_before_flush
):
    ensure_roles()  # a transaction=True test run before may have flushed the groups
    load_example(settings.CONTENT_DIR)
    medicine = Medicine.objects.get(slug="examplamide")
    make_user("erin", "Editor")
    make_user("rita", "Reviewer")
    base = live_server.url
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))

    # The editor changes the starting dose and watches the live preview follow.
    log_in(page, base, "erin")
    page.goto(f"{base}/admin/monographs/medicine/{medicine.pk}/change/")
    preview = page.locator(".markdownx-preview")
    expect(preview).to_contain_text("A valid monograph.")
    expect(preview).to_contain_text("5 mg three times a day")
    editor = page.get_by_label("Monograph (Markdown with front matter)")
    editor.fill(editor.input_value().replace(OLD_DOSE, NEW_DOSE))
    expect(preview).to_contain_text("7.5 mg three times a day")

    assert_no_axe_violations(page)
    assert not [line for line in console if "Content Security Policy" in line], console

    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".messagelist")).to_contain_text("Saved as draft version 2")
    page.get_by_role("link", name="Send version 2 for review…").click()
    # Each draft asks for its own change note; the reviewer sees it.
    page.get_by_label("What this draft changes, in plain words").fill(
        "The starting dose is now 7.5 mg."
    )
    page.get_by_role("button", name="Send version 2 for review").click()
    expect(page.locator(".messagelist")).to_contain_text("Version 2 is now in review")
    assert_no_axe_violations(page)  # the version's review page

    # Until it is published, the public still sees version 1.
    public = browser.new_page()
    public.goto(f"{base}/medicines/examplamide/")
    expect(public.locator("main")).to_contain_text("5 mg three times a day")
    expect(public.locator("main")).not_to_contain_text("7.5 mg")

    # A reviewer finds it on the dashboard, waiting for their review, and publishes it.
    reviewer = browser.new_page()
    log_in(reviewer, base, "rita")
    expect(reviewer.locator("h1")).to_have_text("Editors' dashboard")
    assert_no_axe_violations(reviewer)  # the dashboard
    waiting = reviewer.locator("table", has_text="Waiting for my review")
    expect(waiting).to_contain_text("The starting dose is now 7.5 mg.")
    reviewer.goto(f"{base}/admin/monographs/medicine/{medicine.pk}/versions/")
    assert_no_axe_violations(reviewer)  # the version list and its diff table
    reviewer.get_by_role("link", name="Review or publish version 2…").click()
    summary = reviewer.get_by_label("What changed, in plain words")
    expect(summary).to_have_value("The starting dose is now 7.5 mg.")
    # The example names no source documents: publishing needs the reviewer's tick.
    expect(reviewer.locator("#number-audit-summary")).to_contain_text("names no source documents")
    assert_no_axe_violations(reviewer)  # the version's review page with the number audit
    reviewer.get_by_label("Publish although some numbers are not found in the sources").check()
    reviewer.get_by_role("button", name="Publish", exact=True).click()
    expect(reviewer.locator(".messagelist")).to_contain_text("Version 2 is published")

    # The page, the changelog, the search results and the leaflet follow.
    public.goto(f"{base}/medicines/examplamide/")
    expect(public.locator("main")).to_contain_text("7.5 mg three times a day")
    expect(public.locator("main")).to_contain_text("Version 2")
    public.goto(f"{base}/medicines/examplamide/changes/")
    expect(public.locator("main")).to_contain_text("The starting dose is now 7.5 mg.")
    public.goto(f"{base}/search/?q=examplamide+starting+dose")
    expect(public.locator("main")).to_contain_text("7.5 mg three times a day")
    leaflet = public.request.get(f"{base}/medicines/examplamide/leaflet.pdf")
    assert leaflet.ok, leaflet.status
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(leaflet.body())).pages)
    assert "7.5 mg three times a day" in " ".join(text.split())
    assert "Version 2" in text

    public.close()
    reviewer.close()
