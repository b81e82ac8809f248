"""The number audit (monographs/labels/audit.py, manage.py audit_numbers): each number
of a monograph with a unit or a dosing word looked up in its source documents.

Wrong numbers are planted in copies of the real monographs; the audit must name
each one by file, line and text, and pass the content as it is.
"""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from monographs.labels.audit import audit_monograph, find_quantities

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
LABELS = Path(__file__).resolve().parent / "labels"
BACLOFEN = (CONTENT / "baclofen.md").read_text(encoding="utf-8")


@pytest.fixture
def content(settings) -> Path:
    """A copy of the content folder's baclofen and its fact sheet, as CONTENT_DIR."""
    folder = settings.CONTENT_DIR
    shutil.copytree(CONTENT / "sources" / "baclofen", folder / "sources" / "baclofen")
    (folder / "baclofen.md").write_text(BACLOFEN, encoding="utf-8")
    return folder


def plant(old: str, new: str, text: str = BACLOFEN) -> tuple[str, int]:
    """`text` with the first `old` made `new`, and the line it is on."""
    assert text.count(old) >= 1, old
    index = text.index(old)
    return text.replace(old, new, 1), text.count("\n", 0, index) + 1


def audit(text: str, content_dir: Path = CONTENT):
    return audit_monograph(text, "baclofen.md", content_dir)


def test_baclofen_passes_the_audit_against_its_fact_sheet():
    report = audit(BACLOFEN)
    assert report.sources == ["sources/baclofen/facts.yaml"]
    assert report.problems == []
    assert report.unexplained == []
    assert report.total >= 90
    assert report.summary() == f"baclofen: all {report.total} numbers found in the sources"


@pytest.mark.parametrize(
    ("old", "new", "reported"),
    [
        # a changed dose
        ("- **Starting dose:** 5 mg three", "- **Starting dose:** 7 mg three", "7 mg"),
        # a dose changed to a number the sources give for something else: a tablet
        # strength as the starting dose, the strengths' range as the usual dose
        ("- **Starting dose:** 5 mg three", "- **Starting dose:** 10 mg three", "10 mg"),
        (
            "- **Usual maintenance dose:** 30–80 mg a day",
            "- **Usual maintenance dose:** 10–25 mg a day",
            "10–25 mg",
        ),
        # a changed maximum
        ("- **Maximum dose:** 80–100 mg a day", "- **Maximum dose:** 80–120 mg a day", "80–120 mg"),
        ("children under 8. 60 mg a day", "children under 8. 65 mg a day", "65 mg"),
        # a maximum made another dose the sources give (30–80 mg is the usual dose)
        ("- **Maximum dose:** 80–100 mg a day", "- **Maximum dose:** 30–80 mg a day", "30–80 mg"),
        # a changed temperature, in Celsius and in Fahrenheit
        ("store at or below 25°C (77°F)", "store at or below 28°C (77°F)", "28°C"),
        ("store at or below 25°C (77°F)", "store at or below 25°C (80°F)", "80°F"),
        # the tablets given the pump liquid's temperature
        ("store at or below 25°C (77°F)", "store at or below 30°C (77°F)", "30°C"),
        # a changed frequency band
        ("affect more than 1 in 10 people", "affect more than 1 in 20 people", "more than 1 in 20"),
        ("affect up to 1 in 10 people", "affect up to 1 in 50 people", "up to 1 in 50"),
        # a band given another band's frequency: 1 in 100 is Uncommon's, not Common's
        (
            "Common side effects affect up to 1 in 10 people",
            "Common side effects affect up to 1 in 100 people",
            "up to 1 in 100",
        ),
        # a changed unit: micrograms become milligrams
        (
            "Most people settle on 300–800 micrograms",
            "Most people settle on 300–800 mg",
            "300–800 mg",
        ),
        # a changed interval, age, strength in the front matter, times a day
        ("Every 3–7 days", "Every 3–10 days", "3–10 days"),
        (
            "The pump is approved for children aged 4",
            "The pump is approved for children aged 2",
            "aged 2",
        ),
        ('  - "25 mg tablet"', '  - "20 mg tablet"', "20 mg"),
        (
            "5 mg three times a day. This is 15",
            "5 mg four times a day. This is 15",
            "four times a day",
        ),
    ],
)
def test_a_planted_wrong_number_is_named_by_line_and_text(old, new, reported):
    text, line = plant(old, new)
    report = audit(text)
    assert [(finding.line, finding.text) for finding in report.unexplained] == [(line, reported)]
    assert report.summary() == f"baclofen: 1 of {report.total} numbers not found in the sources"
    assert not report.ok


def test_unit_conversions_and_ranges_are_understood(tmp_path):
    facts = tmp_path / "sources" / "examplamide" / "facts.yaml"
    facts.parent.mkdir(parents=True)
    facts.write_text(
        "dose: 1 g\nstep: 250 micrograms\nstore: 20 °C to 25 °C\nmaintenance: 30 to 80 mg\n"
        "fever: 104 °F\n",
        encoding="utf-8",
    )
    text = (
        "---\nslug: examplamide\nsource_documents: [sources/examplamide/facts.yaml]\n---\n"
        "Take 1,000 mg (1 g), in steps of 0.25 mg (250 mcg).\n"
        "Keep it at 68–77 °F (20–25°C). Usually 30–80 mg a day, or 30 to 80 mg.\n"
        "A fever of 40°C.\n"
    )
    report = audit_monograph(text, "examplamide.md", tmp_path)
    assert report.unexplained == []
    assert report.total == 9


def test_an_acceptance_says_when_it_is_not_needed_or_the_page_lacks_the_number():
    text = BACLOFEN.replace(
        "source_documents:",
        'accepted_numbers:\n  - number: "25 mg"\n    reason: "in the sources anyway"\n'
        '  - number: "3 ml"\n    reason: "not on the page"\nsource_documents:',
    )
    report = audit(text)
    assert [(a.number, a.state, a.note) for a in report.acceptances] == [
        ("25 mg", "found", "not needed: the sources hold this number"),
        ("3 ml", "absent", "the text no longer has this number"),
    ]
    assert report.ok


def test_quantities_are_read_with_their_kind_of_unit():
    def read(text):
        return [(q.dimension, q.low, q.high) for q in find_quantities(text)]

    assert read("0.3 mg for each kilogram of body weight per day") == [
        ("mg/kg", Decimal("0.3"), Decimal("0.3"))
    ]
    assert read("25-microgram steps at 24-hour intervals") == [
        ("mass", Decimal("0.025"), Decimal("0.025")),
        ("hours", 24, 24),
    ]
    assert read("twice a day for two weeks") == [("times a day", 2, 2), ("weeks", 2, 2)]
    assert read("Common (affects 1 to 10 users in 100)") == [("1 in", 10, 10)]
    assert read("a carton of 2 Single-Use Prefilled Pens or 2 syringes") == [
        ("pens", 2, 2),
        ("syringes", 2, 2),
    ]
    assert read("Do not take a double dose") == [("doses", 2, 2)]
    bands = [
        (q.band, q.side, q.low) for q in find_quantities("Common (affects 1 to 10 users in 100)")
    ]
    assert bands == [("common", "up to", 10)]
    assert [q.band for q in find_quantities("The most common affect more than 1 in 10")] == [""]
    assert read("Published in 2024, 12 chapters, ATC M03BX01") == []


def test_an_accepted_number_counts_as_explained_and_the_command_shows_its_reason(content, capsys):
    text, line = plant("store at or below 25°C (77°F)", "store at or below 25°C (77°F), or 298 K")
    assert audit(text, content).unexplained == []  # kelvin is no unit the audit reads
    text, line = plant("every 1–6 months", "every 1–6 months (4 to 26 weeks)")
    text = text.replace(
        "source_documents:",
        'accepted_numbers:\n  - number: "4 to 26 weeks"\n    reason: "1–6 months in weeks"\n'
        "source_documents:",
    )
    (content / "baclofen.md").write_text(text, encoding="utf-8")
    report = audit(text, content)
    assert report.unexplained == []
    line = text[: text.index("(4 to 26 weeks)")].count("\n") + 1
    assert [(f.line, f.text, f.accepted_reason) for f in report.accepted] == [
        (line, "4 to 26 weeks", "1–6 months in weeks")
    ]
    call_command("audit_numbers", "baclofen")
    out = capsys.readouterr().out
    assert "accepted '4 to 26 weeks': 1–6 months in weeks\n" in out
    assert f"baclofen: all {report.total} numbers explained: {report.total - 1} found" in out


def test_the_command_lists_each_number_not_found_and_exits_with_status_1(content, capsys):
    text, line = plant("- **Starting dose:** 5 mg three", "- **Starting dose:** 7 mg three")
    (content / "baclofen.md").write_text(text, encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        call_command("audit_numbers")
    assert raised.value.returncode == 1
    out = capsys.readouterr().out
    assert f"baclofen.md:{line}: '7 mg' not found in the sources:" in out
    assert "baclofen: 1 of " in out
    assert "audit_numbers: 1 monographs," in str(raised.value)


def test_the_command_passes_on_the_content_as_it_is(content, capsys):
    call_command("audit_numbers", "baclofen")
    out = capsys.readouterr().out
    assert "baclofen: all " in out and "numbers found in the sources" in out
    assert out.splitlines()[-1].startswith("audit_numbers: 1 monographs, ")


def test_a_missing_source_document_fails_the_audit(content):
    text = BACLOFEN.replace("sources/baclofen/facts.yaml", "sources/baclofen/gone.yaml")
    report = audit(text, content)
    assert report.problems == ["sources/baclofen/gone.yaml: the file does not exist"]
    assert not report.ok
    with pytest.raises(CommandError):
        (content / "baclofen.md").write_text(text, encoding="utf-8")
        call_command("audit_numbers", "baclofen")


def test_an_unknown_slug_is_a_clear_error(content):
    with pytest.raises(CommandError, match="no such monograph"):
        call_command("audit_numbers", "nosuchmedicine")


def test_numbers_are_looked_up_in_an_epi_label(tmp_path):
    label = tmp_path / "sources" / "orlistat" / "epi.json"
    label.parent.mkdir(parents=True)
    shutil.copy(LABELS / "epi-en-37d610f9.json", label)
    text = (
        "---\nslug: orlistat\nsource_documents: [sources/orlistat/epi.json]\n---\n"
        "One 120 mg capsule with each main meal; stop after 12 weeks if you have not lost "
        "5 % of your weight. Store below 25 °C. Common: up to 1 in 10 people.\n"
    )
    report = audit_monograph(text, "orlistat.md", tmp_path)
    assert report.problems == []
    assert report.unexplained == []
    assert report.total == 5
    wrong = audit_monograph(text.replace("120 mg", "60 mg"), "orlistat.md", tmp_path)
    assert [finding.text for finding in wrong.unexplained] == ["60 mg"]


def test_numbers_are_looked_up_in_an_spl_label(tmp_path):
    label = tmp_path / "sources" / "atorvastatin" / "spl.xml"
    label.parent.mkdir(parents=True)
    shutil.copy(LABELS / "spl-lipitor-orig.xml", label)
    text = (
        "---\nslug: atorvastatin\nstrengths: [10 mg tablet, 80 mg tablet]\n"
        "source_documents: [sources/atorvastatin/spl.xml]\n---\n"
        "The dose is 10 to 80 mg once a day.\n"
    )
    report = audit_monograph(text, "atorvastatin.md", tmp_path)
    assert report.problems == []
    assert report.unexplained == []
    wrong = audit_monograph(text.replace("10 to 80 mg", "10 to 90 mg"), "a.md", tmp_path)
    assert [finding.text for finding in wrong.unexplained] == ["10 to 90 mg"]


def test_a_monograph_without_source_documents_cannot_pass():
    text = "---\nslug: examplamide\n---\nTake 5 mg.\n"
    report = audit_monograph(text, "examplamide.md", CONTENT)
    assert report.summary() == "examplamide: no source documents; 1 numbers cannot be checked"
    assert not report.ok


# --- every monograph of the content folder ------------------------------------------

MONOGRAPHS = sorted(path.stem for path in CONTENT.glob("*.md"))


def _planted(text: str, finding) -> tuple[str, str]:
    """`text` with the last number of `finding` on its line a little off ("40 mg" ->
    "40.3 mg", "0.5 mg/ml" -> "0.53 mg/ml", "1 in 10" -> "1 in 10.3")."""
    last = list(re.finditer(r"\d+(?:\.\d+)?", finding.text))[-1]
    number = last[0] + ("3" if "." in last[0] else ".3")
    wrong = finding.text[: last.start()] + number + finding.text[last.end() :]
    lines = text.split("\n")
    assert finding.text in lines[finding.line - 1]
    lines[finding.line - 1] = lines[finding.line - 1].replace(finding.text, wrong, 1)
    return "\n".join(lines), wrong


@pytest.mark.parametrize("slug", MONOGRAPHS)
def test_each_monograph_passes_the_audit(slug):
    report = audit_monograph(
        (CONTENT / f"{slug}.md").read_text(encoding="utf-8"), f"{slug}.md", CONTENT
    )
    assert report.sources, f"{slug} names no source documents"
    assert report.problems == []
    assert [str(finding) for finding in report.unexplained] == []
    assert [(a.number, a.note) for a in report.acceptances if a.state == "absent"] == []


@pytest.mark.parametrize("slug", MONOGRAPHS)
def test_a_changed_dose_maximum_temperature_or_band_is_caught_in_each_monograph(slug):
    text = (CONTENT / f"{slug}.md").read_text(encoding="utf-8")
    report = audit_monograph(text, f"{slug}.md", CONTENT)
    dosage = text[: text.index("\n## Dosage")].count("\n") + 1
    numerals = [f for f in report.found if re.search(r"\d", f.text)]
    picks = {
        "dose": next(f for f in numerals if f.line > dosage and "mg" in f.text),
        "maximum": next(
            (f for f in numerals if "maximum" in f.context.lower() and f.line > dosage),
            None,
        ),
        "temperature": next((f for f in numerals if "°" in f.text), None),
        "band": next((f for f in numerals if " in " in f.text), None),
    }
    planted = 0
    for kind, finding in picks.items():
        if finding is None:
            continue
        changed, wrong = _planted(text, finding)
        result = audit_monograph(changed, f"{slug}.md", CONTENT)
        assert [(f.line, f.text) for f in result.unexplained] == [(finding.line, wrong)], kind
        planted += 1
    assert planted >= 2


@pytest.mark.parametrize(
    "path", sorted((Path(__file__).parent / "content" / "broken").glob("*.md")), ids=str
)
def test_a_broken_monograph_is_audited_without_a_crash(path):
    text = path.read_bytes().decode("utf-8", "replace")
    report = audit_monograph(text, path.name, CONTENT)
    assert report.summary().endswith("cannot be checked")  # none names a source document


def test_a_fact_sheet_that_cannot_be_read_is_named(tmp_path):
    facts = tmp_path / "sources" / "examplamide" / "facts.yaml"
    facts.parent.mkdir(parents=True)
    facts.write_text("dose: [5 mg\n", encoding="utf-8")
    text = "---\nslug: examplamide\nsource_documents: [sources/examplamide/facts.yaml]\n---\n"
    report = audit_monograph(text + "Take 5 mg.\n", "examplamide.md", tmp_path)
    assert len(report.problems) == 1
    assert report.problems[0].startswith(
        "sources/examplamide/facts.yaml: the fact sheet cannot be read"
    )
    assert not report.ok


def test_a_monograph_that_is_not_utf8_is_named_by_the_command(content, capsys):
    (content / "broken.md").write_bytes(b"---\nslug: broken\n---\n\xff\xfe 5 mg\n")
    with pytest.raises(CommandError):
        call_command("audit_numbers")
    out = capsys.readouterr().out
    assert "broken.md: cannot be read (" in out
    assert "its numbers were not checked" in out
    assert "baclofen: all " in out
