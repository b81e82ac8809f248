"""Full-text search in PostgreSQL: the search backend shared by several app servers.

The only module that uses PostgreSQL's full-text search; the package
(monographs/search/__init__.py) chooses it when ``settings.SEARCH_BACKEND`` is
``"postgres"`` (the default on a PostgreSQL database). The index is rows in
the same database as the content
(models.SearchMedicine, SearchDocument, SearchName, SearchWord, SearchLexeme;
migrations 0003 and 0004), so a version published through any app server is
found by every other one as soon as its transaction commits.

It indexes exactly the documents documents.py builds for whoosh (one per
section, ``###`` part, side effect and interaction row) and answers with the
same result types:

- every document has a weighted search vector (English stemming, see
  VECTOR_CLASSES): A the medicine's names, brands, synonyms, conditions and
  ATC code (and the words patients use for a section); B headings and the side
  effect or interaction itself; C the body text; D the names once more on the
  "what it is for" part, so a name alone lands there. A GIN index serves the
  ``@@`` matches.
- the patient's text is cut into plain words first and each word goes through
  ``websearch_to_tsquery``, so operators, quotes and field names are just words
  and no input can make a query fail. Parts with any word match; ``ts_rank``
  with the weights above, times each word's rarity (BM25's idf, from the
  count of parts holding each word kept in SearchLexeme), ranks them, tripled
  for parts with every word; the results are grouped by medicine in the order
  of each one's best part (see _page_sql). A word found in a large share of
  all parts only adds to the score of parts a rarer word found (COMMON_SHARE).
- snippets come from ``ts_headline`` with private-use placeholder markers; the
  text is HTML-escaped first and only then do the placeholders become
  ``<mark>``, so nothing in a monograph can add markup.
- "did you mean" looks up the vocabulary of names and conditions with pg_trgm
  trigram similarity (GIN trigram index), then keeps a word at most two edits away.
- writers take a transaction-level advisory lock, so one writes at a time
  while readers go on reading the committed index.
"""

from __future__ import annotations

import collections
import functools
import math
import operator
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from django.contrib.postgres.search import SearchHeadline, SearchQuery
from django.core.paginator import Paginator
from django.db import DatabaseError, OperationalError, connection, connections, transaction
from django.db.models import Case, IntegerField, TextField, Value, When
from django.db.models.functions import Lower
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString

from .. import models
from ..loading import normalize_name
from .base import (
    BATCH_SIZE,
    COMMON_SHARE,
    HITS_PER_MEDICINE,
    MAX_SCORED,
    MAX_SEARCHED_WORDS,
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
from .documents import join, published_documents, version_documents
from .query import MAX_QUERY_LENGTH, MAX_TERMS, WORD_RE, normalize_query, query_words
from .spelling import (
    PREFIX_CORRECTIONS,
    PREFIX_KEPT,
    SPELLING_MIN_LENGTH,
    best_correction,
    starts_within_one_edit,
    vocabulary_of,
)

CONFIG = "english"
# ts_rank's weights for D, C, B, A, in whoosh's proportions (names 6, headings 4,
# overview 1.5, body 1).
RANK_WEIGHTS = "{0.25, 0.1667, 0.6667, 1.0}"
# A part holding every word of the query scores this many times as much.
ALL_WORDS_FACTOR = 3
# Placeholders for ts_headline's highlight markers: private-use characters,
# stripped from the stored text and from queries, so they only ever come from here.
MARK_START, MARK_STOP = "\ue000", "\ue001"
_MARKED_RE = re.compile(f"{MARK_START}(.*?){MARK_STOP}", re.S)
SNIPPET_WORDS = 35
# "Did you mean" offers only names at least this similar (pg_trgm) and at most
# MAX_EDITS edits away.
MIN_SIMILARITY = 0.3
MAX_EDITS = 2
# A word in more than COMMON_SHARE of all parts ("take", "dose") does not bring
# parts into the results by itself: it only adds to the score of the parts that
# another word of the query brought in. Ranking every part that says "take"
# would cost more than the rest of the search together. How many parts hold
# each word is kept in models.SearchLexeme as the index is written; a query of
# common words alone brings in the parts that have them all.
# A search scores the parts of at most this many medicines that match (more for a
# deep page): the candidates are found through the medicines' own search vectors,
# which is cheap, instead of intersecting the posting lists of every part.
CANDIDATE_MEDICINES = 100
# pg_advisory_xact_lock key of index writers: "drug" in ASCII.
WRITE_LOCK_KEY = 0x64727567
INSERT_BATCH = 500

_DOCUMENT = models.SearchDocument._meta.db_table
_MEDICINE = models.SearchMedicine._meta.db_table
_LEXEME = models.SearchLexeme._meta.db_table
_SPELLING = models.SearchSpelling._meta.db_table
# Near spellings compared for one word, and vocabulary words for one typed start.
SPELLING_CANDIDATES = 20
PREFIX_SCAN = 2_000


# --- Querying ------------------------------------------------------------------


def search(query: str, page, per_page: int) -> SearchResults:
    """monographs.search.search() on PostgreSQL."""
    text = normalize_query(query)[:MAX_QUERY_LENGTH]
    words = query_words(text)
    spelling = _spelling_words(text)
    try:
        named = _exactly_named(text)
        exact = _exact_of(named)
        unknown, frequencies, total = _word_facts(spelling, words)
        suggestion = _corrected(spelling, unknown)
        if len(named) > 1 and words:
            # A brand (or other name) several medicines share: those medicines,
            # each with what it is for, as the whoosh backend shows them.
            groups = _NamedMedicines([slug for slug, _ in named], words)
        else:
            groups = _GroupedHits(_searched_words(words, frequencies), frequencies, total)
        with _index_reads():
            result_page = Paginator(groups, per_page).get_page(page)
        total = len(groups)
    except DatabaseError as error:
        raise SearchUnavailable(
            f"the search tables cannot be read ({type(error).__name__})"
        ) from error
    return SearchResults(
        query=text,
        terms=tuple(words),
        page=result_page,
        total=total,
        exact=exact,
        suggestion=suggestion,
        scored=getattr(groups, "scored", 0),
    )


@contextmanager
def _index_reads():
    """A transaction in which the planner reads the search tables through their indexes.

    It takes the 10,000 rows of the medicines table for a small table and scans
    it, not counting that each row's search vector is stored apart (TOAST) and
    must be read back for the match: 50 ms where the GIN index takes 0.4-5 ms.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        yield


def _searched_words(words: Sequence[str], frequencies: dict[str, int]) -> list[str]:
    """The words worth searching: those some part holds, and of a long question only
    the MAX_SEARCHED_WORDS rarest (a common word adds work, not meaning)."""
    known = [word for word in words if frequencies.get(word, 0) > 0]
    if len(known) <= MAX_SEARCHED_WORDS:
        return known
    kept = set(sorted(known, key=lambda word: frequencies[word])[:MAX_SEARCHED_WORDS])
    return [word for word in known if word in kept]


def _tsquery_sql(words: Sequence[str], joiner: str) -> str:
    """``websearch_to_tsquery(...) || ...`` (any word) or ``&&`` (every word), one per word."""
    return f" {joiner} ".join([f"websearch_to_tsquery('{CONFIG}', %s)"] * len(words))


def _any_word_query(words: Sequence[str]) -> SearchQuery:
    return functools.reduce(
        operator.or_, (SearchQuery(word, config=CONFIG, search_type="websearch") for word in words)
    )


def _page_sql(
    words: Sequence[str],
    frequencies: dict[str, int],
    total: int,
    selective: Sequence[str],
    joiner: str = "||",
) -> tuple[str, list]:
    """SQL for the ids and ranks (1 = best) of the best parts of a page of medicines, and its
    parameters.

    A part's score adds up, for each word, ``ts_rank`` (weighted by field) times
    the word's inverse document frequency as BM25 weighs it (``frequencies`` of
    ``total`` parts): a word in most parts ("take") counts for little beside a
    rarer one ("stop"). Parts with every word score ALL_WORDS_FACTOR times as
    much. Only the parts with a ``selective`` word take part (see COMMON_SHARE).
    Each medicine brings its best HITS_PER_MEDICINE parts; medicines go in the
    order of their best part, ties by slug so pages never overlap. The last
    five parameters (candidate medicines, candidate parts, LIMIT, OFFSET and parts per
    medicine) are the caller's.
    """
    columns = [f"w{number}" for number in range(len(words))]
    query_columns = ", ".join(
        f"websearch_to_tsquery('{CONFIG}', %s) AS {column}" for column in columns
    )
    bringing = f" {joiner} ".join(
        f"q.{column}" for column, word in zip(columns, words, strict=True) if word in selective
    )
    # Each part's rank for each word, in one pass over the matching parts.
    ranks = ", ".join(
        f"ts_rank('{RANK_WEIGHTS}', d.vector, q.{column}) AS r{column}" for column in columns
    )
    # A word that is only stop words ("the") matches nothing and asks for nothing.
    has_every_word = " AND ".join(
        f"(r{column} > 0 OR numnode(q.{column}) = 0)" for column in columns
    )
    score = " + ".join(
        f"{_idf(frequencies.get(word, 0), total):.6f} * r{column}"
        for column, word in zip(columns, words, strict=True)
    )
    sql = f"""
        WITH q AS (SELECT {query_columns}),
        scored AS (
            SELECT m.id, m.medicine_id,
                   ({score})
                   * CASE WHEN {has_every_word} THEN {ALL_WORDS_FACTOR} ELSE 1 END
                   AS score
            FROM (
                SELECT d.id, d.medicine_id, {ranks} FROM {_DOCUMENT} d, q
                WHERE d.id IN (
                    SELECT d.id FROM {_DOCUMENT} d, q
                    WHERE d.medicine_id IN (
                        SELECT m.id FROM {_MEDICINE} m, q
                        WHERE m.vector @@ ({bringing}) LIMIT %s
                    )
                    AND d.vector @@ ({bringing})
                    LIMIT %s
                )
            ) m, q
        ),
        ranked AS (
            SELECT s.id, s.medicine_id, s.score, medicine.slug,
                   row_number() OVER (PARTITION BY s.medicine_id ORDER BY s.score DESC, s.id)
                   AS part,
                   max(s.score) OVER (PARTITION BY s.medicine_id) AS best
            FROM scored s JOIN {_MEDICINE} medicine ON medicine.id = s.medicine_id
        ),
        medicines AS (
            SELECT medicine_id, best, slug FROM ranked WHERE part = 1
            ORDER BY best DESC, slug LIMIT %s OFFSET %s
        )
        SELECT r.id, r.part, (SELECT count(*) FROM scored)
        FROM ranked r JOIN medicines USING (medicine_id)
        WHERE r.part <= %s
        ORDER BY medicines.best DESC, medicines.slug, r.part
    """  # noqa: S608 -- table and column names and numbers are ours; the words are parameters
    return sql, list(words)


def _idf(frequency: int, total: int) -> float:
    """BM25's inverse document frequency of a word in ``frequency`` of ``total`` parts."""
    return math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))


def _every_word_query(words: Sequence[str]) -> SearchQuery:
    return functools.reduce(
        operator.and_, (SearchQuery(word, config=CONFIG, search_type="websearch") for word in words)
    )


class _GroupedHits(Sequence):
    """Matching parts grouped by medicine, best medicine first; pages run one SQL query each.

    A Sequence for Django's Paginator, as in the whoosh backend: its length is
    the number of matching medicines.
    """

    def __init__(self, words: Sequence[str], frequencies: dict[str, int], total: int):
        self._words = list(words)
        self._frequencies = frequencies
        self._total = max(total, 1)
        # The words that bring parts in: not common (COMMON_SHARE). A query of
        # common words alone brings in the parts that have them all.
        ceiling = COMMON_SHARE * self._total
        self._selective = [word for word in words if frequencies.get(word, 0) <= ceiling]
        self._joiner = "||" if self._selective else "&&"
        if not self._selective:
            self._selective = list(words)
        # At most this many parts are scored; each costs about as much again per word.
        self._budget = MAX_SCORED // max(1, len(words))
        self.scored = 0
        self._count: int | None = None

    def __len__(self) -> int:
        if self._count is None:
            if not self._words:
                self._count = 0
            else:
                # The medicine rows hold every word of their parts: counting them
                # is cheaper than grouping every matching part.
                bringing = _tsquery_sql(self._selective, self._joiner)
                # Table name from the model; the words are parameters.
                sql = f"SELECT count(*) FROM {_MEDICINE} WHERE vector @@ ({bringing})"  # noqa: S608
                with connection.cursor() as cursor:
                    cursor.execute(sql, self._selective)
                    self._count = cursor.fetchone()[0]
        return self._count

    def __getitem__(self, item):
        if not isinstance(item, slice):
            return self[item : item + 1][0]
        start, stop, _ = item.indices(len(self))
        if not self._words or start >= stop:
            return []
        sql, params = _page_sql(
            self._words, self._frequencies, self._total, self._selective, self._joiner
        )
        # The candidates: the parts of the first medicines that match (enough for the
        # page asked for), at most the budget of parts.
        medicines = max(CANDIDATE_MEDICINES, 2 * stop)
        params += [medicines, self._budget, stop - start, start, HITS_PER_MEDICINE]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        self.scored = rows[0][2] if rows else 0
        rows = [(pk, part) for pk, part, _ in rows]
        ids = [pk for pk, _ in rows]
        # Only each medicine's best part shows a snippet: ts_headline reads the
        # whole text, so it runs for those alone.
        best = [pk for pk, part in rows if part == 1]
        # Snippets around every word where a part has them all together, else any.
        headlines = {"any_word_headline": _headline(_any_word_query(self._words), best)}
        if len(self._words) > 1:
            headlines["every_word_headline"] = _headline(_every_word_query(self._words), best)
        documents = (
            models.SearchDocument.objects.filter(pk__in=ids)
            .select_related("medicine")
            .annotate(**headlines)
            .in_bulk()
        )
        grouped: dict[str, list[models.SearchDocument]] = {}
        for pk in ids:
            document = documents[pk]
            grouped.setdefault(document.medicine.slug, []).append(document)
        return [self._medicine(slug, parts) for slug, parts in grouped.items()]

    @staticmethod
    def _medicine(slug: str, parts: list[models.SearchDocument]) -> MedicineResult:
        url = medicine_url(slug)
        hits = []
        seen = set()
        for document in parts:
            if document.anchor in seen:
                continue
            seen.add(document.anchor)
            hits.append(
                Hit(
                    section_key=document.section_key,
                    section=document.section,
                    heading=document.title,
                    anchor=document.anchor,
                    url=f"{url}#{document.anchor}",
                    # Only the best part gets a snippet: the others are links.
                    snippet=marked_snippet(_best_headline(document), document.text)
                    if not hits
                    else SafeString(""),
                )
            )
        return MedicineResult(slug=slug, name=parts[0].medicine.name, url=url, hits=tuple(hits))


def _headline(query: SearchQuery, pks: list[int] | None = None) -> Case | SearchHeadline:
    """The text around the matched words of the parts ``pks`` (all when None), markers
    around them; "" for the other parts."""
    headline = SearchHeadline(
        "text",
        query,
        config=CONFIG,
        start_sel=MARK_START,
        stop_sel=MARK_STOP,
        max_words=SNIPPET_WORDS,
        min_words=SNIPPET_WORDS // 2,
        short_word=2,
        max_fragments=1,
    )
    if pks is None:
        return headline
    return Case(When(pk__in=pks, then=headline), default=Value(""), output_field=TextField())


def _best_headline(document: models.SearchDocument) -> str:
    every_word = getattr(document, "every_word_headline", "")
    return every_word if MARK_START in every_word else document.any_word_headline


def marked_snippet(headline: str, text: str) -> SafeString:
    """ts_headline's output made safe: escaped, then its placeholder markers made ``<mark>``.

    ``headline`` is a piece of ``text`` with the matched words between
    MARK_START and MARK_STOP; an ellipsis shows where text was left out.
    """
    plain = headline.replace(MARK_START, "").replace(MARK_STOP, "")
    pieces: list[SafeString] = [] if text.startswith(plain[:40]) else [escape("… ")]
    for number, piece in enumerate(_MARKED_RE.split(headline)):
        if number % 2:
            pieces.append(format_html("<mark>{}</mark>", piece))
        else:
            pieces.append(escape(piece.replace(MARK_START, "").replace(MARK_STOP, "")))
    if not text.rstrip().endswith(plain.rstrip()[-40:]):
        pieces.append(escape(" …"))
    return format_html_join("", "{}", ((piece,) for piece in pieces))


def exact_match(query: str) -> ExactMatch | None:
    """monographs.search.exact_match() on PostgreSQL."""
    try:
        return _exact_match(normalize_query(query)[:MAX_QUERY_LENGTH])
    except DatabaseError as error:
        raise SearchUnavailable(type(error).__name__) from error


def _exact_match(text: str) -> ExactMatch | None:
    return _exact_of(_exactly_named(text, limit=2))


def _exact_of(named: list[tuple[str, str]]) -> ExactMatch | None:
    """The one medicine of ``named``, as an exact match; None for none or several."""
    if len(named) != 1:
        return None
    slug, name = named[0]
    return ExactMatch(slug, name, medicine_url(slug))


def _exactly_named(text: str, limit: int | None = None) -> list[tuple[str, str]]:
    """(slug, name) of the medicines whose whole name, brand or synonym is ``text``, by slug."""
    normalized = normalize_name(text).replace(",", " ")
    if not normalized:
        return []
    found = (
        models.SearchName.objects.filter(normalized=normalized)
        .values_list("medicine__slug", "medicine__name")
        .distinct()
        .order_by("medicine__slug")
    )
    return list(found[:limit] if limit else found)


class _NamedMedicines(Sequence):
    """The medicines a shared name belongs to, each with its overview part, by slug."""

    def __init__(self, slugs: Sequence[str], words: Sequence[str]):
        self._slugs = list(slugs)
        self._words = list(words)

    def __len__(self) -> int:
        return len(self._slugs)

    def __getitem__(self, item):
        if not isinstance(item, slice):
            return self[item : item + 1][0]
        slugs = self._slugs[item]
        overviews = (
            models.SearchDocument.objects.filter(medicine__slug__in=slugs, kind="overview")
            .select_related("medicine")
            .annotate(any_word_headline=_headline(_any_word_query(self._words)))
        )
        by_slug = {document.medicine.slug: document for document in overviews}
        return [_GroupedHits._medicine(slug, [by_slug[slug]]) for slug in slugs if slug in by_slug]


def did_you_mean(query: str) -> str | None:
    """monographs.search.did_you_mean() on PostgreSQL."""
    try:
        return _did_you_mean(normalize_query(query)[:MAX_QUERY_LENGTH])
    except DatabaseError as error:
        raise SearchUnavailable(type(error).__name__) from error


def _did_you_mean(text: str) -> str | None:
    spelling = _spelling_words(text)
    unknown, _, _ = _word_facts(spelling, [])
    return _corrected(spelling, unknown)


def _spelling_words(text: str) -> list[str]:
    return [word.casefold() for word in WORD_RE.findall(text)][:MAX_TERMS]


def _corrected(words: list[str], unknown: set[str]) -> str | None:
    """``words`` with each unknown one replaced by the closest name word; None if none is."""
    changed = False
    corrected = []
    for word in words:
        replacement = _closest_word(word) if word in unknown else None
        if replacement:
            changed = True
        corrected.append(replacement or word)
    return " ".join(corrected) if changed else None


def _word_facts(spelling: list[str], searched: list[str]) -> tuple[set[str], dict[str, int], int]:
    """What the index knows of some words, in one query of its word statistics.

    Returns the words of ``spelling`` that are unknown (not short, a number, a
    stop word, a name word, or in some part: "did you mean" looks for them),
    for each word of ``searched`` how many parts hold it, and how many parts
    there are.
    """
    spell = {word for word in spelling if len(word) >= SPELLING_MIN_LENGTH}
    spell = {word for word in spell if not word.isdigit()}
    words = sorted(spell | set(searched))
    if not words:
        return set(), {}, 0
    sql = f"""
        WITH facts AS (
            SELECT u.word, u.spell,
                   numnode(plainto_tsquery('{CONFIG}', u.word)) > 0 AS has_lexemes,
                   coalesce((
                       SELECT max(l.documents) FROM {_LEXEME} l
                       WHERE l.lexeme = ANY(tsvector_to_array(to_tsvector('{CONFIG}', u.word)))
                   ), 0) AS documents
            FROM unnest(%s::text[], %s::boolean[]) AS u(word, spell)
        )
        SELECT f.word,
               f.spell AND f.has_lexemes AND f.documents = 0 AND NOT EXISTS (
                   SELECT 1 FROM {_SPELLING} s WHERE s.word = f.word
               ) AND NOT EXISTS (
                   SELECT 1 FROM {models.SearchWord._meta.db_table} w WHERE w.word = f.word
               ),
               f.documents,
               (SELECT coalesce(sum(document_count), 0) FROM {_MEDICINE})
        FROM facts f
    """  # noqa: S608 -- table names from the models; the words are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [words, [word in spell for word in words]])
        rows = cursor.fetchall()
    unknown = {word for word, is_unknown, _, _ in rows if is_unknown}
    frequencies = {word: documents for word, _, documents, _ in rows}
    return unknown, frequencies, rows[0][3]


def _closest_word(word: str) -> str | None:
    """The word of the vocabulary nearest ``word``: fewest edits (at most MAX_EDITS), then
    the one most medicines use; only a word some indexed medicine still has."""
    # `%` is pg_trgm's "similar" operator, served by the trigram index; its
    # threshold (pg_trgm.similarity_threshold) is 0.3 unless a DBA changed it,
    # hence the check of MIN_SIMILARITY here as well. At most SPELLING_CANDIDATES
    # words are compared: the work of one word's correction has a ceiling.
    sql = f"""
        SELECT near.word, near.documents FROM (
            SELECT word, documents FROM {_SPELLING}
            WHERE word %% %s AND similarity(word, %s) >= %s
            ORDER BY similarity(word, %s) DESC, documents DESC, word
            LIMIT {SPELLING_CANDIDATES}
        ) near
        -- Removing a medicine leaves its words' counts (see _count_spelling): only
        -- words some indexed medicine still has are offered.
        WHERE EXISTS (
            SELECT 1 FROM {_MEDICINE} m WHERE m.vector @@ plainto_tsquery('{CONFIG}', near.word)
        )
    """  # noqa: S608 -- table names from the models; the word is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [word, word, MIN_SIMILARITY, word])
        return best_correction(word, dict(cursor.fetchall()), MAX_EDITS)


def correct_prefix(typed: str, limit: int = PREFIX_CORRECTIONS) -> list[str]:
    """Words of the vocabulary that start with ``typed``, or with it changed by one edit:
    the plain starts first, then the most used."""
    typed = typed.casefold()
    if len(typed) < SPELLING_MIN_LENGTH:
        return []
    # Words sharing the first letters (a typo is rarely there), at most PREFIX_SCAN.
    start = typed[:PREFIX_KEPT].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    sql = f"""
        SELECT word, documents FROM {_SPELLING} WHERE word LIKE %s
        ORDER BY documents DESC, word LIMIT {PREFIX_SCAN}
    """  # noqa: S608 -- table name from the model; the start is a parameter
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, [f"{start}%"])
            rows = cursor.fetchall()
    except DatabaseError as error:
        raise SearchUnavailable(type(error).__name__) from error
    found = sorted(
        (not word.startswith(typed), -documents, word)
        for word, documents in rows
        if starts_within_one_edit(typed, word)
    )
    return [word for _, _, word in found[:limit]]


def suggest(prefix: str, limit: int) -> list[Suggestion]:
    """monographs.search.suggest() on PostgreSQL: names, generic names and brands, not synonyms."""
    words = [w.casefold() for w in WORD_RE.findall(normalize_query(prefix))]
    words = words[:MAX_TERMS]
    if not words or len(words[-1]) < 2:
        return []
    typed = " ".join(words)
    # `words` is " word word ": LIKE '% bac%' is served by the trigram index.
    names = models.SearchName.objects.exclude(kind="synonym").filter(
        words__contains=f" {words[-1]}"
    )
    for word in words[:-1]:
        names = names.filter(words__contains=f" {word} ")
    names = names.annotate(
        rank=Case(
            When(words__startswith=f" {typed}", then=0), default=1, output_field=IntegerField()
        )
        + Case(When(kind="name", then=0), default=2, output_field=IntegerField())
    ).order_by("rank", Lower("label"), "medicine__slug")
    try:
        found = list(names.select_related("medicine")[:limit])
    except DatabaseError as error:
        raise SearchUnavailable(type(error).__name__) from error
    return [
        Suggestion(name.label, name.kind, name.medicine.name, medicine_url(name.medicine.slug))
        for name in found
    ]


# --- Writing -------------------------------------------------------------------


@contextmanager
def _write_transaction():
    """One transaction holding the writers' advisory lock; waits up to WRITE_LOCK_TIMEOUT."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('lock_timeout', %s, true)",
            [f"{int(WRITE_LOCK_TIMEOUT * 1000)}ms"],
        )
        try:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK_KEY])
        except OperationalError as error:
            raise IndexBusy("another process has been writing the search index too long") from error
        yield


def index_medicines(medicines: Iterable[models.Medicine]) -> int:
    """monographs.search.index_medicines() on PostgreSQL."""
    slugs = sorted({medicine.slug for medicine in medicines})
    if not slugs:
        return 0
    count = 0
    with _write_transaction():
        _delete_medicines(slugs)
        for start in range(0, len(slugs), BATCH_SIZE):
            batch = models.Medicine.objects.filter(slug__in=slugs[start : start + BATCH_SIZE])
            count += _store(published_documents(batch))
    return count


def remove_medicine(slug: str) -> None:
    """monographs.search.remove_medicine() on PostgreSQL."""
    with _write_transaction():
        _delete_medicines([slug])


def rebuild(progress: Callable[[int, int], None] | None = None) -> RebuildReport:
    """monographs.search.rebuild() on PostgreSQL: one transaction, so searches see the old
    index until the new one commits."""
    started = time.perf_counter()
    medicines = models.Medicine.objects.published().order_by("slug")
    pks = list(medicines.values_list("pk", flat=True))
    batches = [pks[start : start + BATCH_SIZE] for start in range(0, len(pks), BATCH_SIZE)]
    # Outside a transaction (as manage.py rebuild_index runs) the next batch is read
    # in a thread of its own while this one is written; inside one (a test), a
    # second connection would not see its rows.
    ahead = not connection.in_atomic_block
    documents = done = 0
    with _write_transaction():
        _delete_everything()
        if progress:
            progress(0, len(pks))
        for pairs in _read_batches(batches, ahead=ahead):
            documents += _store(pairs)
            done += len(pairs)
            if progress:
                progress(done, len(pks))
    _refresh_statistics()
    return RebuildReport(done, documents, time.perf_counter() - started)


def _read_batches(batches: list[list[int]], *, ahead: bool) -> Iterator[list]:
    """The (meta, documents) of each batch of medicine ids, in order; with ``ahead``,
    each next batch is read by a thread (its own connection) while the caller writes:
    reading is Python's work, writing mostly the server's, so the two overlap."""

    def read(batch: list[int]) -> list:
        return list(published_documents(models.Medicine.objects.filter(pk__in=batch)))

    if not ahead:
        for batch in batches:
            yield read(batch)
        return

    def read_apart(batch: list[int]) -> list:
        try:
            return read(batch)
        finally:
            connections.close_all()  # this thread's connections only

    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(read_apart, batches[0]) if batches else None
        for number in range(len(batches)):
            pairs = future.result()
            if number + 1 < len(batches):
                future = pool.submit(read_apart, batches[number + 1])
            yield pairs


def index_documents(pairs: Iterable[tuple[dict, dict]], *, replace: bool = False) -> int:
    """monographs.search.index_documents() on PostgreSQL."""
    count = 0
    with _write_transaction():
        if replace:
            _delete_everything()
        for meta, rows in pairs:
            _delete_medicines([meta["slug"]])
            count += _store([(meta, version_documents(meta, rows))])
    return count


def _search_tables() -> list[str]:
    """The index's tables, parts first."""
    return [
        model._meta.db_table
        for model in (
            models.SearchDocument,
            models.SearchName,
            models.SearchWord,
            models.SearchSpelling,
            models.SearchMedicine,
            models.SearchLexeme,
        )
    ]


def _delete_everything() -> None:
    # Plain DELETEs, parts first so nothing is left to cascade. Not the ORM's
    # delete(): for the medicines it reads every row, search vector and all, into
    # memory first (500 MB at 10,000 monographs). Not TRUNCATE: it would lock
    # searches out until the rebuild commits.
    with connection.cursor() as cursor:
        for table in _search_tables():
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 -- table names from the models


def _refresh_statistics() -> None:
    """After a rebuild: VACUUM (ANALYZE) the index's tables.

    A rebuild replaces every row. Until autovacuum came round, the planner
    guessed from the old statistics (or none) and every search read the new
    rows' visibility from the heap: at 10,000 monographs questions took a p95
    of 77 ms straight after a rebuild and 18 ms after VACUUM (ANALYZE). VACUUM
    cannot run inside a transaction (a test's): there, ANALYZE only.
    """
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for table in _search_tables():
            cursor.execute(f"{command} {table}")


def _delete_medicines(slugs: list[str]) -> None:
    """Take some medicines out of the index, and their parts out of the word counts."""
    ids = list(models.SearchMedicine.objects.filter(slug__in=slugs).values_list("pk", flat=True))
    if not ids:
        return
    _count_lexemes(ids, subtract=True)
    # Plain DELETEs (see _delete_everything): parts first, then the medicines.
    with connection.cursor() as cursor:
        for model in (models.SearchDocument, models.SearchName, models.SearchWord):
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE medicine_id = ANY(%s)",  # noqa: S608
                [ids],
            )
        cursor.execute(f"DELETE FROM {_MEDICINE} WHERE id = ANY(%s)", [ids])  # noqa: S608


def _count_lexemes(medicine_ids: list[int], *, subtract: bool = False) -> None:
    """Add (or take away) the words of these medicines' parts to SearchLexeme's counts.

    ts_stat() counts, for each lexeme, the parts holding it; it takes its rows
    as the text of a query, here over nothing but the given whole numbers.
    """
    parts = (
        f"SELECT vector FROM {_DOCUMENT} "  # noqa: S608 -- table name from the model; whole numbers
        f"WHERE medicine_id IN ({', '.join(str(int(pk)) for pk in medicine_ids)})"
    )
    with connection.cursor() as cursor:
        if subtract:
            cursor.execute(
                f"UPDATE {_LEXEME} l SET documents = l.documents - s.ndoc "  # noqa: S608
                "FROM ts_stat(%s) s WHERE l.lexeme = s.word",
                [parts],
            )
            cursor.execute(f"DELETE FROM {_LEXEME} WHERE documents = 0")  # noqa: S608
        else:
            cursor.execute(
                f"INSERT INTO {_LEXEME} (lexeme, documents) "  # noqa: S608
                "SELECT word, ndoc FROM ts_stat(%s) "
                "ON CONFLICT (lexeme) DO UPDATE SET documents = "
                f"{_LEXEME}.documents + EXCLUDED.documents",
                [parts],
            )


# Which fields of a document (see search._documents) go into which weight class.
# The section aliases, the words patients use for a section ("withdrawal" for
# Stopping), weigh as much as names: whoosh counts them in full beside the
# heading, and ts_rank would count a second class-B word for little.
VECTOR_CLASSES = (
    ("A", ("names", "conditions", "aliases")),
    ("B", ("heading", "items")),
    ("C", ("body",)),
    ("D", ("overview",)),
)
_DOCUMENT_COLUMNS = ("medicine_id", "position", "kind", "section_key", "section", "title")
_DOCUMENT_COLUMNS += ("anchor", "text")
_DOCUMENT_TYPES = ("bigint", "integer", "text", "text", "text", "text", "text", "text")


def _store(pairs: Iterable[tuple[dict, list[dict]]]) -> int:
    """Insert the rows of some medicines, given as (meta, documents); return documents stored.

    Plain SQL over arrays (``unnest``): one statement per table and batch, the
    vectors computed by PostgreSQL as the rows go in.
    """
    pairs = list(pairs)
    if not pairs:
        return 0
    # Every word of each medicine, cut once: its row's vector and its share of the
    # spelling vocabulary.
    plain = {meta["slug"]: _plain_words(_every_word(documents)) for meta, documents in pairs}
    medicine_ids = _insert_medicines(pairs, plain)
    parts: list[tuple] = []
    names, words = [], []
    for meta, documents in pairs:
        medicine_id = medicine_ids[meta["slug"]]
        for position, document in enumerate(documents, start=1):
            parts.append(_document_values(medicine_id, position, document))
        overview = next((d for d in documents if d["kind"] == "overview"), None)
        if overview is not None:
            names += _name_rows(medicine_id, meta, overview)
            words += [
                models.SearchWord(medicine_id=medicine_id, word=word)
                for word in sorted(set(overview["spell"].split()))
            ]
    for start in range(0, len(parts), INSERT_BATCH):
        _insert_documents(parts[start : start + INSERT_BATCH])
    _count_lexemes(list(medicine_ids.values()))
    _count_spelling(plain.values())
    models.SearchName.objects.bulk_create(names, batch_size=INSERT_BATCH)
    models.SearchWord.objects.bulk_create(words, batch_size=INSERT_BATCH)
    return len(parts)


def _count_spelling(texts: Iterable[str]) -> None:
    """Add these medicines' plain words to the spelling vocabulary's counts.

    Counts are only ever added: a medicine taken out leaves its words counted
    until the next rebuild (it would need every word kept per medicine to take
    them away), so a correction is checked against the medicines before it is
    offered (_closest_word).
    """
    counts: collections.Counter[str] = collections.Counter()
    for text in texts:
        counts.update(vocabulary_of(text.split()))
    if not counts:
        return
    words = sorted(counts)
    sql = f"""
        INSERT INTO {_SPELLING} (word, documents)
        SELECT * FROM unnest(%s::text[], %s::integer[])
        ON CONFLICT (word) DO UPDATE SET documents = {_SPELLING}.documents + EXCLUDED.documents
    """  # noqa: S608 -- table name from the model; the words are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [words, [counts[word] for word in words]])


def _insert_medicines(
    pairs: list[tuple[dict, list[dict]]], plain: dict[str, str]
) -> dict[str, int]:
    """Insert the medicine rows (``plain``: each one's words by slug); return their ids by
    slug."""
    columns = list(
        zip(
            *[
                (
                    meta["slug"],
                    meta["version_id"],
                    meta["name"],
                    len(documents),
                    plain[meta["slug"]],
                )
                for meta, documents in pairs
            ],
            strict=True,
        )
    )
    sql = f"""
        INSERT INTO {_MEDICINE} (slug, version_pk, name, document_count, vector)
        SELECT slug, version_pk, name, document_count, to_tsvector('{CONFIG}', words)
        FROM unnest(%s::text[], %s::bigint[], %s::text[], %s::integer[], %s::text[])
             AS u(slug, version_pk, name, document_count, words)
        RETURNING slug, id
    """  # noqa: S608 -- table name from the model; the values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(column) for column in columns])
        return dict(cursor.fetchall())


def _document_values(medicine_id: int, position: int, document: dict) -> tuple:
    return (
        medicine_id,
        position,
        document["kind"],
        document["section_key"],
        document["section"],
        document.get("title", ""),
        document["anchor"],
        _without_markers(document.get("text", "")),
        *(
            _plain_words(join(document.get(field, "") for field in fields))
            for _, fields in VECTOR_CLASSES
        ),
    )


def _insert_documents(rows: list[tuple]) -> None:
    weighted = [f"weight_{weight.lower()}" for weight, _ in VECTOR_CLASSES]
    vector = " || ".join(
        f"setweight(to_tsvector('{CONFIG}', {column}), '{weight}')"
        for column, (weight, _) in zip(weighted, VECTOR_CLASSES, strict=True)
    )
    names = [*_DOCUMENT_COLUMNS, *weighted]
    types = [*_DOCUMENT_TYPES, *["text"] * len(weighted)]
    arrays = ", ".join(f"%s::{kind}[]" for kind in types)
    sql = f"""
        INSERT INTO {_DOCUMENT} ({", ".join(_DOCUMENT_COLUMNS)}, vector)
        SELECT {", ".join(_DOCUMENT_COLUMNS)}, {vector}
        FROM unnest({arrays}) AS u({", ".join(names)})
    """  # noqa: S608 -- table and column names are ours; the values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)])


def _plain_words(text: str) -> str:
    """The words of ``text`` as whoosh and queries cut them, one space apart.

    PostgreSQL's own parser reads "levodopa/carbidopa" as a file path and
    "nhs.uk/x" as an address, single tokens no query word would match.
    """
    return " ".join(WORD_RE.findall(text))


def _every_word(documents: list[dict]) -> str:
    fields = ("names", "conditions", "heading", "aliases", "items", "body")
    seen_names = documents[0].get("names", "") if documents else ""
    texts = [seen_names]
    for document in documents:
        texts += [document.get(field, "") for field in fields if field != "names"]
    return join(texts)


def _name_rows(medicine_id: int, meta: dict, overview: dict) -> list[models.SearchName]:
    """One row per name: the labels offered while typing, and the synonyms (exact only)."""
    rows = {}
    for label, kind in overview["labels"]:
        rows.setdefault(_normalized(label), (label, kind))
    for synonym in meta.get("synonyms", []):
        rows.setdefault(_normalized(synonym), (synonym, "synonym"))
    return [
        models.SearchName(
            medicine_id=medicine_id,
            label=label,
            kind=kind,
            normalized=normalized,
            words=f" {' '.join(WORD_RE.findall(label.casefold()))} ",
        )
        for normalized, (label, kind) in rows.items()
        if normalized
    ]


def _normalized(name: str) -> str:
    return normalize_name(name).replace(",", " ")


def _without_markers(text: str) -> str:
    return text.replace(MARK_START, "").replace(MARK_STOP, "")


# --- Status --------------------------------------------------------------------


def index_status() -> dict:
    """monographs.search.index_status() on PostgreSQL: the index is current when every published
    version, and nothing else, is indexed."""
    try:
        indexed = dict(models.SearchMedicine.objects.values_list("slug", "version_pk"))
        published = dict(
            models.Medicine.objects.published().values_list("slug", "published_version_id")
        )
    except DatabaseError as error:
        return {"ok": False, "detail": f"the search tables cannot be read ({type(error).__name__})"}
    differing = {
        slug
        for slug in published.keys() | indexed.keys()
        if published.get(slug) != indexed.get(slug)
    }
    if differing:
        return stale_status(len(differing))
    noun = "medicine" if len(indexed) == 1 else "medicines"
    return {"ok": True, "detail": f"{len(indexed)} {noun} indexed in PostgreSQL"}


class PostgresBackend(ModuleBackend):
    """The backend interface over this module's functions."""

    name = "postgres"
    module = sys.modules[__name__]
