"""The fast parse path gives markdown-it-py's own tokens, or steps aside.

parsing.py reads monographs through monographs.tree_tokens (markdown-it-pyrs)
when it can and through markdown-it-py otherwise; a difference between the two
would change what a page shows, so every field of every token is compared.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bench.generate import generate_monographs
from monographs import parsing
from monographs.parsing import markdown_body, parse_monograph
from monographs.tree_tokens import block_tokens

ROOT = Path(__file__).resolve().parent.parent
MONOGRAPHS = sorted((ROOT / "content").glob("*.md")) + sorted(
    (ROOT / "tests" / "content").rglob("*.md")
)


def _token_key(token, lines: list[str] | None):
    line_map = token.map
    if line_map and lines is not None and token.type.endswith(("list_open", "item_open")):
        # Where a list or list item ends, markdown-it may count the blank lines
        # after it; parsing.py strips them from a block's source either way.
        end = line_map[1]
        while end > line_map[0] + 1 and not lines[end - 1].strip():
            end -= 1
        line_map = [line_map[0], end]
    return (
        token.type,
        token.tag,
        token.nesting,
        dict(token.attrs),
        line_map,
        token.level,
        token.content,
        token.markup,
        token.info,
        token.meta,
        token.block,
        token.hidden,
        [_token_key(child, None) for child in token.children or ()],
    )


def assert_same_tokens(body: str) -> bool:
    """Compare the fast tokens with markdown-it-py's; False when the fast path stepped aside."""
    fast = block_tokens(body)
    if fast is None:
        return False
    lines = body.split("\n")
    reference = [_token_key(t, lines) for t in parsing._new_markdown().parse(body)]
    assert [_token_key(t, lines) for t in fast] == reference
    return True


@pytest.mark.parametrize("path", MONOGRAPHS, ids=lambda p: p.name)
def test_every_monograph_we_have_gives_the_same_tokens_either_way(path):
    body, _ = markdown_body(path.read_text())
    took_fast_path = assert_same_tokens(body)
    if path.parent.name != "broken":
        assert took_fast_path, "a well-formed monograph should not need the slow path"


def test_synthetic_monographs_give_the_same_tokens_and_the_same_monograph(tmp_path):
    generate_monographs(30, tmp_path)
    for path in sorted(tmp_path.glob("*.md")):
        text = path.read_text()
        assert assert_same_tokens(markdown_body(text)[0])
        fast = parse_monograph(text)
        slow = _parse_with_markdown_it_py(text)
        assert _without_tokens(fast) == _without_tokens(slow)


def test_baclofen_parses_to_the_same_monograph_either_way():
    text = (ROOT / "content" / "baclofen.md").read_text()
    assert _without_tokens(parse_monograph(text)) == _without_tokens(
        _parse_with_markdown_it_py(text)
    )


# Words and marks that make up generated Markdown: entities, escapes, emphasis
# of both kinds, code spans, links with titles and non-ASCII addresses, stray
# delimiters, and characters that are special only in some places.
WORDS = [
    "dose", "5 mg", "µg", "≥", "naïve", "A&E", "&amp;", "&copy;", "&#35;", "\\*", "\\_",
    "`code`", "``a`b``", "*em*", "_em_", "**strong**", "__strong__", "~~gone~~", "~one~",
    "[link](https://example.org/a_b?x=1&y=2)", '[t](https://example.org/ü "Title")',
    "[m](mailto:a@b.org)", "[s](/medicines/x/#y)", "[p](https://e.org/a(b)c)", "*", "_",
    "**", "~~", "[", "]", "(x)", "#", "##", "1.", "-", "+", "|", ":", "'q'", '"q"', "😀",
    "foo_bar_baz", "snake*case*x", "2*3*4", "**bold *and em* inside**",
    "*em **and strong** inside*", "text", "word", "x",
]  # fmt: skip


def _phrase(r: random.Random, n: int | None = None) -> str:
    return " ".join(r.choice(r.words) for _ in range(n or r.randint(1, 8)))


def _paragraph(r: random.Random) -> str:
    lines = [_phrase(r)]
    for _ in range(r.randint(0, 2)):
        lines[-1] += r.choice(["", "", "  ", "\\"])  # soft and hard line breaks
        lines.append(r.choice(["", " ", "  ", "    "]) + _phrase(r))
    return "\n".join(lines)


def _list(r: random.Random, depth: int = 0) -> str:
    ordered = r.random() < 0.4
    start = r.choice([1, 1, 2, 10])
    marker = r.choice([".", ")"]) if ordered else r.choice(["-", "*", "+"])
    items = []
    for i in range(r.randint(1, 4)):
        mark = f"{start + i}{marker}" if ordered else marker
        pad = " " * (len(mark) + 1)
        item = [f"{mark} {_phrase(r)}"]
        if r.random() < 0.3:
            item.append(pad + _phrase(r))
        if r.random() < 0.2:
            item += ["", pad + _phrase(r)]
        if depth < 2 and r.random() < 0.2:
            item += [pad + line if line else line for line in _list(r, depth + 1).split("\n")]
        items.append("\n".join(item))
    return ("\n\n" if r.random() < 0.3 else "\n").join(items)


def _table(r: random.Random) -> str:
    columns = r.randint(1, 4)
    rows = [
        "| " + " | ".join(_phrase(r, 2) for _ in range(columns)) + " |",
        "|" + "|".join(r.choice(["---", ":--", "--:", ":-:"]) for _ in range(columns)) + "|",
    ]
    for _ in range(r.randint(0, 3)):
        rows.append("| " + " | ".join(r.choice(["", _phrase(r, 3)]) for _ in range(columns)) + " |")
    return "\n".join(rows)


def _heading(r: random.Random) -> str:
    return "#" * r.randint(2, 4) + " " + _phrase(r, 3) + r.choice(["", " ##", " #", "#"])


def _document(seed: int) -> str:
    r = random.Random(seed)
    # Code spans and brackets in one text send it to markdown-it-py (see
    # tree_tokens): a document has one or the other, so most take the fast path.
    if r.random() < 0.5:
        r.words = [word for word in WORDS if "`" not in word]
    else:
        r.words = [word for word in WORDS if "[" not in word and "]" not in word]
    kinds = [_paragraph, _list, _table, _heading, _paragraph]
    blocks = [r.choice(kinds)(r) for _ in range(r.randint(1, 10))]
    return "\n\n".join(blocks) + r.choice(["", "\n", "\n\n"])


def test_generated_markdown_gives_the_same_tokens_either_way():
    fast = sum(assert_same_tokens(_document(seed)) for seed in range(1500))
    # Many documents take the fast path; the rest (setext headings, indented
    # code, non-ASCII link addresses) go to markdown-it-py.
    assert fast > 600


@pytest.mark.parametrize(
    "body",
    [
        # Inputs the two parsers once read differently (found by review and fuzzing).
        "[`",
        "a [` b",
        "See [note `x.",
        "[b]\n\n[b]: javascript:alert(1)",
        "[b]: javascript:x",
        "costs £__10__",
        "Brand**®** tablets",
        "5 mg**±**1",
        "_a_€",
        "__s__😀",
        "a\xa0",
        "- a\xa0",
        "# a\xa0",
        "| a\xa0 | b |\n|---|---|",
        "a\u3000",
        "a\x1f",
        "| a | b |\n|---|---|\n| c | d |\n2. x",
        "| a | b |\n|---|---|\n| c | d |\n- ",
        "a\n-:",
        "x\n-|\ny",
        "a\n--|\nb",
        "- a\n---|",
        "[a](https://bücher.example/x)",
        "[a](https://[::1]/x)",
        "[m](mailto:ü@bücher.example)",
        "-`  \n` ===#",
        "   1. &nbsp; ~~d~~~~d~~ _---  ",
        "a~~£b~~",
        "a~~b£~~c",
        "£5~~£4~~",
        "[a](https://&eacute;x.org/)",
        "[a](https://&#233;.org)",
        "- a\n- Dose | Time\n---|---\n5 mg | am",
        "* |\n--",
        "- a\n\\\n    :-",
        "- " * 10 + "a",
        "".join("  " * depth + "- item\n" for depth in range(12)),
        "*a _b *c _d *e _f *g _h *i _j *k _l m_* n_* o_* p_* q_* r_*",
        "- " * 600 + "a",
        "a\ud800",
    ],
)
def test_inputs_the_parsers_read_differently_are_left_to_markdown_it_py(body):
    # Either the fast path steps aside, or it gives exactly markdown-it-py's tokens;
    # it never raises.
    assert_same_tokens(body)


@pytest.mark.parametrize(
    "body",
    [
        "Text with <b>raw HTML</b>.",
        "<div>\nblock HTML\n</div>",
        "A [bad link](javascript:alert(1)).",
        "A [file](file:///etc/passwd).",
        "An ![image](/x.png).",
        "    indented code",
        "```\nfenced code\n```",
        "> a quote",
        "Setext heading\n---",
        "one\n\n---\n\ntwo",
        "\tTabbed text",
        "A | b\n--|--\nc \\| d | e",
        "***strong and em***",
    ],
)
def test_markdown_outside_the_fast_subset_goes_to_markdown_it_py(body):
    assert block_tokens(body) is None
    # ...and parsing.py still reads it, with markdown-it-py.
    assert parsing._new_markdown().parse(body)


def test_problems_are_still_reported_when_the_slow_path_reads_the_file():
    text = (ROOT / "tests" / "content" / "broken" / "javascript-link.md").read_text()
    with pytest.raises(parsing.MonographError) as caught:
        parse_monograph(text)
    assert "javascript" in str(caught.value)


def _parse_with_markdown_it_py(text: str):
    original = parsing.block_tokens
    parsing.block_tokens = lambda body: None
    try:
        return parse_monograph(text)
    finally:
        parsing.block_tokens = original


def _without_tokens(document):
    """The monograph with its token tuples blanked (their list ends may differ, see above)."""
    import dataclasses

    def strip(value):
        if dataclasses.is_dataclass(value):
            changes = {
                field.name: strip(getattr(value, field.name)) for field in dataclasses.fields(value)
            }
            for name in ("tokens", "intro_tokens"):
                if name in changes:
                    changes[name] = ()
            return dataclasses.replace(value, **changes)
        if isinstance(value, tuple):
            return tuple(strip(item) for item in value)
        return value

    return strip(document)
