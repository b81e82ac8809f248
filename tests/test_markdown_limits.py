"""Markdown past the limits is refused before any parser reads it (issue #20: 1, 2).

Deep nesting crashed markdown-it-pyrs with a segmentation fault (the whole
process died: the loader without naming the file, the editor's preview with
the server), and long emphasis runs kept a parser busy for minutes. Each
hostile input is made here, at the test, not stored. Inputs that used to crash
or stall run in a child process with a time limit, so that a regression is a
failed test, not a dead test run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from monographs.markdown_limits import (
    MAX_LINE_CHARS,
    MAX_LINES,
    MAX_MARKS,
    MAX_NESTING,
    MAX_TABLE_COLUMNS,
    check_markdown,
)
from monographs.models import Medicine
from monographs.parsing import MonographError, parse_monograph
from tests.factories import BACLOFEN, EXAMPLE, monograph_text, write_monograph

ROOT = Path(__file__).resolve().parent.parent
ANCHOR = "It works in the spinal cord.\n"
# The example's body line where a hostile body starts (after ANCHOR and a blank line).
HOSTILE_LINE = EXAMPLE.read_text(encoding="utf-8").splitlines().index(ANCHOR.strip()) + 3

# The inputs of issue #20 that crashed or stalled a process.
CRASHED_AND_STALLED = {
    "50,000 quote levels": ">" * 50_000 + " a",
    "50,000 list levels": "- " * 50_000 + "a",
    "600 KB of emphasis runs": "*a **b " * 85_000,
}

# (case, text just within the limit, text just past it, where past, message)
LIMITS = [
    (
        "nesting",
        "> " * MAX_NESTING + "a",
        "> " * (MAX_NESTING + 1) + "a",
        1,
        f"this line is nested {MAX_NESTING + 1} levels deep",
    ),
    (
        "list markers",
        "- " * MAX_NESTING + "a",
        "\n".join(["text", "", "1. " * (MAX_NESTING + 1) + "a"]),
        3,
        f"this line is nested {MAX_NESTING + 1} levels deep",
    ),
    (
        "indentation",
        " " * (2 * MAX_NESTING - 2) + "- a",
        "\n".join(["- a", " " * (2 * MAX_NESTING) + "- b"]),
        2,
        f"this line is nested {MAX_NESTING + 1} levels deep",
    ),
    (
        "line length",
        "a" * MAX_LINE_CHARS,
        "b\n" + "a" * (MAX_LINE_CHARS + 1),
        2,
        f"this line is {MAX_LINE_CHARS + 1:,} characters long",
    ),
    (
        "lines",
        "a\n" * (MAX_LINES - 1),
        "a\n" * MAX_LINES,
        MAX_LINES + 1,
        f"lines long; a monograph may have at most {MAX_LINES:,} lines",
    ),
    (
        "markup characters",
        "\n".join(["*a* b"] * (MAX_MARKS // 2)),
        "\n".join(["*a* b"] * (MAX_MARKS // 2 + 1)),
        MAX_MARKS // 2 + 1,
        f"the text has more than {MAX_MARKS:,} markup characters",
    ),
    (
        "table columns",
        "|" + "a|" * (MAX_TABLE_COLUMNS - 1),
        "|" + "a|" * MAX_TABLE_COLUMNS,
        1,
        f"this line has {MAX_TABLE_COLUMNS + 1} '|' characters",
    ),
]


def with_body(body: str) -> str:
    """The example monograph with `body` as a paragraph of its 'What it is' section."""
    text = monograph_text()
    assert ANCHOR in text
    return text.replace(ANCHOR, ANCHOR + "\n" + body + "\n", 1)


@pytest.mark.parametrize(
    ("case", "within", "past", "line", "message"), LIMITS, ids=[c[0] for c in LIMITS]
)
def test_each_limit_lets_its_largest_text_pass_and_names_the_line_past_it(
    case, within, past, line, message
):
    assert check_markdown(within) == []

    excesses = check_markdown(past, first_line=10)

    assert [(e.line, message in e.message) for e in excesses] == [(line + 9, True)]


@pytest.mark.parametrize(
    ("case", "within", "past", "line", "message"), LIMITS, ids=[c[0] for c in LIMITS]
)
def test_a_monograph_past_a_limit_is_refused_at_its_line_in_the_file(
    case, within, past, line, message
):
    with pytest.raises(MonographError) as raised:
        parse_monograph(with_body(past), "hostile.md")

    (problem,) = raised.value.problems
    assert message in problem.message
    if case in ("lines", "markup characters"):
        # Counted over the whole body, the example's own text included.
        assert HOSTILE_LINE <= problem.line <= HOSTILE_LINE + line
    else:
        assert problem.line == HOSTILE_LINE + line - 1


def test_real_monographs_are_well_within_every_limit():
    # An editor writing a long, real monograph must never meet a limit: each
    # is at least five times what baclofen, the longest, needs.
    body = BACLOFEN.read_text(encoding="utf-8")
    five_times = "\n\n".join([body] * 5)

    assert check_markdown(five_times) == []


def _run_python(code: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `code` with Django set up, in a child process that may crash or hang."""
    script = textwrap.dedent(
        """
        import django, json, os, sys
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "druginfo.settings")
        django.setup()
        """
    ) + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-"],
        input=script,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_text_that_crashed_or_stalled_a_parser_is_refused_without_harm():
    # Each input goes through everything that reads Markdown: the parser, the
    # renderer, the readability figures and the fast tokeniser itself.
    result = _run_python(
        f"""
        from monographs.parsing import MonographError, parse_monograph
        from monographs.readability import measure_readability
        from monographs.rendering import render_inline, render_markdown
        from monographs.tree_tokens import block_tokens
        cases = json.loads({json.dumps(CRASHED_AND_STALLED)!r})
        example = open({str(EXAMPLE)!r}, encoding="utf-8").read()
        for name, body in cases.items():
            text = example.replace({ANCHOR!r}, {ANCHOR!r} + "\\n" + body + "\\n", 1)
            try:
                parse_monograph(text, "hostile.md")
            except MonographError as error:
                print(name, "|", error.problems[0])
            else:
                print(name, "| accepted")
            render_markdown(body)
            render_inline(body[:200_000])
            measure_readability(text)
            block_tokens(body)
        print("survived")
        """
    )

    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    lines = result.stdout.splitlines()
    assert lines[-1] == "survived"
    for name in CRASHED_AND_STALLED:
        (line,) = [line for line in lines if line.startswith(name + " |")]
        assert f"hostile.md:{HOSTILE_LINE}: this line is" in line, line


def test_the_fast_tokeniser_leaves_deep_or_heavily_marked_text_to_the_other_parser():
    # markdown-it-pyrs must never see what can crash it, whoever calls it.
    result = _run_python(
        """
        from monographs.tree_tokens import block_tokens
        for body in (">" * 50_000 + " a", "- " * 50_000 + "a", "*a **b " * 85_000):
            print(block_tokens(body) is None)
        """
    )

    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert result.stdout.split() == ["True", "True", "True"]


def test_the_loader_names_the_file_and_line_of_text_past_a_limit(tmp_path):
    folder = tmp_path / "content"
    good = write_monograph(folder, "examplamide", monograph_text())
    deep = write_monograph(
        folder,
        "deepamide",
        with_body(">" * 50_000 + " a").replace("slug: examplamide", "slug: deepamide"),
    )
    slow = write_monograph(
        folder,
        "slowamide",
        with_body("\n".join(["*a **b " * 700] * 100)).replace(
            "slug: examplamide", "slug: slowamide"
        ),
    )
    env = {**_inherited_env(), "DJANGO_VAR_DIR": str(tmp_path / "var")}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)

    for dry_run in (["--dry-run"], []):
        result = subprocess.run(
            [sys.executable, "manage.py", "load_content", *dry_run, str(folder)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env=env,
        )

        assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
        assert f"{deep}:{HOSTILE_LINE}: this line is 50,002 characters long" in result.stderr
        assert (
            f"{slow}:{HOSTILE_LINE + MAX_MARKS // (3 * 700)}: the text has more than "
            f"{MAX_MARKS:,} markup characters" in result.stderr
        )
        assert str(good) not in result.stderr
        assert "Traceback" not in result.stderr
        assert "nothing was written" in result.stdout


def _inherited_env() -> dict[str, str]:
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("DJANGO_", "CONTENT_", "SEARCH_", "DATABASE_", "CACHE_URL", "MEDIA_")
        )
    } | {"DJANGO_SETTINGS_MODULE": "druginfo.settings", "PYTHONDONTWRITEBYTECODE": "1"}


# --- the editor: preview, save and add answer with the problem, never a 500 ---------------

NESTED = ">" * (MAX_LINE_CHARS - 10) + " a"
NESTED_PROBLEM = f"this line is nested {MAX_LINE_CHARS - 10:,} levels deep"


@pytest.fixture
def editor(db):
    from django.contrib.auth.models import Group, User
    from django.test import Client

    user = User.objects.create_user("erin", password="x", is_staff=True)  # noqa: S106
    user.groups.add(Group.objects.get(name="Editor"))
    client = Client()
    client.force_login(user)
    return client


def test_the_live_preview_names_the_line_past_a_limit(editor):
    response = editor.post("/markdownx/markdownify/", {"content": with_body(NESTED)})

    assert response.status_code == 200
    html = response.content.decode()
    assert f"line {HOSTILE_LINE}: {NESTED_PROBLEM}" in html
    # The text is shown as text, not parsed.
    assert "&gt;&gt;&gt;&gt;" in html


def test_saving_text_past_a_limit_keeps_the_text_and_changes_nothing(editor, tmp_path):
    from tests.factories import load_files

    load_files(write_monograph(tmp_path, "examplamide", monograph_text()))
    medicine = Medicine.objects.get()
    typed = with_body(NESTED)

    response = editor.post(
        f"/admin/monographs/medicine/{medicine.pk}/change/",
        {"source_text": typed, "base_number": 1},
    )

    assert response.status_code == 200
    assert f"line {HOSTILE_LINE}</a>: {NESTED_PROBLEM}" in response.content.decode()
    assert response.context["form"]["source_text"].value() == typed
    assert medicine.versions.count() == 1


def test_adding_a_medicine_past_a_limit_names_the_line(editor):
    response = editor.post(
        "/admin/monographs/medicine/add/", {"source_text": with_body("*a **b " * 85_000)}
    )

    assert response.status_code == 200
    assert f"line {HOSTILE_LINE}</a>: this line is 595,000 characters long" in (
        response.content.decode()
    )
    assert not Medicine.objects.exists()
