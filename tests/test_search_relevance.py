"""Search relevance: what patients type takes them to the right medicine and section.

A real index is built once for this module and search backend (whoosh, in a
temporary folder; on a PostgreSQL test database also PostgreSQL's full-text
search) from content/baclofen.md and three clearly fake distractor monographs
loaded into the database; the rows are rolled back after the module's tests.
Each query names the medicine and section the top result must have, and the
anchor where one part of the section is the only right answer.
"""

from pathlib import Path

import pytest
from django.db import transaction
from django.test import override_settings

from monographs import search
from tests.conftest import search_backends
from tests.factories import BACLOFEN, load_files

# Also makes pytest-django create the test database when this module runs alone.
pytestmark = pytest.mark.django_db

CONTENT = Path(__file__).resolve().parent / "content"
DISTRACTORS = [CONTENT / f"{slug}.md" for slug in ("placebrine", "mockodone", "fictazole")]

CASES = [
    # Brand names, names and curated synonyms (misspellings) land on what it is for.
    ("Lioresal", "baclofen", "uses", "uses"),
    ("Gablofen", "baclofen", "uses", "uses"),
    ("baclofen viatris", "baclofen", "uses", "uses"),
    ("Snoozix", "placebrine", "uses", "uses"),
    ("baclophen", "baclofen", "uses", "uses"),
    ("backlofen", "baclofen", "uses", "uses"),
    ("plasebrine", "placebrine", "uses", "uses"),
    # Codes.
    ("M03BX01", "baclofen", "uses", "uses"),
    ("m03bx01", "baclofen", "uses", "uses"),
    # Conditions, with the abbreviation patients use.
    ("MS spasticity", "baclofen", "uses", "uses"),
    ("cerebral palsy", "baclofen", "uses", "uses"),
    ("spinal cord injury", "baclofen", "uses", "uses"),
    ("hay fever", "placebrine", "uses", "uses"),
    ("athlete's foot", "fictazole", "uses", "uses"),
    # Symptoms and side-effect names land on the side effect itself.
    ("drowsy", "baclofen", "side_effects", "side-effects-very-common"),
    ("hair loss", "baclofen", "side_effects", "side-effects-uncommon"),
    ("dizziness", "baclofen", "side_effects", "side-effects-common"),
    ("diarrhoea", "baclofen", "side_effects", "side-effects-common"),
    ("hallucinations", "baclofen", "side_effects", "side-effects-uncommon"),
    ("seizures", "baclofen", "side_effects", "side-effects-common"),
    ("mockodone constipation", "mockodone", "side_effects", "side-effects-very-common"),
    # Questions.
    (
        "can I drink alcohol",
        "baclofen",
        "faqs",
        "faqs-can-i-drink-alcohol-while-taking-baclofen",
    ),
    ("what is baclofen used for", "baclofen", "uses", "uses"),
    ("how do I store baclofen", "baclofen", "storage", "storage"),
    ("how much baclofen can I take", "baclofen", "dosage", None),
    ("what should I do if I forget a dose", "baclofen", "dosage", "dosage-missed-dose"),
    ("stop taking baclofen", "baclofen", "stopping", "stopping"),
    (
        "will placebrine make me sleepy",
        "placebrine",
        "faqs",
        "faqs-will-placebrine-make-me-sleepy",
    ),
    # Interacting medicines land on the interaction, not on prose that names them.
    ("morphine", "baclofen", "interactions", "interactions-major-interactions"),
    ("diazepam", "baclofen", "interactions", "interactions-major-interactions"),
    ("lithium", "baclofen", "interactions", "interactions-minor-interactions"),
    ("zolpidem", "baclofen", "interactions", "interactions-minor-interactions"),
    ("amitriptyline", "baclofen", "interactions", "interactions-major-interactions"),
    ("levodopa", "baclofen", "interactions", "interactions-major-interactions"),
    ("general anaesthesia", "baclofen", "interactions", "interactions-major-interactions"),
    # Dosing, storage, the pump and the other sections.
    ("maximum dose", "baclofen", "dosage", None),
    ("missed dose", "baclofen", "dosage", "dosage-missed-dose"),
    ("temperature", "baclofen", "storage", "storage"),
    ("pump refill", "baclofen", "dosage", "dosage-adults-pump-into-the-spine-intrathecal"),
    ("baclofen withdrawal", "baclofen", "stopping", "stopping"),
    ("baclofen overdose", "baclofen", "overdose", "overdose"),
    ("lactose", "baclofen", "contents", "contents"),
    (
        "lioresal driving",
        "baclofen",
        "before",
        "before-you-take-it-driving-and-using-machines",
    ),
    (
        "baclofen pregnancy",
        "baclofen",
        "before",
        "before-you-take-it-pregnancy-and-breastfeeding",
    ),
]


@pytest.fixture(scope="module", params=search_backends())
def relevance_index(request, tmp_path_factory, django_db_setup, django_db_blocker):
    """The index of baclofen and the distractors in one backend, for the module's tests.

    The rows (and with PostgreSQL the index itself) stay in an open transaction
    that is rolled back after the last test: every test here only reads.
    """
    directory = tmp_path_factory.mktemp("relevance-index")
    backend = request.param
    with (
        django_db_blocker.unblock(),
        override_settings(SEARCH_INDEX_DIR=directory, SEARCH_BACKEND=backend),
        transaction.atomic(),
    ):
        load_files(BACLOFEN, *DISTRACTORS)
        report = search.rebuild()
        assert report.medicines == 4
        yield directory, backend
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _search_relevance_index(_temporary_paths, settings, relevance_index):
    settings.SEARCH_INDEX_DIR, settings.SEARCH_BACKEND = relevance_index


def test_relevance_suite_has_at_least_thirty_queries():
    assert len(CASES) >= 30


@pytest.mark.parametrize(("query", "slug", "section", "anchor"), CASES)
def test_query_finds_the_right_medicine_and_section_first(query, slug, section, anchor):
    results = search.search(query)

    top = results.medicines[0]
    assert (top.slug, top.best.section_key) == (slug, section)
    if anchor:
        assert top.best.anchor == anchor
        assert top.best.url == f"/medicines/{slug}/#{anchor}"


@pytest.mark.parametrize(
    ("typed", "suggestion"),
    [
        ("baclofn", "baclofen"),
        ("bacolfen", "baclofen"),
        ("lioresl", "lioresal"),
        ("mockodome", "mockodone"),
        ("baclofn dose", "baclofen dose"),
    ],
)
def test_one_typo_in_a_name_is_answered_with_did_you_mean(typed, suggestion):
    results = search.search(typed, correct=False)

    assert results.suggestion == suggestion
    assert results.exact is None


def test_a_name_typed_right_gets_no_did_you_mean():
    assert search.search("baclofen dose").suggestion is None
    assert search.did_you_mean("lioresal") is None


def test_a_word_far_from_every_name_gets_no_suggestion():
    results = search.search("xylophone")

    assert results.total == 0
    assert results.suggestion is None
