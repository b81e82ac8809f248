"""PDF leaflets: what a caregiver finds on paper, and how the files are stored and served.

Text is read back out of real PDFs with pypdf and poppler's pdfinfo/pdffonts.
A WeasyPrint render of baclofen takes about a second, so the content tests
share one render of each variant (`baclofen_pdfs`); the storage and view
tests use the tiny examplamide monograph where the content does not matter.
"""

from __future__ import annotations

import functools
import io
import re
import subprocess
import threading
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections, transaction
from django.utils import timezone
from pypdf import PdfReader

from monographs.models import Medicine, SideEffect, Version
from monographs.parsing import BANDS, parse_bytes
from monographs.printing import leaflets
from monographs.printing.leaflets import Variant
from monographs.rendering import strip_markdown
from tests.factories import BACLOFEN, load_baclofen, load_example, monograph_text, write_monograph

STANDARD = Variant()
LARGE_PRINT = Variant(large_print=True)
LETTER = Variant(letter=True)

BACLOFEN_DOCUMENT = parse_bytes(BACLOFEN.read_bytes(), "baclofen.md", expected_slug="baclofen")

DOSING_FIGURES = [
    "5 mg three times",
    "15 mg a day",
    "5 mg",
    "30–80 mg",
    "80–100 mg",
    "25–50 micrograms",
    "0.025–0.05 mg",
    "25-microgram steps",
    "100 micrograms",
    "12–2000 micrograms",
    "300–800 micrograms",
    "0.3 mg/kg",
    "0.75–2 mg/kg",
    "40 mg a day for children under 8",
    "60 mg a day for children aged 8–10",
    "every 1–6 months",
]


# A distinctive dose, limit, age, temperature, date or fact from every section
# and sub-block of content/baclofen.md that is not one of the structured lists
# (dosing, bands, interactions, FAQs and references have their own tests).
SECTION_PHRASES = {
    "quick facts": ["M03BX01", "Oral, intrathecal", "Multiple sclerosis, Spinal cord injury"],
    "uses": [
        "Baclofen was first made in 1962",
        "It came into use by doctors in the 1970s",
        "Baclofen pumps were first approved in the late 1980s",
        "the dose is about 100 times lower than by mouth",
        "0.05 mg/ml, used for test doses",
    ],
    "before: intro": ["tell your doctor about all your health problems, past and present"],
    "before: who should not take it": [
        "Who should not take it",
        "intrathecal baclofen must only be given into the spine",
        "Active stomach ulcer:",
    ],
    "before: warnings and precautions": [
        "Warnings and precautions",
        "Spinal cord injury above T6:",
        "T6 is the sixth bone in the chest part of the backbone",
        "COPD (chronic obstructive pulmonary disease",
    ],
    "before: pregnancy and breastfeeding": [
        "Pregnancy and breastfeeding",
        "baclofen should only be used in pregnancy if it is really needed",
        "baclofen passes into breast milk",
    ],
    "before: driving": [
        "Driving and using machines",
        "Baclofen can badly affect your ability to drive or use machines",
    ],
    "before: long-term use": ["Long-term use", 'a "drug holiday"'],
    "interactions: alcohol": [
        "Do not drink alcohol while you take baclofen",
        "Even a small drink can raise these risks",
    ],
    "interactions: into the spine": [
        "Medicines given into the spine",
        "advise against giving other medicines straight into the spine",
    ],
    "overdose": [
        "Too much baclofen is an emergency",
        "a body temperature that is too low (hypothermia)",
        "problems with the heart's electrical signals (cardiac conduction problems)",
        "Too much from the pump",
        "an accidental bolus",
    ],
    "stopping": [
        "Never stop baclofen suddenly, whether you take tablets or have a pump",
        "with body temperature up to 42°C",
        "DIC (disseminated intravascular coagulation",
        "How to stop safely",
        "If you need a break from the pump because of tolerance, it must happen in hospital.",
    ],
    "side effects: introduction": [
        "The list below mainly describes the pump (intrathecal baclofen)",
        "Problems with the pump",
        "There can be meningitis",
        "Cerebral spasticity",
    ],
    "storage": ["at or below 25°C (77°F)", "at or below 30°C (86°F), and never let it freeze"],
    "contents": [
        "Most baclofen tablets contain lactose (a milk sugar)",
        "less than 1 mmol (millimole) of sodium, which is less than 23 mg of sodium",
        "0.05 mg/ml: a 1 ml prefilled syringe, used for test doses",
        "20 ml prefilled syringes or 20 ml vials",
        "Generic availability",
    ],
}


# --- reading PDFs -------------------------------------------------------------


@functools.cache
def _pages_text(pdf: bytes) -> list[str]:
    """Each page's text with runs of whitespace (line ends included) made one space."""
    reader = PdfReader(io.BytesIO(pdf))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def _squeezed(text: str) -> str:
    """Text without any whitespace: a long citation may wrap anywhere, even inside a DOI."""
    return "".join(text.split())


_FOOTER_RE = re.compile(r"\S+ · Version \d+ · Last reviewed .+? · Page \d+ of \d+")


def _leaflet_text(pdf: bytes) -> str:
    """All the text of the leaflet without page footers, list bullets or whitespace.

    Footers and bullets cut into a paragraph that runs over a page break or a
    list; without them any passage of the source can be found as one string.
    """
    return _squeezed(
        " ".join(_FOOTER_RE.sub("", page) for page in _pages_text(pdf)).replace("•", "")
    )


def _body_font_size(pdf: bytes) -> float:
    """The font size (pt) that most of the text on the first pages is set in."""
    sizes: Counter[float] = Counter()

    def visit(text, cm, tm, font, size):
        if text.strip():
            sizes[round(size * tm[0] * cm[0], 1)] += len(text.strip())

    for page in PdfReader(io.BytesIO(pdf)).pages[:3]:
        page.extract_text(visitor_text=visit)
    return sizes.most_common(1)[0][0]


def _poppler(tool: str, pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "leaflet.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        [tool, str(path)], check=True, capture_output=True, text=True, timeout=30
    ).stdout


def _link_targets(pdf: bytes) -> set[str]:
    targets = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action and "/URI" in action:
                targets.add(str(action["/URI"]))
    return targets


@pytest.fixture(scope="session")
def baclofen_pdfs(django_db_setup, django_db_blocker) -> dict[Variant, bytes]:
    """Baclofen rendered once per session in each variant the tests read."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            load_baclofen()
            version = Medicine.objects.get(slug="baclofen").published_version
            pdfs = {
                variant: leaflets.render_leaflet(version, variant)
                for variant in (STANDARD, LARGE_PRINT, LETTER)
            }
            transaction.set_rollback(True)
        # Its connection is not the one later tests get (the browser tests' event
        # loop changes which one that is): left open, it would keep PostgreSQL
        # from dropping the test database at the end of the run.
        connections["default"].close()
    return pdfs


@pytest.fixture
def render_calls(monkeypatch) -> list[tuple[int, Variant]]:
    """Count calls of the real render function; each call still renders."""
    calls: list[tuple[int, Variant]] = []
    real_render = leaflets.render_leaflet

    def counting_render(version, variant, route=""):
        calls.append((version.number, variant))
        return real_render(version, variant, route)

    monkeypatch.setattr(leaflets, "render_leaflet", counting_render)
    return calls


# --- what is on paper ---------------------------------------------------------


def test_page_one_has_the_name_brands_form_safety_box_and_takeaways(baclofen_pdfs):
    page_one = _pages_text(baclofen_pdfs[STANDARD])[0]

    assert page_one.startswith(
        "Baclofen Brands: Lioresal, Gablofen, Baclofen Viatris, Baclofen Medical Valley "
        "Form: Tablet, Intrathecal solution Important safety information"
    )
    assert "Important safety information" in page_one
    assert "When to get urgent help" in page_one
    for warning in [*BACLOFEN_DOCUMENT.safety_warnings, *BACLOFEN_DOCUMENT.urgent_help]:
        assert strip_markdown(warning) in page_one
    assert "Key takeaways" in page_one
    assert strip_markdown(BACLOFEN_DOCUMENT.takeaways[0]) in page_one


def test_large_print_still_starts_with_every_safety_warning_on_page_one(baclofen_pdfs):
    page_one = _pages_text(baclofen_pdfs[LARGE_PRINT])[0]

    assert "Important safety information" in page_one
    for warning in BACLOFEN_DOCUMENT.safety_warnings:
        assert strip_markdown(warning) in page_one


@pytest.mark.parametrize("variant", [STANDARD, LARGE_PRINT], ids=["standard", "large-print"])
def test_every_dosing_figure_is_in_the_leaflet(baclofen_pdfs, variant):
    # Squeezed: a line may wrap inside a figure, after the slash of "mg/kg".
    text = _squeezed(" ".join(_pages_text(baclofen_pdfs[variant])))

    missing = [figure for figure in DOSING_FIGURES if _squeezed(figure) not in text]
    assert not missing
    for entry in BACLOFEN_DOCUMENT.dosing:
        assert _squeezed(entry.title) in text


def test_side_effects_table_has_every_band_with_its_meaning_and_effects(baclofen_pdfs):
    text = " ".join(_pages_text(baclofen_pdfs[STANDARD]))
    baclofen_bands = {effect.band for effect in BACLOFEN_DOCUMENT.side_effects}

    assert len(baclofen_bands) == 5
    for band in BANDS:
        label = f"{band.name}: {band.meaning}"
        assert (label in text) == (band.key in baclofen_bands), label
    squeezed = _squeezed(text)
    for effect in BACLOFEN_DOCUMENT.side_effects:
        assert _squeezed(strip_markdown(effect.text)) in squeezed


@pytest.mark.parametrize("variant", [STANDARD, LARGE_PRINT], ids=["standard", "large-print"])
@pytest.mark.parametrize("part", SECTION_PHRASES)
def test_every_section_of_the_page_is_in_the_leaflet(baclofen_pdfs, variant, part):
    text = _leaflet_text(baclofen_pdfs[variant])

    missing = [phrase for phrase in SECTION_PHRASES[part] if _squeezed(phrase) not in text]
    assert not missing


@pytest.mark.parametrize("variant", [STANDARD, LARGE_PRINT], ids=["standard", "large-print"])
def test_every_quick_answer_introduction_and_prose_block_is_in_the_leaflet(baclofen_pdfs, variant):
    text = _leaflet_text(baclofen_pdfs[variant])
    parts = []
    for section in BACLOFEN_DOCUMENT.sections:
        parts += [section.title, section.quick_answer, section.intro]
        parts += [block.title for block in section.blocks]
        parts += [block.markdown for block in section.blocks if block.kind == "prose"]

    missing = [
        part[:60] for part in filter(None, parts) if _squeezed(strip_markdown(part)) not in text
    ]
    assert not missing


def test_sections_are_in_the_order_of_the_page(baclofen_pdfs):
    text = " ".join(_pages_text(baclofen_pdfs[STANDARD]))
    positions = [
        text.find(f"{section.title} Quick answer:")
        if section.quick_answer
        else text.find(section.title)
        for section in BACLOFEN_DOCUMENT.sections
    ]

    assert -1 not in positions
    assert positions == sorted(positions)


@pytest.mark.parametrize("variant", [STANDARD, LARGE_PRINT], ids=["standard", "large-print"])
def test_no_side_effect_is_on_a_page_without_its_band(db, variant):
    """A band that runs over a page break repeats its name and meaning on the next page."""
    load_baclofen()
    version = Medicine.objects.get(slug="baclofen").published_version
    effects = list(SideEffect.objects.filter(version=version))
    pages = [_squeezed(page) for page in _pages_text(leaflets.render_leaflet(version, variant))]

    pages_by_band: dict[str, set[int]] = {}
    for number, page in enumerate(pages, start=1):
        for effect in effects:
            if _squeezed(effect.text) in page:
                label = f"{effect.get_band_display()}: {effect.band_meaning}"
                assert _squeezed(label) in page, (number, effect.text)
                pages_by_band.setdefault(effect.band, set()).add(number)
    assert set(pages_by_band) == {effect.band for effect in effects}
    if variant == LARGE_PRINT:
        # The case that matters: the 20 common side effects do not fit on one page.
        assert len(pages_by_band["common"]) > 1


def test_leaflet_html_reads_the_rows_in_a_fixed_number_of_queries(
    db, tmp_path, django_assert_num_queries
):
    load_baclofen()
    load_example(tmp_path / "files")

    for version in Version.objects.filter(status="published").select_related("medicine"):
        with django_assert_num_queries(10):
            leaflets.build_leaflet_html(version, STANDARD)


def test_all_ten_references_are_in_the_leaflet_with_live_doi_links(baclofen_pdfs):
    pdf = baclofen_pdfs[STANDARD]
    squeezed = _squeezed(" ".join(_pages_text(pdf)))

    assert len(BACLOFEN_DOCUMENT.references) == 10
    for reference in BACLOFEN_DOCUMENT.references:
        assert _squeezed(reference.text) in squeezed
    assert "https://doi.org/10.1136/practneurol-2011-000155" in _link_targets(pdf)


def test_interactions_storage_and_faqs_are_in_the_leaflet(baclofen_pdfs):
    text = " ".join(_pages_text(baclofen_pdfs[STANDARD]))

    for heading in ("Major interactions", "Minor interactions", "Storage"):
        assert heading in text
    for interaction in BACLOFEN_DOCUMENT.interactions:
        assert interaction.medicine in text
    assert "Keep them in the original pack, away from light and damp." in text
    for faq in BACLOFEN_DOCUMENT.faqs:
        assert faq.question in text


def test_every_page_has_a_footer_with_version_review_date_and_page_x_of_y(baclofen_pdfs):
    pages = _pages_text(baclofen_pdfs[STANDARD])

    assert len(pages) > 2
    for number, text in enumerate(pages, start=1):
        footer = (
            f"Baclofen · Version 1 · Last reviewed 26 November 2026 · Page {number} of {len(pages)}"
        )
        assert footer in text


def test_leaflet_says_which_version_it_is_and_where_to_check_for_a_newer_one(baclofen_pdfs):
    pdf = baclofen_pdfs[STANDARD]
    text = _pages_text(pdf)[0]
    today = timezone.localdate()

    assert (
        f"Version 1, last reviewed 26 November 2026, printed on {today.day} "
        f"{today:%B} {today.year}." in text
    )
    assert "Check this is the latest version at http://127.0.0.1:8000/medicines/baclofen/" in (
        text.replace("/ ", "/")
    )
    assert "http://127.0.0.1:8000/medicines/baclofen/" in _link_targets(pdf)


def test_qr_code_is_an_image_described_for_screen_readers(baclofen_pdfs):
    reader = PdfReader(io.BytesIO(baclofen_pdfs[STANDARD]))
    figures = []

    def walk(element):
        element = element.get_object()
        if not hasattr(element, "get"):
            return
        if element.get("/S") == "/Figure":
            figures.append(str(element.get("/Alt")))
        kids = element.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            if hasattr(kid, "get_object"):
                walk(kid)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    assert figures == ["QR code for http://127.0.0.1:8000/medicines/baclofen/"]


def test_large_print_really_uses_larger_type(baclofen_pdfs):
    standard = _body_font_size(baclofen_pdfs[STANDARD])
    large = _body_font_size(baclofen_pdfs[LARGE_PRINT])

    assert 11 <= standard <= 12
    assert large >= 16
    assert len(_pages_text(baclofen_pdfs[LARGE_PRINT])) > len(_pages_text(baclofen_pdfs[STANDARD]))


def test_paper_sizes_are_a4_and_us_letter(baclofen_pdfs, tmp_path):
    assert "(A4)" in _poppler("pdfinfo", baclofen_pdfs[STANDARD], tmp_path)
    assert "612 x 792 pts (letter)" in _poppler("pdfinfo", baclofen_pdfs[LETTER], tmp_path)


def test_pdf_is_tagged_with_a_title_and_a_language(baclofen_pdfs, tmp_path):
    pdf = baclofen_pdfs[STANDARD]
    info = _poppler("pdfinfo", pdf, tmp_path)

    assert "Tagged:          yes" in info
    assert "Title:           Baclofen: patient leaflet, version 1" in info
    assert PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Lang"] == "en"


def test_every_font_is_embedded(baclofen_pdfs, tmp_path):
    rows = _poppler("pdffonts", baclofen_pdfs[STANDARD], tmp_path).splitlines()[2:]

    assert rows
    for row in rows:
        # name, type words..., encoding, emb, sub, uni, object, generation
        assert row.split()[-5] == "yes", row


# --- storing and serving ------------------------------------------------------


def test_leaflet_is_served_inline_with_its_file_name_and_cache_headers(
    client, db, render_calls, settings
):
    settings.LEAFLETS_RENDER_ON_PUBLISH = False
    load_baclofen()

    response = client.get("/medicines/baclofen/leaflet.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="baclofen-leaflet-v1.pdf"'
    assert response["ETag"]
    assert "max-age=" in response["Cache-Control"]
    assert "public" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF-")
    stored = Path(settings.MEDIA_ROOT) / "leaflets" / "baclofen" / "baclofen-leaflet-v1.pdf"
    assert stored.read_bytes() == body
    assert render_calls == [(1, STANDARD)]


def test_second_request_serves_the_stored_file_without_rendering(
    client, db, tmp_path, render_calls
):
    load_example(tmp_path / "files")
    first = client.get("/medicines/examplamide/leaflet.pdf")
    first_body = b"".join(first.streaming_content)

    second = client.get("/medicines/examplamide/leaflet.pdf")
    not_modified = client.get(
        "/medicines/examplamide/leaflet.pdf", HTTP_IF_NONE_MATCH=first["ETag"]
    )

    assert b"".join(second.streaming_content) == first_body
    assert second["ETag"] == first["ETag"]
    assert not_modified.status_code == 304
    assert len(render_calls) == 1


def test_large_print_leaflet_has_its_own_file_name(client, db, render_calls, tmp_path):
    load_example(tmp_path / "files")

    response = client.get("/medicines/examplamide/leaflet.pdf?size=large")

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'inline; filename="examplamide-leaflet-v1-large-print.pdf"'
    )
    assert render_calls == [(1, LARGE_PRINT)]


def test_us_letter_and_large_print_letter_file_names(db, tmp_path):
    load_example(tmp_path / "files")
    version = Version.objects.select_related("medicine").get()

    assert leaflets.leaflet_filename(version, LETTER) == "examplamide-leaflet-v1-letter.pdf"
    assert leaflets.leaflet_name(version, Variant(large_print=True, letter=True)) == (
        "leaflets/examplamide/examplamide-leaflet-v1-large-print-letter.pdf"
    )


@pytest.mark.parametrize(
    "query, message",
    [
        ("?size=huge", "size must be one of: standard, large"),
        ("?size=", "size must be one of: standard, large"),
        ("?paper=a3", "paper must be one of: a4, letter"),
    ],
)
def test_bad_size_or_paper_is_a_400_with_a_plain_message(client, db, tmp_path, query, message):
    load_example(tmp_path / "files")

    response = client.get(f"/medicines/examplamide/leaflet.pdf{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert message in response.text


def test_unknown_medicine_has_no_leaflet(client, db):
    assert client.get("/medicines/no-such-medicine/leaflet.pdf").status_code == 404
    assert client.get("/medicines/no-such-medicine/v1/leaflet.pdf").status_code == 404


def test_draft_only_medicine_has_no_leaflet(client, db, tmp_path, render_calls):
    load_example(tmp_path / "files", status="draft")

    assert client.get("/medicines/examplamide/leaflet.pdf").status_code == 404
    assert client.get("/medicines/examplamide/v1/leaflet.pdf").status_code == 404
    assert render_calls == []


def test_a_draft_version_of_a_published_medicine_has_no_leaflet(client, db, tmp_path, render_calls):
    folder = tmp_path / "files"
    load_example(folder)
    write_monograph(folder, "examplamide", monograph_text(version=2, status="draft"))
    call_command("load_content", str(folder), verbosity=0)

    assert client.get("/medicines/examplamide/v2/leaflet.pdf").status_code == 404
    assert client.get("/medicines/examplamide/v3/leaflet.pdf").status_code == 404
    assert render_calls == []


def test_concurrent_first_requests_render_the_leaflet_once(
    transactional_db, settings, tmp_path, render_calls
):
    from django.test import Client

    settings.LEAFLETS_RENDER_ON_PUBLISH = False
    load_example(tmp_path / "files")
    start = threading.Barrier(4)
    bodies: list[bytes] = []

    def fetch():
        client = Client()
        start.wait()
        try:
            response = client.get("/medicines/examplamide/leaflet.pdf")
            bodies.append(b"".join(response.streaming_content))
        finally:
            # A thread's database connection outlives the request (CONN_MAX_AGE) and
            # would keep PostgreSQL from dropping the test database at the end.
            connections.close_all()

    threads = [threading.Thread(target=fetch) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(bodies) == 4
    assert len(set(bodies)) == 1
    assert bodies[0].startswith(b"%PDF-")
    assert len(render_calls) == 1
    partial_files = list((Path(settings.MEDIA_ROOT) / "leaflets" / ".partial").iterdir())
    assert partial_files == []


def _stored_names(settings) -> set[str]:
    folder = Path(settings.MEDIA_ROOT) / "leaflets" / "examplamide"
    return {path.name for path in folder.iterdir()} if folder.exists() else set()


def test_publishing_renders_the_new_leaflets_and_keeps_the_old_versions(
    client, db, tmp_path, settings, render_calls, django_capture_on_commit_callbacks
):
    settings.LEAFLETS_RENDER_ON_PUBLISH = True
    folder = tmp_path / "files"
    with django_capture_on_commit_callbacks(execute=True):
        load_example(folder)
    version_one = {
        "examplamide-leaflet-v1.pdf",
        "examplamide-leaflet-v1-large-print.pdf",
        "examplamide-leaflet-v1-letter.pdf",
        "examplamide-leaflet-v1-large-print-letter.pdf",
    }
    assert _stored_names(settings) == version_one

    write_monograph(
        folder, "examplamide", monograph_text(version=2, change_summary="Clearer dosing.")
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_content", str(folder), verbosity=0)

    version_two = {name.replace("-v1", "-v2") for name in version_one}
    assert _stored_names(settings) == version_one | version_two
    assert len(render_calls) == 8
    current = client.get("/medicines/examplamide/leaflet.pdf")
    old = client.get("/medicines/examplamide/v1/leaflet.pdf")
    assert current["Content-Disposition"] == 'inline; filename="examplamide-leaflet-v2.pdf"'
    assert old["Content-Disposition"] == 'inline; filename="examplamide-leaflet-v1.pdf"'
    assert "Version 1, last reviewed" in _pages_text(b"".join(old.streaming_content))[0]
    assert len(render_calls) == 8


def test_publishing_renders_nothing_when_switched_off(
    db, tmp_path, settings, render_calls, django_capture_on_commit_callbacks
):
    settings.LEAFLETS_RENDER_ON_PUBLISH = False
    with django_capture_on_commit_callbacks(execute=True):
        load_example(tmp_path / "files")

    assert render_calls == []
    assert _stored_names(settings) == set()


def test_render_leaflets_command_renders_missing_ones_and_reports(db, tmp_path, settings):
    settings.LEAFLETS_RENDER_ON_PUBLISH = False
    load_example(tmp_path / "files")
    out = io.StringIO()

    call_command("render_leaflets", stdout=out)
    call_command("render_leaflets", stdout=(again := io.StringIO()))
    call_command("render_leaflets", "--force", stdout=(forced := io.StringIO()))

    assert "[1/4] leaflets/examplamide/examplamide-leaflet-v1.pdf: rendered" in out.getvalue()
    assert "render_leaflets: 4 rendered, 0 already stored, 0 failed" in out.getvalue()
    assert "render_leaflets: 0 rendered, 4 already stored, 0 failed" in again.getvalue()
    assert "render_leaflets: 4 rendered, 0 already stored, 0 failed" in forced.getvalue()
    assert len(_stored_names(settings)) == 4
