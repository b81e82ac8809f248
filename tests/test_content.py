"""The medicines in content/: what every page must hold whatever the site's country."""

import re
from pathlib import Path

import pytest

from monographs.parsing import parse_file

CONTENT = Path(__file__).resolve().parent.parent / "content"
MEDICINES = sorted(CONTENT.glob("*.md"))
# Emergency and advice numbers of the countries SITE_COUNTRY knows (UK, US, EU).
PHONE_NUMBER = re.compile(r"(?<![\d.,/-])(999|111|911|112)(?![\d.,/-]?\d)")


def test_five_medicines_are_served():
    assert [path.stem for path in MEDICINES] == [
        "adalimumab",
        "atorvastatin",
        "baclofen",
        "irbesartan",
        "orlistat",
    ]


@pytest.mark.parametrize("path", MEDICINES, ids=lambda path: path.stem)
def test_a_page_names_no_countrys_phone_number(path):
    """The emergency box and the footer give SITE_COUNTRY's numbers; a page's own
    text says "call an ambulance", so that a US site never says "call 999"."""
    document = parse_file(path)
    body = document.source_text.split("\n---\n", 1)[1].split("\n## References", 1)[0]
    text = "\n".join([*document.safety_warnings, body])
    found = [match.group() for match in PHONE_NUMBER.finditer(text)]

    assert found == []


def test_the_live_baclofen_is_a_later_version_than_the_one_the_tests_freeze():
    """A changed file needs a higher version, or a site that loaded the older text
    refuses it; the tests' copy (tests/frozen/) is an older published text."""
    from tests.factories import BACLOFEN

    live, frozen = parse_file(CONTENT / "baclofen.md"), parse_file(BACLOFEN)

    assert live.source_text == frozen.source_text or live.version > frozen.version
