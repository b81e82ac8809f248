"""Turn Markdown into sanitised HTML: the site's only renderer and its only mark_safe.

Everything an editor or a content file writes reaches a page, a preview, a
search snippet or a leaflet through `render_markdown` or `render_inline`.
Markdown is rendered with raw HTML switched off, and the result then goes
through nh3 (the Ammonia sanitiser) with a small allow-list, so a `<script>`,
a `javascript:` link or an `on*` attribute cannot survive either step.
"""

from __future__ import annotations

import functools
import html as html_lib
import json
import re

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from .markdown_limits import check_markdown
from .tree_tokens import block_tokens

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "b",
    "i",
    "s",
    "del",
    "sub",
    "sup",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "abbr",
    "mark",
}
INLINE_TAGS = {
    "strong",
    "em",
    "b",
    "i",
    "s",
    "del",
    "sub",
    "sup",
    "code",
    "a",
    "abbr",
    "br",
    "mark",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "th": {"scope"},
    "td": set(),
}
URL_SCHEMES = {"http", "https", "mailto"}

_markdown = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)
# Level-2 headings belong to the page's section outline; a `##` inside a block
# of prose is shifted down so the heading order on the page stays sound.
_HEADING_SHIFT = {"h1": "h3", "h2": "h3"}


def _shift_headings(tokens):
    for token in tokens:
        if token.tag in _HEADING_SHIFT and token.type in ("heading_open", "heading_close"):
            token.tag = _HEADING_SHIFT[token.tag]
    return tokens


@functools.cache
def _cleaner(tags: frozenset[str]) -> nh3.Cleaner:
    """The sanitiser for `tags`, built once: nh3.clean builds one from its
    arguments on every call, which took half its time on a paragraph."""
    return nh3.Cleaner(
        tags=set(tags),
        attributes={tag: attrs for tag, attrs in ALLOWED_ATTRIBUTES.items() if tag in tags},
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


_TEXT_ONLY = nh3.Cleaner(tags=set())


def _clean(html: str, tags: set[str]) -> SafeString:
    return mark_safe(_cleaner(frozenset(tags)).clean(html))  # noqa: S308 -- nh3 has just removed everything not allow-listed


def _parse(text: str):
    """markdown-it-py's tokens for `text`, from markdown-it-pyrs where tree_tokens
    can rebuild them (several times sooner for a short piece).

    tree_tokens gives up on any "<", so raw HTML, which this renderer's
    markdown-it leaves as text, is always parsed by that markdown-it.
    """
    tokens = block_tokens(text)
    return tokens if tokens is not None else _markdown.parse(text)


def render_markdown(text: str) -> SafeString:
    """Render block Markdown (paragraphs, lists, tables) to sanitised HTML."""
    if not text:
        return mark_safe("")
    if check_markdown(text):
        # Past the limits, a parser may crash or stall (see markdown_limits):
        # the text is shown as it is, and the parser's checks say what is wrong.
        return mark_safe(f"<p>{html_lib.escape(text)}</p>")  # noqa: S308 -- escaped
    tokens = _shift_headings(_parse(text))
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return _clean(html, ALLOWED_TAGS)


def render_tokens(tokens) -> SafeString:
    """Render block tokens that parsing.py already produced, then sanitise as usual.

    The same output as render_markdown on their source text, without parsing it
    a second time: the bulk of a large load's rendering work.
    """
    if not tokens:
        return mark_safe("")
    html = _markdown.renderer.render(_shift_headings(list(tokens)), _markdown.options, {})
    return _clean(html, ALLOWED_TAGS)


def tokens_text(tokens) -> str:
    """The plain text of parsed tokens (for search and snippets), without rendering them."""
    words = []
    for token in tokens:
        for child in token.children or ():
            if child.type in ("text", "code_inline"):
                words.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                words.append(" ")
        if token.type in ("paragraph_close", "heading_close", "th_close", "td_close"):
            words.append(" ")
    return " ".join("".join(words).split())


# Text with none of these characters has no inline Markdown in it (emphasis,
# code, links, escapes, entities, HTML, line breaks): it renders as itself.
_PLAIN_TEXT = re.compile(r"[^\\`*_~\[\]!<>&]*")


def _is_plain(text: str) -> bool:
    # isprintable() also rules out control characters and every space but " ",
    # which markdown-it or the sanitiser would rewrite.
    return text.isprintable() and _PLAIN_TEXT.fullmatch(text) is not None


def render_inline(text: str) -> SafeString:
    """Render one line of inline Markdown (bold, links) with no paragraph around it."""
    return _inline_html(text)[0] if text else mark_safe("")


def render_inline_with_text(text: str) -> tuple[SafeString, str]:
    """render_inline(text) and the plain text of that HTML, as the loader stores both."""
    if not text:
        return mark_safe(""), ""
    html, plain = _inline_html(text)
    return html, " ".join(text.split()) if plain else html_to_text(html)


def _inline_html(text: str) -> tuple[SafeString, bool]:
    """The HTML of inline Markdown, and whether the text was plain (its own HTML)."""
    if _is_plain(text):
        # What markdown-it and nh3 would make of it, without running them: most
        # list items (side effects, takeaways) are plain sentences.
        return mark_safe(text), True  # noqa: S308 -- no character here can start markup
    if check_markdown(text):
        # Past the limits (see render_markdown): the text as it is.
        return mark_safe(html_lib.escape(text)), False  # noqa: S308 -- escaped
    children = _one_paragraph(text)
    if children is not None:
        html = _markdown.renderer.renderInline(children, _markdown.options, {})
    else:
        html = _markdown.renderInline(text)
    return _clean(html, INLINE_TAGS), False


def _one_paragraph(text: str):
    """The inline tokens of `text` read as a paragraph, when markdown-it-py's
    inline parse of `text` gives the same ones, else None.

    That is when the text is one line without spaces around it that makes one
    paragraph (not a heading or a list item), as a sentence with a link or some
    bold text does: then the fast parser can read it.
    """
    if "\n" in text or text != text.strip():
        return None
    tokens = block_tokens(text)
    if (
        tokens is None
        or len(tokens) != 3
        or tokens[0].type != "paragraph_open"
        or tokens[1].content != text
    ):
        return None
    return tokens[1].children


def strip_markdown(text: str) -> str:
    """Plain text of some Markdown, for search indexing, snippets and meta descriptions."""
    return html_to_text(render_markdown(text))


def html_to_text(html: str) -> str:
    """Plain text of HTML that render_markdown or render_inline produced.

    The loader stores both the HTML and the text of each piece; taking the text
    from the HTML saves rendering the same Markdown twice.
    """
    plain = _TEXT_ONLY.clean(str(html).replace("<", " <"))
    return " ".join(html_lib.unescape(plain).split())


# A JSON data block is never run, so the CSP does not apply to it, but its text
# must not be able to close the <script> element: the same escapes as json_script.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def render_json_data(data) -> SafeString:
    """JSON for a `<script type="application/ld+json">` data block, unable to end it."""
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(_JSON_SCRIPT_ESCAPES))  # noqa: S308


def trusted(html: str) -> SafeString:
    """Mark HTML that this module produced and the database stored as safe to print.

    Only for the `*_html` fields written by loading.py, which came out of
    render_markdown/render_inline; anything else must be rendered, not trusted.
    """
    return mark_safe(html)  # noqa: S308 -- sanitised by render_* before it was stored


# Private-use characters that comparing.py puts around changed words. A text to
# compare has them removed first, so here they can only be its marks.
MARK_START, MARK_END = "\ue000", "\ue001"
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)")


def render_markdown_marked(text: str, tag: str) -> SafeString:
    """render_markdown for text whose changed words are between MARK_START and MARK_END.

    After sanitising, each mark in the HTML's text becomes `<ins>`/`</ins>` or
    `<del>`/`</del>` (`tag`); a mark that ended up inside a tag (a link's address)
    is dropped. Nothing but those two fixed tags is added.
    """
    if tag not in ("ins", "del"):
        raise ValueError(f"not a mark tag: {tag!r}")
    parts = _TAG_OR_TEXT.split(str(render_markdown(text)))
    for index, part in enumerate(parts):
        if index % 2:  # a tag: no mark, written out or as a link address encodes it
            for mark in (MARK_START, MARK_END, "%EE%80%80", "%EE%80%81"):
                part = part.replace(mark, "")
            parts[index] = part
        else:
            parts[index] = part.replace(MARK_START, f"<{tag}>").replace(MARK_END, f"</{tag}>")
    return mark_safe("".join(parts))  # noqa: S308 -- sanitised HTML plus fixed <ins>/<del>
