"""Search: the results page, suggestions, hostile input, and keeping the index in step.

Every test builds a real index from monographs loaded with the real loader:
a whoosh index in its own temporary folder (conftest points SEARCH_INDEX_DIR
there) and, on a PostgreSQL test database, PostgreSQL's full-text index in the
test's transaction as well: tests taking ``search_backend`` (or ``baclofen_index``)
run once for each backend. Tests of whoosh's own files and locks take
``whoosh_backend``.
"""

import fcntl
import os
import re
import threading
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from monographs import editing, search
from monographs.loading import parse_bytes, project_rows
from monographs.models import Medicine
from monographs.search import postgres as search_postgres
from monographs.search import query, spelling
from monographs.search import whoosh as whoosh_search
from tests.factories import (
    BACLOFEN,
    load_baclofen,
    load_example,
    load_files,
    monograph_text,
    write_monograph,
)

pytestmark = pytest.mark.django_db

CONTENT = Path(__file__).resolve().parent / "content"


@pytest.fixture(autouse=True)
def _no_leaflets(settings):
    """Publishing also renders PDF leaflets (tests/test_leaflets.py); not needed here."""
    settings.LEAFLETS_RENDER_ON_PUBLISH = False


@pytest.fixture(scope="module")
def _shared_index(tmp_path_factory, django_db_setup, django_db_blocker):
    """An index of baclofen and one distractor, built once; their rows are rolled back."""
    directory = tmp_path_factory.mktemp("search-index")
    with (
        django_db_blocker.unblock(),
        override_settings(SEARCH_INDEX_DIR=directory),
        transaction.atomic(),
    ):
        load_baclofen()
        load_files(CONTENT / "placebrine.md")
        search.rebuild()
        transaction.set_rollback(True)
    return directory


@pytest.fixture
def baclofen_index(request, _temporary_paths, settings, search_backend):
    """Search baclofen and placebrine (read-only: tests that write build their own)."""
    if search_backend == "whoosh":
        settings.SEARCH_INDEX_DIR = request.getfixturevalue("_shared_index")
    else:
        # PostgreSQL keeps its index in the database: built in the test's transaction.
        load_baclofen()
        load_files(CONTENT / "placebrine.md")
        search.rebuild()


@pytest.fixture
def whoosh_baclofen_index(_temporary_paths, settings, whoosh_backend, _shared_index):
    settings.SEARCH_INDEX_DIR = _shared_index


# --- The results page ----------------------------------------------------------


def test_results_link_each_medicine_to_the_section_that_matched(client, baclofen_index):
    response = client.get("/search/", {"q": "hair loss"})

    assert response.status_code == 200
    assert "1 medicine found" in response.text
    assert '<a href="/medicines/baclofen/">Baclofen</a>' in response.text
    assert (
        '<a href="/medicines/baclofen/#side-effects-uncommon">Side effects: Hair loss</a>'
        in response.text
    )


def test_snippet_marks_the_matched_words(client, baclofen_index):
    response = client.get("/search/", {"q": "refill pump"})

    snippet = re.search(r'<p class="search-result__snippet">(.*?)</p>', response.text, re.S)
    assert "<mark>refills</mark>" in snippet.group(1)
    assert "<mark>pump</mark>" in snippet.group(1)


def test_results_of_several_medicines_are_grouped_and_counted(client, baclofen_index):
    response = client.get("/search/", {"q": "drowsy"})

    assert "2 medicines found" in response.text
    medicines = re.findall(r'<h2 class="search-result__medicine"><a href="([^"]+)"', response.text)
    assert medicines == ["/medicines/baclofen/", "/medicines/placebrine/"]
    assert "Also found in:" in response.text


def _index_examplamides(settings, count: int) -> None:
    """Load ``count`` copies of the example monograph (examplamide-00, ...) and index them."""
    paths = [
        write_monograph(
            settings.CONTENT_DIR,
            f"examplamide-{number:02d}",
            monograph_text(slug=f"examplamide-{number:02d}", name=f"Examplamide {number:02d}"),
        )
        for number in range(count)
    ]
    load_files(*paths)
    search.rebuild()


def test_results_are_paginated_with_the_total_count(client, settings, search_backend):
    _index_examplamides(settings, 12)

    first = client.get("/search/", {"q": "hair loss"})
    second = client.get("/search/", {"q": "hair loss", "page": "2"})

    assert "12 medicines found" in first.text
    assert "(page 1 of 2)" in first.text
    assert first.text.count('class="search-result"') == 10
    assert 'rel="next"' in first.text
    assert second.text.count('class="search-result"') == 2
    assert 'rel="prev"' in second.text
    found = re.findall(r'href="/medicines/(examplamide-\d+)/"', first.text + second.text)
    assert sorted(set(found)) == [f"examplamide-{n:02d}" for n in range(12)]


def test_the_medicine_count_is_exact_with_and_without_deleted_documents(settings, whoosh_backend):
    _index_examplamides(settings, 4)
    # Counted from word frequencies: one word, or a word every medicine has.
    assert search.search("hair").total == 4
    assert search.search("hair loss").total == 4
    assert search.search("examplamide 02").total == 4

    Medicine.objects.filter(slug="examplamide-00").update(published_version=None)
    search.index_medicines(Medicine.objects.filter(slug="examplamide-00"))

    # Its documents are deleted but still in whoosh's frequencies: counted one by one.
    with whoosh_search._searcher() as searcher:
        assert searcher.reader().has_deletions()
    assert search.search("hair").total == 3
    assert search.search("hair loss").total == 3


def test_a_brand_several_medicines_share_lists_just_those_medicines(
    client, settings, search_backend
):
    paths = [
        write_monograph(
            settings.CONTENT_DIR,
            slug,
            monograph_text(slug=slug, name=name, brands=brands, synonyms="[]"),
        )
        for slug, name, brands in (
            ("examplamide-b", "Examplamide B", "[Sharedbrand]"),
            ("examplamide-a", "Examplamide A", "[Sharedbrand, Otherbrand]"),
            ("examplamide-c", "Examplamide C", "[Thirdbrand]"),
        )
    ]
    load_files(*paths)
    search.rebuild()

    results = search.search("sharedbrand")

    assert results.exact is None  # two medicines: no redirect to either
    assert results.total == 2
    assert [(m.slug, m.best.section_key) for m in results.medicines] == [
        ("examplamide-a", "uses"),
        ("examplamide-b", "uses"),
    ]
    response = client.get("/search/", {"q": "Sharedbrand"})
    assert response.status_code == 200
    assert "2 medicines found" in response.text
    assert "/medicines/examplamide-c/" not in response.text


def test_a_name_and_a_question_are_answered_from_the_medicine_named(settings, whoosh_backend):
    paths = [
        write_monograph(
            settings.CONTENT_DIR,
            slug,
            monograph_text(slug=slug, name=name, generic_name=name.lower(), brands="[]"),
        )
        for slug, name in (("alphazol", "Alphazol"), ("betazol", "Betazol"))
    ]
    load_files(*paths)
    search.rebuild()

    # Both list hair loss; asked about one, only that one answers.
    assert [m.slug for m in search.search("hair loss").medicines] == ["alphazol", "betazol"]
    results = search.search("alphazol hair loss")

    assert results.total == 1
    assert [(m.slug, m.best.section_key) for m in results.medicines] == [
        ("alphazol", "side_effects")
    ]


def test_a_shared_brand_and_a_topic_show_each_medicines_part_about_it(settings, whoosh_backend):
    def text(slug: str, brands: str) -> str:
        return monograph_text(slug=slug, name=slug.title(), brands=brands, synonyms="[]")

    texts = {
        "examplamide-b": text("examplamide-b", "[Sharedbrand]"),
        "examplamide-a": text("examplamide-a", "[Sharedbrand]"),
        # Says nothing about alcohol: still a Sharedbrand medicine.
        "examplamide-c": text("examplamide-c", "[Sharedbrand]").replace(
            "### Can I drink alcohol?", "### Can I swim?"
        ),
        "examplamide-d": text("examplamide-d", "[Otherbrand]"),
    }
    assert "alcohol" not in texts["examplamide-c"].casefold()
    load_files(*(write_monograph(settings.CONTENT_DIR, s, t) for s, t in texts.items()))
    search.rebuild()

    results = search.search("Sharedbrand alcohol")

    assert results.total == 3
    assert [(m.slug, m.best.section_key, m.best.heading) for m in results.medicines] == [
        ("examplamide-a", "faqs", "Can I drink alcohol?"),
        ("examplamide-b", "faqs", "Can I drink alcohol?"),
        ("examplamide-c", "uses", ""),
    ]
    # The same scores, and the same best part of each medicine, as the query
    # gives scoring every document.
    for words in ("Sharedbrand alcohol", "Sharedbrand hair loss", "Sharedbrand drowsy tablets"):
        with whoosh_search._searcher() as searcher:
            terms = whoosh_search.query_terms(words)
            every_part = searcher.search(whoosh_search.build_query(terms), limit=None)
            scores = {hit.docnum: round(hit.score, 9) for hit in every_part}
            scope = whoosh_search._named_medicines(searcher, words)
            assert scope == ["examplamide-a", "examplamide-b", "examplamide-c"]
            best = {}
            for hit in every_part:
                if hit["slug"] in scope:
                    best.setdefault(hit["slug"], hit.docnum)
            ranked = whoosh_search._GroupedHits(searcher, terms, 10, scope=scope)._scoped_parts()
        assert [slug for slug, _ in ranked] == sorted(best, key=lambda s: -scores[best[s]])
        for slug, parts in ranked:
            assert parts[0][1] == best[slug], (words, slug)
            for score, docnum in parts:
                assert round(score, 9) == scores[docnum], (words, slug)


def test_a_removed_medicines_name_and_a_topic_search_the_others(settings, whoosh_backend):
    paths = [
        write_monograph(
            settings.CONTENT_DIR,
            slug,
            monograph_text(slug=slug, name=slug.title(), brands=brands, synonyms="[]"),
        )
        for slug, brands in (
            ("examplamide-a", "[Uniquebrand]"),
            ("examplamide-b", "[Otherbrand]"),
            ("examplamide-c", "[Thirdbrand]"),
        )
    ]
    load_files(*paths)
    search.rebuild()
    # Its words stay in the index's vocabulary until segments merge.
    search.remove_medicine("examplamide-a")

    results = search.search("Uniquebrand alcohol")

    assert results.total == 2
    assert [m.slug for m in results.medicines] == ["examplamide-b", "examplamide-c"]


def test_the_top_documents_are_those_whoosh_itself_finds_when_scores_tie(settings, whoosh_backend):
    # Twelve copies of one monograph: every part ties with eleven others.
    _index_examplamides(settings, 12)
    with whoosh_search._searcher() as searcher:
        for words in ("hair loss", "dose", "drowsy", "store", "examplamide alcohol"):
            query = whoosh_search.build_query(whoosh_search.query_terms(words))
            for limit in (1, 5, 10, 30):
                ours = whoosh_search.top_documents(searcher, query, limit)
                stock = searcher.search(query, limit=limit)
                assert [(round(s, 9), d) for s, d in ours.top_n] == [
                    (round(s, 9), d) for s, d in stock.top_n
                ], (words, limit)
            # The page's medicines are those of the best parts of all, in order.
            every_part = searcher.search(query, limit=None)
            ranked = list(dict.fromkeys(hit["slug"] for hit in every_part))
            assert [m.slug for m in search.search(words).medicines] == ranked[:10], words


def test_a_page_number_past_the_end_shows_the_last_page(client, baclofen_index):
    response = client.get("/search/", {"q": "drowsy", "page": "999999"})

    assert response.status_code == 200
    assert "2 medicines found" in response.text


def test_empty_search_shows_help_with_tips_a_to_z_and_pharmacist(client, baclofen_index):
    response = client.get("/search/")

    assert response.status_code == 200
    assert "Tips for finding your medicine" in response.text
    assert "Check the spelling" in response.text
    assert 'href="/medicines/"' in response.text
    assert "Ask a pharmacist" in response.text


def test_search_with_no_results_says_so_and_shows_help(client, baclofen_index):
    response = client.get("/search/", {"q": "xylophone"})

    assert response.status_code == 200
    assert "Nothing was found for “xylophone”." in response.text
    assert "Tips for finding your medicine" in response.text
    assert "Ask a pharmacist" in response.text


def test_results_page_has_no_inline_script_or_style(client, baclofen_index):
    text = client.get("/search/", {"q": "hair loss"}).text

    assert not re.search(r"<script(?![^>]*\bsrc=)", text)
    assert "<style" not in text
    assert " style=" not in text


def test_search_page_reads_the_index_only_not_the_database(
    client, whoosh_baclofen_index, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/search/", {"q": "drowsy"})

    assert "2 medicines found" in response.text


def test_search_page_asks_search_engines_not_to_index_it(client, baclofen_index):
    text = client.get("/search/", {"q": "hair loss"}).text

    assert '<meta name="robots" content="noindex">' in text


# --- Names: straight to the monograph, or only a suggestion ---------------------


@pytest.mark.parametrize("typed", ["Baclofen", "lioresal", "GABLOFEN", "backlofen", " ITB "])
def test_exact_name_brand_or_synonym_goes_straight_to_the_monograph(client, baclofen_index, typed):
    response = client.get("/search/", {"q": typed})

    assert response.status_code == 302
    assert response["Location"] == "/medicines/baclofen/"


@pytest.mark.parametrize(("typed", "corrected"), [("baclofn", "baclofen"), ("lioresl", "lioresal")])
def test_look_alike_name_is_never_followed_but_its_results_are_shown(
    client, baclofen_index, typed, corrected
):
    response = client.get("/search/", {"q": typed})

    assert response.status_code == 200
    assert f"Showing results for <strong>{corrected}</strong>" in response.text
    assert '<a href="/medicines/baclofen/">Baclofen</a>' in response.text


@pytest.mark.parametrize(("typed", "suggested"), [("baclofn", "baclofen"), ("lioresl", "lioresal")])
def test_searching_exactly_as_typed_offers_the_correction_as_a_link(
    client, baclofen_index, typed, suggested
):
    response = client.get("/search/", {"q": typed, "as_typed": "1"})

    assert response.status_code == 200
    assert f'Did you mean\n      <a href="?q={suggested}">{suggested}</a>?' in response.text
    assert f"Nothing was found for “{typed}”." in response.text


# --- Spelling of every word -----------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "corrected"),
    [
        ("diarhoea", "diarrhoea"),
        ("hallucinatons", "hallucinations"),
        ("diarhoea and hallucinatons", "diarrhoea and hallucinations"),
        ("diarhea", "diarrhoea"),  # two edits: a long word may have two typos
    ],
)
def test_an_ordinary_misspelt_word_is_corrected_from_the_published_text(
    baclofen_index, typed, corrected
):
    assert search.did_you_mean(typed) == corrected


def test_when_nothing_is_found_the_corrected_results_are_shown_straight_away(
    client, baclofen_index
):
    response = client.get("/search/", {"q": "diarhoea"})

    assert response.status_code == 200
    assert "Showing results for <strong>diarrhoea</strong>" in response.text
    assert '<a href="?q=diarhoea&amp;as_typed=1">Search for diarhoea instead</a>' in response.text
    assert "1 medicine found" in response.text
    assert '<a href="/medicines/baclofen/">Baclofen</a>' in response.text
    assert "<mark>diarrhoea</mark>" in response.text


def test_a_correction_is_not_forced_on_a_query_that_finds_something(client, baclofen_index):
    results = search.search("diarhoea baclofen")

    assert results.corrected_from is None
    assert results.suggestion == "diarrhoea baclofen"
    assert results.medicines[0].slug == "baclofen"


def test_a_word_of_the_text_typed_right_is_not_corrected(baclofen_index):
    assert search.did_you_mean("hallucinations") is None
    assert search.did_you_mean("diarrhoea") is None


@pytest.mark.parametrize(("typed", "label"), [("baclofin", "Baclofen"), ("lioresql", "Lioresal")])
def test_suggestions_tolerate_a_typo_in_a_name(client, baclofen_index, typed, label):
    response = client.get("/search/suggest/", {"q": typed})

    assert response.status_code == 200
    suggestions = response.json()["suggestions"]
    assert suggestions[0]["label"] == label
    assert suggestions[0]["url"] == "/medicines/baclofen/"


def test_suggestions_offer_a_search_for_a_misspelt_start_of_a_word(client, baclofen_index):
    response = client.get("/search/suggest/", {"q": "dizzyn"})

    suggestions = response.json()["suggestions"]
    assert {"label": "dizziness", "detail": "", "url": "/search/?q=dizziness"} in suggestions


def test_a_name_shared_by_two_medicines_shows_both_instead_of_choosing(
    client, settings, search_backend
):
    load_example(settings.CONTENT_DIR, "examplamide")
    load_example(settings.CONTENT_DIR, "examplamide-forte", name="Examplamide Forte")
    search.rebuild()

    # Both monographs list the brand "Examplex".
    response = client.get("/search/", {"q": "Examplex"})

    assert response.status_code == 200
    assert "2 medicines found" in response.text


def test_exact_name_with_a_page_number_shows_results_instead(client, baclofen_index):
    response = client.get("/search/", {"q": "baclofen", "page": "1"})

    assert response.status_code == 200
    assert '<a href="/medicines/baclofen/">Baclofen</a>' in response.text


# --- Hostile input ------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "title:*",
        "AND OR NOT (",
        "*",
        "?",
        "~",
        '"unbalanced quote',
        "hair loss'",
        "medicine:baclofen^99 OR body:*",
        "\x00",
        "hair\x00loss",
        "\x01\x02\x1b[31m\x7fdrowsy",
        "\u202edrowsy\u202c",
        "باكلوفين",
        "בקלופן",
        "💊😴",
        "💊 drowsy",
        "<script>alert(1)</script>",
        "%00%27%22",
        "drowsy " * 25,
    ],
)
def test_hostile_input_gives_a_sensible_page(client, baclofen_index, typed):
    response = client.get("/search/", {"q": typed})

    assert response.status_code == 200
    assert "<script>alert(1)" not in response.text
    assert "Search results for" in response.text or "Search for a medicine" in response.text


def test_query_syntax_is_just_words(baclofen_index):
    plain = search.search("drowsy hair")
    hostile = search.search('drowsy AND NOT (hair* OR body:"x~2')

    assert [m.slug for m in plain.medicines] == [m.slug for m in hostile.medicines]
    assert plain.medicines[0].best.anchor == hostile.medicines[0].best.anchor


def test_control_and_direction_characters_are_dropped_before_searching(client, baclofen_index):
    response = client.get("/search/", {"q": "\u202ehair\x00 \x07loss\u200f"})

    assert response.status_code == 200
    assert "Search results for “hair loss”" in response.text
    assert "Side effects: Hair loss" in response.text


def test_over_long_query_gets_a_clear_message_and_400(client, baclofen_index):
    response = client.get("/search/", {"q": "baclofen " * 1200})

    assert response.status_code == 400
    assert "Your search is too long" in response.text
    assert "at most 200 characters" in response.text
    assert "baclofen baclofen" not in response.text


def test_query_at_the_limit_is_searched(client, baclofen_index):
    response = client.get("/search/", {"q": ("drowsy " * 40)[:200]})

    assert response.status_code == 200
    assert "Side effects: Sleepiness, drowsiness" in response.text


def test_highlighting_escapes_the_text_before_marking_it():
    snippet = whoosh_search.highlight(
        'Take <b onclick="x()">baclofen</b> & "water"', whoosh_search.query_terms("baclofen")
    )

    assert str(snippet) == (
        "Take &lt;b onclick=&quot;x()&quot;&gt;<mark>baclofen</mark>&lt;/b&gt; "
        "&amp; &quot;water&quot;"
    )


def test_missing_index_gives_a_polite_503_not_an_error(client, whoosh_backend):
    response = client.get("/search/", {"q": "baclofen"})

    assert response.status_code == 503
    assert "Search is not working at the moment" in response.text
    assert 'href="/medicines/"' in response.text


# --- Suggestions as you type --------------------------------------------------


def test_suggestions_offer_names_and_brands_starting_with_the_typed_letters(client, baclofen_index):
    response = client.get("/search/suggest/", {"q": "baclo"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    labels = [item["label"] for item in response.json()["suggestions"]]
    assert labels[0] == "Baclofen"
    assert set(labels) == {"Baclofen", "Baclofen Viatris", "Baclofen Medical Valley"}
    assert response.json()["suggestions"][0]["url"] == "/medicines/baclofen/"


def test_a_brand_suggestion_says_which_medicine_it_is(client, baclofen_index):
    response = client.get("/search/suggest/", {"q": "lio"})

    assert response.json()["suggestions"] == [
        {"label": "Lioresal", "detail": "brand name of Baclofen", "url": "/medicines/baclofen/"}
    ]


def test_suggestions_match_later_words_of_a_name(client, baclofen_index):
    response = client.get("/search/suggest/", {"q": "baclofen vi"})

    assert [item["label"] for item in response.json()["suggestions"]] == ["Baclofen Viatris"]


@pytest.mark.parametrize("typed", ["", "b", "*", "title:*", "\x00", "💊", "zz"])
def test_too_little_or_hostile_text_gives_no_suggestions(client, baclofen_index, typed):
    response = client.get("/search/suggest/", {"q": typed})

    assert response.status_code == 200
    assert response.json()["suggestions"] == []


def test_over_long_suggestion_request_is_refused_with_a_message(client, baclofen_index):
    response = client.get("/search/suggest/", {"q": "b" * 1000})

    assert response.status_code == 400
    assert "too long" in response.json()["error"]


# --- Keeping the index in step -----------------------------------------------


def test_loading_a_monograph_indexes_it_after_the_commit(
    settings, django_capture_on_commit_callbacks, search_backend
):
    search.rebuild()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        load_example(settings.CONTENT_DIR)

    assert callbacks  # the index followed the commit, not the write
    results = search.search("examplamide")
    assert [m.slug for m in results.medicines] == ["examplamide"]
    assert search.index_status()["ok"] is True


def test_loading_a_changed_file_replaces_the_old_text(
    settings, django_capture_on_commit_callbacks, search_backend
):
    with django_capture_on_commit_callbacks(execute=True):
        load_example(settings.CONTENT_DIR)
    assert search.search("hair loss").total == 1

    changed = monograph_text(version=2).replace("- Hair loss", "- Brittle nails")
    path = write_monograph(settings.CONTENT_DIR, "examplamide", changed)
    with django_capture_on_commit_callbacks(execute=True):
        load_files(path)

    assert search.search("hair loss").total == 0
    assert search.search("brittle nails").medicines[0].best.heading == "Brittle nails"


def test_publishing_a_new_version_updates_the_index(
    settings, django_capture_on_commit_callbacks, django_user_model, search_backend
):
    editor = django_user_model.objects.create_superuser("editor", "e@example.org", "pw")
    # Nobody publishes their own version (issue #17): a second person does.
    reviewer = django_user_model.objects.create_superuser("reviewer", "r@example.org", "pw")
    with django_capture_on_commit_callbacks(execute=True):
        load_example(settings.CONTENT_DIR)
    medicine = Medicine.objects.get(slug="examplamide")
    draft = editing.save_draft(
        medicine,
        monograph_text().replace("- Hair loss", "- Brittle nails"),
        base_number=1,
        user=editor,
    )
    editing.submit_for_review(draft, user=editor)
    assert search.search("brittle nails").total == 0  # drafts are never searchable

    with django_capture_on_commit_callbacks(execute=True):
        editing.publish(
            draft,
            user=reviewer,
            change_summary="Nails, not hair.",
            last_reviewed=draft.last_reviewed,
            next_review=draft.next_review,
        )

    assert search.search("brittle nails").medicines[0].slug == "examplamide"
    assert search.search("hair loss").total == 0
    assert search.index_status()["ok"] is True


def test_a_bulk_load_leaves_indexing_to_rebuild_index_and_healthz_says_so(
    settings, monkeypatch, django_capture_on_commit_callbacks, client, search_backend
):
    search.rebuild()
    monkeypatch.setattr(search, "PUBLISH_REINDEX_LIMIT", 1)
    paths = [
        write_monograph(settings.CONTENT_DIR, slug, monograph_text(slug=slug))
        for slug in ("examplamide", "examplamide-two")
    ]
    with django_capture_on_commit_callbacks(execute=True):
        load_files(*paths)

    assert search.search("examplamide").total == 0
    assert client.get("/healthz").status_code == 503  # stale: tells the operator
    search.rebuild()
    assert search.search("examplamide").total == 2
    assert client.get("/healthz").status_code == 200


def test_a_medicine_without_a_published_version_leaves_the_index(settings, search_backend):
    load_example(settings.CONTENT_DIR)
    search.rebuild()
    Medicine.objects.filter(slug="examplamide").update(published_version=None)

    search.index_medicines(Medicine.objects.filter(slug="examplamide"))

    assert search.search("examplamide").total == 0
    search.remove_medicine("examplamide")  # removing what is not there is harmless
    assert search.index_status()["ok"] is True


def test_rebuild_index_command_reports_progress_and_a_summary(capsys, settings, search_backend):
    load_example(settings.CONTENT_DIR)

    call_command("rebuild_index")

    out, err = capsys.readouterr()
    assert re.fullmatch(r"rebuild_index: 1 medicine, \d+ documents indexed in \d+\.\d s\n", out), (
        out
    )
    assert "indexed 1 of 1 medicines" in err
    assert search.search("examplamide").total == 1


def test_rebuild_replaces_an_index_with_an_old_schema(settings, whoosh_backend):
    settings.SEARCH_INDEX_DIR.mkdir()
    from whoosh import fields, index

    index.create_in(str(settings.SEARCH_INDEX_DIR), fields.Schema(title=fields.TEXT())).close()
    load_example(settings.CONTENT_DIR)

    search.rebuild()

    assert search.search("examplamide").total == 1


def _documents_of(path):
    document = parse_bytes(path.read_bytes(), str(path), expected_slug=path.stem)
    meta = {
        "slug": document.slug,
        "version_id": 1,
        "name": document.name,
        "generic_name": document.generic_name,
        "atc_code": document.atc_code,
        "drug_class": document.drug_class,
        "brands": list(document.brands),
        "synonyms": list(document.synonyms),
        "conditions": list(document.conditions),
    }
    return meta, project_rows(document)


def test_a_second_writer_waits_for_the_first(settings, whoosh_backend):
    search.index_documents([])
    meta, rows = _documents_of(CONTENT / "placebrine.md")
    errors = []

    def write():
        try:
            search.index_documents([(meta, rows)])
        except Exception as error:  # pragma: no cover - shown in the assertion
            errors.append(error)

    # Another process (say, a gunicorn worker publishing) holds the write lock.
    fd = os.open(settings.SEARCH_INDEX_DIR / whoosh_search.LOCK_FILE, os.O_CREAT | os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        time.sleep(0.3)
        assert writer.is_alive()  # waiting, not failing
        assert search.search("snoozix").total == 0
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    writer.join(timeout=10)

    assert errors == []
    assert search.search("snoozix").total == 1


def test_searching_an_empty_index_finds_nothing_and_suggests_nothing(search_backend):
    search.rebuild()

    results = search.search("baclofen")

    assert (results.total, results.medicines, results.suggestion) == (0, [], None)
    assert search.suggest("bac") == []


def test_writers_at_the_same_time_never_corrupt_the_index(settings, whoosh_backend):
    documents = [_documents_of(CONTENT / f"{slug}.md") for slug in ("placebrine", "mockodone")]
    metas = []
    for copy in range(6):
        for meta, rows in documents:
            metas.append(({**meta, "slug": f"{meta['slug']}-{copy}"}, rows))
    errors = []

    def write(pairs):
        try:
            for pair in pairs:
                search.index_documents([pair])
        except Exception as error:  # pragma: no cover - shown in the assertion
            errors.append(error)

    threads = [threading.Thread(target=write, args=(metas[i::3],), daemon=True) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    slugs = {m.slug for m in search.search("pretend", per_page=50).medicines}
    assert slugs == {meta["slug"] for meta, _ in metas}


def _one_edit_variants(word: str) -> set[str]:
    letters = "abcdeé"
    variants = {word[:i] + c + word[i:] for i in range(len(word) + 1) for c in letters}
    variants |= {word[:i] + word[i + 1 :] for i in range(len(word))}
    variants |= {word[:i] + c + word[i + 1 :] for i in range(len(word)) for c in letters}
    variants |= {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    return variants - {word}


def test_did_you_mean_looks_at_every_name_one_edit_from_the_typed_word():
    # The vocabulary is filed by words' starts and ends so that a typo is only
    # compared with a few names; no name one edit away may be missed by that.
    import random

    generator = random.Random(5)
    names = ["baclofen", "lioresal", "ms", "abcd"] + [
        "".join(generator.choice("abcde") for _ in range(generator.randint(3, 16)))
        for _ in range(300)
    ]
    vocabulary = spelling.file_spelling_words(names)
    checked = 0
    for name in names:
        for typed in _one_edit_variants(name):
            if len(typed) < spelling.SPELLING_MIN_LENGTH or typed[0] != name[0]:
                continue
            checked += 1
            assert name in spelling.spelling_candidates(vocabulary, typed), (name, typed)
    assert checked > 10_000
    # ...while a typed word is compared with far fewer names than there are.
    assert len(spelling.spelling_candidates(vocabulary, "baclofne")) < len(names) / 4


def test_snippets_mark_every_word_that_stems_to_a_searched_term():
    # Snippets look only at words starting like a term (the stemmer rewrites no
    # more than a word's last letters): none that stems to a term may be missed.
    from monographs.parsing import parse_file

    rows = project_rows(parse_file(BACLOFEN))
    meta = {"slug": "baclofen", "version_id": 1, "name": "Baclofen", "generic_name": "baclofen"}
    meta |= {"brands": [], "synonyms": [], "conditions": [], "atc_code": "", "drug_class": ""}
    texts = [document["text"] for document in whoosh_search._documents(meta, rows)][:25]
    words = {word for text in texts for word in query.WORD_RE.findall(text)}
    stems = sorted({stem for word in words if (stem := whoosh_search._stem(word))})
    assert len(stems) > 250
    for stem in stems:
        for text in texts:
            expected = [
                (word.start(), word.end(), stem)
                for word in query.WORD_RE.finditer(text)
                if whoosh_search._stem(word.group()) == stem
            ]
            assert whoosh_search._matched_words(text, frozenset([stem])) == expected, (stem, text)


# --- The ceiling on the work of one query ---------------------------------------

LONG_COMMON_QUESTION = (
    "what should I do if I take the tablets and it does not work, how long does it take, "
    "can I take it with food or a drink, and what if I take too much of it or stop taking it"
)


def test_a_long_question_of_common_words_scores_no_more_parts_than_the_ceiling(
    client, baclofen_index, monkeypatch
):
    assert len(LONG_COMMON_QUESTION) <= search.MAX_QUERY_LENGTH
    unbounded = search.search(LONG_COMMON_QUESTION)
    monkeypatch.setattr(whoosh_search, "MAX_SCORED", 12)
    monkeypatch.setattr(search_postgres, "MAX_SCORED", 12)

    bounded = search.search(LONG_COMMON_QUESTION)
    page = client.get("/search/", {"q": LONG_COMMON_QUESTION})

    assert unbounded.scored > 12
    assert 0 < bounded.scored <= 12
    assert bounded.total == unbounded.total
    assert bounded.medicines
    assert page.status_code == 200
    assert "medicines found" in page.text or "medicine found" in page.text
