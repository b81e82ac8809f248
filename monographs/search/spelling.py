"""Spelling helpers both backends share: edit distances and a vocabulary filed for look-ups.

A typed word is compared only with the words filed under its own first or last
letters (see ``half``), never with the whole vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterable

from .query import WORD_RE

# Did-you-mean looks only at words starting with the same letter(s): most typos
# are not in the first letter, and it keeps the look-up to a small slice of the
# vocabulary.
SPELLING_PREFIX = 1
SPELLING_MIN_LENGTH = 4


def half(length: int) -> int:
    """How many letters at either end of a word of ``length`` one edit leaves alone on one side.

    One edit (or a swap of neighbours) changes the letters at one or two
    neighbouring places, so either the first or the last ``length // 2 - 1``
    letters of the word are those of the word it came from.
    """
    return length // 2 - 1


def spelling_candidates(vocabulary: dict, word: str) -> set[str]:
    """Words of the vocabulary that may be one edit from ``word`` (checked by the caller)."""
    found: set[str] = set()
    for length in (len(word) - 1, len(word), len(word) + 1):
        size = half(length)
        if size < 2:
            found.update(vocabulary.get(("length", length, word[:SPELLING_PREFIX]), ()))
            continue
        found.update(vocabulary.get(("start", length, word[:size]), ()))
        found.update(vocabulary.get(("end", length, word[-size:]), ()))
    return found


def file_spelling_words(words: Iterable[str]) -> dict[tuple, list[str]]:
    """File each word under its start and its end (short words under their first letters)."""
    vocabulary: dict[tuple, list[str]] = {}
    for word in words:
        size = half(len(word))
        if size < 2:
            keys = [("length", len(word), word[:SPELLING_PREFIX])]
        else:
            keys = [("start", len(word), word[:size]), ("end", len(word), word[-size:])]
        for key in keys:
            vocabulary.setdefault(key, []).append(word)
    return vocabulary


def within_one_edit(a: str, b: str) -> bool:
    """True when b is a from one insertion, deletion, substitution or swap of neighbours."""
    if a == b:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    if abs(len(a) - len(b)) != 1:
        return False
    short, long = (a, b) if len(a) < len(b) else (b, a)
    for i in range(len(short)):
        if short[i] != long[i]:
            return short[i:] == long[i + 1 :]
    return True


def edit_distance(a: str, b: str) -> int:
    """Insertions, deletions, substitutions and swaps of neighbours turning a into b."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


# The vocabulary of did-you-mean: words of letters only, long enough to be
# worth correcting, and not absurdly long (no one misspells a 40-letter word).
VOCABULARY_MAX_LENGTH = 30
# Words at least this long may be corrected by two edits ("diarhea" to
# "diarrhoea"); shorter ones by one, as two edits make too many other words.
TWO_EDITS_MIN_LENGTH = 7
LETTERS = "abcdefghijklmnopqrstuvwxyz"

# Corrections offered for the start of a word typed in the search box, among the
# words sharing its first PREFIX_KEPT letters (a typo is rarely that early).
PREFIX_CORRECTIONS = 5
PREFIX_KEPT = 3


def vocabulary_words(documents: Iterable[dict]) -> set[str]:
    """The distinct plain words of one medicine's documents: its share of the vocabulary.

    Every field patients search (names, conditions, headings, items, body text),
    casefolded, letters only, SPELLING_MIN_LENGTH to VOCABULARY_MAX_LENGTH long.
    """
    fields = ("names", "conditions", "heading", "items", "body", "overview")
    # One pass over all the text, then the rules over the few distinct words: a
    # medicine's text is 30-40 KB and holds about 1,500 distinct words.
    text = " ".join(document.get(field) or "" for document in documents for field in fields)
    return vocabulary_of(WORD_RE.findall(text))


def vocabulary_of(words: Iterable[str]) -> set[str]:
    """The words (as WORD_RE cuts them) that belong in the spelling vocabulary, casefolded."""
    return {
        word.casefold()
        for word in set(words)
        if SPELLING_MIN_LENGTH <= len(word) <= VOCABULARY_MAX_LENGTH and word.isalpha()
    }


def best_correction(word: str, frequencies: dict[str, int], max_edits: int = 1) -> str | None:
    """The known word nearest ``word``: fewest edits (at most ``max_edits``), then the one
    most medicines use, then alphabetical. ``frequencies``: candidate -> medicines using it."""
    ranked = sorted(
        (distance, -count, candidate)
        for candidate, count in frequencies.items()
        if candidate != word and (distance := edit_distance(word, candidate)) <= max_edits
    )
    return ranked[0][2] if ranked else None


def starts_within_one_edit(typed: str, word: str) -> bool:
    """Whether ``word`` starts with ``typed``, or with ``typed`` changed by one edit."""
    if word.startswith(typed):
        return True
    return any(
        within_one_edit(typed, word[:length])
        for length in (len(typed) - 1, len(typed), len(typed) + 1)
        if 0 < length <= len(word)
    )


def one_edit_variants(word: str) -> set[str]:
    """Every string one deletion, swap of neighbours, substitution or insertion of a
    letter a-z from ``word`` (about 54 per letter of the word)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    variants = {left + right[1:] for left, right in splits if right}
    variants |= {left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1}
    variants |= {left + letter + right[1:] for left, right in splits if right for letter in LETTERS}
    variants |= {left + letter + right for left, right in splits for letter in LETTERS}
    variants.discard(word)
    return variants


def within_two_edits(vocabulary: dict, word: str) -> set[str]:
    """Words of a filed vocabulary (file_spelling_words) two edits from ``word``: the
    words one edit from any of its one-edit variants, first letter kept."""
    found: set[str] = set()
    for variant in one_edit_variants(word):
        if len(variant) < SPELLING_MIN_LENGTH or variant[:1] != word[:1]:
            continue
        found.update(
            candidate
            for candidate in spelling_candidates(vocabulary, variant)
            if candidate[:1] == word[:1] and within_one_edit(variant, candidate)
        )
    found.discard(word)
    return found
