"""Honest sign-off (issue #15: 3): a page names a reviewer only when a real reviewer
account published it (that account's name and profession, and the date); content
loaded from files says it is not yet checked by a clinician. The home page, the
medicine page, the PDF leaflet and the JSON-LD all say what the data says."""

from __future__ import annotations

import datetime
import html
import io
import json
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from editorial.models import ReviewerProfile
from monographs import editing
from monographs.models import Medicine
from monographs.printing import leaflets
from tests.factories import ROOT, client_for, load_baclofen, make_user

NEXT_YEAR = timezone.localdate() + datetime.timedelta(days=365)


@pytest.fixture(autouse=True)
def _empty_page_cache():
    """Each test's database numbers its versions alike, and the page cache (kept for
    the process) keys a page by version and text: start each test without it."""
    cache.clear()


def text_of(response) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def json_ld(response) -> dict:
    (block,) = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.S
    )
    return json.loads(block)


def pdf_text(version) -> str:
    pdf = leaflets.render_leaflet(version, leaflets.Variant.from_query(None, None))
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def published_by_rita(medicine, *, profession="pharmacist"):
    """A new version of `medicine` by an editor, published by Rita Patel (a reviewer)."""
    erin = make_user("erin", "Editor")
    rita = make_user("rita", "Reviewer")
    rita.first_name, rita.last_name = "Rita", "Patel"
    rita.save()
    if profession:
        ReviewerProfile.objects.create(user=rita, profession=profession)
    latest = medicine.latest_version()
    draft = editing.save_draft(
        medicine,
        latest.source_text.replace("Examplamide eases", "Examplamide gently eases", 1),
        base_number=latest.number,
        user=erin,
    )
    editing.submit_for_review(draft, user=erin)
    return editing.publish(
        draft,
        user=rita,
        change_summary="Plainer words.",
        last_reviewed=timezone.localdate(),
        next_review=NEXT_YEAR,
    )


def test_no_file_names_a_review_panel_that_does_not_exist():
    for path in [ROOT / "content" / "baclofen.md", *(ROOT / "tests" / "content").rglob("*.md")]:
        assert "review panel" not in path.read_text(encoding="utf-8"), path
    new = ROOT / "monographs/templates/admin/monographs/medicine/new_monograph.md"
    assert "review panel" not in new.read_text(encoding="utf-8")


@pytest.mark.django_db
def test_the_home_page_claims_no_check_by_health_professionals():
    text = text_of(Client().get("/"))
    assert "checked by health professionals" not in text
    assert "says whether a clinician has checked it yet and who" in text


@pytest.mark.django_db
def test_a_page_loaded_from_a_file_says_it_is_not_yet_checked_by_a_clinician():
    load_baclofen()
    response = Client().get("/medicines/baclofen/")
    about = text_of(response)[text_of(response).rindex("About this information") :]
    assert "Written by druginfo editorial team, from the sources above" in about
    assert "Checked by Not yet checked by a clinician" in about
    assert "Last reviewed by the editorial team 26 November 2026" in about
    header = text_of(response)[: text_of(response).index("Key takeaways")]
    assert (
        "Written by druginfo editorial team from official sources; not yet checked by a "
        "clinician." in header
    )
    assert "review panel" not in response.content.decode()
    assert "reviewedBy" not in json_ld(response)


def test_a_leaflet_of_a_page_loaded_from_a_file_says_it_is_not_yet_checked(medicine):
    text = pdf_text(medicine.published_version)
    assert "Written by druginfo editorial team from the official sources named here." in text
    assert "Not yet checked by a clinician." in text
    assert "Checked by" not in text


def test_a_version_a_reviewer_published_names_them_their_profession_and_the_date(medicine):
    version = published_by_rita(medicine)
    date = f"{version.published_at:%-d %B %Y}"
    assert (version.published_by_name, version.published_by_profession) == (
        "Rita Patel",
        "pharmacist",
    )

    response = Client().get(medicine.get_absolute_url())
    about = text_of(response)[text_of(response).rindex("About this information") :]
    assert f"Checked by Rita Patel, pharmacist, who published this version on {date}" in about
    header = text_of(response)[: text_of(response).index("Key takeaways")]
    assert f"Checked by Rita Patel, pharmacist, who published this version on {date}." in header
    assert "Not yet checked" not in about
    assert f"Last reviewed {version.last_reviewed:%-d %B %Y}" in about
    assert "by the editorial team" not in about
    assert f"Last reviewed {version.last_reviewed:%-d %B %Y} · Next review due" in header
    assert "by the editorial team" not in header
    assert json_ld(response)["reviewedBy"] == {
        "@type": "Person",
        "name": "Rita Patel",
        "jobTitle": "pharmacist",
    }
    assert f"Checked by Rita Patel, pharmacist, who published this version on {date}." in pdf_text(
        version
    )


def test_a_reviewer_without_a_profession_is_named_without_one(medicine):
    version = published_by_rita(medicine, profession="")
    response = Client().get(medicine.get_absolute_url())
    assert (
        f"Checked by Rita Patel, who published this version on {version.published_at:%-d %B %Y}"
        in text_of(response)
    )
    assert json_ld(response)["reviewedBy"] == {"@type": "Person", "name": "Rita Patel"}


def test_the_earlier_version_loaded_from_the_file_keeps_its_true_state(medicine):
    published_by_rita(medicine)
    first = text_of(Client().get(f"{medicine.get_absolute_url()}v1/"))
    assert "Checked by Not yet checked by a clinician" in first


def test_a_reviewers_profession_is_edited_on_their_account_in_the_admin(db):
    admin = make_user("ada", is_staff=True)
    admin.is_superuser = True
    admin.save()
    rita = make_user("rita", "Reviewer")
    client = client_for(admin)
    url = f"/admin/auth/user/{rita.pk}/change/"
    form = client.get(url).content.decode()
    assert "profession shown on the pages this reviewer publishes" in form.lower()
    response = client.post(
        url,
        {
            "username": "rita",
            "first_name": "Rita",
            "last_name": "Patel",
            "email": "",
            "is_active": "on",
            "is_staff": "on",
            "groups": [group.pk for group in rita.groups.all()],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "09:00:00",
            "initial-date_joined_0": "2026-01-01",
            "initial-date_joined_1": "09:00:00",
            "reviewer_profile-TOTAL_FORMS": "1",
            "reviewer_profile-INITIAL_FORMS": "0",
            "reviewer_profile-MIN_NUM_FORMS": "0",
            "reviewer_profile-MAX_NUM_FORMS": "1",
            "reviewer_profile-0-profession": "consultant neurologist",
            "reviewer_profile-0-user": str(rita.pk),
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert ReviewerProfile.objects.get(user=rita).profession == "consultant neurologist"
    assert Medicine.objects.count() == 0


def test_versions_published_before_the_sign_off_was_recorded_get_it_from_the_log(medicine):
    """Migration editorial 0003: the admin's log entry or a scheduled publish that went
    out names who published; a version loaded from a file keeps none."""
    import importlib

    from django.apps import apps
    from django.contrib.admin.models import CHANGE, LogEntry

    migration = importlib.import_module("editorial.migrations.0003_published_by_from_the_record")
    version = published_by_rita(medicine)
    rita = version.published_by
    Version = type(version)
    Version.objects.filter(pk=version.pk).update(
        published_by=None, published_by_name="", published_by_profession=""
    )
    LogEntry.objects.log_actions(
        user_id=rita.pk,
        queryset=[medicine],
        action_flag=CHANGE,
        change_message=f"Published version {version.number}.",
        single_object=True,
    )

    migration.record_publishers(apps, None)

    version.refresh_from_db()
    assert (version.published_by, version.published_by_name) == (rita, "Rita Patel")
    assert Version.objects.get(medicine=medicine, number=1).published_by is None


def test_add_editor_gives_a_reviewer_the_name_and_profession_their_pages_show(db, monkeypatch):
    from django.contrib.auth.models import User
    from django.core.management import CommandError, call_command

    monkeypatch.setenv("DJANGO_EDITOR_PASSWORD", "a long enough passphrase 7")
    call_command(
        "add_editor",
        "rita",
        "--role=reviewer",
        "--first-name=Rita",
        "--last-name=Patel",
        "--profession=consultant  pharmacist",
        "--noinput",
        stdout=io.StringIO(),
    )
    rita = User.objects.get(username="rita")
    assert editing.reviewer_sign_off(rita) == ("Rita Patel", "consultant pharmacist")

    with pytest.raises(CommandError, match="--profession is for reviewers"):
        call_command("add_editor", "erin", "--role=editor", "--profession=nurse", "--noinput")
    assert not User.objects.filter(username="erin").exists()
