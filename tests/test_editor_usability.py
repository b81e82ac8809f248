"""The editor's usability (issue #17: 3): plain-language problems, a live preview that
checks what a save checks, a new medicine from a template or a copy, the content-format
guide in the admin, and two versions compared side by side."""

from __future__ import annotations

import pytest

from monographs.models import Medicine
from tests.factories import load_example, monograph_text
from tests.test_admin import client_for, make_user, url


@pytest.fixture
def medicine(db, settings):
    load_example(settings.CONTENT_DIR)
    return Medicine.objects.get(slug="examplamide")


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
