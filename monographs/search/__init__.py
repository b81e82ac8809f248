"""Full-text search over the published monographs: the API views and commands call.

One backend answers, chosen by ``settings.SEARCH_BACKEND`` (see get_backend):
``"whoosh"`` (whoosh.py: an index of files in ``settings.SEARCH_INDEX_DIR``, one
server, any database) or ``"postgres"`` (postgres.py: tables in the database
itself, the default on PostgreSQL, what several app servers need as they then
share one index). Both implement base.SearchBackend, index the same documents
(documents.py) and return the same result types (base.py); query.py and
spelling.py hold the word rules both use. No backend imports this module.

- ``search(query, page)`` → ``SearchResults``; ``exact_match(query)``;
  ``suggest(prefix)``; ``did_you_mean(query)``; ``index_status()`` for /healthz.
- ``index_medicines(medicines)``: re-index some medicines from their published
  versions (a medicine with none leaves the index); ``remove_medicine(slug)``;
  ``rebuild(progress=None)``: the whole index anew; ``remove_leftover_files()``:
  what a killed writer left (whoosh); ``index_documents(pairs)``: index
  ``(meta, rows)`` straight, for benchmarks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import import_string

from .base import (
    HITS_PER_MEDICINE,
    MAX_SCORED,
    PER_PAGE,
    PUBLISH_REINDEX_LIMIT,
    STALE_DETAIL,
    SUGGESTIONS,
    ExactMatch,
    Hit,
    IndexBusy,
    IndexWriteFailed,
    MedicineResult,
    RebuildReport,
    SearchBackend,
    SearchResults,
    SearchUnavailable,
    Suggestion,
    is_stale,
    medicine_url,
)
from .query import MAX_QUERY_LENGTH, MAX_TERMS, normalize_query, words_of
from .spelling import SPELLING_MIN_LENGTH

__all__ = [
    "HITS_PER_MEDICINE",
    "MAX_QUERY_LENGTH",
    "MAX_SCORED",
    "MAX_TERMS",
    "PER_PAGE",
    "PUBLISH_REINDEX_LIMIT",
    "STALE_DETAIL",
    "SUGGESTIONS",
    "ExactMatch",
    "Hit",
    "IndexBusy",
    "IndexWriteFailed",
    "MedicineResult",
    "RebuildReport",
    "SearchBackend",
    "SearchResults",
    "SearchUnavailable",
    "Suggestion",
    "did_you_mean",
    "exact_match",
    "get_backend",
    "index_documents",
    "index_medicines",
    "index_status",
    "is_stale",
    "medicine_url",
    "normalize_query",
    "rebuild",
    "remove_leftover_files",
    "remove_medicine",
    "search",
    "search_url",
    "suggest",
]

# settings.SEARCH_BACKEND -> the backend class, imported on first use.
BACKENDS = {
    "whoosh": "monographs.search.whoosh.WhooshBackend",
    "postgres": "monographs.search.postgres.PostgresBackend",
}
_backends: dict[str, SearchBackend] = {}


def get_backend(name: str | None = None) -> SearchBackend:
    """The backend ``name`` (settings.SEARCH_BACKEND when None), one instance per name."""
    name = name or settings.SEARCH_BACKEND
    if name not in _backends:
        _backends[name] = import_string(BACKENDS[name])()
    return _backends[name]


def search(
    query: str, page: int | str | None = 1, per_page: int = PER_PAGE, *, correct: bool = True
) -> SearchResults:
    """Search the published monographs for ``query``; return one page of medicines.

    Medicines come in the order of their best-matching part, each with up to
    HITS_PER_MEDICINE parts (section, anchor, highlighted snippet). ``total``
    counts the matching medicines. When nothing is found and the spelling
    correction finds something, those results come back instead, with
    ``corrected_from`` the query as typed (unless ``correct`` is False: the
    patient asked for exactly what they typed). Raises SearchUnavailable when
    there is no usable index. Changes nothing.
    """
    backend = get_backend()
    results = backend.search(query, page, per_page)
    if correct and results.total == 0 and results.suggestion:
        corrected = backend.search(results.suggestion, page, per_page)
        if corrected.total:
            return dataclasses.replace(
                # A look-alike name is never followed: no exact match from a correction.
                corrected,
                exact=None,
                suggestion=None,
                corrected_from=results.query,
            )
    return results


def exact_match(query: str) -> ExactMatch | None:
    """The one medicine whose whole name, brand or synonym is ``query``, or None.

    Cheap: the search page asks it first and goes straight to the monograph.
    A name one letter away is never an exact match.
    """
    return get_backend().exact_match(query)


def did_you_mean(query: str) -> str | None:
    """A spelling of ``query`` with unknown words replaced by known ones, or None.

    Only ever offered to the patient as a link.
    """
    return get_backend().did_you_mean(query)


def suggest(prefix: str, limit: int = SUGGESTIONS) -> list[Suggestion]:
    """Names and brands that start with what the patient has typed so far.

    Each word typed before the last must be a whole word of the name; the last
    may be the start of one. Fewer than two letters give nothing. When no name
    starts so, the last word may hold one typo ("baclofin"): the names starting
    with its corrections, else the corrections themselves as searches (kind
    "search": "dizzyn" offers a search for "dizziness"). Raises
    SearchUnavailable when there is no usable index.
    """
    backend = get_backend()
    found = backend.suggest(prefix, limit)
    words = words_of(normalize_query(prefix))[:MAX_TERMS]
    if found or not words or len(words[-1]) < SPELLING_MIN_LENGTH:
        return found
    *before, last = words
    corrections = [" ".join([*before, word]) for word in backend.correct_prefix(last, limit)]
    for corrected in corrections:
        if found := backend.suggest(corrected, limit):
            return found
    return [Suggestion(text, "search", "", search_url(text)) for text in corrections[:limit]]


def search_url(query: str) -> str:
    """The address of the search page's results for ``query``."""
    return f"{reverse('monographs:search')}?{urlencode({'q': query})}"


def index_medicines(medicines: Iterable) -> int:
    """Re-index each medicine from its current published version; return documents written.

    A medicine with no published version is taken out of the index. Waits for
    any other writer.
    """
    return get_backend().index_medicines(medicines)


def remove_medicine(slug: str) -> None:
    """Take every document of the medicine ``slug`` out of the index."""
    get_backend().remove_medicine(slug)


def rebuild(progress: Callable[[int, int], None] | None = None) -> RebuildReport:
    """Build the index anew from every published version; return what was indexed.

    Searches keep using the old index until the new one is complete.
    ``progress(done, total)`` is called as medicines are indexed.
    """
    return get_backend().rebuild(progress)


def index_documents(pairs: Iterable[tuple[dict, dict]], *, replace: bool = False) -> int:
    """Index medicines straight from ``(meta, rows)`` pairs, without the database.

    ``meta`` has slug, version_id, name, generic_name, atc_code, drug_class,
    brands, synonyms and conditions; ``rows`` is what loading.project_rows()
    returns. For benchmarks that index more monographs than they load.
    """
    return get_backend().index_documents(pairs, replace=replace)


def remove_leftover_files() -> list[str]:
    """Remove what a killed writer left behind (whoosh); return the names removed."""
    return get_backend().remove_leftover_files()


def index_status() -> dict:
    """Whether the index exists, can be read and is current: ``{"ok": bool, "detail": str}``.

    The detail is short, plain and free of file paths. Never raises.
    """
    return get_backend().index_status()
