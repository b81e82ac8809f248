"""The editor's usability (issue #17: 3): plain-language problems, a live preview that
checks what a save checks, a new medicine from a template or a copy, the content-format
guide in the admin, and two versions compared side by side."""

from __future__ import annotations

import pytest

from monographs.comparing import compare_rendered
from monographs.models import Medicine
from tests.factories import monograph_text
from tests.test_admin import NEW_DOSE, OLD_DOSE, client_for, make_user, save, url


@pytest.fixture
def editor(db):
    return client_for(make_user("erin", "Editor"))


def unclosed(text: str) -> str:
    lines = text.splitlines()
    closing = lines.index("---", 1)
    return "\n".join(lines[:closing] + lines[closing + 1 :]) + "\n"


# --- (a) problems in plain words; the preview checks what a save checks ---------------------


def test_a_missing_closing_line_is_one_problem_on_saving_a_new_medicine(db, editor):
    text = unclosed(monograph_text(slug="newamide"))

    response = editor.post(url("add"), {"source_text": text})

    problems = response.context["problems"]
    assert [p.message.split(":")[0] for p in problems] == [
        "the fields block at the top is not closed"
    ]
    assert "add a line &#x27;---&#x27; after line 26" in response.content.decode()
    assert "The editor holds a template" not in response.content.decode()  # it holds theirs
    assert not Medicine.objects.filter(slug="newamide").exists()


def test_problems_speak_of_fields_not_yaml_or_front_matter(db, editor):
    text = monograph_text(slug="newamide").replace("drug_class: Example relaxant\n", "")
    text = text.replace("forms: [Tablet]", "forms: [Tablet")

    response = editor.post(url("add"), {"source_text": text})

    messages = " ".join(p.message for p in response.context["problems"])
    assert "the fields at the top cannot be read" in messages
    assert "YAML" not in messages and "front matter" not in messages
    assert "flow sequence" not in messages


def test_the_preview_of_a_new_medicine_names_a_slug_already_taken(medicine, editor):
    page = editor.get(url("add")).content.decode()
    assert 'data-markdownx-urls-path="/markdownx/markdownify/?new=1"' in page

    html = editor.post(
        "/markdownx/markdownify/?new=1", {"content": monograph_text()}
    ).content.decode()

    assert "A valid monograph" not in html
    assert "a medicine with the slug &#x27;examplamide&#x27; already exists" in html


def test_the_preview_of_a_medicine_checks_it_as_its_next_version(medicine, editor):
    page = editor.get(url("change", medicine.pk)).content.decode()
    assert 'data-markdownx-urls-path="/markdownx/markdownify/?medicine=examplamide"' in page
    preview = "/markdownx/markdownify/?medicine=examplamide"

    ok = editor.post(preview, {"content": monograph_text()}).content.decode()
    renamed = editor.post(preview, {"content": monograph_text(slug="other")}).content.decode()

    assert "A valid monograph." in ok
    assert "A valid monograph" not in renamed
    assert "slug &#x27;other&#x27; does not match" in renamed


def test_the_preview_of_an_unknown_medicine_is_not_found(db, editor):
    response = editor.post("/markdownx/markdownify/?medicine=nonesuch", {"content": "x"})

    assert response.status_code == 404


# --- (b) "Add a medicine" starts from a template or a copy; the guide is in the admin -------


def test_add_a_medicine_starts_from_the_template_which_refuses_to_save_unfilled(db, editor):
    page = editor.get(url("add"))
    text = page.context["form"]["source_text"].value()

    assert "## Key takeaways" in text and "## References" in text
    assert "[FILL IN" in text
    response = editor.post(url("add"), {"source_text": text})
    problems = response.context["problems"]
    assert problems and not Medicine.objects.exists()
    assert any("'FILL IN' placeholder" in p.message for p in problems)
    # Only the placeholders (and what they make invalid) are wrong: filled, it saves.
    lines = {p.line for p in problems}
    assert all("FILL" in text.splitlines()[line - 1] for line in lines)


def test_the_filled_in_template_saves_as_a_new_medicine(db, editor):
    text = editor.get(url("add")).context["form"]["source_text"].value()
    filled = text.replace("FILL-IN-the-address-name-lower-case-with-hyphens", "filledamide")
    filled = filled.replace('"[FILL IN: the ATC code, such as M03BX01]"', "Z99ZZ02")
    filled = filled.replace("FILL IN", "Written")

    response = editor.post(url("add"), {"source_text": filled})

    assert response.status_code == 302, response.context["problems"]
    assert Medicine.objects.get(slug="filledamide").latest_version().status == "draft"


def test_add_a_medicine_can_start_from_a_copy_of_another(medicine, editor):
    page = editor.get(url("add"))
    assert ("examplamide", "Examplamide") in page.context["copy_choices"]

    copy = editor.get(url("add"), {"copy": "examplamide"})
    text = copy.context["form"]["source_text"].value()

    assert "## Dosage" in text and "5 mg three times a day" in text
    assert "slug: FILL-IN" in text and "slug: examplamide" not in text
    assert "change_summary: First version." in text
    assert "a copy of Examplamide (version 1)" in copy.content.decode()
    assert editor.get(url("add"), {"copy": "nonesuch"}).status_code == 404


def test_the_content_format_guide_is_shown_in_the_admin_and_linked_from_the_editor(
    medicine, editor
):
    guide_url = url("guide")
    assert f'href="{guide_url}"' in editor.get(url("add")).content.decode()
    assert f'href="{guide_url}"' in editor.get(url("change", medicine.pk)).content.decode()

    response = editor.get(guide_url)

    html = response.content.decode()
    assert response.status_code == 200
    assert (
        '<h2 id="guide-the-fields-at-the-top-front-matter-heading">'
        "The fields at the top (front matter)</h2>"
    ) in html
    assert "<table>" in html and "<code>atc_code</code>" in html
    assert "<pre><code" in html  # the complete example, as code
    assert "docs/content-format.md" not in editor.get(url("add")).content.decode()


def test_the_guide_is_for_editorial_staff_only(db, client):
    assert client.get(url("guide"))["Location"].startswith("/admin/login/")
    assert client_for(make_user("sam")).get(url("guide")).status_code == 403


# --- (d) two versions side by side, changed words marked, and the raw diff -----------------


def test_the_versions_page_shows_two_versions_side_by_side_with_changed_words(medicine, editor):
    text = monograph_text().replace(OLD_DOSE, NEW_DOSE).replace("Keep below 25°C.", "Keep cool.")
    assert save(editor, medicine, text, 1).status_code == 302

    response = editor.get(url("versions", medicine.pk), {"old": 1, "new": 2})

    html = response.content.decode()
    parts = {part.heading: part for part in response.context["compared"]}
    assert set(parts) == {"Fields at the top", "Dosage", "Storage"}  # version: 2, status
    assert "<strong>Starting dose:</strong> <del>5</del> mg" in parts["Dosage"].old_html
    assert "<strong>Starting dose:</strong> <ins>7.5</ins> mg" in parts["Dosage"].new_html
    assert "<p>Keep <del>below 25°C</del>.</p>" in parts["Storage"].old_html
    assert "<p>Keep <ins>cool</ins>.</p>" in parts["Storage"].new_html
    assert f"version {1} beside version {2}" in html
    assert "<ins>7.5</ins>" in html
    # ... and the raw line diff as well.
    assert "The text, line by line" in html
    assert 'class="diff__added"' in html


def test_compared_text_is_sanitised_and_marks_never_reach_a_tag():
    old = "## Storage\n\nSee [the label](https://example.org/old) now.\n"
    new = (
        "## Storage\n\nSee [the label](https://example.org/new) <script>alert(1)</script>"
        " [x](javascript:alert(2)) \ue000now\ue001.\n"
    )

    (part,) = compare_rendered(old, new)

    assert "<script" not in part.new_html and 'href="javascript' not in part.new_html
    assert part.new_html.count("<a ") == 1
    assert 'href="https://example.org/new"' in part.new_html  # the address is not marked
    assert "\ue000" not in part.new_html and "\ue001" not in part.new_html
    assert "&lt;script&gt;" in part.new_html  # shown as text, never run


def test_a_numbered_list_stays_a_list_when_its_items_change():
    old = "## References\n\n1. Example Agency. A label. 2025.\n"
    new = "## References\n\n1. Other Agency. A label. 2025.\n2. Doe J. A trial. 2020.\n"

    (part,) = compare_rendered(old, new)

    assert "<li><del>Example</del> Agency. A label. 2025.</li>" in part.old_html
    assert "<li><ins>Other</ins> Agency." in part.new_html
    assert "<li><ins>Doe J. A trial. 2020.</ins></li>" in part.new_html


def test_a_section_only_in_one_version_is_shown_against_nothing():
    (part,) = compare_rendered("## A\n\nSame.\n", "## A\n\nSame.\n\n## B\n\nNew words.\n")

    assert part.heading == "B" and part.old_html is None
    assert "<ins>New words.</ins>" in part.new_html


def test_the_editor_guide_and_comparison_pages_are_valid_html(medicine, editor, tmp_path):
    from tests.test_html_validity import _run_checker

    save(editor, medicine, monograph_text().replace(OLD_DOSE, NEW_DOSE), 1)
    pages = {
        "add": url("add"),
        "copy": url("add") + "?copy=examplamide",
        "change": url("change", medicine.pk),
        "guide": url("guide"),
        "versions": url("versions", medicine.pk) + "?old=1&new=2",
    }
    files = {}
    for name, address in pages.items():
        response = editor.get(address)
        assert response.status_code == 200, name
        file = tmp_path / f"{name}.html"
        file.write_bytes(response.content)
        files[file.as_uri()] = name

    messages = _run_checker(list(files))

    errors = [
        f"{m.get('url')} line {m.get('lastLine')}: {m.get('message')}"
        for m in messages
        if m.get("type") in ("error", "non-document-error")
    ]
    assert errors == [], "\n".join(errors)


def test_without_the_guide_file_its_page_is_not_found(db, editor, monkeypatch, tmp_path):
    monkeypatch.setattr("monographs.format_guide.GUIDE_PATH", tmp_path / "missing.md")

    assert editor.get(url("guide")).status_code == 404
