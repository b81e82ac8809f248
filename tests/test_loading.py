"""The loader: a version per distinct content, no-op reloads, admin work kept, all or nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection

from monographs import loading
from monographs.loading import create_version, export_content, load_content, versions_published
from monographs.models import (
    Alert,
    Block,
    DosingEntry,
    Faq,
    Interaction,
    Medicine,
    Name,
    Reference,
    Section,
    SideEffect,
    Takeaway,
    Version,
)
from monographs.parsing import parse_monograph
from tests.factories import (
    BACLOFEN,
    load_baclofen,
    load_example,
    load_files,
    monograph_text,
    write_monograph,
)

pytestmark = pytest.mark.django_db

TEST_CONTENT = Path(__file__).resolve().parent / "content"


def row_counts() -> dict[str, int]:
    """How many rows every table of the project holds."""
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def rows_of(version: Version) -> dict[str, int]:
    return {
        "sections": version.sections.count(),
        "blocks": Block.objects.filter(section__version=version).count(),
        "alerts": version.alerts.count(),
        "takeaways": version.takeaways.count(),
        "interactions": version.interactions.count(),
        "dosing": version.dosing.count(),
        "side_effects": version.side_effects.count(),
        "faqs": version.faqs.count(),
        "references": version.references.count(),
        "names": version.names.count(),
    }


@pytest.fixture
def published_log():
    """Every `versions` list that versions_published sends during the test."""
    sent: list[list[Version]] = []

    def receiver(sender, versions, **kwargs):
        sent.append(list(versions))

    versions_published.connect(receiver, weak=False, dispatch_uid="test_loading")
    yield sent
    versions_published.disconnect(dispatch_uid="test_loading")


# --- first load ------------------------------------------------------------------


def test_first_load_creates_baclofen_version_1_with_every_row():
    report = load_baclofen()

    assert (report.created, report.updated, report.unchanged) == (["baclofen"], [], [])
    medicine = Medicine.objects.get(slug="baclofen")
    version = medicine.versions.get()
    assert medicine.published_version == version
    assert medicine.file_synced_number == 1
    assert (version.number, version.status, version.origin, version.language) == (
        1,
        "published",
        "file",
        "en",
    )
    assert version.source_text == BACLOFEN.read_text(encoding="utf-8")
    assert version.sha256 == parse_monograph(version.source_text).sha256
    assert version.origin_path.endswith("content/baclofen.md")
    assert version.change_summary.startswith("First published version")
    assert version.published_at is not None
    assert rows_of(version) == {
        "sections": 12,
        "blocks": 29,
        "alerts": 6,
        "takeaways": 6,
        "interactions": 10,
        "dosing": 8,
        "side_effects": 37,
        "faqs": 6,
        "references": 10,
        "names": 15,
    }


def test_first_load_projects_the_facts_patients_see():
    load_baclofen()
    version = Version.objects.get()

    assert version.name == "Baclofen"
    assert version.atc_code == "M03BX01"
    assert version.brands == ["Lioresal", "Gablofen", "Baclofen Viatris", "Baclofen Medical Valley"]
    assert version.interactions.filter(severity="major").count() == 6
    assert version.interactions.filter(severity="minor").count() == 4
    opioids = version.interactions.get(severity="major", position=0)
    assert opioids.medicine == "Opioid painkillers"
    assert opioids.examples == ["morphine", "oxycodone", "fentanyl"]
    assert version.side_effects.filter(band="very_common").count() == 2
    kheder = version.references.get(number=7)
    assert kheder.doi == "10.1136/practneurol-2011-000155"
    assert kheder.doi_url == "https://doi.org/10.1136/practneurol-2011-000155"
    assert (
        version.alerts.filter(kind="safety")
        .first()
        .html.startswith("<strong>Never stop baclofen suddenly.</strong>")
    )
    assert set(version.names.filter(kind="brand").values_list("normalized", flat=True)) == {
        "lioresal",
        "gablofen",
        "baclofen viatris",
        "baclofen medical valley",
    }


def test_loaded_html_is_sanitised_and_sections_keep_their_order():
    load_baclofen()
    version = Version.objects.get()

    uses = version.sections.get(key="uses")
    assert uses.quick_answer_html.startswith("Baclofen is a prescription medicine")
    assert "<h4>How it works</h4>" in uses.intro_html
    assert list(version.sections.values_list("anchor", flat=True))[:3] == [
        "key-takeaways",
        "uses",
        "before-you-take-it",
    ]
    assert "<script" not in "".join(Section.objects.values_list("intro_html", flat=True))


def test_every_valid_file_in_the_test_corpus_loads(tmp_path):
    valid = sorted(TEST_CONTENT.glob("*.md"))

    report = load_files(*valid)

    assert sorted(report.created) == [path.stem for path in valid]


# --- reloads -----------------------------------------------------------------------


def test_an_unchanged_reload_is_a_no_op(published_log, django_capture_on_commit_callbacks):
    load_baclofen()
    before = row_counts()

    with django_capture_on_commit_callbacks(execute=True):
        report = load_content([BACLOFEN])

    assert (report.created, report.updated, report.unchanged) == ([], [], ["baclofen"])
    assert report.summary() == "0 created, 0 updated, 1 unchanged, 0 refused"
    assert row_counts() == before
    assert published_log == []


def test_a_changed_file_with_a_higher_version_becomes_the_published_version(settings):
    path = load_example(settings.CONTENT_DIR)
    first = Version.objects.get()

    write_monograph(
        settings.CONTENT_DIR,
        "examplamide",
        monograph_text(version=2, change_summary="Lower maximum dose.").replace(
            "30 mg a day", "25 mg a day"
        ),
    )
    report = load_files(path)

    assert report.updated == ["examplamide"]
    medicine = Medicine.objects.get()
    assert list(medicine.versions.values_list("number", flat=True)) == [2, 1]
    current = medicine.published_version
    assert current.number == 2
    assert current.change_summary == "Lower maximum dose."
    assert current.dosing.get().maximum_html == "25 mg a day"
    # The old version is kept whole, so it can still be shown.
    first.refresh_from_db()
    assert first.dosing.get().maximum_html == "30 mg a day"
    assert rows_of(first) == rows_of(current)


def test_a_changed_file_with_the_same_version_is_refused_at_the_version_line(settings):
    path = load_example(settings.CONTENT_DIR)
    before = row_counts()
    write_monograph(settings.CONTENT_DIR, "examplamide", monograph_text().replace("30 mg", "25 mg"))

    report = load_content([path])

    (problem,) = report.problems
    assert problem.path == str(path)
    assert problem.line == 16
    assert problem.message == (
        "version 1 is not higher than version 1 already loaded; a changed file needs a "
        "higher version (use 2)"
    )
    assert row_counts() == before


def test_a_broken_file_among_good_ones_writes_nothing_and_reports_every_problem(tmp_path):
    folder = tmp_path / "mixed"
    write_monograph(folder, "examplamide", monograph_text())
    shutil.copy(BACLOFEN, folder)
    shutil.copy(TEST_CONTENT / "broken" / "several-problems.md", folder)
    shutil.copy(TEST_CONTENT / "broken" / "unknown-band.md", folder)
    before = row_counts()

    report = load_content([folder])

    assert [(Path(p.path).name, p.line) for p in report.problems] == [
        ("several-problems.md", 5),
        ("several-problems.md", 11),
        ("several-problems.md", 38),
        ("several-problems.md", 64),
        ("several-problems.md", 93),
        ("several-problems.md", 118),
        ("unknown-band.md", 93),
    ]
    assert row_counts() == before
    assert not Medicine.objects.exists()


def test_a_broken_file_after_batches_already_written_rolls_them_all_back(settings, monkeypatch):
    # Large loads write in batches as files are parsed; the last file is broken.
    monkeypatch.setattr(loading, "WRITE_BATCH", 2)
    paths = [
        write_monograph(
            settings.CONTENT_DIR, f"examplamide-{n}", monograph_text(slug=f"examplamide-{n}")
        )
        for n in range(5)
    ]
    broken = shutil.copy(TEST_CONTENT / "broken" / "bad-atc.md", settings.CONTENT_DIR)
    before = row_counts()

    report = load_content([*paths, broken])

    assert [(Path(p.path).name, p.line) for p in report.problems] == [("bad-atc.md", 5)]
    assert report.published == []
    assert row_counts() == before


def test_a_long_load_with_debug_on_does_not_keep_every_statement(settings, monkeypatch):
    # With DEBUG on, Django logs each SQL statement with its values; a load of
    # thousands of monographs would hold gigabytes of INSERTs in memory.
    settings.DEBUG = True
    monkeypatch.setattr(loading, "WRITE_BATCH", 2)
    paths = [
        write_monograph(
            settings.CONTENT_DIR, f"examplamide-{n}", monograph_text(slug=f"examplamide-{n}")
        )
        for n in range(5)
    ]

    load_files(*paths)

    logged = " ".join(query["sql"] for query in connection.queries)
    assert "examplamide-0" not in logged
    assert Medicine.objects.count() == 5


def test_a_broken_new_version_leaves_the_published_one_in_place(settings):
    path = load_example(settings.CONTENT_DIR)
    before = row_counts()
    write_monograph(
        settings.CONTENT_DIR,
        "examplamide",
        monograph_text(version=2).replace("### Not known", "### Ocasional"),
    )

    report = load_content([path])

    assert [(p.line, p.message.split(";")[0]) for p in report.problems] == [
        (93, "'Ocasional' is not a frequency band")
    ]
    assert row_counts() == before
    assert Medicine.objects.get().published_version.number == 1


def test_a_dry_run_checks_everything_but_writes_nothing(settings):
    path = write_monograph(settings.CONTENT_DIR, "examplamide", monograph_text())

    report = load_content([path, BACLOFEN], dry_run=True)

    assert sorted(report.created) == ["baclofen", "examplamide"]
    assert not report.problems
    assert row_counts()["monographs.Version"] == 0
    assert not Medicine.objects.exists()


def test_a_draft_file_is_stored_but_not_published(settings):
    load_example(settings.CONTENT_DIR, status="draft")

    medicine = Medicine.objects.get()
    assert medicine.published_version is None
    assert medicine.versions.get().status == "draft"
    assert not Medicine.objects.published().exists()


def test_a_draft_after_a_published_version_keeps_the_published_one_public(settings):
    load_example(settings.CONTENT_DIR)
    load_example(
        settings.CONTENT_DIR, version=2, status="draft", change_summary="Work in progress."
    )

    medicine = Medicine.objects.get()
    assert medicine.published_version.number == 1
    assert medicine.latest_version().number == 2
    assert medicine.latest_version().published_at is None


def test_progress_is_reported_up_to_the_total(settings):
    paths = [
        write_monograph(
            settings.CONTENT_DIR, f"examplamide-{n}", monograph_text(slug=f"examplamide-{n}")
        )
        for n in range(3)
    ]
    calls = []

    load_content(paths, progress=lambda done, total: calls.append((done, total)))

    assert calls[0] == (0, 3)
    assert calls[-1] == (3, 3)


def test_a_load_parsed_in_worker_processes_stores_the_same_rows(settings, monkeypatch):
    paths = [
        write_monograph(
            settings.CONTENT_DIR, f"examplamide-{n}", monograph_text(slug=f"examplamide-{n}")
        )
        for n in range(3)
    ]
    paths.append(BACLOFEN)
    monkeypatch.setattr(loading, "PARALLEL_THRESHOLD", 2)
    cache_size = _sqlite_cache_size()

    report = load_files(*paths)

    assert sorted(report.created) == ["baclofen", "examplamide-0", "examplamide-1", "examplamide-2"]
    assert rows_of(Version.objects.get(medicine__slug="baclofen"))["side_effects"] == 37
    assert Version.objects.filter(status="published").count() == 4
    # The larger page cache of a large load is the connection's own again.
    assert _sqlite_cache_size() == cache_size


def _sqlite_cache_size() -> int | None:
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        return cursor.fetchone()[0]


# --- admin edits and conflicts ---------------------------------------------------------


def edit_in_admin(medicine: Medicine, text: str) -> Version:
    """What the admin does on save: the same parser, then a new version."""
    document = parse_monograph(text, "admin", expected_slug=medicine.slug)
    version = create_version(medicine, document, origin="admin", status="published")
    medicine.published_version = version
    medicine.save(update_fields=["published_version"])
    return version


ADMIN_TEXT = monograph_text(version=2, change_summary="Safer wording from the admin.").replace(
    "Lower the dose slowly.", "Lower the dose slowly, over weeks."
)
FILE_TEXT = monograph_text(version=3, change_summary="New storage advice.").replace(
    "Keep below 25°C.", "Keep below 25°C, away from damp."
)


def test_a_file_changed_after_an_admin_edit_is_refused_and_says_how_to_resolve_it(settings):
    path = load_example(settings.CONTENT_DIR)
    edit_in_admin(Medicine.objects.get(), ADMIN_TEXT)
    before = row_counts()
    write_monograph(settings.CONTENT_DIR, "examplamide", FILE_TEXT)

    report = load_content([path])

    (refusal,) = report.refused
    assert refusal.path == str(path)
    assert "refused: examplamide was edited in the admin (version 2)" in refusal.message
    assert "Nothing was overwritten" in refusal.message
    assert "manage.py export_content --slug examplamide" in refusal.message
    assert "--force" in refusal.message
    assert report.summary() == "0 created, 0 updated, 0 unchanged, 1 refused"
    assert row_counts() == before


def test_force_loads_the_file_and_keeps_the_admin_version_in_the_history(settings):
    path = load_example(settings.CONTENT_DIR)
    admin_version = edit_in_admin(Medicine.objects.get(), ADMIN_TEXT)
    write_monograph(settings.CONTENT_DIR, "examplamide", FILE_TEXT)

    report = load_content([path], force=True)

    assert report.updated == ["examplamide"]
    medicine = Medicine.objects.get()
    assert [(v.number, v.origin) for v in medicine.versions.all()] == [
        (3, "file"),
        (2, "admin"),
        (1, "file"),
    ]
    assert medicine.published_version.number == 3
    admin_version.refresh_from_db()
    assert admin_version.source_text == ADMIN_TEXT
    assert rows_of(admin_version)["sections"] == 12


def test_exporting_the_admin_version_makes_the_file_current_again(settings):
    path = load_example(settings.CONTENT_DIR)
    edit_in_admin(Medicine.objects.get(), ADMIN_TEXT)

    written = export_content(settings.CONTENT_DIR)

    assert written == [path]
    assert path.read_text(encoding="utf-8") == ADMIN_TEXT
    assert load_content([path]).unchanged == ["examplamide"]

    # The editor merges the admin work into the file and carries on without a conflict.
    write_monograph(
        settings.CONTENT_DIR, "examplamide", ADMIN_TEXT.replace("version: 2", "version: 3")
    )
    report = load_files(path)
    assert report.updated == ["examplamide"]
    assert Medicine.objects.get().published_version.number == 3


def test_export_of_one_slug_leaves_the_others_alone(settings, tmp_path):
    load_baclofen()
    load_example(settings.CONTENT_DIR)
    out = tmp_path / "export"

    written = export_content(out, ["examplamide"])

    assert written == [out / "examplamide.md"]
    assert [p.name for p in out.iterdir()] == ["examplamide.md"]


# --- round trip ----------------------------------------------------------------------


def test_load_then_export_gives_back_every_file_byte_for_byte(tmp_path):
    sources = [BACLOFEN, *sorted(TEST_CONTENT.glob("*.md"))]
    load_files(*sources)
    out = tmp_path / "export"

    written = export_content(out)

    assert sorted(p.name for p in written) == sorted(p.name for p in sources)
    for source in sources:
        assert (out / source.name).read_bytes() == source.read_bytes(), source.name


def test_an_exported_folder_loads_as_unchanged(tmp_path):
    load_files(BACLOFEN, *TEST_CONTENT.glob("*.md"))
    out = tmp_path / "export"
    export_content(out)
    before = row_counts()

    report = load_content([out])

    assert report.created == report.updated == []
    assert len(report.unchanged) == 1 + len(list(TEST_CONTENT.glob("*.md")))
    assert row_counts() == before


# --- versions_published ----------------------------------------------------------------


def test_versions_published_is_sent_after_commit_with_the_published_versions(
    settings, published_log, django_capture_on_commit_callbacks
):
    draft = write_monograph(
        settings.CONTENT_DIR, "draftamide", monograph_text(slug="draftamide", status="draft")
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        load_files(BACLOFEN, draft)
        assert published_log == [], "sent before the transaction committed"

    assert len(callbacks) == 1
    (versions,) = published_log
    assert [(v.medicine.slug, v.number) for v in versions] == [("baclofen", 1)]
    assert versions[0].pk == Medicine.objects.get(slug="baclofen").published_version_id


def test_nothing_is_published_when_the_load_fails(
    published_log, django_capture_on_commit_callbacks, tmp_path
):
    broken = shutil.copy(TEST_CONTENT / "broken" / "bad-atc.md", tmp_path)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = load_content([BACLOFEN, broken])

    assert report.problems
    assert callbacks == []
    assert published_log == []


def test_rows_of_a_version_are_removed_with_it():
    load_baclofen()

    Version.objects.get().delete()

    for model in (Section, Block, Alert, Takeaway, Interaction, DosingEntry, SideEffect, Faq):
        assert not model.objects.exists(), model
    assert not Reference.objects.exists()
    assert not Name.objects.exists()
