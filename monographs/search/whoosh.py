"""The whoosh search backend: an index of files in ``settings.SEARCH_INDEX_DIR``.

The only module that imports whoosh. One server, any database. It owns the
index: its schema, building it from the documents documents.py makes of the
published versions, keeping it in step when versions are published, and
answering queries with the result types of base.py.

The medicine's names, brands, synonyms, conditions and ATC code weigh most,
then headings, then the body text (English stemming throughout).

Patients' text never reaches a query parser: it is cut into plain words by the
analyser and the query is built from Term objects, so ``title:*``, ``AND``,
``*`` or an unbalanced quote are just words (or nothing). A look-alike name is
only ever offered as "did you mean"; only an exact name, brand or synonym
match of the whole query may go straight to a monograph. A name several
medicines share lists those medicines. A query that names a medicine and asks
something more ("baclofen alcohol") is answered from that medicine alone.

Only one writer at a time: every write holds an exclusive ``flock`` on a file
in the index folder (gunicorn runs several workers, and whoosh's own lock would
make a second writer fail rather than wait). A full rebuild, under that lock,
spreads its documents over writer processes (whoosh_writers.py). The same locked
transaction records which published version of each medicine is indexed, so
``index_status`` can tell a stale index from a current one.
"""

from __future__ import annotations

import bisect
import errno
import fcntl
import functools
import itertools
import json
import logging
import math
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from django.conf import settings
from django.core.paginator import Paginator
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString
from whoosh import collectors, writing
from whoosh import index as whoosh_index
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.matching.wrappers import WrappingMatcher
from whoosh.query import And, AndMaybe, Or, Prefix, Term
from whoosh.scoring import BM25F, BM25FScorer

from .. import models
from ..loading import normalize_name
from .base import (
    BATCH_SIZE,
    COMMON_SHARE,
    HITS_PER_MEDICINE,
    MAX_SCORED,
    MAX_SEARCHED_WORDS,
    PER_PAGE,
    SUGGESTIONS,
    WRITE_LOCK_TIMEOUT,
    ExactMatch,
    Hit,
    IndexBusy,
    MedicineResult,
    ModuleBackend,
    RebuildReport,
    SearchResults,
    SearchUnavailable,
    Suggestion,
    medicine_url,
    stale_status,
)
from .documents import published_documents, version_documents
from .query import MAX_QUERY_LENGTH, MAX_TERMS, QUESTION_WORDS, WORD_RE, normalize_query
from .spelling import (
    PREFIX_CORRECTIONS,
    PREFIX_KEPT,
    SPELLING_MIN_LENGTH,
    SPELLING_PREFIX,
    TWO_EDITS_MIN_LENGTH,
    file_spelling_words,
    spelling_candidates,
    starts_within_one_edit,
    vocabulary_words,
    within_one_edit,
    within_two_edits,
)
from .whoosh_writers import (
    TURN_MEDICINES,
    ParallelWriter,
    SegmentWriterWithKnownColumns,
    parts_in_turns,
)

logger = logging.getLogger(__name__)

MAX_SEARCH_ROUNDS = 8
# Searches to fill one page of results (see _GroupedHits.__getitem__).
# One edit only for did-you-mean: two-edit fuzzy terms cost ~0.5-0.8 s at
# 10,000 monographs.
# A query that names medicines is answered from them (see _named_medicines);
# a name word shared by more medicines than this is too vague to narrow by.
NAME_SCOPE_LIMIT = 500
SNIPPET_CHARS = 220
# Parts with every word of a query score three times as much only while the words'
# posting lists together are at most this long (see bounded_query).
ALL_WORDS_POSTINGS = 5_000
# At most this many words of the vocabulary are compared with a typed start.
PREFIX_SCAN = 2_000
# Postings a writer holds in memory before spilling them to disk (in all: a
# rebuild's writer processes share it).
WRITER_MEMORY_MB = 96
# A rebuild of at least this many medicines uses SEARCH_WRITER_PROCESSES writers.
PARALLEL_FROM = 100
LOCK_FILE = "druginfo-write.lock"
STATE_FILE = "druginfo-indexed.json"

# Field weights: who the medicine is weighs most, then what a part is about,
# then what it says. Every part of a medicine carries its names, so "baclofen
# withdrawal" finds baclofen's Stopping section; the "what it is for" section
# alone carries the conditions and codes, and the names once more ("overview")
# so that a name on its own lands there.
FIELD_BOOSTS = (
    ("names", 6.0),
    ("conditions", 6.0),
    ("heading", 4.0),
    ("items", 4.0),
    ("aliases", 4.0),
    ("overview", 1.5),
    ("body", 1.0),
)

# English (Snowball/Porter2) stemming: the older Porter stemmer makes
# "generic" and "general" one word.
ANALYZER = RegexTokenizer() | LowercaseFilter() | StopFilter() | StemFilter(lang="en")


class _SharedIdfBM25F(BM25F):
    """BM25F where a word is as rare in every field as it is in the body text.

    Whoosh gives each field its own idf, so "dose" (in a few headings, but in
    most body texts) would count as a rare word in the heading "Missed dose"
    and outrank "maximum" in "Maximum dose: 100 mg". The body is most of the
    text, so its document frequency says how common a word really is.
    """

    def scorer(self, searcher, fieldname, text, qf=1):
        if not searcher.schema[fieldname].scorable:
            return super().scorer(searcher, fieldname, text, qf)
        return _SharedIdfScorer(
            searcher, fieldname, text, self._field_B.get(fieldname, self.B), self.K1, qf=qf
        )


class _SharedIdfScorer(BM25FScorer):
    def __init__(self, searcher, fieldname, text, B, K1, qf=1):
        parent = searcher.get_parent()
        self.idf = parent.idf("body", text)
        self.avgfl = parent.avg_field_length(fieldname) or 1
        self.B = B
        self.K1 = K1
        self.qf = qf
        self.setup(searcher, fieldname, text)


# Whoosh averages a field's length over every document, also those without the
# field, so length normalisation would bury the short fields only some
# documents have (conditions, aliases, items): they are scored without it.
WEIGHTING = _SharedIdfBM25F(
    B=0.75,
    K1=1.2,
    names_B=0.0,
    conditions_B=0.0,
    overview_B=0.0,
    items_B=0.0,
    aliases_B=0.0,
    heading_B=0.3,
)

SCHEMA = Schema(
    doc_id=ID(unique=True, stored=True),
    slug=ID(stored=True, sortable=True),
    version_id=STORED(),
    kind=ID(stored=True),
    medicine=STORED(),
    section_key=ID(stored=True),
    section=STORED(),
    # What the result shows: the part's heading, or the side effect or interaction.
    title=STORED(),
    heading=TEXT(analyzer=ANALYZER, phrase=False),
    anchor=STORED(),
    names=TEXT(analyzer=ANALYZER, phrase=False),
    conditions=TEXT(analyzer=ANALYZER, phrase=False),
    overview=TEXT(analyzer=ANALYZER, phrase=False),
    aliases=TEXT(analyzer=ANALYZER, phrase=False),
    items=TEXT(analyzer=ANALYZER, phrase=False),
    body=TEXT(analyzer=ANALYZER, phrase=False),
    text=STORED(),
    # The whole names (name, generic name, brands, synonyms), normalised.
    exact=KEYWORD(commas=True, lowercase=True),
    # Plain words of the names and conditions (known words, never corrected).
    spell=KEYWORD(lowercase=True),
    # Every plain word of the medicine's text (on its overview document only): the
    # did-you-mean vocabulary, each word's document frequency how many medicines use it.
    spelling=KEYWORD(lowercase=True),
    # Plain words of the names patients type into the search box.
    complete=KEYWORD(lowercase=True),
    # Every stemmed word of the medicine (on its overview document only).
    medicine_terms=KEYWORD(),
    labels=STORED(),
)

SEARCHED_FIELDS = tuple(field for field, _ in FIELD_BOOSTS)
BODY_BOOST = dict(FIELD_BOOSTS)["body"]


# --- Querying ----------------------------------------------------------------


def query_terms(text: str) -> tuple[str, ...]:
    """The stemmed search terms of ``text``: words only, stop words dropped, at most MAX_TERMS."""
    terms: list[str] = []
    words = [w for w in WORD_RE.findall(normalize_query(text)) if w.lower() not in QUESTION_WORDS]
    for token in ANALYZER(" ".join(words)[: MAX_QUERY_LENGTH * 2]):
        if token.text not in terms:
            terms.append(token.text)
        if len(terms) == MAX_TERMS:
            break
    return tuple(terms)


def search(query: str, page: int | str | None = 1, per_page: int = PER_PAGE) -> SearchResults:
    """Search the published monographs for ``query``; return one page of medicines.

    Medicines come in the order of their best-matching part, each with up to
    HITS_PER_MEDICINE parts (section, anchor, highlighted snippet). ``total``
    counts every matching medicine. Raises SearchUnavailable when there is no
    usable index. Changes nothing.
    """
    text = normalize_query(query)[:MAX_QUERY_LENGTH]
    terms = query_terms(text)
    with _searcher() as searcher:
        named = _exactly_named(searcher, text)
        exact = _exact_of(searcher, named)
        suggestion = _did_you_mean(searcher, text)
        if len(named) > 1 and terms:
            # A brand (or other name) several medicines share: those medicines,
            # each with what it is for.
            groups = _GroupedHits.listing(searcher, terms, named)
        else:
            scope = _named_medicines(searcher, text)
            groups = _GroupedHits(searcher, terms, per_page, scope=scope)
        result_page = Paginator(groups, per_page).get_page(page)
    return SearchResults(
        query=text,
        terms=terms,
        page=result_page,
        total=len(groups),
        exact=exact,
        suggestion=suggestion,
        scored=groups.scored,
    )


def _split_common(searcher, terms: Sequence[str]) -> tuple[list[str], list[str]]:
    """``terms`` as (selective, common): see COMMON_SHARE. The body text is most of the
    text, so its document frequency says how common a word is."""
    reader = searcher.reader()
    ceiling = COMMON_SHARE * searcher.doc_count()
    common = [term for term in terms if reader.doc_frequency("body", term) > ceiling]
    return [term for term in terms if term not in common], common


def _searched_terms(searcher, terms: Sequence[str]) -> list[str]:
    """The terms worth searching: those some field of the index has, and of a long
    question only the MAX_SEARCHED_WORDS rarest (a common word adds work, not meaning)."""
    reader = searcher.reader()
    known = [term for term in terms if any((field, term) in reader for field in SEARCHED_FIELDS)]
    if len(known) <= MAX_SEARCHED_WORDS:
        return known
    rarest = sorted(known, key=lambda term: reader.doc_frequency("body", term))
    kept = set(rarest[:MAX_SEARCHED_WORDS])
    return [term for term in known if term in kept]


def bounded_query(searcher, terms: Sequence[str]):
    """The query a search runs: build_query's, with common words kept from bringing in
    parts. Rarer words find the parts and every word scores them (AndMaybe); a query of
    common words alone finds the parts that have them all."""
    selective, common = _split_common(searcher, terms)
    # The bonus for parts with every word means intersecting the words' posting
    # lists, which whoosh walks in full before it scores anything: only for
    # words short enough to walk (always on a small index).
    reader = searcher.reader()
    postings = sum(reader.doc_frequency(field, term) for term in terms for field in SEARCHED_FIELDS)
    every = postings <= ALL_WORDS_POSTINGS
    if not common:
        return build_query(terms, every_word_bonus=every)
    if selective:
        return AndMaybe(
            build_query(selective, every_word_bonus=every),
            build_query(common, every_word_bonus=False),
        )
    if len(common) == 1:
        return build_query(common)
    return And([_term_query(term) for term in common])


def _term_query(term: str):
    return Or([Term(field, term, boost=boost) for field, boost in FIELD_BOOSTS])


def build_query(terms: Sequence[str], every_word_bonus: bool = True):
    """The whoosh query for some stemmed terms: each term in any field, fields weighted.

    Public so the benchmark can time the same query straight against whoosh.
    """
    # Or, not DisjunctionMax: whoosh's DisjunctionMaxMatcher scores a document
    # with the best score of any field's matcher, even one positioned on
    # another document, which ranks unrelated parts level with the right one.
    per_term = [_term_query(term) for term in terms]
    if len(per_term) == 1 or not every_word_bonus:
        return per_term[0] if len(per_term) == 1 else Or(per_term)
    # Parts that have every word score three times as high: "MS spasticity" should find the
    # part about MS, not the one of many that says "spasticity" most loudly.
    # (Or's own `scale` bonus counts matching fields, not matching words.)
    return Or([*per_term, And(per_term, boost=2.0)])


def _named_medicines(searcher, text: str) -> list[str] | None:
    """The slugs of the medicines ``text`` asks about by name, or None to search them all.

    A query word names medicines when it is a whole word of the names, generic
    names or brands of NAME_SCOPE_LIMIT medicines or fewer, and hardly any
    other medicine mentions it (so "acid", in many names and many texts, names
    nothing). "Baclofen alcohol" is then answered from baclofen alone. A name
    with nothing more is searched everywhere if other monographs mention it.
    """
    reader = searcher.reader()
    words = {word.casefold() for word in WORD_RE.findall(text)[:MAX_TERMS]}
    named: set[str] = set()
    mentioned_elsewhere = False
    for word in words:
        if ("complete", word) not in reader:
            continue
        naming = reader.doc_frequency("complete", word)
        mentioning = reader.doc_frequency("medicine_terms", _stem(word)) or naming
        if naming <= NAME_SCOPE_LIMIT and mentioning <= 2 * naming:
            named.add(word)
            mentioned_elsewhere |= mentioning > naming
    if not named:
        return None
    asks_more = any(_stem(word) for word in words - named if not word.isdigit())
    if not asks_more and mentioned_elsewhere:
        return None
    slugs = _slug_column(searcher)
    # A removed medicine's words stay in the vocabulary (and its document
    # frequencies) until segments merge; its postings are gone.
    return (
        sorted(
            {
                slugs[docnum]
                for word in named
                for docnum in reader.postings("complete", word).all_ids()
            }
        )
        or None
    )


class _TopCollector(collectors.TopCollector):
    """Whoosh's top-N collector, made to skip what ties with the N it has.

    Whoosh raises the score a match must beat (``minscore``, which lets it skip
    whole blocks of postings) only when a better match replaces one in its
    full list. When everything after the first N ties with them, as the same
    side effect does in thousands of medicines, the bar stays at 0 and every
    match is scored: 30 ms instead of 1 for one word at 10,000 monographs.
    And its matchers for several fields or words skip a block only when its
    best possible score is below the bar, not when it equals it: thousands of
    storage sections that score alike were all scored for "store".

    So the bar is set as soon as the list is full, just above the lowest
    score in it (the next float up). That gives the same results, as a match
    that ties with the lowest never enters the list; only a match scoring
    exactly one float step above it could now be skipped where whoosh would
    keep it (a tie summed in another order).
    """

    def __init__(self, limit: int, budget: int = MAX_SCORED):
        super().__init__(limit)
        self.budget = budget
        self.scored = 0

    def _collect(self, global_docnum, score):
        if self.scored >= self.budget:
            raise _WorkSpent
        self.scored += 1
        result = super()._collect(global_docnum, score)
        if len(self.items) >= self.limit:
            self.minscore = math.nextafter(self.items[0][0], math.inf)
        return result


class _WorkSpent(Exception):
    """A search scored as many parts as it may (MAX_SCORED)."""


def top_documents(searcher, query, limit: int, mask=None, budget: int = MAX_SCORED):
    """``searcher.search(query, limit=limit, mask=mask)``, with ties skipped (see above),
    scoring at most ``budget`` parts: the best of those found first when more match.
    The results' ``scored`` says how many parts were scored.

    Public so the benchmark can time the same search straight against whoosh.
    """
    top = _TopCollector(limit, budget)
    collector = collectors.FilterCollector(top, restrict=mask) if mask is not None else top
    with suppress(_WorkSpent):
        searcher.search_with_collector(query, collector)
    results = top.results()
    results.scored = top.scored
    return results


def _matches_among(matcher, docnums: list[int]) -> list[tuple[int, float]]:
    """(document, score) for those of the sorted ``docnums`` that ``matcher`` matches.

    Skips from one of them to the next, so a long posting list costs only as
    much as the documents asked about.
    """
    found = []
    index = 0
    leaf = matcher.child if isinstance(matcher, WrappingMatcher) else matcher
    skip_to = functools.partial(_leaf_skip_to, leaf) if isinstance(leaf, W3LeafMatcher) else None
    while index < len(docnums) and matcher.is_active():
        docnum = matcher.id()
        index = bisect.bisect_left(docnums, docnum, index)
        if index == len(docnums):
            break
        if docnums[index] == docnum:
            found.append((docnum, matcher.score()))
            matcher.next()
        elif skip_to:
            skip_to(docnums[index])
        else:
            matcher.skip_to(docnums[index])
    return found


def _leaf_skip_to(leaf: W3LeafMatcher, target: int) -> None:
    """``leaf.skip_to(target)``, finding the place in the block by bisection.

    Whoosh steps through a block one posting at a time to reach the target:
    most of the cost of walking a long list (a word in every monograph's text)
    through a few hundred medicines' parts.
    """
    if target <= leaf.id():
        return
    if target > leaf.block_max_id():
        leaf._skip_to_block(lambda: target > leaf.block_max_id())
        if not leaf.is_active():
            return
        leaf.id()  # reads the block's document numbers
    leaf._i = bisect.bisect_left(leaf._ids, target, leaf._i)


def _count_medicines(searcher, terms: Sequence[str]) -> int:
    """How many medicines have any of ``terms``.

    One document per medicine (its overview) carries every word of the
    medicine, so this reads short postings instead of grouping every matching
    part; and while the index has no deleted documents, whoosh's document
    frequencies are exact, so one word or a word every medicine has needs no
    postings at all.
    """
    reader = searcher.reader()
    if not reader.has_deletions():
        frequencies = [reader.doc_frequency("medicine_terms", term) for term in terms]
        if len(terms) == 1 or max(frequencies) == reader.doc_frequency("kind", "overview"):
            return max(frequencies)
    # The union of the words' posting lists, read as plain lists of document
    # numbers (whoosh's Or matcher steps through them several times slower).
    medicines: set[int] = set()
    for term in terms:
        if ("medicine_terms", term) in reader:
            medicines.update(reader.postings("medicine_terms", term).all_ids())
    return len(medicines)


def _count_medicines_with_all(searcher, terms: Sequence[str]) -> int:
    """How many medicines have every one of ``terms`` (somewhere in their text)."""
    reader = searcher.reader()
    medicines: set[int] | None = None
    for term in terms:
        if ("medicine_terms", term) not in reader:
            return 0
        having = set(reader.postings("medicine_terms", term).all_ids())
        medicines = having if medicines is None else medicines & having
    return len(medicines or ())


class _GroupedHits(Sequence):
    """Matching documents grouped by medicine, in the order of each one's best document.

    A Sequence so that Django's Paginator can page over medicines: its length
    is the number of matching medicines, and a slice runs the scored search
    only as deep as that page needs. With a ``scope`` (the slugs of the
    medicines a query names), only those medicines' parts are scored.
    """

    def __init__(
        self, searcher, terms: Sequence[str], per_page: int, scope: Sequence[str] | None = None
    ):
        self._searcher = searcher
        self._terms = terms
        # What is searched: the words the index has, a long question's rarest ones.
        self._searched = _searched_terms(searcher, terms) if scope is None else list(terms)
        self._query = bounded_query(searcher, self._searched) if self._searched else None
        # Each part scored costs about as much again per word searched.
        self._budget = MAX_SCORED // max(1, len(self._searched))
        # Parts scored so far, at most MAX_SCORED across every round of searching.
        self.scored = 0
        self._scope = scope
        self._scoped: list[tuple[str, list[tuple[float, int]]]] | None = None
        self._count: int | None = None

    @classmethod
    def listing(cls, searcher, terms: Sequence[str], docnums: Sequence[int]) -> _GroupedHits:
        """These documents' medicines, one document each, in the order of their slugs."""
        slugs = _slug_column(searcher)
        listed = sorted((slugs[docnum], [(0.0, docnum)]) for docnum in docnums)
        hits = cls(searcher, terms, PER_PAGE, scope=[slug for slug, _ in listed])
        hits._scoped = listed
        return hits

    def __len__(self) -> int:
        if self._count is None:
            if self._query is None or self._searcher.doc_count() == 0:
                self._count = 0
            elif self._scope is not None:
                self._count = len(self._scoped_parts())
            else:
                selective, common = _split_common(self._searcher, self._searched)
                self._count = (
                    _count_medicines(self._searcher, selective)
                    if selective
                    else _count_medicines_with_all(self._searcher, common)
                )
        return self._count

    def __getitem__(self, item):
        if not isinstance(item, slice):
            return self[item : item + 1][0]
        start, stop, _ = item.indices(len(self))
        if self._query is None or start >= stop:
            return []
        ranked = self._scoped_parts() if self._scope is not None else self._ranked(stop)
        return [
            self._medicine(
                slug,
                [self._searcher.stored_fields(docnum) for _, docnum in sorted(parts, reverse=True)],
            )
            for slug, parts in ranked[start:stop]
        ]

    def _ranked(self, stop: int) -> list[tuple[str, list[tuple[float, int]]]]:
        """The first ``stop`` medicines with their best parts, by their best part's score."""
        slugs = _slug_column(self._searcher)
        best: dict[str, list[tuple[float, int]]] = {}
        # Whoosh's top-N search skips what cannot reach the top, and the
        # shallower the list, the more it skips. When more medicines match than
        # the page shows and the first ``stop`` parts are of ``stop`` different
        # medicines, those are the page (each one's other parts rank below a
        # medicine the page has no room for, and are not looked for). Else a
        # medicine matches in several parts and may fill the top alone: search
        # deeper, with the medicines that already have HITS_PER_MEDICINE parts
        # masked out, until the page is full. (Whoosh's `collapse` option does
        # that in one go, but scores every match.)
        if len(self) > stop:
            first = self._top(stop)
            first_slugs = [slugs[docnum] for _, docnum in first.top_n]
            if len(set(first_slugs)) == len(first_slugs) == stop:
                return [(slug, [hit]) for slug, hit in zip(first_slugs, first.top_n, strict=True)]
        limit = stop * HITS_PER_MEDICINE
        for _ in range(MAX_SEARCH_ROUNDS):
            if self.scored >= self._budget:
                break
            full = [slug for slug, parts in best.items() if len(parts) >= HITS_PER_MEDICINE]
            mask = Or([Term("slug", slug) for slug in full]) if full else None
            hits = self._top(limit, mask)
            for score, docnum in hits.top_n:
                parts = best.setdefault(slugs[docnum], [])
                if len(parts) < HITS_PER_MEDICINE and (score, docnum) not in parts:
                    parts.append((score, docnum))
            if len(best) >= min(stop, len(self)) or hits.scored_length() < limit:
                break
        return sorted(best.items(), key=lambda item: -max(score for score, _ in item[1]))

    def _top(self, limit: int, mask=None):
        """top_documents with what is left of this search's MAX_SCORED."""
        hits = top_documents(
            self._searcher, self._query, limit, mask=mask, budget=self._budget - self.scored
        )
        self.scored += hits.scored
        return hits

    def _scoped_parts(self) -> list[tuple[str, list[tuple[float, int]]]]:
        """Every medicine in the scope that matches, with its best parts, best first.

        Only those medicines' parts are scored (see _score_scope), instead of a
        top-N search over every document: "<name> dose" no longer scores the
        dose of ten thousand medicines, nor "<brand> alcohol" every part of
        the 200 medicines a brand may have.
        """
        if self._scoped is None:
            by_slug: dict[str, list[tuple[float, int]]] = {}
            for subsearcher, offset in self._searcher.leaf_searchers():
                for slug, score, docnum in self._score_scope(subsearcher):
                    by_slug.setdefault(slug, []).append((score, offset + docnum))
            self._scoped = sorted(
                (
                    (slug, sorted(parts, key=lambda part: (-part[0], part[1]))[:HITS_PER_MEDICINE])
                    for slug, parts in by_slug.items()
                ),
                key=lambda item: (-item[1][0][0], item[0]),
            )
        return self._scoped

    def _score_scope(self, subsearcher) -> list[tuple[str, float, int]]:
        """(slug, score, document) for the scope's parts in one segment that matter.

        The score is the one build_query's query gives: per term, the sum of
        its fields' boosted scores; with several terms, three times the total
        when every term matched (its And part, boost 2), else the total. Every
        part carries its medicine's names, so the "names" field scores the same
        in all of a medicine's parts: it is scored once per medicine, and the
        parts worth ranking are those any other field matches (the topic:
        "alcohol" in "<brand> alcohol"; and the overview, which repeats the
        names, so every medicine named has a part). Parts only the names match
        are not offered as links. Each field's postings are walked only
        through the scope's documents.
        Not whoosh's And/Require with a slug filter: their matchers lose
        documents (or fail an assertion) when the search skips ahead.
        """
        scope = self._scope
        reader = subsearcher.reader()
        context = self._searcher.context()
        slug_of = {
            docnum: slug
            for slug in scope
            if ("slug", slug) in reader
            for docnum in reader.postings("slug", slug).all_ids()
        }
        docnums = sorted(slug_of)
        first_of: dict[str, int] = {}
        for docnum in docnums:
            first_of.setdefault(slug_of[docnum], docnum)
        firsts = sorted(first_of.values())
        terms = self._terms
        multiplier = 3.0 if len(terms) > 1 else 1.0
        every = (1 << len(terms)) - 1
        scores: dict[int, float] = {}
        matched: dict[int, int] = {}
        name_scores: dict[str, float] = {}
        name_matched: dict[str, int] = {}

        def add(found, bit: int) -> None:
            for docnum, score in found:
                scores[docnum] = scores.get(docnum, 0.0) + score
                matched[docnum] = matched.get(docnum, 0) | 1 << bit

        def body_matchers():
            for bit, term in enumerate(terms):
                if ("body", term) in reader:
                    yield bit, Term("body", term, boost=BODY_BOOST).matcher(subsearcher, context)

        for bit, term in enumerate(terms):
            for field, boost in FIELD_BOOSTS:
                if field == "body" or (field, term) not in reader:
                    continue
                matcher = Term(field, term, boost=boost).matcher(subsearcher, context)
                if field == "names":
                    for docnum, score in _matches_among(matcher, firsts):
                        slug = slug_of[docnum]
                        name_scores[slug] = name_scores.get(slug, 0.0) + score
                        name_matched[slug] = name_matched.get(slug, 0) | 1 << bit
                else:
                    add(_matches_among(matcher, docnums), bit)

        # Body text is most of the postings: first the parts the other fields
        # found get their body score...
        found_elsewhere = sorted(scores)
        body_best = 0.0
        for bit, matcher in body_matchers():
            body_best += matcher.max_quality()
            add(_matches_among(matcher, found_elsewhere), bit)

        def total(docnum: int) -> float:
            slug = slug_of[docnum]
            score = scores[docnum] + name_scores.get(slug, 0.0)
            if matched[docnum] | name_matched.get(slug, 0) == every:
                return score * multiplier
            return score

        # ...then the parts only the body matches are looked for in those
        # medicines where one of them could be the best part: where the other
        # fields found nothing, or nothing that beats the best body score there
        # is. (The medicine's other links are then the parts the other fields
        # found: a part only the body text matches may rank among them in a
        # full search.)
        best: dict[str, float] = {}
        for docnum in found_elsewhere:
            slug = slug_of[docnum]
            best[slug] = max(best.get(slug, 0.0), total(docnum))
        open_slugs = {
            slug
            for slug in first_of
            if body_best
            and best.get(slug, 0.0) <= (name_scores.get(slug, 0.0) + body_best) * multiplier
        }
        if open_slugs:
            elsewhere = set(found_elsewhere)
            rest = [d for d in docnums if slug_of[d] in open_slugs and d not in elsewhere]
            for bit, matcher in body_matchers():
                add(_matches_among(matcher, rest), bit)

        return [(slug_of[docnum], total(docnum), docnum) for docnum in scores]

    def _medicine(self, slug: str, parts: list[dict]) -> MedicineResult:
        url = medicine_url(slug)
        hits = []
        seen = set()
        for fields in parts:
            if fields["anchor"] in seen:
                continue
            seen.add(fields["anchor"])
            hits.append(
                Hit(
                    section_key=fields["section_key"],
                    section=fields["section"],
                    heading=fields.get("title", ""),
                    anchor=fields["anchor"],
                    url=f"{url}#{fields['anchor']}",
                    # Only the best part gets a snippet: the others are links.
                    snippet=highlight(fields.get("text", ""), self._terms)
                    if not hits
                    else SafeString(""),
                )
            )
        return MedicineResult(slug=slug, name=parts[0]["medicine"], url=url, hits=tuple(hits))


def highlight(text: str, terms: Iterable[str], size: int = SNIPPET_CHARS) -> SafeString:
    """A window of ``text`` around the matched words, HTML-escaped, matches in ``<mark>``.

    The text is escaped piece by piece and only the ``<mark>`` tags are ours,
    so nothing in a monograph or a query can add markup.
    """
    matches = _matched_words(text, frozenset(terms))
    start = _best_window(text, matches, size)
    end = min(len(text), start + size)
    if end < len(text):
        # End on a word boundary.
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    pieces: list[SafeString] = [escape("… ")] if start > 0 else []
    position = start
    for match_start, match_end, _ in matches:
        if match_start < start or match_end > end:
            continue
        pieces.append(escape(text[position:match_start]))
        pieces.append(format_html("<mark>{}</mark>", text[match_start:match_end]))
        position = match_end
    pieces.append(escape(text[position:end]))
    if end < len(text):
        pieces.append(escape(" …"))
    return format_html_join("", "{}", ((piece,) for piece in pieces))


def _matched_words(text: str, terms: frozenset[str]) -> list[tuple[int, int, str]]:
    """(start, end, stem) of each word of ``text`` that stems to one of ``terms``."""
    if not terms:
        return []
    return [
        (match.start(), match.end(), stem)
        for match in _candidate_words(terms).finditer(text)
        if (stem := _stem(match.group())) in terms
    ]


@functools.lru_cache(maxsize=1_000)
def _candidate_words(terms: frozenset[str]) -> re.Pattern:
    """The words (as WORD_RE cuts them) that may stem to one of ``terms``.

    The stemmer rewrites at most the last few letters of a word, so a word
    stems to a term only if it starts as the term does but for its last three
    letters. Stemming just those words, not every word of every snippet's
    text, made snippets ten times cheaper.
    """
    prefixes = sorted({term[: max(1, len(term) - 3)] for term in terms})
    alternatives = "|".join(map(re.escape, prefixes))
    # Where WORD_RE starts a word: not after a letter, nor after "x." inside one.
    return re.compile(rf"(?<!\w)(?<!\w\.)(?:{alternatives})\w*(?:\.?\w+)*", re.IGNORECASE)


def _best_window(text: str, matches: list[tuple[int, int, str]], size: int) -> int:
    """Where a window of ``size`` characters covers the most different matched words."""
    if not matches:
        return 0
    best_start, best_count = 0, -1
    for match_start, _, _ in matches:
        window_start = max(0, match_start - size // 4)
        found = {stem for s, e, stem in matches if s >= window_start and e <= window_start + size}
        if len(found) > best_count:
            best_start, best_count = window_start, len(found)
    if best_start == 0:
        return 0
    # Start on a word boundary.
    space = text.find(" ", best_start)
    return space + 1 if 0 <= space < best_start + 30 else best_start


@functools.lru_cache(maxsize=50_000)
def _stem(word: str) -> str:
    tokens = [token.text for token in ANALYZER(word)]
    return tokens[0] if len(tokens) == 1 else ""


def exact_match(query: str) -> ExactMatch | None:
    """The one medicine whose whole name, brand or synonym is ``query``, or None.

    Cheap: the search page asks it first and goes straight to the monograph.
    A name one letter away is never an exact match.
    """
    with _searcher() as searcher:
        return _exact_match(searcher, normalize_query(query)[:MAX_QUERY_LENGTH])


def _exact_match(searcher, text: str) -> ExactMatch | None:
    """The medicine whose whole name, brand or synonym is ``text``, if exactly one is."""
    return _exact_of(searcher, _exactly_named(searcher, text))


def _exact_of(searcher, named: list[int]) -> ExactMatch | None:
    """The one medicine of the overview documents ``named``; None for none or several."""
    if len(named) != 1:
        return None
    fields = searcher.stored_fields(named[0])
    return ExactMatch(fields["slug"], fields["medicine"], medicine_url(fields["slug"]))


def _exactly_named(searcher, text: str) -> list[int]:
    """The overview documents of the medicines whose whole name, brand or synonym is ``text``."""
    normalized = normalize_name(text).replace(",", " ")
    if not normalized:
        return []
    return list(searcher.docs_for_query(Term("exact", normalized)))


def did_you_mean(query: str) -> str | None:
    """A spelling of ``query`` with unknown words replaced by a name one edit away, or None.

    The candidates come from the index's own vocabulary of names and
    conditions. The answer is only ever offered to the patient as a link.
    """
    with _searcher() as searcher:
        return _did_you_mean(searcher, normalize_query(query)[:MAX_QUERY_LENGTH])


def _did_you_mean(searcher, text: str) -> str | None:
    reader = searcher.reader()
    words = [word.casefold() for word in WORD_RE.findall(text)][:MAX_TERMS]
    changed = False
    corrected = []
    for word in words:
        replacement = None
        if not _is_known(reader, word):
            replacement = _closest_word(searcher, word)
        if replacement:
            changed = True
        corrected.append(replacement or word)
    return " ".join(corrected) if changed else None


def _is_known(reader, word: str) -> bool:
    if len(word) < SPELLING_MIN_LENGTH or word.isdigit() or ("spell", word) in reader:
        return True
    if ("spelling", word) in reader:
        return True
    stem = _stem(word)
    if not stem:
        return True  # a stop word
    return any((field, stem) in reader for field in SEARCHED_FIELDS)


def _closest_word(searcher, word: str) -> str | None:
    """The word of the vocabulary one edit from ``word`` that most medicines use; for a
    long word with none, the one two edits away that most medicines use."""
    reader = searcher.reader()
    vocabulary = _spelling_vocabulary(searcher)
    candidates = [
        candidate
        for candidate in spelling_candidates(vocabulary, word)
        if candidate[:SPELLING_PREFIX] == word[:SPELLING_PREFIX]
        and within_one_edit(word, candidate)
    ]
    if not candidates and len(word) >= TWO_EDITS_MIN_LENGTH:
        candidates = sorted(within_two_edits(vocabulary, word))
    # Deleted documents keep their words in the vocabulary until segments merge:
    # suggest only words some live document still has.
    ranked = sorted(candidates, key=lambda c: (-reader.doc_frequency("spelling", c), c))
    for candidate in ranked:
        if not searcher.search(Term("spelling", candidate), limit=1).is_empty():
            return candidate
    return None


def correct_prefix(typed: str, limit: int = PREFIX_CORRECTIONS) -> list[str]:
    """Words of the vocabulary that start with ``typed``, or with it changed by one edit:
    the plain starts first, then the most used. Raises SearchUnavailable without an index."""
    typed = typed.casefold()
    if len(typed) < SPELLING_MIN_LENGTH:
        return []
    with _searcher() as searcher:
        reader = searcher.reader()
        words = _vocabulary_list(searcher)
        # Words sharing the first letters (a typo is rarely there), at most
        # PREFIX_SCAN of them: the work a keystroke can cause has a ceiling.
        kept = typed[:PREFIX_KEPT]
        start = bisect.bisect_left(words, kept)
        found = []
        for word in itertools.islice(words, start, start + PREFIX_SCAN):
            if not word.startswith(kept):
                break
            if starts_within_one_edit(typed, word):
                exact = word.startswith(typed)
                found.append((not exact, -reader.doc_frequency("spelling", word), word))
        return [word for _, _, word in sorted(found)[:limit]]


def _kept(searcher, name: str, make: Callable[[], object]):
    """``make()``, computed once per searcher (so once per index change) and kept with it."""
    cached = getattr(_local, "kept", None)
    if cached is None or cached[0] is not searcher:
        cached = _local.kept = (searcher, {})
    if name not in cached[1]:
        cached[1][name] = make()
    return cached[1][name]


def _slug_column(searcher):
    """Each document's slug, by document number, kept per searcher.

    Opening the column reads its whole index of offsets, 1-2 ms at 10,000
    monographs: more than the rest of a search for a brand.
    """
    return _kept(searcher, "slugs", lambda: searcher.reader().column_reader("slug"))


def _vocabulary_list(searcher) -> list[str]:
    """Every word of the did-you-mean vocabulary, sorted; kept per searcher."""
    return _kept(
        searcher,
        "vocabulary",
        # An index built before the field existed has no vocabulary until rebuilt.
        lambda: (
            [
                raw.decode("utf-8") if isinstance(raw, bytes) else raw
                for raw in searcher.reader().lexicon("spelling")
            ]
            if "spelling" in searcher.schema
            else []
        ),
    )


def _spelling_vocabulary(searcher) -> dict[tuple, list[str]]:
    """The did-you-mean words of the index, filed by their first and by their last letters.

    Kept per searcher. A word one edit from another shares its start or its
    end (see _half), so a typed word is compared with the few words filed
    under its own start or end, not with every name that begins with the same
    letter: at 10,000 monographs that was thousands of comparisons, more than
    the search itself.
    """
    return _kept(
        searcher,
        "spelling",
        lambda: file_spelling_words(_vocabulary_list(searcher)),
    )


def suggest(prefix: str, limit: int = SUGGESTIONS) -> list[Suggestion]:
    """Names and brands that start with what the patient has typed so far.

    Each word typed before the last must be a whole word of the name; the last
    may be the start of one. Fewer than two letters give nothing. Raises
    SearchUnavailable when there is no usable index.
    """
    words = [word.casefold() for word in WORD_RE.findall(normalize_query(prefix))][:MAX_TERMS]
    if not words or len(words[-1]) < 2:
        return []
    typed = " ".join(words)
    query = And(
        [Term("kind", "overview")]
        + [Term("complete", word) for word in words[:-1]]
        + [Prefix("complete", words[-1])]
    )
    found: list[tuple[int, str, Suggestion]] = []
    with _searcher() as searcher:
        for hit in searcher.search(query, limit=limit * 4, sortedby="slug"):
            fields = hit.fields()
            url = medicine_url(fields["slug"])
            for label, kind in fields["labels"]:
                label_words = WORD_RE.findall(label.casefold())
                if not _words_match(words, label_words):
                    continue
                rank = 0 if " ".join(label_words).startswith(typed) else 1
                rank += 0 if kind == "name" else 2
                found.append(
                    (rank, label.casefold(), Suggestion(label, kind, fields["medicine"], url))
                )
    found.sort(key=lambda item: item[:2])
    return [item[2] for item in found[:limit]]


def _words_match(typed: list[str], label_words: list[str]) -> bool:
    *whole, last = typed
    return all(word in label_words for word in whole) and any(
        word.startswith(last) for word in label_words
    )


# --- The searcher ------------------------------------------------------------

_local = threading.local()


@contextmanager
def _searcher():
    """A searcher on the current index, kept per thread and reopened when it changes.

    Whoosh searchers read files through shared handles, so threads do not
    share one; opening the index for every query would cost more than most
    queries do. Not ``Searcher.refresh()``: its reader reuse brings back the
    old segments, deleted documents and all, after the index has changed.
    """
    directory = str(Path(settings.SEARCH_INDEX_DIR))
    cached = getattr(_local, "searcher", None)
    try:
        if cached is not None and cached[0] == directory and cached[1].up_to_date():
            searcher = cached[1]
        else:
            _forget_searcher()
            searcher = whoosh_index.open_dir(directory).searcher(weighting=WEIGHTING)
    except Exception as error:
        _local.searcher = None
        _local.kept = None
        raise SearchUnavailable(
            f"the search index cannot be opened ({type(error).__name__})"
        ) from error
    _local.searcher = (directory, searcher)
    yield searcher


def _forget_searcher() -> None:
    cached = getattr(_local, "searcher", None)
    _local.searcher = None
    _local.kept = None
    if cached is not None:
        try:
            cached[1].close()
        except Exception:  # its files may be gone with an old index; nothing to keep
            logger.debug("search: closing an old searcher failed", exc_info=True)


# --- Writing -----------------------------------------------------------------


def index_medicines(medicines: Iterable[models.Medicine]) -> int:
    """Re-index each medicine from its current published version; return documents written.

    A medicine with no published version is taken out of the index. Waits for
    any other writer; the index and its record of indexed versions change in
    one locked transaction.
    """
    slugs = sorted({medicine.slug for medicine in medicines})
    if not slugs:
        return 0
    count = 0
    with _write_transaction() as (writer, state):
        for slug in slugs:
            writer.delete_by_term("slug", slug)
            state.pop(slug, None)
        # In batches: a large load publishes thousands of versions at once.
        for start in range(0, len(slugs), BATCH_SIZE):
            batch = models.Medicine.objects.filter(slug__in=slugs[start : start + BATCH_SIZE])
            for meta, documents in published_documents(batch):
                for document in _with_medicine_terms(documents):
                    writer.add_document(**document)
                    count += 1
                state[meta["slug"]] = meta["version_id"]
    return count


def remove_medicine(slug: str) -> None:
    """Take every document of the medicine ``slug`` out of the index."""
    with _write_transaction() as (writer, state):
        writer.delete_by_term("slug", slug)
        state.pop(slug, None)


def rebuild(progress: Callable[[int, int], None] | None = None) -> RebuildReport:
    """Build the index anew from every published version; return what was indexed.

    Searches keep using the old index until the new one is committed in one go.
    ``progress(done, total)`` is called as medicines are indexed.
    """
    started = time.perf_counter()
    medicines = models.Medicine.objects.published().order_by("slug")
    total = medicines.count()
    documents = 0
    done = 0
    processes = settings.SEARCH_WRITER_PROCESSES if total >= PARALLEL_FROM else 1
    with _write_transaction(replace=True, processes=processes) as (writer, state):
        state.clear()
        if progress:
            progress(0, total)
        pks = list(medicines.values_list("pk", flat=True))
        # With several writer processes, each indexes a run of consecutive medicines.
        turn = BATCH_SIZE if processes == 1 else TURN_MEDICINES
        for part, batch_pks in parts_in_turns(pks, processes, turn):
            if processes > 1:
                writer.select_part(part)
            batch = models.Medicine.objects.filter(pk__in=batch_pks)
            for meta, parts in published_documents(batch):
                for document in _with_medicine_terms(parts):
                    writer.add_document(**document)
                    documents += 1
                state[meta["slug"]] = meta["version_id"]
                done += 1
            if progress:
                progress(done, total)
    return RebuildReport(done, documents, time.perf_counter() - started)


def remove_leftover_files() -> list[str]:
    """Remove what a killed writer left in the whoosh index folder; return the names removed.

    A writer killed midway leaves its temporary folder (``MAIN.tmp``) and
    segment files that no table of contents names; the next commit would remove
    them, but that may be long. Under the write lock no writer is running, so
    every such file is a leftover; while a writer is running, nothing is done
    (its own commit cleans up). Searches keep working: they read only the
    files the current table of contents names. Nothing to do for PostgreSQL.
    """
    directory = Path(settings.SEARCH_INDEX_DIR)
    if not whoosh_index.exists_in(str(directory)):
        return []
    try:
        with _write_lock(directory, timeout=0):
            before = set(os.listdir(directory))
            ix = whoosh_index.open_dir(str(directory))
            whoosh_index.clean_files(
                ix.storage, ix.indexname, ix.latest_generation(), ix._segments()
            )
            for name in os.listdir(directory):
                if name.endswith(".tmp") and (directory / name).is_dir():
                    shutil.rmtree(directory / name, ignore_errors=True)
            removed = sorted(before - set(os.listdir(directory)))
    except IndexBusy:
        return []
    if removed:
        logger.info("search: removed %d files a killed index writer left", len(removed))
    return removed


def index_documents(pairs: Iterable[tuple[dict, dict]], *, replace: bool = False) -> int:
    """Index medicines straight from ``(meta, rows)`` pairs, without the database.

    ``meta`` has slug, version_id, name, generic_name, atc_code, drug_class,
    brands, synonyms and conditions; ``rows`` is what loading.project_rows()
    returns. For benchmarks that index more monographs than they load.
    """
    count = 0
    with _write_transaction(replace=replace) as (writer, state):
        if replace:
            state.clear()
        for meta, rows in pairs:
            writer.delete_by_term("slug", meta["slug"])
            for document in _documents(meta, rows):
                writer.add_document(**document)
                count += 1
            state[meta["slug"]] = meta["version_id"]
    return count


@contextmanager
def _write_transaction(replace: bool = False, processes: int = 1):
    """Hold the write lock, yield ``(writer, state)``; commit both or neither.

    ``state`` maps each indexed slug to the published version id it came
    from; it is saved next to the index after the index commits. With
    ``processes`` above 1 (a full rebuild only: that writer cannot delete),
    the documents are indexed by that many writer processes
    (whoosh_writers.ParallelWriter). Every writer holds at most
    WRITER_MEMORY_MB of postings in all before it spills to disk.
    """
    directory = Path(settings.SEARCH_INDEX_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    with _write_lock(directory):
        ix = _open_for_writing(directory, replace)
        state = {} if replace else _read_state(directory)
        if processes > 1 and replace:
            writer = ParallelWriter(ix, procs=processes, limitmb=WRITER_MEMORY_MB)
        else:
            writer = SegmentWriterWithKnownColumns(ix, limitmb=WRITER_MEMORY_MB)
        try:
            yield writer, state
        except BaseException:
            writer.cancel()
            raise
        # CLEAR drops every old segment in the same commit that adds the new ones.
        writer.commit(mergetype=writing.CLEAR if replace else None)
        _write_state(directory, state)


def _open_for_writing(directory: Path, replace: bool):
    if whoosh_index.exists_in(str(directory)):
        try:
            ix = whoosh_index.open_dir(str(directory))
            if set(ix.schema.names()) == set(SCHEMA.names()):
                return ix
        except Exception:
            logger.warning("search: the index could not be opened; starting a new one")
    if not replace:
        logger.warning("search: no usable index; creating an empty one (run rebuild_index)")
    return whoosh_index.create_in(str(directory), SCHEMA)


@contextmanager
def _write_lock(directory: Path, timeout: float = WRITE_LOCK_TIMEOUT) -> Iterator[None]:
    """An exclusive lock across processes and threads; waits up to `timeout` seconds."""
    fd = os.open(directory / LOCK_FILE, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() > deadline:
                    raise IndexBusy(
                        "another process has been writing the search index too long"
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_state(directory: Path) -> dict[str, int]:
    try:
        data = json.loads((directory / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(slug): int(pk) for slug, pk in data.get("indexed", {}).items()}


def _write_state(directory: Path, state: dict[str, int]) -> None:
    temporary = directory / f"{STATE_FILE}.tmp"
    temporary.write_text(json.dumps({"indexed": state}, sort_keys=True), encoding="utf-8")
    os.replace(temporary, directory / STATE_FILE)


# --- Documents ---------------------------------------------------------------


def _documents(meta: dict, rows: dict) -> list[dict]:
    """The index documents of one medicine version (documents.version_documents), with
    ``medicine_terms`` on the overview: every distinct word indexed for the medicine, so
    that medicines can be counted cheaply."""
    return _with_medicine_terms(version_documents(meta, rows))


def _with_medicine_terms(documents: list[dict]) -> list[dict]:
    fields = ("heading", "aliases", "items", "body", "conditions")
    texts = [document.get(field) or "" for document in documents for field in fields]
    if documents:
        texts.append(documents[0]["names"])
    # What ANALYZER makes of the text, word by distinct word: the analyser cuts
    # words as WORD_RE does, so each distinct word is stemmed once (and _stem
    # remembers the common ones) instead of every word of 30-40 KB of text.
    words = {word.lower() for word in WORD_RE.findall(" ".join(texts))}
    terms = {stem for word in words if (stem := _stem(word))}
    vocabulary = " ".join(sorted(vocabulary_words(documents)))
    for document in documents:
        if document["kind"] == "overview":
            document["medicine_terms"] = " ".join(sorted(terms))
            document["spelling"] = vocabulary
    return documents


# --- Status ------------------------------------------------------------------


def index_status() -> dict:
    """Report whether the index in ``settings.SEARCH_INDEX_DIR`` exists, opens and is current.

    Returns ``{"ok": bool, "detail": str}``; the detail is short, plain and free
    of file paths, as it may be shown to operators. The index is stale when the
    published versions it records differ from the database's. Never raises.
    """
    directory = Path(settings.SEARCH_INDEX_DIR)
    try:
        if not directory.is_dir() or not whoosh_index.exists_in(str(directory)):
            return {"ok": False, "detail": "no search index has been built"}
        with whoosh_index.open_dir(str(directory)).searcher() as searcher:
            count = searcher.doc_count()
    except Exception as error:
        return {"ok": False, "detail": f"the search index cannot be read ({type(error).__name__})"}
    try:
        published = dict(
            models.Medicine.objects.published().values_list("slug", "published_version_id")
        )
    except Exception as error:
        # The database's own check reports it; the index itself is readable.
        return {"ok": True, "detail": f"{count} documents (not compared: {type(error).__name__})"}
    indexed = _read_state(directory)
    differing = {slug for slug in published.keys() | indexed.keys()}
    differing = {slug for slug in differing if published.get(slug) != indexed.get(slug)}
    if differing:
        return stale_status(len(differing))
    return {"ok": True, "detail": f"{count} documents, {len(indexed)} medicines"}


class WhooshBackend(ModuleBackend):
    """The backend interface over this module's functions."""

    name = "whoosh"
    module = sys.modules[__name__]
