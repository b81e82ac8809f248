"""The label importer: real SPL and ePI labels (tests/labels/) read by section, made into
drafts that load_content accepts, and every kind of file that is not a label refused.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from monographs.labels import NotALabel, read_label
from monographs.labels.spl import SECTION_CODES
from monographs.parsing import parse_file
from monographs.rendering import render_markdown

LABELS = Path(__file__).resolve().parent / "labels"
ROOT = LABELS.parent.parent
EXPECTED_SLUGS = {
    "spl-lipitor-orig.xml": "atorvastatin",
    "spl-humira.xml": "adalimumab",
    "spl-cough.xml": "diphenhydramine-and-phenylephrine",
    "spl-no-title.xml": "haloperidol",
    "epi-en-37d610f9.json": "orlistat",
    "epi-en-2d49ae46.json": "irbesartan",
    "epi-es-54347.xml": "magnesioboi",
}


def sections(label, key, *, patient=None):
    return [s for s in label.sections if s.key == key and (patient is None or s.patient == patient)]


def import_labels(*paths, output: Path, **options) -> tuple[str, str, CommandError | None]:
    out, err = io.StringIO(), io.StringIO()
    error = None
    try:
        call_command(
            "import_label", *map(str, paths), output=str(output), stdout=out, stderr=err, **options
        )
    except CommandError as raised:
        error = raised
    return out.getvalue(), err.getvalue(), error


def written_files(folder: Path) -> list[str]:
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


# --- reading SPL -----------------------------------------------------------------


def test_spl_sections_are_filed_by_their_loinc_codes():
    label = read_label(LABELS / "spl-lipitor-orig.xml")
    professional = {s.code: s.key for s in label.sections if not s.patient}
    assert professional["34068-7"] == "dosage"
    assert professional["34070-3"] == "who-should-not"
    assert professional["34073-7"] == "interactions"
    assert professional["34088-5"] == "overdose"
    # Storage and handling (44425-7) inside How supplied (34069-5) is filed on its own.
    assert professional["34069-5"] == "contents"
    assert professional["44425-7"] == "storage"
    assert (
        "Store at controlled room temperature"
        in sections(label, "storage", patient=False)[0].text.replace("\n", " ")
        or sections(label, "storage", patient=False)[0].text
    )


def test_spl_patient_package_insert_is_preferred_and_split_at_its_questions():
    label = read_label(LABELS / "spl-lipitor-orig.xml")
    how = sections(label, "dosage", patient=True)
    assert [s.heading for s in how] == ["How Should I Take LIPITOR?"]
    assert all(s.code == "42230-3" for s in how)
    assert "Take LIPITOR each day" in how[0].text or "LIPITOR" in how[0].text
    assert sections(label, "who-should-not", patient=True)[0].heading == (
        "Who Should Not Take LIPITOR?"
    )
    store = sections(label, "storage", patient=True)[0]
    assert store.heading == "How do I store LIPITOR"


def test_spl_medication_guide_is_read_as_patient_text():
    label = read_label(LABELS / "spl-humira.xml")
    guide = [s for s in label.sections if s.code == "42231-1"]
    assert guide and all(s.patient for s in guide)
    assert "What is HUMIRA?" in [s.heading for s in sections(label, "uses", patient=True)]
    assert "How should I take HUMIRA?" in [
        s.heading for s in sections(label, "dosage", patient=True)
    ]
    # The boxed warning stays a professional warning.
    boxed = [s for s in label.sections if s.code == "34066-1"][0]
    assert boxed.key == "warnings" and not boxed.patient


def test_spl_products_come_from_the_structured_product_elements():
    lipitor = read_label(LABELS / "spl-lipitor-orig.xml")
    assert {p.name for p in lipitor.products} == {"Lipitor"}
    assert [p.ingredients[0].strength for p in lipitor.products] == [
        "10 mg",
        "20 mg",
        "40 mg",
        "80 mg",
    ]
    first = lipitor.products[0]
    assert first.generic_name == "atorvastatin calcium"
    assert first.form == "TABLET, FILM COATED"
    assert first.routes == ("oral",)
    assert first.ingredients[0].name == "ATORVASTATIN CALCIUM TRIHYDRATE"
    assert first.prescription is True
    # A kit is read through its parts: the syringe, not the alcohol swab.
    humira = read_label(LABELS / "spl-humira.xml")
    assert "40 mg/0.8 mL" in {p.ingredients[0].strength for p in humira.products}
    assert {p.ingredients[0].name for p in humira.products} == {"ADALIMUMAB"}
    cough = read_label(LABELS / "spl-cough.xml")
    assert [(i.name, i.strength) for i in cough.products[0].ingredients] == [
        ("DIPHENHYDRAMINE HYDROCHLORIDE", "6.25 mg/5 mL"),
        ("PHENYLEPHRINE HYDROCHLORIDE", "2.5 mg/5 mL"),
    ]


def test_spl_citation_has_set_id_version_and_date():
    label = read_label(LABELS / "spl-lipitor-orig.xml")
    assert (label.format, label.language) == ("SPL", "en")
    assert label.id == "c6e131fe-e7df-4876-83f7-9156fc4e8228"
    assert (label.version, label.date) == ("11", "2014-01-13")
    assert label.title.startswith("LIPITOR® (atorvastatin calcium) Tablets")
    assert "version 11, 2014-01-13" in label.citation()


def test_unclassified_spl_sections_are_filed_by_their_heading():
    label = read_label(LABELS / "spl-cough.xml")
    unclassified = {s.heading: s.key for s in label.sections if s.code == "42229-5"}
    # "Other informaton" (sic) on a Drug Facts label holds the storage advice.
    assert unclassified["Other informaton"] == "storage"
    assert unclassified["Additional information listed"] is None


def test_otc_drug_facts_are_patient_facing():
    label = read_label(LABELS / "spl-cough.xml")
    assert label.kind == "HUMAN OTC DRUG LABEL"
    assert all(s.patient for s in label.sections)
    assert sections(label, "dosage")[0].heading == "Directions"
    assert sections(label, "who-should-not")[0].heading == "Do not use"
    assert label.products[0].prescription is False


def test_spl_without_a_title_is_named_from_its_product():
    label = read_label(LABELS / "spl-no-title.xml")
    assert label.title == "Haloperidol (haloperidol) label"
    assert sections(label, "dosage") and sections(label, "overdose")


def test_every_mapped_section_code_is_a_loinc_spl_section_code():
    with (LABELS / "spl-loinc-sections.csv").open(encoding="utf-8") as file:
        known = {row[0] for row in csv.reader(file)}
    missing = sorted(code for code in SECTION_CODES if code not in known)
    # Two LOINC section codes the CSV's 88 rows lack: general precautions, and
    # lactation (from the 2015 Pregnancy and Lactation Labeling Rule).
    assert missing == ["34072-1", "77290-5"]


# --- reading ePI -------------------------------------------------------------------


def test_epi_json_leaflet_numbered_sections_are_mapped():
    label = read_label(LABELS / "epi-en-37d610f9.json")
    assert (label.format, label.language, label.id) == ("ePI", "en", "EU/1/98/071/004")
    assert label.date == "2022-02-16"
    assert sections(label, "uses")[0].heading.startswith("1. What Xenical")
    assert sections(label, "who-should-not")[0].heading == "Do not take XENICAL"
    assert sections(label, "overdose")[0].heading == "If you take more XENICAL than you should"
    assert sections(label, "missed-dose")[0].heading == "If you forget to take XENICAL"
    assert "one 120 mg capsule" in sections(label, "dosage")[0].text
    assert sections(label, "storage")[0].heading.startswith("5. How to store")
    product = label.products[0]
    assert product.name == "Xenical 120mg hard capsules"
    assert product.generic_name == "orlistat"
    assert product.ingredients[0].strength == "120 mg"
    assert (product.form, product.routes, product.prescription) == (
        "Capsule, hard",
        ("Oral use",),
        True,
    )


def test_epi_leaflet_with_loose_bold_headings_is_split():
    label = read_label(LABELS / "epi-en-2d49ae46.json")
    assert sections(label, "who-should-not")[0].heading == "Do not take Karvea"
    assert sections(label, "driving")[0].heading == "Driving and using machines"
    assert sections(label, "overdose")[0].heading == "If you take more Karvea than you should"
    assert "The usual dose is 150 mg once a day" in sections(label, "dosage")[0].text


def test_spanish_epi_xml_keeps_its_language_and_prefers_the_leaflet():
    label = read_label(LABELS / "epi-es-54347.xml")
    assert label.language == "es"
    assert label.kind == "Prospecto"
    first = [s for s in label.sections if s.key][0]
    assert first.patient and first.heading == "1. Qué es Magnesioboi y para qué se utiliza"
    assert sections(label, "missed-dose")[0].heading == "Si olvidó tomar Magnesioboi"
    assert sections(label, "overdose", patient=True)[0].heading.startswith("Si toma más")
    # The SmPC's sections are kept too, as professional text (4.2.1 with 4.2).
    smpc = {s.heading: s.key for s in label.sections if not s.patient}
    assert smpc["4.3. Contraindicaciones"] == "who-should-not"
    assert smpc["4.2.1. Posología"] == "dosage"
    assert label.products[0].name == "Magnesioboi 48,62 mg comprimidos"


def test_text_by_section_gives_the_audit_plain_text():
    label = read_label(LABELS / "epi-en-37d610f9.json")
    pairs = label.text_by_section()
    assert ("dosage", sections(label, "dosage")[0].text) in pairs
    assert any("120 mg" in text for _key, text in pairs)


# --- drafts ------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_fixture_imports_to_a_draft_that_load_content_accepts(tmp_path):
    out, err, error = import_labels(
        *(LABELS / name for name in EXPECTED_SLUGS), output=tmp_path / "drafts"
    )
    assert error is None, err
    assert err == ""
    for name, slug in EXPECTED_SLUGS.items():
        assert f"{name} -> " in out and f"{slug}.md" in out
        document = parse_file(tmp_path / "drafts" / f"{slug}.md")
        assert document.status == "draft"
        assert document.source_documents == (f"sources/{slug}/{name}",)
        assert (tmp_path / "drafts" / "sources" / slug / name).read_bytes() == (
            LABELS / name
        ).read_bytes()
    assert (
        out.strip()
        .splitlines()[-1]
        .startswith("import_label: 7 draft(s) from 7 label(s), 0 file(s) refused (")
    )
    check = io.StringIO()
    call_command("load_content", str(tmp_path / "drafts"), dry_run=True, stdout=check)
    assert "7 created" in check.getvalue() and "0 refused" in check.getvalue()


def test_draft_cites_the_label_and_quotes_the_patient_text(tmp_path):
    import_labels(LABELS / "spl-lipitor-orig.xml", output=tmp_path)
    text = (tmp_path / "atorvastatin.md").read_text(encoding="utf-8")
    document = parse_file(tmp_path / "atorvastatin.md")
    assert document.name == "Atorvastatin" and document.generic_name == "atorvastatin calcium"
    assert document.brands == ("Lipitor",)
    assert document.strengths == tuple(f"{n} mg tablet, film coated" for n in (10, 20, 40, 80))
    assert document.routes == ("oral",) and document.prescription_status == "prescription only"
    source = document.sources[0]
    assert "c6e131fe-e7df-4876-83f7-9156fc4e8228" in source.title
    assert "version 11" in source.title and source.date == "2014-01-13"
    assert "Label text, to rewrite in plain words before review** (How Should I Take" in text
    # The professional dosage section is not used where patient text exists.
    assert "(2 DOSAGE AND ADMINISTRATION)" not in text
    assert "FILL IN: the WHO ATC code" in text
    # The admin refuses to save a text with placeholders left: the editor writes first.
    assert text.count("[FILL IN") >= 10


def test_spanish_label_gives_a_spanish_draft(tmp_path):
    import_labels(LABELS / "epi-es-54347.xml", output=tmp_path)
    document = parse_file(tmp_path / "magnesioboi.md")
    assert document.language == "es"
    text = (tmp_path / "magnesioboi.md").read_text(encoding="utf-8")
    assert "(Si olvidó tomar Magnesioboi)" in text
    assert "(3. Cómo tomar Magnesioboi)" in text


def test_label_text_cannot_become_markup_in_the_draft(tmp_path):
    hostile = (
        '<document xmlns="urn:hl7-org:v3"><id root="1"/><setId root="set-1"/>'
        '<code code="34391-3" displayName="HUMAN PRESCRIPTION DRUG LABEL"/>'
        "<title>Hostilol tablets</title>"
        "<component><structuredBody><component><section>"
        '<code code="34068-7"/><title>DOSAGE</title><text>'
        "<paragraph>&lt;script&gt;alert(1)&lt;/script&gt; **2 mg** [x](javascript:alert(1))"
        "</paragraph><paragraph>1. # not a heading | not | a table</paragraph>"
        "<list><item>- 5 mg &amp; more</item></list>"
        "</text></section></component></structuredBody></component></document>"
    )
    path = tmp_path / "hostile.xml"
    path.write_text(hostile, encoding="utf-8")
    out, err, error = import_labels(path, output=tmp_path / "out")
    assert error is None, err
    # No product data at all: the draft is still made, named from the label's title.
    document = parse_file(tmp_path / "out" / "hostilol.md")
    dosage = next(s for s in document.sections if s.anchor == "dosage")
    html = render_markdown(dosage.intro)
    assert "<script" not in html and "href" not in html and "<strong>" not in html.split("</p>")[1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **2 mg** [x](javascript:alert(1))" in html
    assert "1. # not a heading | not | a table" in html
    assert "• - 5 mg &amp; more" in html


def test_unseen_labels_with_parts_missing_still_import(tmp_path):
    # An ePI document Bundle with a Composition and nothing else: no products, no
    # numbered headings, no dates; and an SPL with a product but no text at all.
    bundle = {
        "resourceType": "Bundle",
        "type": "document",
        "entry": [
            {
                "resource": {
                    "resourceType": "Composition",
                    "status": "final",
                    "type": {"text": "Package leaflet"},
                    "date": "2024-05-01",
                    "author": [{"display": "Example Agency"}],
                    "title": "Examplol 5 mg tablets: package leaflet",
                    "section": [
                        {
                            "title": "3. How to take Examplol",
                            "text": {
                                "status": "generated",
                                "div": '<div xmlns="http://www.w3.org/1999/xhtml">'
                                "<p>Take one 5 mg tablet a day.</p></div>",
                            },
                        },
                        {"title": "An unnumbered note"},
                    ],
                }
            }
        ],
    }
    (tmp_path / "bare.json").write_text(json.dumps(bundle), encoding="utf-8")
    spl = (
        '<document xmlns="urn:hl7-org:v3"><setId root="s-2"/><component><structuredBody>'
        '<component><section><code code="48780-1"/><subject><manufacturedProduct>'
        "<manufacturedProduct><name>Plainol</name><formCode displayName='TABLET'/>"
        "</manufacturedProduct></manufacturedProduct></subject></section></component>"
        "</structuredBody></component></document>"
    )
    (tmp_path / "bare.xml").write_text(spl, encoding="utf-8")
    out, err, error = import_labels(
        tmp_path / "bare.json", tmp_path / "bare.xml", output=tmp_path / "out"
    )
    assert error is None, err
    slugs = sorted(p.stem for p in (tmp_path / "out").glob("*.md"))
    assert slugs == ["examplol", "plainol"]
    examplol = (tmp_path / "out" / "examplol.md").read_text(encoding="utf-8")
    assert "Take one 5 mg tablet a day." in examplol
    assert parse_file(tmp_path / "out" / "plainol.md").forms == ("Tablet",)


# --- refusals ------------------------------------------------------------------------

ENTITY_BOMB = """<?xml version="1.0"?>
<!DOCTYPE document [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
]>
<document xmlns="urn:hl7-org:v3"><title>&e;</title></document>
"""


def external_entity(secret: Path) -> str:
    return (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE document [ <!ENTITY secret SYSTEM "file://{secret}"> ]>\n'
        '<document xmlns="urn:hl7-org:v3"><title>&secret;</title></document>\n'
    )


NOT_LABELS = {
    "empty.xml": ("", "the file is empty"),
    "page.html": (
        "<!DOCTYPE html><html><head><title>x</title></head><body>Lipitor</body></html>",
        "the file is an HTML page, not an SPL or ePI label",
    ),
    "feed.xml": (
        '<?xml version="1.0"?><rss version="2.0"><channel/></rss>',
        "the file is XML whose root element is <rss>, not an SPL <document> or a FHIR <Bundle>",
    ),
    "truncated.xml": (
        (LABELS / "spl-humira.xml").read_text(encoding="utf-8")[:5000],
        "the XML is broken or cut off",
    ),
    "patient.json": (
        '{"resourceType": "Patient", "id": "p1"}',
        "the file is a FHIR Patient, not an ePI Bundle",
    ),
    "list.json": ("[1, 2, 3]", "the file is JSON that is not FHIR, not an ePI Bundle"),
    "broken.json": ('{"resourceType": "Bundle", ', "the file is not valid JSON"),
    "no-composition.json": (
        '{"resourceType": "Bundle", "type": "collection", "entry": []}',
        "the FHIR Bundle holds no Composition, so it is not an ePI document",
    ),
    "invalid-fhir.json": (
        '{"resourceType": "Bundle", "type": 12, "entry": "none"}',
        "the FHIR Bundle is not valid",
    ),
    "notes.txt": ("Lipitor 10 mg", "the file is neither XML nor JSON"),
    "deep.json": ("[" * 100_000 + "]" * 100_000, "the file is nested too deeply to be a label"),
    "deep.xml": ("<a>" * 5_000 + "</a>" * 5_000, "the XML is broken or cut off"),
    "bomb.xml": (ENTITY_BOMB, "the XML declares entities, which no label uses"),
}


@pytest.mark.parametrize("name", sorted(NOT_LABELS))
def test_a_file_that_is_not_a_label_gets_one_line_and_nothing_is_written(tmp_path, name):
    content, reason = NOT_LABELS[name]
    bad = tmp_path / name
    bad.write_text(content, encoding="utf-8")
    good = tmp_path / "spl-cough.xml"
    shutil.copyfile(LABELS / "spl-cough.xml", good)
    out, err, error = import_labels(bad, good, output=tmp_path / "out")
    assert error is not None
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{bad}: not imported: {reason}")
    # The other file of the run still imports; nothing is written for the bad one.
    assert written_files(tmp_path / "out") == [
        "diphenhydramine-and-phenylephrine.md",
        "sources/diphenhydramine-and-phenylephrine/spl-cough.xml",
    ]
    assert "1 file(s) refused" in out


def test_an_spl_file_that_is_not_a_label_is_refused():
    # A real SPL indexing file from openFDA: SPL, but no label text and no products.
    with pytest.raises(NotALabel) as refused:
        read_label(LABELS / "spl-indexing-methoxsalen.xml")
    assert str(refused.value) == (
        "the SPL document is an 'Indexing - Pharmacologic Class' document with no label "
        "text and no products"
    )


def test_an_external_entity_is_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    bad = tmp_path / "xxe.xml"
    bad.write_text(external_entity(secret), encoding="utf-8")
    with pytest.raises(NotALabel, match="declares entities"):
        read_label(bad)
    out, err, error = import_labels(bad, output=tmp_path / "out")
    assert error is not None and "TOP-SECRET-VALUE" not in out + err
    assert written_files(tmp_path / "out") == []


def test_an_existing_draft_is_kept_unless_replace_is_given(tmp_path):
    (tmp_path / "orlistat.md").write_text("mine", encoding="utf-8")
    out, err, error = import_labels(LABELS / "epi-en-37d610f9.json", output=tmp_path)
    assert error is not None and "orlistat.md already exists" in err
    assert (tmp_path / "orlistat.md").read_text(encoding="utf-8") == "mine"
    out, err, error = import_labels(LABELS / "epi-en-37d610f9.json", output=tmp_path, replace=True)
    assert error is None and (tmp_path / "orlistat.md").read_text().startswith("---")
    # A published monograph is never replaced by a draft, even with --replace.
    published = (tmp_path / "orlistat.md").read_text().replace("status: draft", "status: published")
    (tmp_path / "orlistat.md").write_text(published)
    out, err, error = import_labels(LABELS / "epi-en-37d610f9.json", output=tmp_path, replace=True)
    assert error is not None and "orlistat.md is a published monograph" in err
    assert (tmp_path / "orlistat.md").read_text() == published


def test_the_command_exits_1_when_a_file_is_refused_and_imports_the_rest(tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text("", encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "import_label",
            str(empty),
            str(LABELS / "epi-en-2d49ae46.json"),
            "--output",
            str(tmp_path / "out"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert f"{empty}: not imported: the file is empty" in result.stderr
    assert (tmp_path / "out" / "irbesartan.md").exists()
    assert "import_label: 1 draft(s) from 1 label(s), 1 file(s) refused" in result.stdout


# --- the admin: "New medicine from a label" ---------------------------------------

ADD_URL = "/admin/monographs/medicine/add/"
FROM_LABEL_URL = "/admin/monographs/medicine/from-label/"


def upload(client, name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(FROM_LABEL_URL, {"label": SimpleUploadedFile(name, content)}, follow=True)


@pytest.mark.django_db
def test_admin_upload_opens_the_draft_in_the_editor_with_the_label_beside_it(erin, settings):
    from django.core.files.storage import default_storage

    from monographs.models import Medicine
    from tests.factories import client_for

    client = client_for(erin)
    add_page = client.get(ADD_URL)
    assert 'action="/admin/monographs/medicine/from-label/"' in add_page.content.decode()
    assert 'enctype="multipart/form-data"' in add_page.content.decode()

    response = upload(
        client, "epi-en-37d610f9.json", (LABELS / "epi-en-37d610f9.json").read_bytes()
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == (
        f"{ADD_URL}?label=sources%2Forlistat%2Fepi-en-37d610f9.json"
    )
    page = response.content.decode()
    draft = response.context["form"]["source_text"].value()
    # The editor holds the draft; the side panel holds the label's sections.
    assert "slug: orlistat" in draft and "status: draft" in draft
    assert 'class="editor-layout__label-panel label-panel"' in page
    assert "If you take more XENICAL than you should" in page
    assert "→ Overdose" in page
    assert "The editor holds a draft made from" in page
    # The label is kept in the media store where the draft's source_documents says.
    assert default_storage.exists("sources/orlistat/epi-en-37d610f9.json")
    assert '  - "sources/orlistat/epi-en-37d610f9.json"' in draft
    assert not Medicine.objects.exists()  # nothing saved until the editor saves


@pytest.mark.django_db
def test_admin_saving_the_written_draft_keeps_the_label_beside_the_editor(erin, settings):
    from monographs.models import Medicine
    from tests.factories import client_for

    client = client_for(erin)
    response = upload(
        client, "epi-en-2d49ae46.json", (LABELS / "epi-en-2d49ae46.json").read_bytes()
    )
    address = response.redirect_chain[-1][0]
    draft = response.context["form"]["source_text"].value()
    # A save with the placeholders left is refused, and the label stays beside the editor.
    refused = client.post(address, {"source_text": draft})
    assert refused.status_code == 200
    assert "FILL IN" in refused.content.decode() and "label-panel" in refused.content.decode()
    assert not Medicine.objects.exists()
    # Once the editor has written every placeholder, it saves; the change page keeps the panel.
    written = draft.replace("Z99ZZ99", "C09CA04")
    written = written.replace("[FILL IN", "[Written").replace("FILL IN", "Written")
    saved = client.post(address, {"source_text": written}, follow=True)
    assert saved.status_code == 200, saved.content.decode()[:2000]
    medicine = Medicine.objects.get(slug="irbesartan")
    assert medicine.latest_version().source_documents == ["sources/irbesartan/epi-en-2d49ae46.json"]
    assert "Do not take Karvea" in saved.content.decode()
    assert "label-panel" in saved.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.xml", b"", "Not imported: empty.xml: the file is empty."),
        (
            "page.html",
            b"<html><body>Lipitor</body></html>",
            "Not imported: page.html: the file is an HTML page, not an SPL or ePI label.",
        ),
        (
            "patient.json",
            b'{"resourceType": "Patient"}',
            "Not imported: patient.json: the file is a FHIR Patient, not an ePI Bundle.",
        ),
        ("bomb.xml", ENTITY_BOMB.encode(), "Not imported: bomb.xml: the XML declares entities"),
    ],
)
def test_admin_a_file_that_is_not_a_label_gets_a_clear_message(
    erin, settings, name, content, reason
):
    from django.core.files.storage import default_storage

    from tests.factories import client_for

    response = upload(client_for(erin), name, content)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == ADD_URL
    assert reason in response.content.decode()
    assert not default_storage.exists("sources")


@pytest.mark.django_db
def test_admin_a_label_over_the_upload_limit_is_refused(erin, settings):
    from django.core.files.storage import default_storage

    from tests.factories import client_for

    settings.LABEL_UPLOAD_MAX_BYTES = 100_000
    response = upload(client_for(erin), "spl-humira.xml", (LABELS / "spl-humira.xml").read_bytes())
    page = response.content.decode()
    assert response.status_code == 200
    assert "Not imported: spl-humira.xml: the file is 0.4 MB; a label uploaded here" in page
    assert "may be at most 0.1 MB (import a larger one with manage.py import_label)." in page
    assert not default_storage.exists("sources")


@pytest.mark.django_db
def test_admin_upload_needs_a_file_a_post_and_an_editor(erin, settings):
    from tests.factories import client_for, make_user

    client = client_for(erin)
    none = client.post(FROM_LABEL_URL, {}, follow=True)
    assert "Choose a label file" in none.content.decode()
    assert client.get(FROM_LABEL_URL).status_code == 405
    # A label path that was never kept is a 404, not a 500.
    assert client.get(f"{ADD_URL}?label=sources/x/../../secret.xml").status_code == 404
    assert client.get(f"{ADD_URL}?label=sources/nothing/here.xml").status_code == 404
    outsider = client_for(make_user("olga", is_staff=True))
    forbidden = outsider.post(FROM_LABEL_URL, {"label": io.BytesIO(b"<x/>")})
    assert forbidden.status_code == 403


# --- labels not seen before: real fixtures with optional parts taken out -------------

SPL_REMOVALS = {
    "no title": ["/v:document/v:title"],
    "no version or date": ["/v:document/v:versionNumber", "/v:document/v:effectiveTime"],
    "no author": ["/v:document/v:author"],
    "no routes or forms": ["//v:routeCode", "//v:formCode"],
    "no section titles": ["//v:section/v:title"],
    "no section codes": ["//v:section/v:code"],
    "no patient leaflet": ["//v:section[v:code/@code='42230-3']"],
    "no strengths": ["//v:ingredient/v:quantity"],
    "no generic names": ["//v:asEntityWithGeneric"],
}


@pytest.mark.parametrize("removal", sorted(SPL_REMOVALS))
def test_an_spl_label_with_optional_parts_missing_still_imports(tmp_path, removal):
    from lxml import etree

    tree = etree.parse(str(LABELS / "spl-lipitor-orig.xml"))
    for xpath in SPL_REMOVALS[removal]:
        for element in tree.xpath(xpath, namespaces={"v": "urn:hl7-org:v3"}):
            element.getparent().remove(element)
    path = tmp_path / "changed.xml"
    tree.write(str(path), encoding="utf-8", xml_declaration=True)
    out, err, error = import_labels(path, output=tmp_path / "out")
    assert error is None, err
    (draft,) = (tmp_path / "out").glob("*.md")
    document = parse_file(draft)
    assert document.status == "draft"
    assert "Label text, to rewrite in plain words before review" in draft.read_text()


def _composition(bundle) -> dict:
    return bundle["entry"][0]["resource"]


def _drop(data: dict, *keys: str) -> dict:
    for key in keys:
        data.pop(key, None)
    return data


def _each_section(sections):
    for section in sections:
        yield section
        yield from _each_section(section.get("section", []))


EPI_CHANGES = {
    "no products or ingredients": lambda bundle: bundle.update(
        entry=[e for e in bundle["entry"] if e["resource"]["resourceType"] == "Composition"]
    ),
    "no identifiers or timestamp": lambda bundle: (
        _drop(bundle, "identifier", "timestamp"),
        _drop(_composition(bundle), "identifier"),
    ),
    "no language": lambda bundle: (
        _drop(bundle, "language"),
        _drop(_composition(bundle), "language"),
    ),
    "no section codes or texts of the wrapper": lambda bundle: (
        [_drop(section, "code") for section in _each_section(_composition(bundle)["section"])]
        + [_drop(_composition(bundle)["section"][0], "text", "emptyReason")]
    ),
    "author by display only": lambda bundle: _composition(bundle).update(
        author=[{"display": "A marketing authorisation holder"}]
    ),
}


@pytest.mark.parametrize("change", sorted(EPI_CHANGES))
def test_an_epi_leaflet_with_optional_parts_missing_still_imports(tmp_path, change):
    bundle = json.loads((LABELS / "epi-en-37d610f9.json").read_text(encoding="utf-8"))
    path = tmp_path / "changed.json"
    EPI_CHANGES[change](bundle)
    path.write_text(json.dumps(bundle), encoding="utf-8")
    out, err, error = import_labels(path, output=tmp_path / "out")
    assert error is None, err
    (draft,) = (tmp_path / "out").glob("*.md")
    text = draft.read_text()
    assert parse_file(draft).status == "draft"
    assert "one 120 mg capsule" in text  # section 3, found by its number in any case


def test_an_epi_bundle_missing_what_fhir_requires_is_refused_naming_the_field(tmp_path):
    bundle = json.loads((LABELS / "epi-en-37d610f9.json").read_text(encoding="utf-8"))
    del _composition(bundle)["date"]  # Composition.date is required (1..1) in FHIR R5
    path = tmp_path / "no-date.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    with pytest.raises(NotALabel, match=r"the FHIR Bundle is not valid \(entry\.0\.resource\.date"):
        read_label(path)
