"""The editorial workflow (monographs/editing.py) and the helpers it rests on.

Front-matter rewriting (parsing.set_front_matter_fields), readability figures
(monographs/readability.py), drafts, conflicts, review, publishing, revert,
the review-due list, and the rule that files and admin edits never overwrite
each other. Real database, real parser, real loader; no mocks.
"""

import datetime

import pytest
import yaml
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from monographs import editing
from monographs.loading import export_content, load_content, versions_published
from monographs.models import Version
from monographs.parsing import MonographError, parse_monograph, set_front_matter_fields
from monographs.readability import count_syllables, measure_readability
from tests.factories import EXAMPLE, load_example, make_user, monograph_text, write_monograph

OLD_DOSE = "- **Starting dose:** 5 mg three times a day"
NEW_DOSE = "- **Starting dose:** 7.5 mg three times a day"


@pytest.fixture
def editor(db):
    return make_user("erin", "Editor")


@pytest.fixture
def second_editor(db):
    return make_user("eddie", "Editor")


@pytest.fixture
def reviewer(db):
    return make_user("rita", "Reviewer")


def edited(text: str) -> str:
    assert OLD_DOSE in text
    return text.replace(OLD_DOSE, NEW_DOSE)


def save_changed_draft(medicine, user) -> Version:
    latest = medicine.latest_version()
    return editing.save_draft(
        medicine, edited(latest.source_text), base_number=latest.number, user=user
    )


def send_to_review_and_publish(version, editor, reviewer, **fields) -> Version:
    editing.submit_for_review(version, user=editor)
    fields = {
        "change_summary": "The starting dose is now 7.5 mg.",
        "last_reviewed": datetime.date(2026, 3, 1),
        "next_review": datetime.date(2027, 3, 1),
        **fields,
    }
    return editing.publish(version, user=reviewer, **fields)


# --- set_front_matter_fields ---------------------------------------------------


def test_setting_the_version_changes_only_the_version_line():
    text = EXAMPLE.read_text(encoding="utf-8")

    updated = set_front_matter_fields(text, version=7)

    changed = [
        (old, new)
        for old, new in zip(text.splitlines(), updated.splitlines(), strict=True)
        if old != new
    ]
    assert changed == [("version: 1", "version: 7")]
    assert updated.endswith(text[-200:])


def test_a_field_written_over_several_lines_is_replaced_whole():
    text = EXAMPLE.read_text(encoding="utf-8")

    updated = set_front_matter_fields(text, safety_warnings="Only this warning")

    front = yaml.safe_load(updated.split("---\n")[1])
    assert front["safety_warnings"] == "Only this warning"
    assert front["version"] == 1  # the next field survives the multi-line value
    assert "Do not stop suddenly" not in updated


def test_a_missing_field_is_added_before_the_closing_line():
    text = EXAMPLE.read_text(encoding="utf-8").replace("status: published\n", "")

    updated = set_front_matter_fields(text, status="draft")

    lines = updated.splitlines()
    closing = lines.index("---", 1)
    assert lines[closing - 1] == "status: draft"
    assert parse_monograph(updated).status == "draft"


@pytest.mark.parametrize(
    "summary",
    [
        "Dose: now 5 mg # twice",
        "yes",
        "2024-01-01",
        'A "quoted" word and a back\\slash',
        "Dose changed – 5–10 mg, see §4",
        "null",
    ],
)
def test_text_that_yaml_would_misread_is_quoted_and_reads_back_the_same(summary):
    updated = set_front_matter_fields(EXAMPLE.read_text(encoding="utf-8"), change_summary=summary)

    assert parse_monograph(updated).change_summary == summary


def test_dates_are_written_as_dates():
    updated = set_front_matter_fields(
        EXAMPLE.read_text(encoding="utf-8"), last_reviewed=datetime.date(2026, 5, 4)
    )

    assert "\nlast_reviewed: 2026-05-04\n" in updated
    assert parse_monograph(updated).last_reviewed == datetime.date(2026, 5, 4)


def test_text_without_closed_front_matter_is_left_for_the_parser_to_report():
    assert set_front_matter_fields("## Key takeaways\n", version=2) == "## Key takeaways\n"
    assert set_front_matter_fields("---\nslug: x\n", version=2) == "---\nslug: x\n"


# --- readability -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "syllables"),
    [
        ("cat", 1),
        ("dose", 1),
        ("tablet", 2),
        ("people", 2),
        ("stopped", 1),
        ("breathing", 2),
        ("medicine", 3),
        ("baclofen", 3),
        ("ambulance", 3),
        ("intrathecal", 4),
        ("10", 1),
    ],
)
def test_syllables_are_counted_offline(word, syllables):
    assert count_syllables(word) == syllables


def test_reading_ease_and_grade_follow_the_flesch_formulas():
    result = measure_readability("## Uses\n\nThe cat sat on the mat.\n")

    assert (result.words, result.sentences, result.syllables) == (6, 1, 6)
    # 206.835 - 1.015 * 6 - 84.6 * 1 and 0.39 * 6 + 11.8 * 1 - 15.59
    assert result.reading_ease == 116.1
    assert result.grade == -1.4
    assert result.ease_label == "very easy"


def test_a_long_sentence_is_flagged_at_the_line_it_starts_on():
    long_sentence = " ".join(["word"] * 30) + "."
    text = "---\nslug: x\n---\n\n## Uses\n\nShort one. Then\nanother. " + long_sentence + "\n"

    result = measure_readability(text)

    # The paragraph starts on line 7; the long sentence on line 8, after "another."
    assert [(f.line, f.words) for f in result.long_sentences] == [(8, 30)]
    assert result.long_sentences[0].excerpt == "word word word word word word word word …"
    assert result.long_quick_answers == ()


def test_a_sentence_of_exactly_25_words_is_not_flagged():
    result = measure_readability(" ".join(["word"] * 25) + ".")

    assert result.long_sentences == ()


def test_a_quick_answer_over_60_words_is_flagged_with_its_line():
    answer = ". ".join(" ".join(["plain"] * 10) for _ in range(7)) + "."
    text = monograph_text().replace(
        "**Quick answer:** Examplamide relaxes stiff muscles.", f"**Quick answer:** {answer}"
    )

    result = measure_readability(text)

    line = text.splitlines().index(f"**Quick answer:** {answer}") + 1
    assert [(f.line, f.words) for f in result.long_quick_answers] == [(line, 70)]
    assert result.long_sentences == ()


def test_references_tables_and_headings_are_not_prose():
    text = (
        "## Interactions\n\n| a | b |\n| --- | --- |\n| "
        + " ".join(["cell"] * 40)
        + " | x |\n\n## References\n\n1. "
        + " ".join(["Author"] * 40)
        + ".\n"
    )

    result = measure_readability(text)

    assert (result.words, result.long_sentences, result.reading_ease) == (0, (), None)


def test_baclofen_reads_as_plain_english():
    result = measure_readability((EXAMPLE.parent.parent.parent / "content/baclofen.md").read_text())

    assert 60 <= result.reading_ease <= 80
    assert 5 <= result.grade <= 9
    assert result.long_quick_answers == ()


# --- saving drafts -------------------------------------------------------------------


def test_a_valid_save_makes_a_new_draft_version_and_leaves_the_public_one(medicine, editor):
    version = save_changed_draft(medicine, editor)

    medicine.refresh_from_db()
    assert (version.number, version.status, version.origin) == (2, "draft", "admin")
    assert version.author == editor
    assert "version: 2\n" in version.source_text
    assert "status: draft\n" in version.source_text
    assert NEW_DOSE in version.source_text
    assert version.dosing.get().starting_dose_html == "7.5 mg three times a day"
    assert medicine.published_version.number == 1
    assert OLD_DOSE in medicine.published_version.source_text


def test_an_invalid_save_reports_lines_as_typed_and_writes_nothing(medicine, editor):
    text = medicine.latest_version().source_text.replace("### Very common", "### Ocasional")
    before = Version.objects.count()

    with pytest.raises(MonographError) as raised:
        editing.save_draft(medicine, text, base_number=1, user=editor)

    line = text.splitlines().index("### Ocasional") + 1
    assert [(p.line, p.path) for p in raised.value.problems] == [(line, "examplamide.md (admin)")]
    assert "'Ocasional' is not a frequency band" in raised.value.problems[0].message
    assert Version.objects.count() == before


def test_a_deleted_version_line_is_put_back_and_later_lines_still_match(medicine, editor):
    text = medicine.latest_version().source_text.replace("version: 1\n", "")
    text = text.replace("### Very common", "### Ocasional")

    with pytest.raises(MonographError) as raised:
        editing.save_draft(medicine, text, base_number=1, user=editor)

    assert [p.line for p in raised.value.problems] == [text.splitlines().index("### Ocasional") + 1]

    fixed = text.replace("### Ocasional", "### Very common")
    version = editing.save_draft(medicine, fixed, base_number=1, user=editor)
    assert version.number == 2
    assert "version: 2\n" in version.source_text


def test_saving_the_same_text_makes_no_new_version(medicine, editor):
    with pytest.raises(editing.NothingChanged):
        editing.save_draft(
            medicine, medicine.latest_version().source_text, base_number=1, user=editor
        )

    assert medicine.versions.count() == 1


def test_the_second_of_two_editors_is_told_and_nothing_is_overwritten(
    medicine, editor, second_editor
):
    opened_at = medicine.latest_version().number
    first_text = edited(medicine.latest_version().source_text)
    second_text = medicine.latest_version().source_text.replace("Keep below 25°C.", "Keep cool.")

    first = editing.save_draft(medicine, first_text, base_number=opened_at, user=editor)
    with pytest.raises(editing.EditConflict) as raised:
        editing.save_draft(medicine, second_text, base_number=opened_at, user=second_editor)

    assert raised.value.latest == first
    assert list(medicine.versions.values_list("number", flat=True)) == [2, 1]

    # Having merged, the second editor saves from the version they were shown.
    merged = first.source_text.replace("Keep below 25°C.", "Keep cool.")
    third = editing.save_draft(medicine, merged, base_number=2, user=second_editor)
    assert NEW_DOSE in third.source_text and "Keep cool." in third.source_text


def test_someone_without_the_add_permission_cannot_save(medicine, db):
    outsider = make_user("olga")

    with pytest.raises(PermissionDenied):
        save_changed_draft(medicine, outsider)

    assert medicine.versions.count() == 1


def test_a_new_medicine_starts_as_a_hidden_draft(db, editor):
    text = monograph_text(slug="newamide", version=9, status="published")

    version = editing.create_medicine(text, user=editor)

    assert (version.medicine.slug, version.number, version.status) == ("newamide", 1, "draft")
    assert "version: 1\n" in version.source_text
    assert version.medicine.published_version is None


def test_a_new_medicine_cannot_take_an_existing_slug(medicine, editor):
    text = monograph_text()

    with pytest.raises(MonographError) as raised:
        editing.create_medicine(text, user=editor)

    assert raised.value.problems[0].line == 2
    assert "already exists" in raised.value.problems[0].message
    assert medicine.versions.count() == 1


# --- review and publishing ---------------------------------------------------------


def test_a_reviewer_publishes_with_a_summary_and_review_dates(
    medicine, editor, reviewer, django_capture_on_commit_callbacks, settings
):
    settings.LEAFLETS_RENDER_ON_PUBLISH = False  # the browser test checks the real leaflet
    sent = []
    receiver = lambda sender, versions, **kwargs: sent.extend(versions)  # noqa: E731
    versions_published.connect(receiver)
    draft = save_changed_draft(medicine, editor)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            published = send_to_review_and_publish(draft, editor, reviewer)
    finally:
        versions_published.disconnect(receiver)

    medicine.refresh_from_db()
    assert medicine.published_version == published
    assert (published.pk, published.status) == (draft.pk, "published")
    assert published.published_at is not None
    assert sent == [published]
    document = parse_monograph(published.source_text)
    assert (document.status, document.version) == ("published", 2)
    assert document.change_summary == published.change_summary == "The starting dose is now 7.5 mg."
    assert document.last_reviewed == published.last_reviewed == datetime.date(2026, 3, 1)
    assert document.next_review == published.next_review == datetime.date(2027, 3, 1)
    assert published.sha256 == document.sha256
    assert published.dosing.get().starting_dose_html == "7.5 mg three times a day"


def test_the_signal_waits_for_the_commit(medicine, editor, reviewer):
    sent = []
    receiver = lambda sender, versions, **kwargs: sent.extend(versions)  # noqa: E731
    versions_published.connect(receiver)
    try:
        send_to_review_and_publish(save_changed_draft(medicine, editor), editor, reviewer)
    finally:
        versions_published.disconnect(receiver)

    assert sent == []  # the test's transaction never commits


def test_an_editor_cannot_publish(medicine, editor):
    draft = save_changed_draft(medicine, editor)
    editing.submit_for_review(draft, user=editor)

    with pytest.raises(PermissionDenied):
        editing.publish(
            draft,
            user=editor,
            change_summary="Sneaky.",
            last_reviewed=datetime.date(2026, 3, 1),
            next_review=datetime.date(2027, 3, 1),
        )

    draft.refresh_from_db()
    medicine.refresh_from_db()
    assert draft.status == "in_review"
    assert medicine.published_version.number == 1


def test_a_draft_must_be_sent_for_review_before_it_is_published(medicine, editor, reviewer):
    draft = save_changed_draft(medicine, editor)

    with pytest.raises(editing.WorkflowError, match="only a version in review"):
        editing.publish(
            draft,
            user=reviewer,
            change_summary="Too soon.",
            last_reviewed=datetime.date(2026, 3, 1),
            next_review=datetime.date(2027, 3, 1),
        )

    with pytest.raises(editing.WorkflowError, match="only a draft"):
        editing.submit_for_review(medicine.published_version, user=editor)


def test_an_older_version_cannot_replace_a_newer_public_one(medicine, editor, reviewer):
    older = save_changed_draft(medicine, editor)
    editing.submit_for_review(older, user=editor)
    newer = editing.save_draft(
        medicine,
        older.source_text.replace("Keep below 25°C.", "Keep cool."),
        base_number=2,
        user=editor,
    )
    send_to_review_and_publish(newer, editor, reviewer)

    with pytest.raises(editing.WorkflowError, match="already published"):
        editing.publish(
            older,
            user=reviewer,
            change_summary="Old.",
            last_reviewed=datetime.date(2026, 3, 1),
            next_review=datetime.date(2027, 3, 1),
        )


def test_a_next_review_before_the_last_review_is_refused(medicine, editor, reviewer):
    draft = save_changed_draft(medicine, editor)

    with pytest.raises(MonographError, match="must be later than last_reviewed"):
        send_to_review_and_publish(draft, editor, reviewer, next_review=datetime.date(2026, 2, 1))

    draft.refresh_from_db()
    assert draft.status == "in_review"
    assert "status: draft" in draft.source_text


# --- revert and history --------------------------------------------------------------


def test_revert_makes_a_new_draft_with_the_old_text(medicine, editor, reviewer):
    original = medicine.latest_version()
    send_to_review_and_publish(save_changed_draft(medicine, editor), editor, reviewer)

    reverted = editing.revert(original, user=editor)

    assert (reverted.number, reverted.status, reverted.origin) == (3, "draft", "admin")
    assert reverted.source_text == set_front_matter_fields(
        original.source_text, version=3, status="draft"
    )
    assert reverted.dosing.get().starting_dose_html == "5 mg three times a day"
    medicine.refresh_from_db()
    assert medicine.published_version.number == 2


def test_a_diff_shows_changed_lines_with_their_numbers():
    old = "".join(f"line {n}\n" for n in range(1, 21))
    new = old.replace("line 2\n", "line two\n").replace("line 15\n", "")

    rows = editing.diff_texts(old, new)

    assert [(r.kind, r.old_line, r.new_line, r.text) for r in rows] == [
        ("same", 1, 1, "line 1"),
        ("removed", 2, None, "line 2"),
        ("added", None, 2, "line two"),
        ("same", 3, 3, "line 3"),
        ("same", 4, 4, "line 4"),
        ("same", 5, 5, "line 5"),
        ("gap", None, None, ""),
        ("same", 12, 12, "line 12"),
        ("same", 13, 13, "line 13"),
        ("same", 14, 14, "line 14"),
        ("removed", 15, None, "line 15"),
        ("same", 16, 15, "line 16"),
        ("same", 17, 16, "line 17"),
        ("same", 18, 17, "line 18"),
    ]
    assert editing.diff_texts(old, old) == []


def test_the_conflict_diff_leaves_out_the_lines_the_admin_sets(medicine, editor):
    theirs = save_changed_draft(medicine, editor)
    mine = monograph_text().replace("Keep below 25°C.", "Keep cool.")

    rows = editing.diff_with_typed_text(theirs, mine)

    changed = [(r.kind, r.text) for r in rows if r.kind in ("added", "removed")]
    assert changed == [
        ("removed", NEW_DOSE),
        ("added", OLD_DOSE),
        ("removed", "Keep below 25°C."),
        ("added", "Keep cool."),
    ]


# --- review governance -----------------------------------------------------------------


def test_the_review_due_list_holds_overdue_and_soon_due_medicines_only(db, settings):
    today = datetime.date(2026, 6, 1)
    for slug, next_review in [
        ("overdue", "2026-05-01"),
        ("due-today", "2026-06-01"),
        ("due-in-30-days", "2026-07-01"),
        ("due-in-31-days", "2026-07-02"),
    ]:
        load_example(settings.CONTENT_DIR, slug=slug, next_review=next_review)
    load_example(settings.CONTENT_DIR, slug="draft-only", next_review="2026-05-01", status="draft")

    due = editing.medicines_due_for_review(today)

    assert [m.slug for m in due] == ["overdue", "due-today", "due-in-30-days"]


# --- files and admin edits agree ----------------------------------------------------------


def test_a_changed_file_cannot_overwrite_an_admin_draft_until_it_is_exported(
    medicine, editor, settings
):
    draft = save_changed_draft(medicine, editor)
    path = settings.CONTENT_DIR / "examplamide.md"
    write_monograph(
        settings.CONTENT_DIR,
        "examplamide",
        monograph_text(slug="examplamide", version=3).replace("Keep below 25°C.", "Keep cool."),
    )

    report = load_content([path])

    assert not report.ok
    assert "edited in the admin (version 2)" in report.refused[0].message
    assert medicine.versions.count() == 2

    export_content(settings.CONTENT_DIR, ["examplamide"])

    assert path.read_text(encoding="utf-8") == draft.source_text
    assert NEW_DOSE in path.read_text(encoding="utf-8")
    again = load_content([path])
    assert (again.ok, again.unchanged) == (True, ["examplamide"])


# --- roles ------------------------------------------------------------------------------------


def test_the_migration_creates_the_editor_and_reviewer_groups(db):
    def codenames(name):
        return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))

    editor_permissions = {
        "view_medicine",
        "add_medicine",
        "change_medicine",
        "view_version",
        "add_version",
        "change_version",
    }
    assert codenames("Editor") == editor_permissions
    assert codenames("Reviewer") == editor_permissions | {"publish_version"}
