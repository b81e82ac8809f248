"""The editorial admin through the test client: editing, preview, review, publishing, safety.

Each test is something an editor, a reviewer, a patient or an attacker would
notice: the typed text kept after an error, the second editor told about the
first, drafts invisible to the public, only reviewers publishing, the live
preview that cannot carry a script, and logins that lock after five failures.
"""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from monographs.models import Medicine, Version
from tests.factories import client_for, load_example, make_user, monograph_text

OLD_DOSE = "- **Starting dose:** 5 mg three times a day"
NEW_DOSE = "- **Starting dose:** 7.5 mg three times a day"
HOSTILE_MARKDOWN = """## Key takeaways

<script>alert("script")</script>

- [a link](javascript:alert(1))
- [another](JaVaScRiPt:alert(2))
- <img src=x onerror="alert(3)">
- <a href="#" onclick="alert(4)">click</a>
- ![pic](javascript:alert(5))
"""


@pytest.fixture
def editor(db):
    return client_for(make_user("erin", "Editor"))


@pytest.fixture
def reviewer(db):
    return client_for(make_user("rita", "Reviewer"))


def url(view: str, *args) -> str:
    return reverse(f"admin:monographs_medicine_{view}", args=args)


def editor_form(client: Client, medicine: Medicine) -> dict:
    """What the change page sends back if the editor just presses Save."""
    form = client.get(url("change", medicine.pk)).context["form"]
    return {"source_text": form["source_text"].value(), "base_number": form["base_number"].value()}


def save(client: Client, medicine: Medicine, text: str, base_number: int):
    return client.post(
        url("change", medicine.pk), {"source_text": text, "base_number": base_number}
    )


class _Elements(HTMLParser):
    """Every element and attribute of an HTML fragment, as a browser would see them."""

    def __init__(self, html: str):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


# --- editing ---------------------------------------------------------------------------


def test_the_editor_opens_with_the_latest_text_and_its_version_number(medicine, editor):
    response = editor.get(url("change", medicine.pk))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="base_number" value="1"' in html
    assert "5 mg three times a day" in html
    assert 'class="markdownx' in html and "markdownx/js/markdownx" in html
    assert "Flesch reading ease" in html
    assert "You are editing version 1 (published)" in html


def test_a_valid_save_makes_a_draft_and_says_which_version(medicine, editor):
    data = editor_form(editor, medicine)

    response = save(editor, medicine, data["source_text"].replace(OLD_DOSE, NEW_DOSE), 1)

    assert response.status_code == 302
    draft = medicine.versions.get(number=2)
    assert (draft.status, draft.origin, draft.author.username) == ("draft", "admin", "erin")
    assert NEW_DOSE in draft.source_text
    page = editor.get(response["Location"]).content.decode()
    assert "Saved as draft version 2" in page


def test_windows_line_endings_from_the_browser_are_stored_as_plain_newlines(medicine, editor):
    text = monograph_text().replace(OLD_DOSE, NEW_DOSE).replace("\n", "\r\n")

    save(editor, medicine, text, 1)

    assert "\r" not in medicine.versions.get(number=2).source_text


def test_an_invalid_save_lists_problems_by_line_and_keeps_the_typed_text(medicine, editor):
    typed = monograph_text().replace("### Very common", "### Ocasional").replace(OLD_DOSE, NEW_DOSE)

    response = save(editor, medicine, typed, 1)

    assert response.status_code == 200
    html = response.content.decode()
    line = typed.splitlines().index("### Ocasional") + 1
    assert (
        f'data-line="{line}">line {line}</a>: &#x27;Ocasional&#x27; is not a frequency band' in html
    )
    assert "Nothing was saved" in html
    assert response.context["form"]["source_text"].value() == typed
    assert "7.5 mg three times a day" in html
    assert medicine.versions.count() == 1


def test_a_new_medicine_is_added_as_a_draft(db, editor):
    text = monograph_text(slug="newamide")

    response = editor.post(url("add"), {"source_text": text})

    medicine = Medicine.objects.get(slug="newamide")
    assert response["Location"] == url("change", medicine.pk)
    assert medicine.published_version is None
    assert editor.get("/medicines/newamide/").status_code == 404
    assert editor.get("/medicines/newamide/v1/").status_code == 404


def test_staff_without_editorial_rights_cannot_add_a_medicine(db):
    response = client_for(make_user("sam")).post(url("add"), {"source_text": monograph_text()})

    assert response.status_code == 403
    assert not Medicine.objects.exists()


def test_readability_warnings_sit_beside_the_editor_with_their_lines(medicine, editor):
    long_sentence = "It " + " ".join(["really"] * 30) + " works in the spinal cord."
    text = monograph_text().replace("It works in the spinal cord.", long_sentence)

    save(editor, medicine, text, 1)
    html = editor.get(url("change", medicine.pk)).content.decode()

    line = text.splitlines().index(long_sentence) + 1
    assert f"Line {line}: a sentence of 36 words; aim for 25 or fewer" in html
    assert "Flesch reading ease:" in html


def test_editors_cannot_delete_a_medicine(medicine, db):
    admin = make_user("root", is_staff=True)
    admin.is_superuser = True
    admin.save()

    response = client_for(admin).get(url("delete", medicine.pk))

    assert response.status_code == 403


# --- drafts stay private ---------------------------------------------------------------------


def test_a_draft_is_never_shown_to_the_public(medicine, editor, client):
    save(editor, medicine, monograph_text().replace(OLD_DOSE, NEW_DOSE), 1)

    page = client.get("/medicines/examplamide/")
    assert page.status_code == 200
    assert "5 mg three times a day" in page.content.decode()
    assert "7.5 mg" not in page.content.decode()
    assert client.get("/medicines/examplamide/v2/").status_code == 404


def test_staff_preview_a_draft_on_the_public_template_marked_as_a_preview(medicine, editor):
    save(editor, medicine, monograph_text().replace(OLD_DOSE, NEW_DOSE), 1)

    response = editor.get(url("preview", medicine.pk, 2))

    html = response.content.decode()
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "monographs/detail.html"
    assert "Staff preview of version 2 (draft)." in html
    assert "The public cannot see it" in html
    assert "7.5 mg three times a day" in html
    assert '<meta name="robots" content="noindex">' in html
    assert "no-store" in response["Cache-Control"]


def test_the_preview_is_for_staff_only(medicine, client, db):
    assert client.get(url("preview", medicine.pk, 1))["Location"].startswith("/admin/login/")
    outsider = client_for(make_user("nina", is_staff=False))
    assert outsider.get(url("preview", medicine.pk, 1))["Location"].startswith("/admin/login/")
    bare_staff = client_for(make_user("sam"))
    assert bare_staff.get(url("preview", medicine.pk, 1)).status_code == 403


# --- the live preview (markdownify) ---------------------------------------------------------


def test_the_live_preview_renders_markdown_with_a_status_line(db, editor):
    response = editor.post("/markdownx/markdownify/", {"content": monograph_text()})

    html = response.content.decode()
    assert response.status_code == 200
    assert "A valid monograph." in html
    # Shown as the public page shows it (tests/test_live_preview.py): from its rows.
    assert "<dt>Starting dose</dt><dd>5 mg three times a day</dd>" in html
    assert '<th scope="col">Medicine or group</th>' in html
    assert "slug: examplamide" not in html  # the front matter is checked, not shown
    assert "Reading ease" in html


def test_the_live_preview_lists_problems_with_their_lines(db, editor):
    text = monograph_text().replace("### Very common", "### Ocasional")

    html = editor.post("/markdownx/markdownify/", {"content": text}).content.decode()

    line = text.splitlines().index("### Ocasional") + 1
    assert "1 problem to fix before it can be saved:" in html
    assert f"line {line}: &#x27;Ocasional&#x27; is not a frequency band" in html


def test_the_live_preview_strips_scripts_javascript_links_and_event_handlers(db, editor):
    response = editor.post("/markdownx/markdownify/", {"content": HOSTILE_MARKDOWN})

    elements = _Elements(response.content.decode()).elements
    assert response.status_code == 200
    assert elements, "the preview rendered nothing"
    assert not [tag for tag, _ in elements if tag in ("script", "img", "iframe", "svg")]
    assert not [(tag, name) for tag, attrs in elements for name in attrs if name.startswith("on")]
    links = [attrs.get("href", "") for tag, attrs in elements if tag == "a"]
    assert not [link for link in links if "javascript" in link.lower()]
    assert "raw HTML" in response.content.decode()  # and the editor is told why


@pytest.mark.parametrize("who", ["anonymous", "not staff", "staff without monograph rights"])
def test_the_live_preview_gives_nothing_to_anyone_but_editorial_staff(db, who):
    client = Client()
    if who == "not staff":
        client.force_login(make_user("nina", "Editor", is_staff=False))
    elif who == "staff without monograph rights":
        client.force_login(make_user("sam"))

    response = client.post("/markdownx/markdownify/", {"content": "**bold** text"})

    assert response.status_code == 403
    assert b"<strong>bold</strong>" not in response.content


def test_the_live_preview_needs_a_post_with_a_csrf_token(db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("erin", "Editor"))

    assert client.get("/markdownx/markdownify/", {"content": "x"}).status_code == 405
    assert client.post("/markdownx/markdownify/", {"content": "x"}).status_code == 403


def test_the_live_preview_refuses_text_over_the_size_limit(db, editor):
    response = editor.post("/markdownx/markdownify/", {"content": "a" * 1_000_001})

    assert response.status_code == 413


def test_markdownx_stock_upload_has_no_route(db, editor):
    assert editor.post("/markdownx/upload/").status_code == 404


# --- review and publishing -------------------------------------------------------------------


def test_only_a_reviewer_publishes_and_then_everyone_sees_it(
    medicine, editor, reviewer, client, django_capture_on_commit_callbacks, settings
):
    settings.LEAFLETS_RENDER_ON_PUBLISH = False  # the browser test checks the real leaflet
    save(editor, medicine, monograph_text().replace(OLD_DOSE, NEW_DOSE), 1)
    assert editor.post(url("submit", medicine.pk, 2)).status_code == 302
    assert medicine.versions.get(number=2).status == "in_review"

    assert editor.get(url("publish", medicine.pk, 2)).status_code == 403
    form = {
        "change_summary": "The starting dose is now 7.5 mg.",
        "last_reviewed": "2026-03-01",
        "next_review": "2027-03-01",
        "confirm_numbers": "on",  # the example names no source documents
    }
    assert editor.post(url("publish", medicine.pk, 2), form).status_code == 403
    medicine.refresh_from_db()
    assert medicine.published_version.number == 1

    page = reviewer.get(url("publish", medicine.pk, 2)).content.decode()
    assert "What changes for the public" in page
    assert "<ins>- **Starting dose:** 7.5 mg three times a day</ins>" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer.post(url("publish", medicine.pk, 2), form)

    assert response.status_code == 302
    medicine.refresh_from_db()
    assert medicine.published_version.number == 2
    public = client.get("/medicines/examplamide/").content.decode()
    assert "7.5 mg three times a day" in public
    assert (
        "The starting dose is now 7.5 mg."
        in client.get("/medicines/examplamide/changes/").content.decode()
    )


def test_the_publish_form_checks_the_review_dates(medicine, editor, reviewer):
    save(editor, medicine, monograph_text().replace(OLD_DOSE, NEW_DOSE), 1)
    editor.post(url("submit", medicine.pk, 2))

    response = reviewer.post(
        url("publish", medicine.pk, 2),
        {"change_summary": "x", "last_reviewed": "2026-03-01", "next_review": "2026-02-01"},
    )

    assert "The next review must be after the last review." in response.content.decode()
    assert medicine.versions.get(number=2).status == "in_review"


def test_a_draft_cannot_be_published_before_review(medicine, editor, reviewer):
    save(editor, medicine, monograph_text().replace(OLD_DOSE, NEW_DOSE), 1)

    html = reviewer.get(url("publish", medicine.pk, 2)).content.decode()

    assert "Only a version in review can be published" in html
    assert 'value="Publish version 2"' not in html


def test_workflow_steps_only_take_a_post(medicine, editor):
    assert editor.get(url("submit", medicine.pk, 1)).status_code == 405
    assert editor.get(url("revert", medicine.pk, 1)).status_code == 405


# --- history, diff and revert -------------------------------------------------------------


def test_the_history_lists_every_version_and_diffs_any_two(medicine, editor):
    save(editor, medicine, monograph_text().replace(OLD_DOSE, NEW_DOSE), 1)

    response = editor.get(url("versions", medicine.pk))

    html = response.content.decode()
    assert [v.number for v in response.context["versions"]] == [2, 1]
    assert "erin" in html and "admin edit" in html and "content file" in html
    assert "First version." in html
    assert "Changes from version 1 to version 2" in html
    assert "<del>- **Starting dose:** 5 mg three times a day</del>" in html

    same = editor.get(url("versions", medicine.pk), {"old": 2, "new": 2}).content.decode()
    assert "These two versions have the same text." in same


def test_the_diff_escapes_what_the_text_says(medicine, editor):
    text = monograph_text().replace(
        "It works in the spinal cord.", "It works in the `<script>alert(1)</script>` cord."
    )
    save(editor, medicine, text, 1)

    html = editor.get(url("versions", medicine.pk)).content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


def test_revert_makes_a_new_draft_from_an_old_version(medicine, editor):
    save(editor, medicine, monograph_text().replace(OLD_DOSE, NEW_DOSE), 1)

    response = editor.post(url("revert", medicine.pk, 1))

    assert response.status_code == 302
    reverted = medicine.versions.get(number=3)
    assert (reverted.status, reverted.author.username) == ("draft", "erin")
    assert OLD_DOSE in reverted.source_text
    assert (
        "Draft version 3 has the text of version 1"
        in editor.get(response["Location"]).content.decode()
    )


# --- review governance -------------------------------------------------------------------


def test_the_review_due_list_shows_overdue_and_soon_due_medicines(db, settings, editor):
    load_example(settings.CONTENT_DIR, slug="overdue", next_review="2026-01-11")
    load_example(settings.CONTENT_DIR, slug="later", next_review="2099-01-01")

    response = editor.get(url("review_due"))

    html = response.content.decode()
    assert [row["medicine"].slug for row in response.context["rows"]] == ["overdue"]
    assert "overdue by" in html
    assert (
        "/admin/monographs/medicine/review-due/" in editor.get(url("changelist")).content.decode()
    )


# --- security and audit ------------------------------------------------------------------------


def test_the_admin_is_for_staff_only(medicine, client, db):
    assert client.get(url("change", medicine.pk))["Location"].startswith("/admin/login/")
    outsider = client_for(make_user("nina", "Editor", is_staff=False))
    assert outsider.get(url("change", medicine.pk))["Location"].startswith("/admin/login/")
    assert outsider.post(url("change", medicine.pk), {}).status_code == 302
    assert medicine.versions.count() == 1


def test_staff_who_may_only_look_cannot_save(medicine, db):
    viewer = make_user("vic")
    viewer.user_permissions.add(
        *Group.objects.get(name="Editor").permissions.filter(codename__startswith="view_")
    )
    client = client_for(viewer)

    page = client.get(url("change", medicine.pk)).content.decode()
    response = save(client, medicine, monograph_text().replace(OLD_DOSE, NEW_DOSE), 1)

    assert "Save draft" not in page
    assert response.status_code == 403
    assert medicine.versions.count() == 1


def test_every_admin_action_is_logged_with_the_user(medicine, editor, reviewer, caplog):
    caplog.set_level("INFO", logger="monographs.editing")
    save(editor, medicine, monograph_text().replace(OLD_DOSE, NEW_DOSE), 1)
    editor.post(url("submit", medicine.pk, 2))
    reviewer.post(
        url("publish", medicine.pk, 2),
        {
            "change_summary": "New dose.",
            "last_reviewed": "2026-03-01",
            "next_review": "2027-03-01",
            "confirm_numbers": "on",
        },
    )
    editor.post(url("revert", medicine.pk, 1))

    entries = LogEntry.objects.order_by("pk")
    assert [(e.user.username, e.change_message) for e in entries] == [
        ("erin", "Saved draft version 2."),
        ("erin", "Sent version 2 for review."),
        ("rita", "Published version 2."),
        ("erin", "Reverted to version 1 as draft version 3."),
    ]
    lines = [record.getMessage() for record in caplog.records]
    assert "saved draft medicine=examplamide version=2 user=erin" in lines
    assert "published medicine=examplamide version=2 user=rita" in lines
    assert not [line for line in lines if "three times a day" in line]


def test_logins_lock_after_five_failures(db, client):
    make_user("erin", "Editor")

    failures = [
        client.post("/admin/login/", {"username": "erin", "password": "wrong"}).status_code
        for _ in range(5)
    ]
    locked = client.post("/admin/login/", {"username": "erin", "password": "pw-erin"})

    # The fifth failure locks the account for this address; the right password
    # no longer gets in.
    assert failures == [200, 200, 200, 200, 429]
    assert locked.status_code == 429
    assert "locked" in locked.content.decode().lower()
    assert client.get(reverse("admin:index"))["Location"].startswith("/admin/login/")


def test_a_correct_login_before_the_limit_gets_in(db, client):
    make_user("erin", "Editor")
    for _ in range(4):
        client.post("/admin/login/", {"username": "erin", "password": "wrong"})

    response = client.post("/admin/login/", {"username": "erin", "password": "pw-erin"})

    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_version_list_is_read_only_and_filters_by_status(medicine, reviewer):
    response = reviewer.get(reverse("admin:monographs_version_changelist"), {"status": "published"})

    assert response.status_code == 200
    assert f'href="{url("versions", medicine.pk)}">examplamide</a>' in response.content.decode()
    assert reviewer.get(reverse("admin:monographs_version_add")).status_code == 403


def test_a_published_version_never_changes_in_place(medicine, editor):
    before = Version.objects.get(number=1).source_text

    save(editor, medicine, monograph_text().replace(OLD_DOSE, NEW_DOSE), 1)
    editor.post(url("revert", medicine.pk, 1))

    assert Version.objects.get(number=1).source_text == before


def test_the_editor_and_add_pages_link_stylesheets_that_production_serves(
    editor, medicine, settings
):
    # Pages render with collectstatic's manifest (conftest): a missing file would
    # be a 500 here, as it was in production with the editor's stylesheet.
    for page in (url("change", medicine.pk), url("add")):
        response = editor.get(page)
        assert response.status_code == 200
        sheets = re.findall(r'<link[^>]+href="/static/([^"]+\.css)"', response.text)
        editorial = [name for name in sheets if name.startswith("monographs/admin/editorial.")]
        assert len(editorial) == 1, sheets  # linked once, under its hashed name
        for name in sheets:
            assert (settings.STATIC_ROOT / name).is_file(), name


# --- issue #20: content the YAML reader refuses is a clear error, never a 500 ------------

MONTH_13 = monograph_text(last_reviewed="2026-13-01")
MONTH_13_PROBLEM = "&#x27;last_reviewed&#x27; 2026-13-01 is not a date in the calendar"


def test_the_live_preview_names_a_month_13_at_its_line(db, editor):
    response = editor.post("/markdownx/markdownify/", {"content": MONTH_13})

    assert response.status_code == 200
    assert f"line 18: {MONTH_13_PROBLEM}" in response.content.decode()


def test_saving_a_month_13_keeps_the_text_and_names_its_line(medicine, editor):
    response = save(editor, medicine, MONTH_13, 1)

    assert response.status_code == 200
    assert f"line 18</a>: {MONTH_13_PROBLEM}" in response.content.decode()
    assert response.context["form"]["source_text"].value() == MONTH_13
    assert medicine.versions.count() == 1


def test_adding_a_medicine_with_a_month_13_names_its_line(db, editor):
    response = editor.post(url("add"), {"source_text": MONTH_13})

    assert response.status_code == 200
    assert f"line 18</a>: {MONTH_13_PROBLEM}" in response.content.decode()
    assert not Medicine.objects.exists()
