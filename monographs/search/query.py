"""What a patient typed, made into words both search backends use.

Normalising (NFKC, no control characters), cutting into words, the question
words dropped from queries, and the limits on how long a query may be and how
many words of it are searched. No backend imports here: both use these rules,
so that the same text asks the same thing of either.
"""

from __future__ import annotations

import re
import unicodedata

MAX_QUERY_LENGTH = 200
# At most this many words of a query are searched (the rest are ignored): a
# ceiling on the work one query can cause, whatever its length.
MAX_TERMS = 12

# A word as both backends cut it: letters and digits, with inner dots kept
# ("e.g", "0.5"), so "levodopa/carbidopa" is two words everywhere.
WORD_RE = re.compile(r"\w+(?:\.?\w+)*")

# Words of a patient's question that say nothing about its subject. Dropped
# from queries only: "what" is in the heading "What it is and what it is used
# for" and would pull every question there.
QUESTION_WORDS = frozenset(
    {"what", "whats", "how", "why", "which", "who", "whom", "does", "do", "did", "should"}
    | {"would", "could", "about", "i", "me", "my", "im"}
)


def normalize_query(text: str) -> str:
    """Patient text made safe to search: NFKC, no control or format characters, one space.

    Control characters, NULs, bidirectional marks and unassigned code points
    become spaces; what remains is stripped and its whitespace collapsed.
    """
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(" " if unicodedata.category(char)[0] == "C" else char for char in text)
    return " ".join(text.split())


def words_of(text: str) -> list[str]:
    """Every word of ``text``, casefolded, in order (a query's words for spelling)."""
    return [word.casefold() for word in WORD_RE.findall(text)]


def query_words(text: str) -> list[str]:
    """The plain words of a query, question words dropped, each once, at most MAX_TERMS."""
    words: list[str] = []
    for word in words_of(text):
        if word not in QUESTION_WORDS and word not in words:
            words.append(word)
    return words[:MAX_TERMS]
