"""The medicine's review page in a real Chromium: "reviewed, no change" and withdrawing,
each checked with axe-core, and what the public sees after each."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from monographs.models import Medicine
from tests.factories import ensure_roles, load_example
from tests.test_admin import make_user
from tests.test_browser_admin import assert_no_axe_violations, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def roles(transactional_db):
    # Not serialized_rollback: restoring its snapshot clashed with content types
    # an earlier test had made again (UNIQUE constraint on django_content_type).
    ensure_roles()


def test_a_reviewer_records_a_review_then_withdraws_the_medicine(
    live_server, page, browser, settings, roles
):
    load_example(settings.CONTENT_DIR)
    Medicine.objects.get(slug="examplamide")
    make_user("rita", "Reviewer")
    base = live_server.url
    following = timezone.localdate() + datetime.timedelta(days=365)

    log_in(page, base, "rita")
    page.goto(f"{base}/admin/editorial/medicines/examplamide/")
    assert_no_axe_violations(page)

    page.get_by_label("Next review due").fill(following.isoformat())
    page.get_by_role("button", name="Record the review").click()
    expect(page.locator(".messagelist")).to_contain_text("no change needed")
    public = browser.new_page()
    public.goto(f"{base}/medicines/examplamide/")
    expect(public.locator(f'time[datetime="{following.isoformat()}"]').first).to_be_visible()

    page.get_by_label("Why it is withdrawn").fill("The medicine was recalled by its maker.")
    page.get_by_role("button", name="Withdraw").click()
    expect(page.locator(".messagelist")).to_contain_text("is withdrawn")
    assert_no_axe_violations(page)  # with the review and withdrawal tables

    response = public.goto(f"{base}/medicines/examplamide/")
    assert response.status == 410
    expect(public.locator("h1")).to_contain_text("information withdrawn")
    expect(public.locator("main")).to_contain_text("The medicine was recalled by its maker.")
    assert_no_axe_violations(public)
    public.close()
