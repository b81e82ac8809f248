"""The PostgreSQL search backend: its tables, indexes, snippets, locking and query counts.

Its results are tested with the whoosh backend's own tests (test_search.py,
test_search_relevance.py, test_health.py run each search test once per
backend on a PostgreSQL test database). Here is what only PostgreSQL has. The
tests marked ``postgres`` run in bin/run-tests' PostgreSQL pass; the rest
check what the same migration leaves on SQLite.
"""

import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.urls import reverse
from django.utils.html import escape

from monographs import search
from monographs.models import Medicine, SearchDocument, SearchLexeme, SearchMedicine
from monographs.search import postgres as search_postgres
from monographs.search import spelling
from tests.conftest import database_is_postgresql
from tests.factories import load_baclofen, load_files

CONTENT = Path(__file__).resolve().parent / "content"

START, STOP = search_postgres.MARK_START, search_postgres.MARK_STOP


def _indexes(table: str) -> dict[str, dict]:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, table)


# --- On any database -----------------------------------------------------------------


@pytest.mark.django_db
def test_search_tables_exist_on_every_database_and_hold_nothing_until_indexed():
    assert SearchMedicine.objects.count() == 0
    assert SearchDocument.objects.count() == 0


@pytest.mark.django_db
def test_gin_and_trigram_indexes_exist_on_postgresql_and_nowhere_else():
    tables = ("searchdocument", "searchmedicine", "searchname", "searchword")
    gin = {
        name
        for table in tables
        for name, info in _indexes(f"monographs_{table}").items()
        if info.get("type") == "gin"
    }

    if database_is_postgresql():
        assert gin == {
            "monographs_searchdocument_vector",
            "monographs_searchmedicine_vector",
            "monographs_searchname_words_trgm",
            "monographs_searchword_word_trgm",
        }
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
            assert cursor.fetchone() == (1,)
    else:
        assert gin == set()  # SQLite has none: the migration skipped them


def test_highlight_markers_become_mark_only_after_the_text_is_escaped():
    headline = f'Take <b onclick="x()">{START}baclofen{STOP}</b> & "{START}water{STOP}"'
    text = headline.replace(START, "").replace(STOP, "")

    snippet = search_postgres.marked_snippet(headline, text)

    assert str(snippet) == (
        "Take &lt;b onclick=&quot;x()&quot;&gt;<mark>baclofen</mark>&lt;/b&gt; "
        "&amp; &quot;<mark>water</mark>&quot;"
    )


def test_a_snippet_from_the_middle_of_a_text_shows_what_was_left_out():
    text = "First part. Middle words about the pump here. Last part."
    headline = f"Middle words about the {START}pump{STOP} here."

    snippet = search_postgres.marked_snippet(headline, text)

    assert str(snippet) == (
        f"{escape('… ')}Middle words about the <mark>pump</mark> here.{escape(' …')}"
    )


def test_a_stray_marker_is_never_turned_into_markup():
    snippet = search_postgres.marked_snippet(f"a {START}b", f"a {START}b")

    assert "<mark>" not in str(snippet)
    assert START not in str(snippet)


@pytest.mark.parametrize(
    ("typed", "known", "distance"),
    [("baclofn", "baclofen", 1), ("bacolfen", "baclofen", 1), ("baclophen", "baclofen", 2)],
)
def test_edit_distance_counts_insertions_deletions_changes_and_swaps(typed, known, distance):
    assert spelling.edit_distance(typed, known) == distance


# --- On PostgreSQL ---------------------------------------------------------------------


@pytest.fixture
def postgres_index(settings):
    if not database_is_postgresql():
        pytest.fail("this test needs a PostgreSQL test database: DATABASE_URL=postgres://...")
    settings.SEARCH_BACKEND = "postgres"
    load_baclofen()
    load_files(CONTENT / "placebrine.md")
    return search.rebuild()


@pytest.mark.postgres
@pytest.mark.django_db
def test_names_weigh_most_then_headings_then_body_text(postgres_index):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tsvector_to_array(ts_filter(d.vector, '{a}')),"
            " tsvector_to_array(ts_filter(d.vector, '{b}')),"
            " tsvector_to_array(ts_filter(d.vector, '{c}'))"
            " FROM monographs_searchdocument d"
            " JOIN monographs_searchmedicine m ON m.id = d.medicine_id"
            " WHERE m.slug = 'baclofen' AND d.anchor = 'dosage-missed-dose'"
        )
        names, headings, body = map(set, cursor.fetchone())

    assert {"baclofen", "liores", "gablofen"} <= names  # Baclofen, Lioresal, Gablofen
    assert {"miss", "dose"} <= headings  # "Missed dose"
    assert "liores" not in body
    assert "forget" in body  # what the part says


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_index_records_the_published_version_of_each_medicine(postgres_index):
    indexed = dict(SearchMedicine.objects.values_list("slug", "version_pk"))

    assert indexed.keys() == {"baclofen", "placebrine"}
    assert search.index_status() == {"ok": True, "detail": "2 medicines indexed in PostgreSQL"}
    assert postgres_index.medicines == 2
    assert postgres_index.documents == SearchDocument.objects.count()


@pytest.mark.postgres
@pytest.mark.django_db
def test_search_page_asks_the_database_the_same_few_questions_however_long_the_query(
    client, postgres_index, django_assert_num_queries
):
    # Exact name (twice: the view, then the search), unknown words, count, page, parts;
    # and the savepoint, planner setting and release around the index reads.
    with django_assert_num_queries(9):
        one_word = client.get(reverse("monographs:search"), {"q": "drowsy"})
    with django_assert_num_queries(9):
        several = client.get(reverse("monographs:search"), {"q": "drowsy hair loss maximum"})
    with django_assert_num_queries(9 + 1):  # and a look-up for the misspelt name
        misspelt = client.get(reverse("monographs:search"), {"q": "baclofn dose"})

    assert "2 medicines found" in one_word.text
    assert "medicines found" in several.text
    assert "Did you mean" in misspelt.text


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_writer_waits_for_another_servers_writer_then_gives_up_loudly(settings, monkeypatch):
    if not database_is_postgresql():
        pytest.fail("this test needs a PostgreSQL test database: DATABASE_URL=postgres://...")
    settings.SEARCH_BACKEND = "postgres"
    monkeypatch.setattr(search_postgres, "WRITE_LOCK_TIMEOUT", 0.3)
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    # Another app server is re-indexing: it holds the writers' lock.
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [search_postgres.WRITE_LOCK_KEY])
        started = time.monotonic()
        with pytest.raises(search.IndexBusy):
            search.remove_medicine("baclofen")
        waited = time.monotonic() - started

    assert 0.3 <= waited < 5


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "suggested"),
    [("placebrime", "placebrine"), ("snozix", "snoozix"), ("pacebrime", "placebrine")],
)
def test_a_name_one_or_two_letters_off_is_suggested_by_trigram_similarity(
    postgres_index, typed, suggested
):
    assert search.did_you_mean(typed) == suggested
    assert search.search(typed).exact is None
    assert search.search(typed).corrected_from == typed


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_word_found_in_some_part_is_not_corrected(postgres_index):
    # "lactose" is no name, but baclofen's contents mention it.
    assert search.did_you_mean("lactose") is None
    assert search.did_you_mean("lactose free") is None


def _word_counts() -> tuple[dict[str, int], dict[str, int]]:
    """The stored counts of parts per word, and the same counted afresh."""
    stored = dict(SearchLexeme.objects.values_list("lexeme", "documents"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT word, ndoc FROM ts_stat('SELECT vector FROM monographs_searchdocument')"
        )
        counted = dict(cursor.fetchall())
    return stored, counted


@pytest.mark.postgres
@pytest.mark.django_db
def test_word_counts_follow_every_change_of_the_index(postgres_index):
    stored, counted = _word_counts()
    assert stored == counted
    assert stored["baclofen"] > stored["placebrin"] > 0

    search.remove_medicine("placebrine")
    stored, counted = _word_counts()
    assert stored == counted
    assert "placebrin" not in stored

    search.index_medicines(Medicine.objects.all())
    assert _word_counts()[0] == _word_counts()[1]


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_word_in_most_parts_does_not_bring_parts_in_beside_a_rarer_one(postgres_index):
    with connection.cursor() as cursor:
        cursor.execute("SELECT documents FROM monographs_searchlexeme WHERE lexeme = 'take'")
        take = cursor.fetchone()[0]
    assert take > search_postgres.COMMON_SHARE * SearchDocument.objects.count()

    rare_and_common = search.search("lactose take")
    common_alone = search.search("take")

    assert [m.slug for m in rare_and_common.medicines] == ["baclofen"]
    assert rare_and_common.medicines[0].best.section_key == "contents"
    assert common_alone.total == 2  # alone, a common word still finds everything


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_rebuild_outside_a_transaction_reads_each_next_batch_while_writing(settings, monkeypatch):
    if not database_is_postgresql():
        pytest.fail("this test needs a PostgreSQL test database: DATABASE_URL=postgres://...")
    settings.SEARCH_BACKEND = "postgres"
    monkeypatch.setattr(search_postgres, "BATCH_SIZE", 1)  # two batches, one read ahead
    load_baclofen()
    load_files(CONTENT / "placebrine.md")

    report = search.rebuild()

    assert (report.medicines, report.documents) == (2, SearchDocument.objects.count())
    assert search.index_status()["ok"]
    assert [m.slug for m in search.search("snoozix").medicines] == ["placebrine"]
    assert search.search("baclofen alcohol").medicines[0].slug == "baclofen"
