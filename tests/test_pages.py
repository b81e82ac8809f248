"""The public pages through the test client: what a patient reads, and how fast and fresh it is.

Home, A–Z, monograph (current and superseded versions), changelog, reference
list, Atom feed, sitemap.xml and robots.txt; the 404s; the fixed query count;
conditional requests and the page cache across a new publish.
"""

import html
import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache

from monographs.models import Version
from tests.factories import (
    BACLOFEN,
    load_baclofen,
    load_example,
    load_files,
    monograph_text,
    write_monograph,
)

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(autouse=True)
def _empty_page_cache():
    # Test databases reuse primary keys; a page cached by an earlier test must not leak in.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def baclofen():
    load_baclofen()


def _text(response) -> str:
    """The page's visible words, tags removed and spaces collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.text, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _section(response, anchor: str) -> str:
    """The HTML of the <section id=anchor> of a monograph page."""
    match = re.search(rf'<section[^>]*id="{anchor}".*?</section>', response.text, re.S)
    assert match, f"no section #{anchor}"
    return match.group(0)


def _json_ld(response) -> dict:
    blocks = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', response.text, flags=re.S
    )
    assert len(blocks) == 1
    return json.loads(blocks[0])


def _load_baclofen_version_2(tmp_path, **fields):
    """Publish a second version of baclofen with one changed takeaway."""
    text = monograph_text(
        BACLOFEN,
        version=2,
        change_summary='"Clearer advice on the pump refill appointments."',
        **fields,
    )
    text = text.replace(
        "If you have a pump, go to every refill appointment.",
        "If you have a pump, put every refill appointment in your diary.",
    )
    load_files(write_monograph(tmp_path / "v2", "baclofen", text))


# --- Home and A–Z ------------------------------------------------------------


def test_home_page_offers_search_the_letters_and_recent_updates(client, baclofen):
    response = client.get("/")

    assert response.status_code == 200
    assert re.search(r'<form[^>]*role="search"[^>]*action="/search/"', response.text)
    assert '<label for="site-search-q">' in response.text
    assert '<a href="/medicines/#letter-b">B</a>' in response.text
    assert '<a href="/medicines/#letter-a">' not in response.text
    text = _text(response)
    assert "Recently updated" in text
    assert "Baclofen Updated" in text
    assert "First published version, written from the EMA, FDA and BNF" in text


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/medicines/",
        "/medicines/baclofen/",
        "/medicines/baclofen/changes/",
        "/references/",
        "/search/",
        "/search/?q=zzzzqqq",
        "/medicines/no-such-medicine/",
    ],
)
def test_every_page_has_one_search_box(client, baclofen, path):
    response = client.get(path)

    assert response.text.count('role="search"') == 1
    assert response.text.count('type="search"') == 1


def test_search_page_box_holds_the_query(client, baclofen):
    response = client.get("/search/?q=zzzzqqq")

    assert re.search(r'<input id="site-search-q"[^>]*value="zzzzqqq"', response.text)


def test_a_z_lists_each_medicine_and_its_brands_under_their_letters(client, baclofen):
    response = client.get("/medicines/")

    assert response.status_code == 200
    letter_b = re.search(r'<section[^>]*id="letter-b".*?</section>', response.text, re.S)[0]
    letter_l = re.search(r'<section[^>]*id="letter-l".*?</section>', response.text, re.S)[0]
    letter_g = re.search(r'<section[^>]*id="letter-g".*?</section>', response.text, re.S)[0]
    assert '<a href="/medicines/baclofen/">Baclofen</a>' in letter_b
    assert "Baclofen Viatris" in letter_b
    assert re.search(r'href="/medicines/baclofen/">Lioresal\s*<span.*?→.*?Baclofen', letter_l)
    assert 'href="/medicines/baclofen/">Gablofen' in letter_g
    # Letters with no medicine are shown but are not links.
    assert 'id="letter-a"' not in response.text
    assert '<a href="/medicines/#letter-b">B</a>' in response.text


def test_a_z_and_home_leave_out_unpublished_medicines(client, tmp_path, baclofen):
    load_example(tmp_path / "content", status="draft")

    for url in ("/medicines/", "/"):
        assert "Examplamide" not in client.get(url).text
        assert "Examplex" not in client.get(url).text


# --- The monograph page ------------------------------------------------------


def test_monograph_header_gives_names_class_status_review_dates_and_version(client, baclofen):
    response = client.get("/medicines/baclofen/")

    assert response.status_code == 200
    assert response.text.count("<h1") == 1
    assert "<h1>Baclofen</h1>" in response.text
    text = _text(response)
    assert "Brand names: Lioresal, Gablofen, Baclofen Viatris, Baclofen Medical Valley" in text
    assert "Muscle relaxant" in text
    assert "Prescription-only medicine" in text
    # Loaded from a file, so no clinician has checked it: the date is the editorial team's.
    assert (
        "Last reviewed by the editorial team 26 November 2026 · Next review due 26 November 2027"
        in text
    )
    assert re.search(r'<a href="/medicines/baclofen/changes/">Version 1\b', response.text)
    assert "due to be reviewed again" not in text


def test_quick_facts_show_uses_forms_strengths_routes_and_atc_code(client, baclofen):
    text = _text(client.get("/medicines/baclofen/"))

    facts = text[text.index("Quick facts") : text.index("Print or download")]
    assert "Used for Multiple sclerosis, Spinal cord injury, Cerebral palsy, Stroke" in facts
    assert "Comes as Tablet, Intrathecal solution" in facts
    for strength in ("10 mg tablet", "25 mg tablet", "0.05 mg/ml intrathecal solution"):
        assert strength in facts
    assert "How it is given Oral, intrathecal" in facts
    assert "ATC code M03BX01" in facts


def test_safety_callout_comes_first_and_is_repeated_at_dosage_and_stopping(client, baclofen):
    response = client.get("/medicines/baclofen/")

    warnings = [
        "Never stop baclofen suddenly.",
        "If you have a baclofen pump, never miss a refill appointment.",
    ]
    callouts = re.findall(
        r'<div class="callout callout--safety" role="note".*?</div>', response.text, re.S
    )
    assert len(callouts) == 3
    for callout in callouts:
        for warning in warnings:
            assert f"<strong>{warning}</strong>" in callout
    # The first is above the table of contents and every section.
    assert response.text.index(callouts[0]) < response.text.index('class="toc"')
    assert "callout--safety" in _section(response, "dosage")
    assert "callout--safety" in _section(response, "stopping")


def test_every_section_opens_with_its_quick_answer_and_is_in_the_contents(client, baclofen):
    response = client.get("/medicines/baclofen/")
    toc = re.search(r'<nav class="toc".*?</nav>', response.text, re.S)[0]

    for anchor in (
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
    ):
        assert f'<a href="#{anchor}">' in toc
        section = _section(response, anchor)
        if anchor not in ("key-takeaways", "references"):
            assert re.search(r'</h2>\s*<div class="quick-answer">', section), anchor
    for sub_heading in (
        "dosage-adults-tablets",
        "dosage-missed-dose",
        "before-you-take-it-who-should-not-take-it",
        "side-effects-when-to-get-urgent-help",
    ):
        assert f'<a href="#{sub_heading}">' in toc
        assert f'id="{sub_heading}"' in response.text
    quick = re.search(r'class="quick-answer".*?</div>', _section(response, "dosage"), re.S)[0]
    assert "Adults usually start with 5 mg of tablets three times a day." in quick


def test_key_takeaways_are_listed(client, baclofen):
    section = _section(client.get("/medicines/baclofen/"), "key-takeaways")

    assert section.count("<li>") == 6
    assert "If you have a pump, go to every refill appointment." in section


def test_dosing_shows_a_card_per_population_with_every_figure(client, baclofen):
    response = client.get("/medicines/baclofen/")
    dosage = _section(response, "dosage")

    cards = re.findall(r'<div class="dose-card" id="([^"]+)">', dosage)
    assert cards == [
        "dosage-adults-tablets",
        "dosage-adults-pump-into-the-spine-intrathecal",
        "dosage-children-over-10-tablets",
        "dosage-children-aged-1-to-10-tablets",
        "dosage-children-pump-into-the-spine-intrathecal",
        "dosage-people-over-65",
        "dosage-people-with-kidney-problems",
        "dosage-missed-dose",
    ]
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", dosage)).split())
    for figure in (
        "Starting dose 5 mg three times a day. This is 15 mg a day in total.",
        "each of your doses goes up by 5 mg",
        "Usual maintenance dose 30–80 mg a day, split into 3–4 doses.",
        "Maximum dose 80–100 mg a day.",
        "25–50 micrograms (0.025–0.05 mg)",
        "at 100 micrograms",
        "12–2000 micrograms a day",
        "300–800 micrograms a day",
        "Starting dose 0.3 mg for each kilogram of body weight per day (0.3 mg/kg/day)",
        "Usual maintenance dose 0.75–2 mg/kg/day",
        "Maximum dose 40 mg a day for children under 8. 60 mg a day for children aged 8–10.",
        "Who People whose kidneys do not work well",
        "Never take two doses at once to catch up.",
    ):
        assert figure in text, figure
    adults = re.search(r'id="dosage-adults-tablets">.*?</dl>', dosage, re.S)[0]
    labels = re.findall(r"<dt>(.*?)</dt>", adults)
    assert labels == [
        "Who",
        "Route",
        "Starting dose",
        "How to increase",
        "Usual maintenance dose",
        "Maximum dose",
        "Notes",
    ]


def test_interactions_are_a_table_of_major_ones_and_a_list_of_minor_ones(client, baclofen):
    section = _section(client.get("/medicines/baclofen/"), "interactions")

    table = re.search(r"<table.*?</table>", section, re.S)[0]
    assert "<caption>Medicines that can interact badly with Baclofen</caption>" in table
    assert re.findall(r'<th scope="col">(.*?)</th>', table) == [
        "Medicine or group",
        "What can happen",
        "What to do",
    ]
    rows = re.findall(r'<th scope="row">(.*?)</th>', table, re.S)
    assert len(rows) == 6
    assert rows[0].startswith("Opioid painkillers")
    assert "for example morphine, oxycodone, fentanyl" in rows[0]
    assert "This combination can cause death." in table
    minor = re.search(r'<ul class="minor-interactions">.*?</ul>', section, re.S)[0]
    assert minor.count("<li>") == 4
    assert "<strong>Lithium:</strong>" in minor
    assert "<strong>Sleeping tablets (zolpidem, zopiclone):</strong>" in minor


def test_side_effects_are_grouped_by_band_with_plain_word_meanings(client, baclofen):
    section = _section(client.get("/medicines/baclofen/"), "side-effects")
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section)).split())

    for heading in (
        "Very common: more than 1 in 10 people",
        "Common: up to 1 in 10 people",
        "Uncommon: up to 1 in 100 people",
        "Rare: up to 1 in 1,000 people",
        "Not known: how often cannot be told from the information available",
    ):
        assert heading in text, heading
    very_common = re.search(r'id="side-effects-very-common".*?</ul>', section, re.S)[0]
    assert "Sleepiness, drowsiness" in very_common
    assert "Hair loss" not in very_common


def test_urgent_help_box_names_overdose_withdrawal_and_pump_infection(client, baclofen):
    section = _section(client.get("/medicines/baclofen/"), "side-effects")

    box = re.search(r'<div class="callout callout--urgent".*?</div>', section, re.S)[0]
    assert "When to get urgent help" in box
    assert "Get medical help straight away" in box
    assert box.count("Get emergency help now.") == 2  # overdose and withdrawal
    for sign in (
        "Signs of too much baclofen:",
        "Signs of withdrawal:",
        "Signs of a pump infection or meningitis:",
    ):
        assert f"<strong>{sign}</strong>" in box


def test_faqs_open_and_close_without_javascript(client, baclofen):
    section = _section(client.get("/medicines/baclofen/"), "faqs")

    questions = re.findall(r'<summary class="faq__question">(.*?)</summary>', section)
    assert len(questions) == 6
    assert questions[0] == "What is baclofen used for?"
    assert section.count("<details") == 6
    assert "Can I drink alcohol while taking baclofen?" in questions


def test_storage_and_contents_are_shown(client, baclofen):
    response = client.get("/medicines/baclofen/")

    assert "store at or below 25°C (77°F)" in _section(response, "storage")
    assert "Generic availability" in _section(response, "contents")


def test_references_are_numbered_with_doi_links_and_sources_and_authors(client, baclofen):
    response = client.get("/medicines/baclofen/")
    section = _section(response, "references")

    numbers = re.findall(r'<li id="reference-(\d+)" value="\1">', section)
    assert numbers == [str(n) for n in range(1, 11)]
    assert (
        '<a class="shows-address" href="https://doi.org/10.1136/practneurol-2011-000155">'
        "doi:10.1136/practneurol-2011-000155</a>" in section
    )
    assert "Ertzgaard P, Campo C, Calabrese A." in section
    assert 'href="/references/"' in section
    about = _text(response)[_text(response).rindex("About this information") :]
    assert "Baclofen Summary of Product Characteristics" in about
    assert "European Medicines Agency (EMA), updated 2024." in about
    assert "Written by druginfo editorial team, from the sources above" in about
    assert "Checked by Not yet checked by a clinician" in about


def test_monograph_links_to_the_standard_and_large_print_leaflets(client, baclofen):
    response = client.get("/medicines/baclofen/")

    assert 'href="/medicines/baclofen/leaflet.pdf"' in response.text
    assert 'href="/medicines/baclofen/leaflet.pdf?size=large"' in response.text


def test_monograph_has_title_description_canonical_and_structured_data(client, baclofen):
    response = client.get("/medicines/baclofen/")

    assert "<title>Baclofen: uses, dosage, side effects and safety – druginfo</title>" in (
        response.text
    )
    description = re.search(r'<meta name="description" content="([^"]*)">', response.text)[1]
    assert description.startswith("Baclofen is a prescription medicine that relaxes stiff")
    assert len(description) <= 160
    assert '<link rel="canonical" href="http://127.0.0.1:8000/medicines/baclofen/">' in (
        response.text
    )
    data = _json_ld(response)
    assert data["@type"] == "MedicalWebPage"
    assert data["lastReviewed"] == "2026-11-26"
    assert "reviewedBy" not in data  # loaded from its file: no reviewer has published it
    drug = data["about"]
    assert drug["@type"] == "Drug"
    assert drug["nonProprietaryName"] == "baclofen"
    assert drug["activeIngredient"] == "baclofen"
    assert drug["drugClass"] == {"@type": "DrugClass", "name": "Muscle relaxant"}
    assert drug["prescriptionStatus"] == "https://schema.org/PrescriptionOnly"
    assert drug["dosageForm"] == ["Tablet", "Intrathecal solution"]
    assert drug["administrationRoute"] == ["oral", "intrathecal"]
    assert {"@type": "DrugStrength", "name": "10 mg tablet"} in drug["availableStrength"]
    assert drug["code"] == {"@type": "MedicalCode", "code": "M03BX01", "codingSystem": "ATC"}


def test_structured_data_cannot_close_its_script_element(client, baclofen):
    hostile = "</script><script>alert(1)</script>&"
    Version.objects.filter(medicine__slug="baclofen").update(name=hostile)

    response = client.get("/medicines/baclofen/")

    assert "<script>alert(1)" not in response.text
    assert _json_ld(response)["name"] == hostile
    assert "<h1>&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;</h1>" in response.text


def test_pages_carry_no_inline_script_or_style_but_the_structured_data(client, baclofen):
    for url in ("/", "/medicines/", "/medicines/baclofen/", "/references/"):
        text = re.sub(r'<script type="application/ld\+json">.*?</script>', "", client.get(url).text)

        assert not re.search(r"<script(?![^>]*\ssrc=)", text), url
        assert "<style" not in text, url
        assert " style=" not in text, url
        assert not re.search(r"\son[a-z]+=", text), url


def test_page_past_its_review_date_says_it_is_due_for_review(client, tmp_path):
    load_example(tmp_path / "content", last_reviewed="2020-01-10", next_review="2021-01-10")

    text = _text(client.get("/medicines/examplamide/"))

    assert "This page was due to be reviewed again by 10 January 2021." in text


# --- Versions and the changelog ----------------------------------------------


def test_changelog_lists_every_published_version_newest_first(client, tmp_path, baclofen):
    _load_baclofen_version_2(tmp_path)
    draft = monograph_text(BACLOFEN, version=3, status="draft")
    load_files(write_monograph(tmp_path / "v3", "baclofen", draft))

    response = client.get("/medicines/baclofen/changes/")

    assert response.status_code == 200
    text = _text(response)
    assert re.findall(r'<li class="changes__item" id="version-(\d+)">', response.text) == [
        "2",
        "1",
    ]
    assert "Version 2 current" in text
    assert "Clearer advice on the pump refill appointments." in text
    assert "First published version, written from the EMA, FDA and BNF" in text
    assert 'href="/medicines/baclofen/v1/"' in response.text
    assert "Version 3" not in text


def test_monograph_shows_a_new_publish_at_once(client, tmp_path, baclofen):
    first = client.get("/medicines/baclofen/")
    assert "go to every refill appointment" in first.text

    _load_baclofen_version_2(tmp_path)
    second = client.get("/medicines/baclofen/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 200
    assert "put every refill appointment in your diary" in second.text
    assert "go to every refill appointment" not in second.text
    assert re.search(r'<a href="/medicines/baclofen/changes/">Version 2\b', second.text)


def test_superseded_version_is_marked_and_links_to_the_current_page(client, tmp_path, baclofen):
    client.get("/medicines/baclofen/v1/")  # cached while it was current
    _load_baclofen_version_2(tmp_path)

    response = client.get("/medicines/baclofen/v1/")

    assert response.status_code == 200
    notice = re.search(r'<div class="notice notice--superseded".*?</div>', response.text, re.S)
    assert notice, "the old version is not marked as replaced"
    assert "This is an old version of this page (version 1" in notice[0]
    assert 'href="/medicines/baclofen/">Read the current information about Baclofen' in notice[0]
    assert "go to every refill appointment" in response.text
    assert '<meta name="robots" content="noindex">' in response.text
    assert 'href="/medicines/baclofen/v1/leaflet.pdf"' in response.text


def test_current_version_page_is_not_marked_superseded(client, tmp_path, baclofen):
    _load_baclofen_version_2(tmp_path)

    response = client.get("/medicines/baclofen/v2/")

    assert response.status_code == 200
    assert "notice--superseded" not in response.text
    assert '<link rel="canonical" href="http://127.0.0.1:8000/medicines/baclofen/">' in (
        response.text
    )


@pytest.mark.parametrize(
    "url",
    [
        "/medicines/no-such-medicine/",
        "/medicines/no-such-medicine/changes/",
        "/medicines/no-such-medicine/v1/",
        "/medicines/baclofen/v9/",
        "/medicines/baclofen/v3/",
        "/medicines/examplamide/",
        "/medicines/examplamide/changes/",
        "/medicines/examplamide/v1/",
    ],
)
def test_unknown_unpublished_and_draft_pages_are_not_found(client, tmp_path, baclofen, url):
    load_example(tmp_path / "content", status="draft")
    draft = monograph_text(BACLOFEN, version=3, status="draft")
    load_files(write_monograph(tmp_path / "v3", "baclofen", draft))

    response = client.get(url)

    assert response.status_code == 404
    assert "Page not found" in response.text


# --- Speed: queries, conditional requests, the page cache ---------------------


def test_monograph_page_takes_a_fixed_number_of_queries(
    client, tmp_path, baclofen, django_assert_num_queries
):
    load_example(tmp_path / "content")

    # One to find the published version, one for it, one per kind of row.
    for slug in ("baclofen", "examplamide"):
        with django_assert_num_queries(11):
            assert client.get(f"/medicines/{slug}/").status_code == 200
    # From the page cache, only the published version is looked up.
    with django_assert_num_queries(1):
        assert client.get("/medicines/baclofen/").status_code == 200


def test_page_from_the_cache_is_the_same_page_with_the_same_security_headers(
    client, baclofen, django_assert_num_queries
):
    rendered = client.get("/medicines/baclofen/")

    with django_assert_num_queries(1):
        cached = client.get("/medicines/baclofen/")

    assert cached.content == rendered.content
    for header in (
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Referrer-Policy",
        "Content-Type",
        "ETag",
        "Last-Modified",
        "Cache-Control",
    ):
        assert cached[header] == rendered[header], header
    assert "unsafe-inline" not in cached["Content-Security-Policy"]


def test_cached_page_follows_a_change_of_site_address(client, settings, baclofen):
    client.get("/medicines/baclofen/")
    settings.SITE_URL = "https://druginfo.example.org"

    response = client.get("/medicines/baclofen/")

    assert '<link rel="canonical" href="https://druginfo.example.org/medicines/baclofen/">' in (
        response.text
    )


def test_monograph_answers_conditional_requests_with_304(
    client, baclofen, django_assert_num_queries
):
    first = client.get("/medicines/baclofen/")
    assert first["ETag"].startswith('"')
    assert first["Last-Modified"]
    assert "no-cache" in first["Cache-Control"]

    with django_assert_num_queries(1):
        by_etag = client.get("/medicines/baclofen/", HTTP_IF_NONE_MATCH=first["ETag"])
    by_date = client.get("/medicines/baclofen/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])

    assert by_etag.status_code == 304
    assert by_etag.content == b""
    assert by_date.status_code == 304


@pytest.mark.parametrize("url", ["/", "/medicines/", "/references/", "/feed/", "/sitemap.xml"])
def test_other_pages_answer_conditional_requests_with_304(client, baclofen, url):
    first = client.get(url)

    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200
    assert again.status_code == 304


# --- Reference list, feed, sitemap, robots ------------------------------------


def test_reference_list_shows_each_reference_once_with_the_pages_citing_it(
    client, tmp_path, baclofen
):
    shared = (
        "3. Kheder A, Nair KPS. Spasticity: pathophysiology, evaluation and management. "
        "Practical Neurology. 2012;12(5):289-298. doi:10.1136/practneurol-2011-000155\n"
    )
    text = monograph_text(slug="examplamide").rstrip("\n") + "\n" + shared
    load_files(write_monograph(tmp_path / "content", "examplamide", text))

    response = client.get("/references/")

    assert response.status_code == 200
    assert response.text.count("Kheder A, Nair KPS.") == 1
    item = re.search(r'<li class="reference-list__item".*?Kheder A.*?</li>', response.text, re.S)
    assert 'href="/medicines/baclofen/#reference-7">Baclofen, reference 7</a>' in item[0]
    assert 'href="/medicines/examplamide/#reference-3">Examplamide, reference 3</a>' in item[0]
    assert 'href="https://doi.org/10.1136/practneurol-2011-000155"' in item[0]
    assert len(re.findall(r'<li class="reference-list__item"', response.text)) == 12


def test_reference_list_leaves_out_unpublished_medicines(client, tmp_path):
    load_example(tmp_path / "content", status="draft")

    assert "A trial of examplamide" not in client.get("/references/").text


def test_feed_is_atom_with_an_entry_per_published_version(client, tmp_path, baclofen):
    _load_baclofen_version_2(tmp_path)
    load_example(tmp_path / "content", status="draft")

    response = client.get("/feed/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # noqa: S314 -- our own output
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "Baclofen, version 2",
        "Baclofen, version 1",
    ]
    assert entries[0].find(f"{ATOM}link").get("href") == (
        "http://127.0.0.1:8000/medicines/baclofen/v2/"
    )
    assert entries[0].findtext(f"{ATOM}summary") == (
        "Clearer advice on the pump refill appointments."
    )
    assert feed.findtext(f"{ATOM}updated")


def test_sitemap_lists_public_pages_and_published_medicines(client, tmp_path, baclofen):
    load_example(tmp_path / "content", status="draft")

    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    urls = ET.fromstring(response.content).findall(f"{SITEMAP}url")  # noqa: S314
    locations = [url.findtext(f"{SITEMAP}loc") for url in urls]
    assert locations == [
        "http://127.0.0.1:8000/",
        "http://127.0.0.1:8000/medicines/",
        "http://127.0.0.1:8000/references/",
        "http://127.0.0.1:8000/medicines/baclofen/",
    ]
    assert urls[-1].findtext(f"{SITEMAP}lastmod")


def test_robots_txt_keeps_out_the_admin_and_names_the_sitemap(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.text.splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /admin/" in lines
    assert "Disallow: /medicines/" not in lines
    assert "Sitemap: http://127.0.0.1:8000/sitemap.xml" in lines


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/medicines/",
        "/medicines/baclofen/",
        "/medicines/baclofen/changes/",
        "/medicines/baclofen/v1/",
        "/references/",
    ],
)
def test_every_page_has_language_one_heading_and_its_canonical_address(client, baclofen, url):
    response = client.get(url)

    assert '<html lang="en-gb">' in response.text
    assert len(re.findall(r"<h1[ >]", response.text)) == 1
    assert '<link rel="canonical" href="http://127.0.0.1:8000/' in response.text
    assert '<a class="skip-link" href="#main">' in response.text


def test_feed_summaries_are_text_that_a_feed_reader_cannot_run(client, baclofen):
    # A change summary stored before HTML was refused at validation (or written
    # straight to the database) still reaches readers only as words.
    hostile = 'Fixed <script>alert(1)</script> and <img src=x onerror="alert(2)"> & more'
    Version.objects.filter(medicine__slug="baclofen").update(change_summary=hostile)

    feed = ET.fromstring(client.get("/feed/").content)  # noqa: S314 -- our own output
    summary = feed.find(f"{ATOM}entry/{ATOM}summary")

    # type="html": a reader parses the element's text as HTML. It must hold no
    # element at all, and show the summary's characters as they were written.
    assert summary.get("type") == "html"
    assert "<" not in summary.text
    assert html.unescape(summary.text) == hostile
