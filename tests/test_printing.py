"""Print products beside the leaflet (issue #16): what a carer finds on paper, and the
addresses that serve it.

Text is read back out of real PDFs with pypdf and poppler's pdfinfo/pdffonts. The
content tests share one render of each product (`printed`, once per session);
the view tests use the tiny examplamide monograph, or stop before rendering.
"""

from __future__ import annotations

import io
import re
import subprocess
import threading
from collections import Counter
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import connections, transaction
from django.http import QueryDict
from django.utils import timezone
from pypdf import PdfReader

from editorial import workflow
from monographs.models import Medicine
from monographs.printing import leaflets, my_medicines, products
from monographs.printing.store import Variant
from tests.factories import EXAMPLE, load_baclofen, load_example, load_files, write_monograph

STANDARD = Variant()
LARGE = Variant(large_print=True)
LETTER = Variant(letter=True)
LARGE_LETTER = Variant(True, True)

FOUR_WEEKS = products.ScheduleOptions(weeks=4, dose="10 mg three times a day")


# --- reading PDFs -------------------------------------------------------------


def pages_text(pdf: bytes) -> list[str]:
    """Each page's text, runs of whitespace made one space."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def all_text(pdf: bytes) -> str:
    return " ".join(pages_text(pdf))


def body_font_size(pdf: bytes) -> float:
    """The font size (pt) most of the text of page 1 is set in."""
    sizes: Counter[float] = Counter()

    def visit(text, cm, tm, font, size):
        if text.strip():
            sizes[round(size * tm[0] * cm[0], 1)] += len(text.strip())

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return sizes.most_common(1)[0][0]


def poppler(tool: str, pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "product.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        [tool, str(path)], check=True, capture_output=True, text=True, timeout=30
    ).stdout


@pytest.fixture(scope="session")
def printed(django_db_setup, django_db_blocker) -> dict[tuple, bytes]:
    """Baclofen's products rendered once per session: (product, route, variant) -> PDF."""
    wanted = [
        ("summary", "oral", STANDARD),
        ("summary", "oral", LARGE),
        ("summary", "oral", LETTER),
        ("summary", "intrathecal", STANDARD),
        ("summary", "intrathecal", LARGE_LETTER),
        ("leaflet", "oral", STANDARD),
        ("leaflet", "intrathecal", STANDARD),
        ("card", "", STANDARD),
        ("card", "oral", LARGE),
        ("schedule", "", STANDARD),
    ]
    with django_db_blocker.unblock():
        with transaction.atomic():
            load_baclofen()
            version = Medicine.objects.get(slug="baclofen").published_version
            pdfs = {
                (product, route, variant): products.render_product(version, product, variant, route)
                for product, route, variant in wanted
            }
            for variant in (STANDARD, LARGE_LETTER):
                pdfs[("schedule-4", "intrathecal", variant)] = leaflets.write_pdf(
                    products.build_schedule_html(version, variant, "intrathecal", FOUR_WEEKS)
                )
            transaction.set_rollback(True)
        connections["default"].close()
    return pdfs


# --- the summary --------------------------------------------------------------


@pytest.mark.parametrize(
    "route, variant, most",
    [
        ("oral", STANDARD, 2),
        ("oral", LETTER, 2),
        ("oral", LARGE, 4),
        ("intrathecal", STANDARD, 2),
        ("intrathecal", LARGE_LETTER, 4),
    ],
)
def test_a_summary_is_at_most_two_pages_or_four_in_large_print(printed, route, variant, most):
    assert 1 <= len(pages_text(printed[("summary", route, variant)])) <= most


def test_the_tablets_summary_has_the_must_know_facts(printed):
    pdf = printed[("summary", "oral", STANDARD)]
    text = all_text(pdf)

    for fact in [
        "Baclofen: summary",
        "I take it by mouth (tablets)",
        "10 mg tablet, 25 mg tablet",
        # What it is for: the quick answer of "What it is and what it is used for".
        "spasticity",
        # How to take it: the adult tablets card's usual dose and maximum.
        "Starting dose: 5 mg three times a day",
        "Usual dose: 30–80 mg a day, split into 3–4 doses",
        "Maximum: 80–100 mg a day",
        # A missed dose.
        "Never take two doses at once to catch up",
        # Never stop suddenly.
        "Never stop baclofen suddenly",
        # Storage.
        "at or below 25°C (77°F)",
        "version 1",
    ]:
        assert fact in text, fact
    # Where to read more (the address may wrap anywhere).
    assert "http://127.0.0.1:8000/medicines/baclofen/" in "".join(text.split())


def test_the_tablets_summary_leaves_out_the_pump(printed):
    text = all_text(printed[("summary", "oral", STANDARD)])

    assert "12–2000 micrograms" not in text  # the pump's usual dose
    assert "Signs of a pump infection" not in text
    assert "never miss a refill appointment" not in text.split("Stopping")[0]


def test_the_pump_summary_has_the_pump_dose_and_the_refills(printed):
    text = all_text(printed[("summary", "intrathecal", STANDARD)])

    assert "I have a pump (into the spine)" in text
    assert "300–800 micrograms a day" in text
    assert "never miss a refill appointment" in text
    assert "Signs of a pump infection or meningitis" in text
    assert "30–80 mg a day" not in text  # the tablets' usual dose


@pytest.mark.parametrize("route, variant", [("oral", LARGE), ("intrathecal", LARGE_LETTER)])
def test_urgent_help_and_the_emergency_number_are_on_page_1_in_large_print(printed, route, variant):
    first = pages_text(printed[("summary", route, variant)])[0]

    assert "When to get urgent help" in first
    assert "Signs of too much baclofen" in first
    assert "In an emergency, call 999 for an ambulance" in first
    assert "call 111 (NHS 111 for urgent medical advice)" in first


def test_large_print_summaries_are_set_in_16_pt_or_more(printed):
    assert body_font_size(printed[("summary", "oral", LARGE)]) >= 16
    assert body_font_size(printed[("summary", "oral", STANDARD)]) < 16


def test_the_country_setting_chooses_the_numbers_on_paper(db, settings):
    settings.SITE_COUNTRY = "US"
    load_baclofen()
    version = Medicine.objects.get(slug="baclofen").published_version

    text = all_text(products.render_product(version, "summary", LETTER, "oral"))

    assert "call 911 for an ambulance" in text
    assert "call 1-800-222-1222 (Poison Control)" in text
    assert "999" not in text


# --- the leaflet of one route ---------------------------------------------------


def test_the_tablets_leaflet_fits_eight_a4_pages_without_the_pump_dosing(printed):
    pdf = printed[("leaflet", "oral", STANDARD)]
    text = all_text(pdf)

    assert len(pages_text(pdf)) <= 8
    assert "Only for: I take it by mouth (tablets)" in text
    assert "Adults: tablets" in text
    assert "5 mg three times a day" in text
    assert "Adults: pump into the spine (intrathecal)" not in text
    assert "25-microgram steps" not in text
    assert "Too much from the pump" not in text
    # Warnings that apply to every route stay.
    assert "Never stop baclofen suddenly" in text
    assert "Opioid painkillers (morphine, oxycodone, fentanyl)" in text


def test_the_pump_leaflet_leaves_out_the_tablet_cards(printed):
    text = all_text(printed[("leaflet", "intrathecal", STANDARD)])

    assert "Adults: pump into the spine (intrathecal)" in text
    assert "Children aged 1 to 10: tablets" not in text
    assert "Too much from the pump" in text


# --- the wallet card and the dose chart -------------------------------------------


@pytest.mark.parametrize("route, variant", [("", STANDARD), ("oral", LARGE)])
def test_the_wallet_card_is_one_page_with_the_warning_and_blank_lines(printed, route, variant):
    pdf = printed[("card", route, variant)]
    text = all_text(pdf)

    assert len(pages_text(pdf)) == 1
    assert "I take Baclofen" in text
    assert "Never stop baclofen suddenly." in text
    assert "Paramedic or doctor: please know" in text
    assert "My name" in text and "Emergency contact and phone" in text
    assert "Cut along the dashed line" in text


def test_the_dose_chart_is_one_page_with_four_times_of_day(printed):
    pdf = printed[("schedule", "", STANDARD)]
    text = all_text(pdf)

    assert len(pages_text(pdf)) == 1
    assert all(word in text for word in ("Morning", "Midday", "Evening", "Bedtime"))
    assert "Day 7" in text and "Day 8" not in text
    assert "10 mg tablet, 25 mg tablet" in text


@pytest.mark.parametrize("variant", [STANDARD, LARGE_LETTER])
def test_four_weeks_of_the_dose_chart_fit_one_page_with_the_dose_told(printed, variant):
    pdf = printed[("schedule-4", "intrathecal", variant)]
    text = all_text(pdf)

    assert len(pages_text(pdf)) == 1
    assert "Day 28" in text
    assert "10 mg three times a day" in text


def test_schedule_options_are_read_normalised_and_refused_clearly():
    options = products.ScheduleOptions.from_query(
        QueryDict("times=bedtime&times=morning&times=morning&weeks=4&dose=  1  tablet ")
    )

    assert options == products.ScheduleOptions(("morning", "bedtime"), 4, "1 tablet")
    assert products.ScheduleOptions.from_query(QueryDict("")).is_default
    for query, message in [
        ("times=noon", "times must be some of: morning, midday, evening, bedtime"),
        ("weeks=2", "weeks must be 1 or 4"),
        ("weeks=four", "weeks must be 1 or 4"),
        ("dose=" + "x" * 81, "at most 80 characters"),
        ("dose=a%00b", "letters, numbers and punctuation only"),
    ]:
        with pytest.raises(products.BadOptions, match=message):
            products.ScheduleOptions.from_query(QueryDict(query))


# --- every product: tagged, fonts, paper ----------------------------------------


@pytest.mark.parametrize(
    "key, title",
    [
        (
            ("summary", "oral", STANDARD),
            "Baclofen summary (I take it by mouth (tablets)), version 1",
        ),
        (("card", "", STANDARD), "Baclofen wallet card, version 1"),
        (("schedule", "", STANDARD), "Baclofen dose chart, version 1"),
    ],
)
def test_each_product_is_a_tagged_pdf_with_title_language_and_embedded_fonts(
    printed, tmp_path, key, title
):
    pdf = printed[key]
    info = poppler("pdfinfo", pdf, tmp_path)
    reader = PdfReader(io.BytesIO(pdf))

    assert "Tagged:          yes" in info
    assert f"Title:           {title}" in info
    assert "(A4)" in info
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert "/StructTreeRoot" in reader.trailer["/Root"]
    fonts = poppler("pdffonts", pdf, tmp_path).splitlines()[2:]
    assert fonts and all(row.split()[-5] == "yes" for row in fonts)


def test_letter_products_are_on_us_letter(printed, tmp_path):
    assert "612 x 792 pts (letter)" in poppler(
        "pdfinfo", printed[("summary", "oral", LETTER)], tmp_path
    )


# --- the addresses ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url, status, says",
    [
        ("/medicines/examplamide/summary.pdf?route=rectal", 400, "route must be one of"),
        ("/medicines/examplamide/summary.pdf?paper=a5", 400, "paper must be one of"),
        ("/medicines/examplamide/card.pdf?size=huge", 400, "size must be one of"),
        ("/medicines/examplamide/schedule.pdf?times=noon", 400, "times must be some of"),
        ("/medicines/examplamide/schedule.pdf?weeks=52", 400, "weeks must be 1 or 4"),
        ("/medicines/examplamide/leaflet.pdf?route=rectal", 400, "route must be one of"),
        ("/medicines/examplamide/print/?size=tiny", 400, "size must be one of"),
        ("/medicines/nothing-here/summary.pdf", 404, ""),
        ("/medicines/nothing-here/print/", 404, ""),
        ("/medicines/nothing-here/card.pdf", 404, ""),
        ("/medicines/nothing-here/schedule.pdf", 404, ""),
        ("/my-medicines/?m=examplamide&m=nothing-here", 400, "address: &#x27;nothing-here&#x27;"),
        ("/my-medicines/print.pdf?m=nothing-here", 400, "address: &#x27;nothing-here&#x27;"),
        ("/my-medicines/print.pdf", 400, "Choose at least one medicine"),
        ("/my-medicines/print.pdf?m=examplamide&paper=a3", 400, "paper must be one of"),
    ],
)
def test_bad_input_is_a_clear_400_or_a_404_never_a_500(medicine, client, url, status, says):
    response = client.get(url)

    assert response.status_code == status
    assert says in response.content.decode()


def test_more_than_twenty_medicines_is_a_clear_message(medicine, client):
    query = "&".join(f"m=medicine-{number}" for number in range(21))

    response = client.get(f"/my-medicines/print.pdf?{query}")

    assert response.status_code == 400
    assert "Choose at most 20 medicines for one sheet (21 were chosen)" in (
        response.content.decode()
    )


def test_the_print_page_lists_every_product_with_pages_and_size(medicine, client):
    response = client.get("/medicines/examplamide/print/?paper=letter&size=large")
    html = response.content.decode()

    assert response.status_code == 200
    for product in ("summary", "leaflet", "schedule", "card"):
        name = leaflets.product_name(medicine.published_version, product, LARGE_LETTER, "")
        size = default_storage.size(name)
        pages = len(PdfReader(default_storage.open(name)).pages)
        assert f'href="/medicines/examplamide/{product}.pdf?paper=letter&amp;size=large"' in html
        assert re.search(rf"PDF, {pages} pages?, {size / 1024:.1f}\xa0KB", html), product
    assert 'value="letter" checked' in html and 'value="large" checked' in html


def test_the_medicine_page_links_to_its_print_page(medicine, client):
    html = client.get("/medicines/examplamide/").content.decode()

    assert 'href="/medicines/examplamide/print/"' in html


def test_a_summary_is_stored_under_version_product_route_and_variant(db, client):
    load_baclofen()
    version = Medicine.objects.get(slug="baclofen").published_version

    first = client.get("/medicines/baclofen/summary.pdf?route=oral&size=large&paper=letter")
    body = b"".join(first.streaming_content)
    again = client.get(
        "/medicines/baclofen/summary.pdf?route=oral&size=large&paper=letter",
        HTTP_IF_NONE_MATCH=first["ETag"],
    )

    assert first.status_code == 200 and body.startswith(b"%PDF-")
    assert first["Content-Disposition"] == (
        'inline; filename="baclofen-summary-oral-v1-large-print-letter.pdf"'
    )
    assert default_storage.exists(
        "leaflets/baclofen/baclofen-summary-oral-v1-large-print-letter.pdf"
    )
    assert again.status_code == 304
    # Without a route, a medicine with two routes asks the reader to choose one.
    choose = client.get("/medicines/baclofen/summary.pdf")
    assert choose.status_code == 302
    assert choose["Location"] == "/medicines/baclofen/print/?paper=a4&size=standard#products"
    assert version.routes == ["oral", "intrathecal"]


def test_a_burst_of_requests_renders_a_product_once(transactional_db, settings, monkeypatch):
    from django.test import Client

    settings.LEAFLETS_RENDER_ON_PUBLISH = False
    load_example(settings.CONTENT_DIR)
    calls = []
    real_render = products.render_product

    def counting_render(*arguments):
        calls.append(arguments[1])
        return real_render(*arguments)

    monkeypatch.setattr(products, "render_product", counting_render)
    start = threading.Barrier(4)
    bodies: list[bytes] = []

    def fetch():
        client = Client()
        start.wait()
        try:
            response = client.get("/medicines/examplamide/card.pdf")
            bodies.append(b"".join(response.streaming_content))
        finally:
            connections.close_all()  # see test_leaflets: PostgreSQL must drop its database

    threads = [threading.Thread(target=fetch) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert calls == ["card"]
    assert len(bodies) == 4 and len(set(bodies)) == 1 and bodies[0].startswith(b"%PDF-")


def test_a_schedule_with_the_carers_options_is_not_stored(medicine, client, settings):
    response = client.get(
        "/medicines/examplamide/schedule.pdf?times=morning&times=bedtime&dose=Half+a+tablet"
    )
    text = all_text(response.content)

    assert response.status_code == 200
    assert "Half a tablet" in text and "Bedtime" in text and "Midday" not in text
    assert "private" in response["Cache-Control"]
    folder = Path(settings.MEDIA_ROOT) / "leaflets" / "examplamide"
    assert not (folder.exists() and [p for p in folder.iterdir() if "schedule" in p.name])


def test_new_review_dates_forget_every_stored_product(
    medicine, rita, django_capture_on_commit_callbacks
):
    version = medicine.published_version
    products.store_product(version, "card", STANDARD)
    name = leaflets.product_name(version, "card", STANDARD)
    assert default_storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        workflow.record_review(
            medicine,
            user=rita,
            last_reviewed=timezone.localdate(),
            next_review=timezone.localdate().replace(year=timezone.localdate().year + 1),
        )

    assert not default_storage.exists(name)


# --- my medicines -------------------------------------------------------------------


def write_synthetic(folder: Path, slug: str, name: str, *, generic: str, classes: str = "") -> Path:
    """A small valid monograph (examplamide's text) named `name`, with `classes` if given."""
    text = EXAMPLE.read_text(encoding="utf-8")
    text = re.sub(r"^slug: .*$", f"slug: {slug}", text, count=1, flags=re.M)
    text = re.sub(r"^name: .*$", f"name: {name}", text, count=1, flags=re.M)
    text = re.sub(r"^generic_name: .*$", f"generic_name: {generic}", text, count=1, flags=re.M)
    text = re.sub(r"^brands: .*$", f"brands: [{name}ex]", text, count=1, flags=re.M)
    text = re.sub(r"^synonyms: .*$", f"synonyms: [{name.lower()}e]", text, count=1, flags=re.M)
    if classes:
        text = text.replace("conditions:", f"classes: {classes}\nconditions:", 1)
    return write_monograph(folder, slug, text)


@pytest.fixture
def several(db, settings):
    """Baclofen, a blood-pressure medicine (by class, written in the singular), a painkiller
    whose generic name baclofen's opioid row gives as an example, and an unrelated one."""
    folder = settings.CONTENT_DIR
    load_baclofen()
    load_files(
        write_synthetic(
            folder,
            "pressuramide",
            "Pressuramide",
            generic="pressuramide",
            classes="[Blood pressure medicine, Angiotensin II receptor blockers]",
        ),
        write_synthetic(folder, "painamide", "Painamide", generic="oxycodone"),
        write_synthetic(
            folder, "quietamide", "Quietamide", generic="quietamide", classes="[Antifungals]"
        ),
    )


def test_interactions_are_matched_by_class_and_by_substance(several):
    chosen = my_medicines.chosen_versions(["baclofen", "pressuramide", "painamide", "quietamide"])

    found = {
        (f.source.medicine.slug, f.other.medicine.slug, f.interaction.medicine, f.matched.text)
        for f in my_medicines.find_interactions(chosen)
    }

    assert found == {
        (
            "baclofen",
            "pressuramide",
            "Blood pressure medicines, also called antihypertensives",
            "Blood pressure medicine",
        ),
        ("baclofen", "painamide", "Opioid painkillers", "oxycodone"),
    }


def test_words_match_whole_and_in_either_number():
    assert my_medicines.words_of("Blood pressure medicines") == ("blood", "pressure", "medicine")
    assert my_medicines.words_of("Antihypertensives") == my_medicines.words_of("antihypertensive")
    assert my_medicines.words_of("Therapies") == ("therapy",)
    # Whole words only: a name inside another word is not a match.
    assert not my_medicines._contains(("morphinex",), ("morphine",))


def test_repeats_are_dropped_and_the_order_kept(several):
    chosen = my_medicines.chosen_versions(["painamide", "baclofen", "painamide", " "])

    assert [v.medicine.slug for v in chosen] == ["painamide", "baclofen"]


def test_the_my_medicines_page_works_as_a_plain_form(several, client):
    html = client.get("/my-medicines/?m=baclofen&m=pressuramide").content.decode()

    assert 'name="m" value="baclofen" checked' in html
    assert 'name="m" value="quietamide">' in html
    assert "Baclofen + Pressuramide" in html
    assert (
        'href="/my-medicines/print.pdf?m=baclofen&amp;m=pressuramide&amp;paper=a4&amp;size=standard"'
        in html
    )


def test_the_my_medicines_sheet_has_interactions_a_schedule_and_each_summary(several, client):
    response = client.get("/my-medicines/print.pdf?m=baclofen&m=pressuramide&m=quietamide")
    pages = pages_text(response.content)
    text = " ".join(pages)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "Baclofen + Pressuramide" in pages[0]
    assert "Pressuramide is one of the Blood pressure medicine" in pages[0]
    assert "Blood pressure drops more than expected" in pages[0]
    assert "Quietamide +" not in text and "+ Quietamide" not in text
    assert "When I take them" in text and "Bedtime" in text
    for name in ("Baclofen", "Pressuramide", "Quietamide"):
        assert f"{name}: version 1" in text
    assert "Never stop baclofen suddenly" in text


def test_charts_with_the_carers_options_leave_no_file_per_request(medicine, client, settings):
    for number in range(5):
        response = client.get(f"/medicines/examplamide/schedule.pdf?dose={number}+tablets")
        assert f"{number} tablets" in all_text(response.content)

    locks = Path(settings.MEDIA_ROOT) / "leaflets" / ".locks"
    cached = [p.name for p in locks.iterdir() if "schedule" in p.name or "cached" in p.name]
    assert all(re.fullmatch(r"cached-render-\d+\.lock", name) for name in cached), cached
    assert len(cached) <= 5


def test_the_my_medicines_page_reads_a_fixed_number_of_queries(
    several, client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        response = client.get("/my-medicines/?m=baclofen&m=pressuramide&m=painamide&m=quietamide")

    assert response.status_code == 200
