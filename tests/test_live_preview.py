"""The editor's live preview looks like the public page (issue #17: 3).

A text that parses is shown with the public page's own includes: the safety
box, the emergency box, the usual dose, quick facts and every section with its
urgent-help box; built from the typed text without saving anything, and every
piece of it sanitised by rendering.py. A text that does not parse is shown as
before: its problems and its body.
"""

from html.parser import HTMLParser

import pytest

from monographs.models import Medicine, Version
from tests.factories import BACLOFEN, client_for, load_example, make_user, monograph_text

PREVIEW = "/markdownx/markdownify/"


class _Elements(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


@pytest.fixture
def editor(db):
    return client_for(make_user("erin", "Editor"))


def preview(client, text: str, query: str = "") -> str:
    response = client.post(PREVIEW + query, {"content": text})
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("query", ["", "?new=1"])
def test_a_valid_monograph_is_previewed_with_the_public_pages_boxes(editor, query):
    html = preview(editor, monograph_text(), query)

    assert "A valid monograph." in html
    assert '<div class="callout callout--safety" role="note"' in html
    assert "Safety warnings: read these first" in html
    assert "<strong>Do not stop suddenly.</strong> Lower the dose slowly" in html
    assert '<section class="urgent-action"' in html  # the emergency box
    assert 'class="call-link" href="tel:' in html
    assert '<div class="callout callout--urgent" role="note"' in html  # urgent help
    assert '<div class="quick-facts">' in html
    assert "Example stiffness" in html  # quick facts: what it is used for
    assert "<h1>Examplamide</h1>" in html
    # Every section, headed as on the public page; the dosing card from its rows.
    assert "<h2>Side effects</h2>" in html
    assert '<div class="dose-card" id=' in html
    assert "5 mg three times a day" in html
    assert '<th scope="col">Medicine or group</th>' in html
    assert "slug: examplamide" not in html
    # Nothing was saved.
    assert not Medicine.objects.exists()
    assert not Version.objects.exists()


def test_the_usual_adult_dose_box_is_previewed_as_on_the_public_page(editor):
    html = preview(editor, BACLOFEN.read_text(encoding="utf-8"))

    assert "A valid monograph." in html
    assert '<section class="usual-dose"' in html
    assert "Usual adult dose" in html


def test_an_edit_is_previewed_as_the_next_version_without_saving(editor, settings):
    load_example(settings.CONTENT_DIR)
    text = monograph_text().replace("Lower the dose slowly", "Lower the dose very slowly")

    html = preview(editor, text, "?medicine=examplamide")

    assert "Lower the dose very slowly" in html
    assert "Version 2" in html
    assert Version.objects.count() == 1


SCRIPT = "<script>alert(1)</script>"
HOSTILE = {
    "It works in the spinal cord.": (
        '<script>alert("body")</script>\n\n[a link](JaVaScRiPt:alert(4)) '
        '<a href="#" onclick="alert(5)">click</a>\n\n'
        "<iframe src=https://example.org></iframe>"
    ),
    "**Do not stop suddenly.**": "<script>alert(2)</script> [call](javascript:alert(3))",
}


def assert_nothing_live(html: str) -> None:
    elements = _Elements(html).elements
    assert elements, "the preview rendered nothing"
    assert "<script" not in html
    assert not [tag for tag, _ in elements if tag in ("script", "img", "iframe", "svg")]
    assert not [(tag, name) for tag, attrs in elements for name in attrs if name.startswith("on")]
    links = [attrs.get("href", "") for tag, attrs in elements if tag == "a"]
    assert not [link for link in links if "javascript" in link.lower()]


def test_a_script_the_parser_lets_through_as_text_is_never_live_on_the_page_preview(editor):
    # As code, a script is text the parser accepts: the page shows it, escaped.
    text = monograph_text().replace(
        "**Do not stop suddenly.**", f"**Do not stop suddenly.** `{SCRIPT}`"
    )
    text = text.replace("It works in the spinal cord.", f"It works in the `{SCRIPT}` cord.")

    html = preview(editor, text)

    assert "A valid monograph." in html
    assert '<div class="callout callout--safety"' in html  # previewed as a page
    assert html.count("<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>") >= 2
    assert_nothing_live(html)


def test_a_script_in_the_markdown_is_refused_and_never_live(editor):
    text = monograph_text()
    for old, new in HOSTILE.items():
        assert old in text
        text = text.replace(old, new)

    html = preview(editor, text)

    assert "problems to fix before it can be saved" in html
    assert "raw HTML" in html
    assert_nothing_live(html)


def test_a_text_that_does_not_parse_shows_its_problems_and_body_only(editor):
    text = monograph_text().replace("### Very common", "### Ocasional")

    html = preview(editor, text)

    assert "1 problem to fix before it can be saved:" in html
    assert "callout--safety" not in html
    assert "urgent-action" not in html
    assert "It works in the spinal cord." in html  # the body, as before
