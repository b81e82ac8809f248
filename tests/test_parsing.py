"""The monograph parser, without a database: broken files name their lines, baclofen parses."""

from __future__ import annotations

import datetime
import re
from collections import Counter
from pathlib import Path

import pytest

from monographs.parsing import (
    MonographError,
    Problem,
    parse_file,
    parse_monograph,
    parse_reference,
)
from tests.factories import BACLOFEN, EXAMPLE, monograph_text

BROKEN = Path(__file__).resolve().parent / "content" / "broken"


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(MonographError) as caught:
        parse_file(path)
    return caught.value.problems


def assert_reported(problems: list[Problem], line: int, fragment: str) -> None:
    found = [p for p in problems if p.line == line and fragment in p.message]
    assert found, f"no problem at line {line} containing {fragment!r}; got:\n" + "\n".join(
        map(str, problems)
    )


# One file per error kind: (file, line, a fragment of the message a pharmacist acts on).
BROKEN_FILES = [
    (
        "unknown-band.md",
        93,
        "'Ocasional' is not a frequency band; use one of: Very common, Common, Uncommon, Rare, "
        "Very rare, Not known",
    ),
    (
        "section-out-of-order.md",
        83,
        "the section 'Overdose' is out of order; it must come before 'Stopping'",
    ),
    ("missing-section.md", 114, "the section '## Storage' is missing"),
    (
        "unknown-section.md",
        105,
        "'Price' is not a section of a monograph; use one of: Key takeaways",
    ),
    ("bad-interactions-row.md", 64, "this interactions row has 4 cells; it needs 3"),
    (
        "bad-interactions-header.md",
        62,
        "the interactions table header must be '| Medicine or group | What can happen | "
        "What to do |', not '| Medicine | Effect | Advice |'",
    ),
    (
        "missing-field.md",
        1,
        "the field 'drug_class' is missing; add a line 'drug_class: ...' between",
    ),
    ("wrong-type.md", 11, "'brands' must be a list, such as [a, b], not a number"),
    ("bad-atc.md", 5, "atc_code 'Z9ZZ01' is not a valid ATC code; it should look like M03BX01"),
    (
        "slug-mismatch.md",
        2,
        "slug 'examplamide' does not match the file name 'slug-mismatch.md'",
    ),
    (
        "next-review-not-after.md",
        19,
        "next_review (2026-01-10) must be later than last_reviewed (2026-01-10)",
    ),
    ("invalid-doi.md", 118, "'10.10/example.1' is not a valid DOI"),
    ("raw-html.md", 38, "raw HTML is not allowed in a monograph"),
    ("raw-inline-html.md", 38, "raw HTML (<b>) is not allowed"),
    ("javascript-link.md", 38, "the link 'javascript:alert(1)' is not allowed"),
    (
        "unknown-dosing-field.md",
        77,
        "'Top dose' is not a dosing field; start each item with one of",
    ),
    # Issue #17: a missing closing '---' is one problem, where the '---' belongs.
    (
        "unclosed-front-matter.md",
        26,
        "the fields block at the top is not closed: add a line '---' after line 26, the last "
        "field, before the heading '## Key takeaways'",
    ),
    ("h1-heading.md", 38, "level-1 headings ('# ') are not allowed"),
    (
        "bad-yaml.md",
        9,
        "the fields at the top cannot be read: expected ',' or ']', but got ':' "
        "(in the list in [ ] that starts on line 8)",
    ),
    # Issue #20: what YAML or the database would reject is a problem at its line.
    ("month-13.md", 18, "'last_reviewed' 2026-13-01 is not a date in the calendar"),
    ("year-zero.md", 19, "'next_review' 0000-01-10 is not a date in the calendar"),
    ("huge-version.md", 16, "'version' 9223372036854775808 is too large; at most 2,147,483,647"),
    ("huge-number.md", 11, "the fields at the top cannot be read: this number is too long"),
    ("nested-yaml.md", 12, "the fields at the top cannot be read: it is nested more than 10"),
    ("deeply-nested-yaml.md", 12, "the fields at the top cannot be read: exceeded maximum nesting"),
    # 9 to the 12th aliases: refused at once, not walked.
    ("yaml-alias-bomb.md", 16, "the fields at the top cannot be read: it is nested more than 10"),
    # 20 to the 7th aliases within the depth limit: each node is walked once.
    ("yaml-alias-bomb-wide.md", 12, "every item of 'synonyms' must be text; found a list"),
    ("nul-in-text.md", 6, "'drug_class' contains the control character U+0000; delete it"),
    ("nul-in-body.md", 31, "contains the control character U+0000, which no page can show"),
    ("name-too-long.md", 3, "'name' is 215 characters long; at most 200"),
    # Plain-text fields are text: HTML in them is refused, never stored.
    (
        "html-in-change-summary.md",
        26,
        "'change_summary' is plain text; HTML (<script) is not allowed in it",
    ),
    ("html-in-name.md", 3, "'name' is plain text; HTML (<img src=x onerror=alert(1)) is not"),
    ("html-in-source.md", 22, "'source' is plain text; HTML (<b) is not allowed in it"),
    (
        "html-in-safety-warning.md",
        14,
        "raw HTML (<img src=x onerror=alert(1)>) is not allowed in 'safety_warnings'",
    ),
    (
        "javascript-link-in-safety-warning.md",
        14,
        "the link 'javascript:alert(1)' is not allowed in 'safety_warnings'",
    ),
]


@pytest.mark.parametrize(("name", "line", "fragment"), BROKEN_FILES)
def test_each_broken_file_names_its_line_and_what_to_do(name, line, fragment):
    problems = problems_of(BROKEN / name)

    assert_reported(problems, line, fragment)
    assert all(p.path == str(BROKEN / name) for p in problems)


def test_every_broken_file_in_the_corpus_is_checked_here():
    tested = {name for name, _, _ in BROKEN_FILES} | {"several-problems.md"}
    assert {path.name for path in BROKEN.glob("*.md")} == tested


@pytest.mark.parametrize(("name", "line", "fragment"), BROKEN_FILES)
def test_a_broken_file_has_only_its_one_defect(name, line, fragment):
    problems = problems_of(BROKEN / name)

    assert {p.line for p in problems} == {line}


def test_all_problems_in_a_file_are_reported_at_once():
    problems = problems_of(BROKEN / "several-problems.md")

    assert [(p.line, p.message.split(";")[0]) for p in problems] == [
        (5, "atc_code 'M3BX01' is not a valid ATC code"),
        (11, "'brands' must be a list, such as [a, b], not a number"),
        (
            38,
            "the link 'javascript:alert(1)' is not allowed",
        ),
        (64, "this interactions row has 2 cells"),
        (93, "'Ocasional' is not a frequency band"),
        (118, "'10.1/example.1' is not a valid DOI"),
    ]


def test_a_front_matter_with_no_closing_line_at_all_is_one_problem():
    with pytest.raises(MonographError) as caught:
        parse_monograph("---\nslug: examplamide\nname: Examplamide\n")

    assert [(p.line, p.message) for p in caught.value.problems] == [
        (1, "the fields block at the top is not closed: add a line '---' after the last field")
    ]


def test_yaml_words_are_put_in_the_words_of_the_text():
    with pytest.raises(MonographError) as caught:
        parse_monograph("---\nname: Example: a medicine\n---\n")

    problem = caught.value.problems[0]
    assert problem.line == 2
    assert "a ':' followed by a space is not allowed here" in problem.message
    assert "YAML" not in problem.message and "mapping" not in problem.message


def test_a_problem_reads_as_file_line_and_sentence():
    (problem,) = problems_of(BROKEN / "unknown-band.md")

    assert str(problem).startswith(f"{BROKEN / 'unknown-band.md'}:93: 'Ocasional' is not")


def test_a_file_that_is_not_utf8_names_the_line_of_the_bad_byte(tmp_path):
    path = tmp_path / "examplamide.md"
    raw = EXAMPLE.read_bytes().replace(
        "Keep below 25°C.".encode(), "Keep below 25\xb0C.".encode("latin-1")
    )
    path.write_bytes(raw)

    (problem,) = problems_of(path)

    assert problem.line == 103
    assert "is not valid UTF-8" in problem.message
    assert "save the file as UTF-8" in problem.message


def test_a_file_over_one_megabyte_is_refused_before_parsing(tmp_path):
    path = tmp_path / "examplamide.md"
    text = monograph_text() + "\n" + ("Padding paragraph. " * 60 + "\n\n") * 900
    path.write_text(text, encoding="utf-8")
    assert path.stat().st_size > 1_000_000

    (problem,) = problems_of(path)

    assert problem.line == 0
    assert "a monograph may be at most 1,000,000 bytes" in problem.message


@pytest.mark.parametrize(
    "url",
    [
        "JaVaScRiPt:alert(1)",
        "&#106;avascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)",
        "//evil.example/page",
        "ftp://files.example/x",
    ],
)
def test_links_other_than_web_mail_or_site_pages_are_refused(url):
    text = monograph_text().replace(
        "It works in the spinal cord.", f"It works in the [spinal cord]({url})."
    )

    with pytest.raises(MonographError) as caught:
        parse_monograph(text, "examplamide.md", expected_slug="examplamide")

    (problem,) = caught.value.problems
    assert problem.line == 38
    assert "is not allowed; links must start with http://, https://, mailto: or /" in (
        problem.message
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://www.ema.europa.eu/",
        "http://example.org",
        "mailto:a@b.example",
        "/medicines/",
        "#dosage",
    ],
)
def test_web_mail_and_site_links_are_accepted(url):
    text = monograph_text().replace(
        "It works in the spinal cord.", f"It works in the [spinal cord]({url})."
    )

    document = parse_monograph(text, "examplamide.md", expected_slug="examplamide")

    assert url in document.section("uses").intro


def test_an_image_with_a_javascript_source_is_refused():
    text = monograph_text().replace("It works in the spinal cord.", "![x](javascript:alert(1))")

    with pytest.raises(MonographError, match="is not allowed"):
        parse_monograph(text, "examplamide.md")


def test_a_draft_status_and_a_missing_language_are_read():
    document = parse_monograph(monograph_text(status="draft"), "examplamide.md")

    assert document.status == "draft"
    assert document.language == "en"


def test_a_version_of_zero_is_refused_at_its_line():
    with pytest.raises(MonographError) as caught:
        parse_monograph(monograph_text(version=0), "examplamide.md")

    (problem,) = caught.value.problems
    assert problem.line == 16
    assert "'version' must be a whole number of 1 or more, not 0" in problem.message


def test_a_less_than_sign_in_plain_text_is_text_not_html():
    document = parse_monograph(
        monograph_text(change_summary="'Children under 5 (weight < 20 kg): a lower dose.'"),
        "examplamide.md",
    )

    assert document.change_summary == "Children under 5 (weight < 20 kg): a lower dose."


def test_a_source_date_written_as_a_day_stays_the_text_it_was():
    text = monograph_text().replace('date: "2025"', "date: 2025-03-01")

    (source,) = parse_monograph(text, "examplamide.md").sources

    assert source.date == "2025-03-01"


def _with_fields(extra: str) -> str:
    """The example monograph with `extra` front-matter lines added after its version."""
    return monograph_text().replace("\nversion:", "\n" + extra.strip("\n") + "\nversion:", 1)


def test_groups_source_documents_and_accepted_numbers_are_read():
    text = _with_fields(
        """
classes: [Blood pressure medicines, Angiotensin II receptor blockers]
source_documents: [sources/examplamide/label.xml]
accepted_numbers:
  - number: "2.5 ml"
    reason: "Half of the 5 ml spoon the label names; the page says so"
"""
    )
    document = parse_monograph(text, "examplamide.md")

    assert document.classes == ("Blood pressure medicines", "Angiotensin II receptor blockers")
    assert document.source_documents == ("sources/examplamide/label.xml",)
    (accepted,) = document.accepted_numbers
    assert accepted.number == "2.5 ml"
    assert accepted.reason == "Half of the 5 ml spoon the label names; the page says so"


def test_reviewers_are_not_needed_in_the_file():
    text = re.sub(r"^reviewers:.*\n", "", monograph_text(), flags=re.M)

    assert parse_monograph(text, "examplamide.md").reviewers == ()


@pytest.mark.parametrize(
    "path", ["/etc/passwd", "../secret.xml", "sources/../x/y.xml", "label.xml", "sources/x.xml"]
)
def test_a_source_document_outside_the_sources_folder_is_refused(path):
    with pytest.raises(MonographError) as caught:
        parse_monograph(_with_fields(f'source_documents: ["{path}"]'), "examplamide.md")

    (problem,) = caught.value.problems
    assert f"source document '{path}' must be a file under the content folder's sources/" in (
        problem.message
    )


@pytest.mark.parametrize(
    "value", ['["2 mg"]', "[{number: 2 mg}]", '[{number: "", reason: "why"}]', "accepted"]
)
def test_an_accepted_number_needs_the_number_and_a_reason(value):
    with pytest.raises(MonographError) as caught:
        parse_monograph(_with_fields(f"accepted_numbers: {value}"), "examplamide.md")

    (problem,) = caught.value.problems
    assert "accepted number" in problem.message or "'accepted_numbers' must be" in problem.message
    assert problem.line > 1


def test_a_section_that_appears_twice_is_reported():
    text = monograph_text() + "\n## Storage\n\nAgain.\n"

    with pytest.raises(MonographError) as caught:
        parse_monograph(text, "examplamide.md")

    assert [(p.line, p.message) for p in caught.value.problems] == [
        (120, "the section 'Storage' appears twice")
    ]


# --- baclofen -----------------------------------------------------------------


@pytest.fixture(scope="module")
def baclofen():
    return parse_file(BACLOFEN)


def test_baclofen_has_every_section_in_order(baclofen):
    assert [s.anchor for s in baclofen.sections] == [
        "key-takeaways",
        "uses",
        "before-you-take-it",
        "interactions",
        "dosage",
        "overdose",
        "stopping",
        "side-effects",
        "storage",
        "contents",
        "faqs",
        "references",
    ]


def test_baclofen_structured_blocks_have_the_expected_counts(baclofen):
    assert len(baclofen.takeaways) == 6
    assert len(baclofen.interactions) == 6
    assert len(baclofen.minor_interactions) == 4
    assert len(baclofen.dosing) == 8
    assert len(baclofen.faqs) == 6
    assert len(baclofen.references) == 10
    assert len(baclofen.urgent_help) == 3
    assert len(baclofen.safety_warnings) == 3
    assert Counter(effect.band for effect in baclofen.side_effects) == {
        "very_common": 2,
        "common": 20,
        "uncommon": 12,
        "rare": 1,
        "not_known": 2,
    }


def test_baclofen_front_matter_values(baclofen):
    assert baclofen.slug == "baclofen"
    assert baclofen.name == "Baclofen"
    assert baclofen.atc_code == "M03BX01"
    assert baclofen.prescription_status == "prescription only"
    assert baclofen.version == 1
    assert baclofen.status == "published"
    assert baclofen.language == "en"
    assert baclofen.last_reviewed == datetime.date(2026, 11, 26)
    assert baclofen.next_review == datetime.date(2027, 11, 26)
    assert baclofen.brands == (
        "Lioresal",
        "Gablofen",
        "Baclofen Viatris",
        "Baclofen Medical Valley",
    )
    assert "baclophen" in baclofen.synonyms
    assert baclofen.conditions == (
        "Multiple sclerosis",
        "Spinal cord injury",
        "Cerebral palsy",
        "Stroke",
    )
    assert [s.publisher for s in baclofen.sources] == [
        "European Medicines Agency (EMA)",
        "U.S. Food and Drug Administration (FDA)",
        "U.S. Food and Drug Administration (FDA)",
        "British National Formulary (BNF)",
    ]
    assert baclofen.field_lines["version"] == 33
    assert baclofen.source_text == BACLOFEN.read_text(encoding="utf-8")


def test_baclofen_major_interactions_keep_their_examples_apart(baclofen):
    opioids = baclofen.interactions[0]

    assert opioids.medicine == "Opioid painkillers"
    assert opioids.examples == ("morphine", "oxycodone", "fentanyl")
    assert opioids.effect.startswith("Higher risk of breathing slowing down too much")
    assert opioids.action == (
        "Your doctor uses the lowest doses that work. Your breathing is checked closely."
    )
    assert [i.medicine for i in baclofen.minor_interactions] == [
        "Other muscle relaxants",
        "Sedating antihistamines",
        "Sleeping tablets",
        "Lithium",
    ]


def test_baclofen_adult_tablet_dosing_card(baclofen):
    adults = baclofen.dosing[0]

    assert adults.title == "Adults: tablets"
    assert adults.anchor == "dosage-adults-tablets"
    assert adults.population == "Adults"
    assert adults.route == "By mouth"
    assert adults.starting_dose == "5 mg three times a day. This is 15 mg a day in total."
    assert adults.maintenance == "30–80 mg a day, split into 3–4 doses."
    assert adults.maximum.startswith("80–100 mg a day.")


def test_baclofen_quick_answers_are_taken_out_of_the_prose(baclofen):
    uses = baclofen.section("uses")

    assert uses.quick_answer.startswith("Baclofen is a prescription medicine that relaxes")
    assert "Quick answer" not in uses.intro
    assert baclofen.section("takeaways").quick_answer == ""


def test_baclofen_anchors_for_subsections_dosing_cards_and_questions(baclofen):
    blocks = {block.anchor: block.kind for s in baclofen.sections for block in s.blocks}

    assert blocks["before-you-take-it-who-should-not-take-it"] == "prose"
    assert blocks["interactions-major-interactions"] == "major_interactions"
    assert blocks["dosage-adults-pump-into-the-spine-intrathecal"] == "dosing"
    assert blocks["side-effects-very-common"] == "band"
    assert blocks["side-effects-when-to-get-urgent-help"] == "urgent_help"
    assert [faq.anchor for faq in baclofen.faqs] == [
        "faqs-what-is-baclofen-used-for",
        "faqs-what-happens-if-i-stop-taking-baclofen-suddenly",
        "faqs-what-are-the-most-common-side-effects",
        "faqs-can-children-take-baclofen",
        "faqs-is-baclofen-a-benzodiazepine",
        "faqs-can-i-drink-alcohol-while-taking-baclofen",
    ]


EMA = "European Medicines Agency (EMA)"
FDA = "U.S. Food and Drug Administration (FDA)"
WHO = "World Health Organization (WHO)"
BNF = "British National Formulary (BNF)"
NICE = "National Institute for Health and Care Excellence (NICE)"
BACLOFEN_REFERENCES = [
    (EMA, "Baclofen Summary of Product Characteristics", EMA, 2024, ""),
    (FDA, "Lioresal (Baclofen) Prescribing Information", FDA, 2023, ""),
    (FDA, "Gablofen (Baclofen Injection) Prescribing Information", FDA, 2023, ""),
    (WHO, "WHO Model List of Essential Medicines", WHO, 2023, ""),
    (BNF, "Baclofen Monograph", BNF, 2025, ""),
    (NICE, "Spasticity in Under 19s: Management", NICE, 2024, ""),
    (
        "Kheder A, Nair KPS",
        "Spasticity: pathophysiology, evaluation and management",
        "Practical Neurology",
        2012,
        "10.1136/practneurol-2011-000155",
    ),
    (
        "Dario A, Tomei G",
        "A benefit-risk assessment of baclofen in severe spinal spasticity",
        "Drug Safety",
        2004,
        "",
    ),
    (
        "Coffey RJ, Edgar TS, Francisco GE, et al",
        "Abrupt withdrawal from intrathecal baclofen: recognition and management of a "
        "potentially life-threatening syndrome",
        "Archives of Physical Medicine and Rehabilitation",
        2002,
        "",
    ),
    (
        "Ertzgaard P, Campo C, Calabrese A",
        "Efficacy and safety of oral baclofen in the management of spasticity: a rationale "
        "for intrathecal baclofen",
        "Journal of Rehabilitation Medicine",
        2017,
        "",
    ),
]


def test_baclofen_references_are_split_into_their_parts(baclofen):
    parts = [(r.authors, r.title, r.container, r.year, r.doi) for r in baclofen.references]

    assert parts == BACLOFEN_REFERENCES
    assert [r.number for r in baclofen.references] == list(range(1, 11))
    first = _line_of("1. European Medicines Agency (EMA)")
    assert [r.line for r in baclofen.references] == list(range(first, first + 10))


def test_baclofen_references_keep_the_citation_exactly_as_written(baclofen):
    first = _line_of("1. European Medicines Agency (EMA)")
    lines = BACLOFEN.read_text(encoding="utf-8").splitlines()[first - 1 : first + 9]

    assert [f"{r.number}. {r.text}" for r in baclofen.references] == lines


def _line_of(start: str) -> int:
    """The 1-based line of content/baclofen.md that starts with `start`."""
    lines = BACLOFEN.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.startswith(start))


def test_a_book_citation_names_its_publisher():
    reference = parse_reference(
        "Smith J, Jones AB. A book of things. London: Example Press; 2010.", number=3
    )

    assert (reference.authors, reference.title, reference.container, reference.year) == (
        "Smith J, Jones AB",
        "A book of things",
        "Example Press",
        2010,
    )


def test_a_doi_link_and_a_web_address_are_picked_out_of_a_citation():
    by_link = parse_reference(
        "Doe J. A trial. Journal of Examples. 2020;1(2):3-4. https://doi.org/10.1000/xyz.9",
        number=1,
    )
    web = parse_reference("Example Agency. A web page. https://example.org/page. 2024.", number=2)

    assert (by_link.doi, by_link.url, by_link.container) == (
        "10.1000/xyz.9",
        "",
        "Journal of Examples",
    )
    assert (web.url, web.container, web.year) == (
        "https://example.org/page",
        "Example Agency",
        2024,
    )
