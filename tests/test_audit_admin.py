"""The number audit in the admin (issue #15: 2): the review page and the publish page
say "All N numbers found in the sources" or list those that are not (line and text),
show each accepted number with its reason, and publishing (or scheduling) with
numbers not found needs the reviewer's ticked confirmation; without it nothing
changes. Through the test client, on baclofen and its fact sheet."""

from __future__ import annotations

import datetime
import html
import re
import shutil

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from editorial.models import ScheduledPublish
from monographs import editing
from monographs.models import Medicine
from tests.factories import ROOT, client_for, load_baclofen, make_user

NEXT_YEAR = timezone.localdate() + datetime.timedelta(days=365)
OLD = "- **Maximum dose:** 80–100 mg a day."
WRONG = "- **Maximum dose:** 80–120 mg a day."
REFUSAL = "Nothing was published: some numbers are not found in the sources."
CONFIRM_LABEL = "Publish although some numbers are not found in the sources"


@pytest.fixture
def baclofen(db, settings):
    """Baclofen loaded, its fact sheet in CONTENT_DIR, an editor and a reviewer."""
    shutil.copytree(
        ROOT / "content" / "sources" / "baclofen",
        settings.CONTENT_DIR / "sources" / "baclofen",
    )
    load_baclofen()
    return Medicine.objects.get(slug="baclofen")


def draft_in_review(medicine, old: str = "", new: str = ""):
    erin = make_user("erin", "Editor")
    latest = medicine.latest_version()
    text = latest.source_text.replace(old, new, 1) if old else latest.source_text
    if not old:
        text = text.replace("Baclofen eases spasticity", "Baclofen calms spasticity", 1)
    draft = editing.save_draft(medicine, text, base_number=latest.number, user=erin)
    return editing.submit_for_review(draft, user=erin)


def text_of(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def review_url(version) -> str:
    return reverse("editorial:version", args=[version.medicine.slug, version.number])


def publish_url(version) -> str:
    return reverse("admin:monographs_medicine_publish", args=[version.medicine.pk, version.number])


def form(**fields) -> dict:
    return {
        "change_summary": "The usual maximum.",
        "last_reviewed": timezone.localdate().isoformat(),
        "next_review": NEXT_YEAR.isoformat(),
        **fields,
    }


def test_a_draft_whose_numbers_are_all_found_says_so_and_publishes_plainly(baclofen):
    draft = draft_in_review(baclofen)
    rita = client_for(make_user("rita", "Reviewer"))

    for url in (review_url(draft), publish_url(draft)):
        page = text_of(rita.get(url))
        assert re.search(r"All \d+ numbers found in the sources\.", page), url
        assert CONFIRM_LABEL not in page

    response = rita.post(publish_url(draft), form())
    assert response.status_code == 302
    baclofen.refresh_from_db()
    assert baclofen.published_version.number == draft.number


def test_the_review_and_publish_pages_list_each_number_not_found_by_line(baclofen):
    draft = draft_in_review(baclofen, OLD, WRONG)
    line = line_of(draft.source_text, WRONG)
    rita = client_for(make_user("rita", "Reviewer"))

    for url in (review_url(draft), publish_url(draft)):
        page = text_of(rita.get(url))
        assert re.search(r"1 of \d+ numbers is not found in the sources:", page), url
        assert f"{line} 80–120 mg {WRONG}" in page
        assert CONFIRM_LABEL in page


def test_publishing_with_a_number_not_found_needs_the_reviewers_confirmation(baclofen):
    draft = draft_in_review(baclofen, OLD, WRONG)
    rita = client_for(make_user("rita", "Reviewer"))

    for url, data in (
        (publish_url(draft), form()),
        (review_url(draft), form(action="publish", publish_at="")),
    ):
        refused = rita.post(url, data)
        assert refused.status_code == 200
        assert REFUSAL in text_of(refused)
        draft.refresh_from_db()
        baclofen.refresh_from_db()
        assert draft.status == "in_review"
        assert baclofen.published_version.number == 1
    assert "80–120 mg" not in Client().get("/medicines/baclofen/").content.decode()

    published = rita.post(publish_url(draft), form(confirm_numbers="on"))
    assert published.status_code == 302
    baclofen.refresh_from_db()
    assert baclofen.published_version.number == draft.number


def test_scheduling_with_a_number_not_found_needs_the_confirmation_too(baclofen):
    draft = draft_in_review(baclofen, OLD, WRONG)
    rita = client_for(make_user("rita", "Reviewer"))
    when = timezone.localtime(timezone.now() + datetime.timedelta(days=2))
    data = form(action="publish", publish_at=when.strftime("%Y-%m-%dT%H:%M"))

    refused = rita.post(review_url(draft), data)
    assert REFUSAL in text_of(refused)
    assert not ScheduledPublish.objects.exists()

    rita.post(review_url(draft), {**data, "confirm_numbers": "on"})
    assert ScheduledPublish.objects.get().version == draft


def test_the_reviewer_sees_each_accepted_number_with_its_reason(baclofen):
    draft = draft_in_review(
        baclofen,
        "source_documents: [sources/baclofen/facts.yaml]",
        "source_documents: [sources/baclofen/facts.yaml]\n"
        "accepted_numbers:\n"
        '  - number: "80–120 mg"\n'
        '    reason: "Checked against the 2025 guideline (test)"',
    )
    latest = draft.source_text.replace(OLD, WRONG, 1)
    draft = editing.save_draft(
        baclofen, latest, base_number=draft.number, user=make_user("ed", "Editor")
    )
    draft = editing.submit_for_review(draft, user=draft.author)
    rita = client_for(make_user("rita", "Reviewer"))

    for url in (review_url(draft), publish_url(draft)):
        page = text_of(rita.get(url))
        assert re.search(r"All \d+ numbers found in the sources\.", page) is None
        assert "Numbers the editors accepted 80–120 mg : Checked against the 2025" in page
        assert CONFIRM_LABEL not in page  # an accepted number is explained


def test_a_label_uploaded_in_the_admin_is_read_from_the_media_store(medicine):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from monographs.labels.audit import audit_version

    erin = make_user("erin", "Editor")
    latest = medicine.latest_version()
    text = latest.source_text.replace(
        "\nsource:", "\nsource_documents: [sources/examplamide/xenical.json]\nsource:", 1
    )
    draft = editing.save_draft(medicine, text, base_number=latest.number, user=erin)
    assert audit_version(draft).problems == [
        "sources/examplamide/xenical.json: the file does not exist"
    ]

    raw = (ROOT / "tests" / "labels" / "epi-en-37d610f9.json").read_bytes()
    default_storage.save("sources/examplamide/xenical.json", ContentFile(raw))
    report = audit_version(draft)
    assert report.problems == []
    assert report.source_count > 0
