"""The search backend interface, and the result types every backend returns.

``SearchBackend`` is what the package (``monographs.search``) calls; each
backend module (whoosh.py, postgres.py) subclasses it and is the only importer
of its search engine. Shaped after Wagtail's ``wagtail/search/backends/base.py``:
a base class here, one module per backend, and a small loader in the package
that picks one from settings. Nothing here imports a backend.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from types import ModuleType

from django.core.paginator import Page
from django.urls import reverse
from django.utils.safestring import SafeString

PER_PAGE = 10
# A medicine's result shows its best section and at most this many others.
HITS_PER_MEDICINE = 3
SUGGESTIONS = 8
# The ceiling on the work of one query: at most this many parts are scored. A
# question of common words ("how long does it take to work") matches most parts
# of every medicine; scoring them all took seconds at 10,000 monographs.
MAX_SCORED = 1_000
# A long question is searched by its rarest words: at most this many (scoring a
# part costs about as much per word as the rest of the search).
MAX_SEARCHED_WORDS = 4
# A word in more than this share of all parts is common: it adds to the score of
# the parts rarer words bring in, but brings in no parts itself (a query of common
# words alone asks for the parts that have them all).
COMMON_SHARE = 0.2
# Medicines read from the database at a time while indexing.
BATCH_SIZE = 200
# A second writer waits this long for the first before giving up loudly.
WRITE_LOCK_TIMEOUT = 600.0
# Re-indexing medicine by medicine costs about 0.1 s each: fine for an editor's
# publish or a day's content changes, too slow inside a bulk first load of
# thousands, where one `rebuild_index` afterwards is far quicker (followups.py).
PUBLISH_REINDEX_LIMIT = 200
# How index_status() (of either backend) begins the detail of an index that
# opens but differs from the published versions.
STALE_DETAIL = "the search index is stale"


class SearchUnavailable(Exception):
    """The index is missing or cannot be read; the caller shows a polite page."""


class IndexBusy(Exception):
    """Another writer held the index for longer than WRITE_LOCK_TIMEOUT."""


class IndexWriteFailed(Exception):
    """A rebuild could not be completed (a writer process died); the old index stays."""


# --- Results -----------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Hit:
    """One part of a medicine that matched: a section, a ``###`` part or an item."""

    section_key: str
    section: str
    heading: str
    anchor: str
    url: str
    snippet: SafeString


@dataclasses.dataclass(frozen=True)
class MedicineResult:
    slug: str
    name: str
    url: str
    hits: tuple[Hit, ...]

    @property
    def best(self) -> Hit:
        return self.hits[0]

    @property
    def more(self) -> tuple[Hit, ...]:
        return self.hits[1:]


@dataclasses.dataclass(frozen=True)
class ExactMatch:
    slug: str
    name: str
    url: str


@dataclasses.dataclass(frozen=True)
class SearchResults:
    """What a search found: a page of medicines, the total, and any way onwards."""

    query: str
    terms: tuple[str, ...]
    page: Page
    total: int
    # The one medicine whose name, brand or synonym is exactly the query.
    exact: ExactMatch | None
    # A corrected query built from the index's own vocabulary, offered as a link.
    suggestion: str | None
    # When nothing was found for what was typed and its correction found something,
    # these are the correction's results and this is what was typed.
    corrected_from: str | None = None
    # How many parts were scored to answer: the work the query caused, never more
    # than MAX_SCORED (a very common question is answered from the first parts
    # found rather than from every part that matches).
    scored: int = 0

    @property
    def medicines(self) -> list[MedicineResult]:
        return list(self.page.object_list)


@dataclasses.dataclass(frozen=True)
class Suggestion:
    """A name to offer while the patient types: the medicine's own, a generic or a brand."""

    label: str
    kind: str  # "name", "generic" or "brand"
    medicine: str
    url: str


@dataclasses.dataclass(frozen=True)
class RebuildReport:
    medicines: int
    documents: int
    seconds: float

    def summary(self) -> str:
        noun = "medicine" if self.medicines == 1 else "medicines"
        docs = "document" if self.documents == 1 else "documents"
        return f"{self.medicines} {noun}, {self.documents} {docs} indexed in {self.seconds:.1f} s"


def medicine_url(slug: str) -> str:
    return reverse("monographs:detail", kwargs={"slug": slug})


def stale_status(differing: int) -> dict:
    """The ``index_status()`` answer for an index that lags ``differing`` medicines."""
    noun = "medicine differs" if differing == 1 else "medicines differ"
    return {"ok": False, "detail": f"{STALE_DETAIL}: {differing} {noun} from the database"}


def is_stale(status: dict) -> bool:
    """Whether an ``index_status()`` answer is of an index that works but lags the database."""
    return not status["ok"] and status["detail"].startswith(STALE_DETAIL)


# --- The interface -----------------------------------------------------------


class SearchBackend:
    """What every search backend does. Subclasses implement each method; see the package
    docstring (monographs/search/__init__.py) for what each promises."""

    name = ""

    def search(self, query: str, page, per_page: int) -> SearchResults:
        raise NotImplementedError

    def exact_match(self, query: str) -> ExactMatch | None:
        raise NotImplementedError

    def did_you_mean(self, query: str) -> str | None:
        raise NotImplementedError

    def suggest(self, prefix: str, limit: int) -> list[Suggestion]:
        raise NotImplementedError

    def index_medicines(self, medicines: Iterable) -> int:
        raise NotImplementedError

    def remove_medicine(self, slug: str) -> None:
        raise NotImplementedError

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> RebuildReport:
        raise NotImplementedError

    def index_documents(self, pairs: Iterable[tuple[dict, dict]], *, replace: bool = False) -> int:
        raise NotImplementedError

    def remove_leftover_files(self) -> list[str]:
        """What a killed writer left behind; only a file-based backend has any."""
        return []

    def index_status(self) -> dict:
        raise NotImplementedError

    def correct_prefix(self, typed: str, limit: int) -> list[str]:
        """Words of the vocabulary that start with ``typed`` or with it changed by one edit."""
        raise NotImplementedError


class ModuleBackend(SearchBackend):
    """A backend whose module has a function for each method, of the same name and
    arguments (whoosh.py, postgres.py): the class hands each call on to it."""

    module: ModuleType

    def search(self, query, page, per_page):
        return self.module.search(query, page, per_page)

    def exact_match(self, query):
        return self.module.exact_match(query)

    def did_you_mean(self, query):
        return self.module.did_you_mean(query)

    def suggest(self, prefix, limit):
        return self.module.suggest(prefix, limit)

    def index_medicines(self, medicines):
        return self.module.index_medicines(medicines)

    def remove_medicine(self, slug):
        return self.module.remove_medicine(slug)

    def rebuild(self, progress=None):
        return self.module.rebuild(progress)

    def index_documents(self, pairs, *, replace=False):
        return self.module.index_documents(pairs, replace=replace)

    def remove_leftover_files(self):
        remove = getattr(self.module, "remove_leftover_files", None)
        return remove() if remove else []

    def index_status(self):
        return self.module.index_status()

    def correct_prefix(self, typed, limit):
        return self.module.correct_prefix(typed, limit)
