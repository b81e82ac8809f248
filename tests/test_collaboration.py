"""Editing together: the three-way merge, presence and autosave (collaboration/).

Through the test client, as two editors would meet on one medicine: changes
to different parts both kept and named in a notice; changes to the same lines
shown side by side, Save refused until each is resolved, nothing lost; who
else has the editor open; and private autosaved text offered back.
"""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from collaboration import merge
from collaboration.models import PRESENCE_EXPIRY_SECONDS, Autosave, Presence
from monographs.models import Version
from tests.factories import monograph_text
from tests.test_admin import NEW_DOSE, OLD_DOSE, client_for, editor_form, make_user, save, url

STORAGE = "Keep below 25°C."


@pytest.fixture
def ed(db):
    return make_user("ed", "Editor")


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- merge.py, no database ------------------------------------------------------------


def test_changes_to_different_sections_merge_and_name_their_sections():
    base = monograph_text()
    theirs = base.replace(STORAGE, "Keep in a fridge.")
    mine = base.replace(OLD_DOSE, NEW_DOSE)

    result = merge.merge_texts(base, theirs, mine, theirs_label="version 2")

    assert result.clean
    assert result.text == base.replace(STORAGE, "Keep in a fridge.").replace(OLD_DOSE, NEW_DOSE)
    assert result.mine_parts == ["Dosage › Adults: tablets"]
    assert result.theirs_parts == ["Storage"]


def test_changes_to_the_same_lines_are_marked_with_both_sides():
    base = monograph_text()
    result = merge.merge_texts(
        base,
        base.replace(STORAGE, "Keep in a fridge."),
        base.replace(STORAGE, "Keep below 30°C."),
        theirs_label="version 2",
    )

    assert not result.clean
    [overlap] = result.overlaps
    assert (overlap.number, overlap.section) == (1, "Storage")
    assert (overlap.mine, overlap.theirs) == ("Keep below 30°C.\n", "Keep in a fridge.\n")
    lines = result.text.splitlines()
    assert lines[overlap.line - 1 : overlap.line + 4] == [
        "<<<<<<< yours (overlap 1)",
        "Keep below 30°C.",
        "=======",
        "Keep in a fridge.",
        ">>>>>>> theirs: version 2 (overlap 1)",
    ]
    assert merge.find_overlaps(result.text) == result.overlaps


@pytest.mark.parametrize(
    ("choice", "kept"),
    [
        ("mine", "Keep below 30°C.\n\n"),
        ("theirs", "Keep in a fridge.\n\n"),
        ("both", "Keep below 30°C.\nKeep in a fridge.\n\n"),
    ],
)
def test_a_choice_replaces_the_overlap_by_that_side(choice, kept):
    base = monograph_text()
    marked = merge.merge_texts(
        base,
        base.replace(STORAGE, "Keep in a fridge."),
        base.replace(STORAGE, "Keep below 30°C."),
        theirs_label="version 2",
    ).text

    resolved = merge.apply_choices(marked, {"overlap-1": choice})

    assert "## Storage\n\n" + kept + "## Contents" in resolved
    assert merge.marker_problems(resolved, "x.md") == []
    assert merge.apply_choices(marked, {"overlap-1": "edit"}) == marked


def test_an_overlap_marker_line_is_a_problem_at_its_line():
    text = "---\nslug: x\n---\n\n## A\n\n<<<<<<< yours (overlap 1)\nmine\n=======\n"
    text += "theirs\n>>>>>>> theirs: version 2 (overlap 1)\n"

    [problem] = merge.marker_problems(text, "x.md (admin)")

    assert problem.line == 7
    assert "not resolved yet" in problem.message
    assert [p.line for p in merge.marker_problems("a\n>>>>>>> theirs\n", "x")] == [2]


# --- saving through the editor page -------------------------------------------------


def test_two_editors_changing_different_sections_both_keep_their_changes(medicine, erin, ed):
    first, second = client_for(erin), client_for(ed)
    first_form, second_form = editor_form(first, medicine), editor_form(second, medicine)
    assert first_form["base_number"] == second_form["base_number"] == 1

    assert (
        save(first, medicine, first_form["source_text"].replace(OLD_DOSE, NEW_DOSE), 1).status_code
        == 302
    )
    mine = second_form["source_text"].replace(STORAGE, "Keep in a fridge.")
    response = save(second, medicine, mine, 1)

    assert response.status_code == 302
    third = medicine.versions.get(number=3)
    assert NEW_DOSE in third.source_text and "Keep in a fridge." in third.source_text
    assert OLD_DOSE not in third.source_text
    assert third.status == Version.Status.DRAFT and third.author.username == "ed"
    notice = " ".join(messages_of(response))
    assert "Version 2 was saved by erin while you were editing" in notice
    assert "their changes kept in Dosage › Adults: tablets" in notice
    assert "your changes added in Storage" in notice
    assert "Saved as draft version 3" in notice


def test_overlapping_edits_show_both_sides_and_save_is_refused_until_resolved(medicine, erin, ed):
    first, second = client_for(erin), client_for(ed)
    text = editor_form(first, medicine)["source_text"]
    save(first, medicine, text.replace(STORAGE, "Keep in a fridge.").replace(OLD_DOSE, NEW_DOSE), 1)
    mine = text.replace(STORAGE, "Keep below 30°C.").replace("Sleepiness", "Feeling sleepy")

    response = save(second, medicine, mine, 1)

    assert response.status_code == 200
    assert medicine.versions.count() == 2  # nothing of the second editor saved yet
    html = response.content.decode()
    assert "Someone else saved version 2 while you were editing" in html
    assert "Overlap 1 of 1: Storage" in html
    assert "Already merged:" in html and "their changes in Dosage › Adults: tablets;" in html
    assert "your changes in Side effects › Very common." in html
    assert '<h3 class="merge-side__name">Your text</h3>' in html
    assert "Their text: version 2, by erin" in html
    assert '<pre class="merge-side__text">Keep below 30°C.\n</pre>' in html
    assert '<pre class="merge-side__text">Keep in a fridge.\n</pre>' in html
    # Nothing is lost: the editor holds their dose, your side effect and both storages.
    shown = response.context["form"]["source_text"].value()
    assert NEW_DOSE in shown and "Feeling sleepy" in shown
    assert "Keep below 30°C." in shown and "Keep in a fridge." in shown
    assert response.context["form"]["base_number"].value() == 2

    # Pressing Save again without choosing is refused: the other editor's text stays.
    again = save(second, medicine, shown, 2)
    assert again.status_code == 200
    assert medicine.versions.count() == 2
    assert "not resolved yet" in again.content.decode()
    assert "Overlap 1 of 1: Storage" in again.content.decode()
    assert again.context["form"]["source_text"].value() == shown

    # Choosing "both" resolves it and saves everything.
    resolved = second.post(
        url("change", medicine.pk),
        {"source_text": shown, "base_number": 2, "overlap-1": "both"},
    )
    assert resolved.status_code == 302
    third = medicine.versions.get(number=3)
    for kept in (NEW_DOSE, "Feeling sleepy", "Keep below 30°C.\nKeep in a fridge."):
        assert kept in third.source_text
    assert "<<<<<<<" not in third.source_text and ">>>>>>>" not in third.source_text


def test_text_with_overlap_markers_is_never_saved(medicine, erin):
    client = client_for(erin)
    text = editor_form(client, medicine)["source_text"].replace(
        STORAGE, "<<<<<<< mine\nKeep cool.\n=======\nKeep cold.\n>>>>>>> theirs"
    )

    response = save(client, medicine, text, 1)

    assert response.status_code == 200
    assert medicine.versions.count() == 1
    [problem] = response.context["problems"]
    assert "not resolved yet" in problem.message
    assert text.splitlines()[problem.line - 1] == "<<<<<<< mine"


def test_a_merge_that_changes_nothing_of_theirs_says_nothing_changed(medicine, erin, ed):
    first, second = client_for(erin), client_for(ed)
    text = editor_form(first, medicine)["source_text"]
    save(first, medicine, text.replace(OLD_DOSE, NEW_DOSE), 1)

    response = save(second, medicine, text.replace(OLD_DOSE, NEW_DOSE), 1)

    assert response.status_code == 302
    assert medicine.versions.count() == 2
    assert "Nothing was changed" in " ".join(messages_of(response))


# --- presence ----------------------------------------------------------------------


def presence_url(medicine) -> str:
    return reverse("collaboration:presence", args=[medicine.pk])


def test_the_editor_page_names_who_else_has_the_medicine_open(medicine, erin, ed):
    first, second = client_for(erin), client_for(ed)
    assert (
        "Nobody else has this medicine open."
        in first.get(url("change", medicine.pk)).content.decode()
    )

    html = second.get(url("change", medicine.pk)).content.decode()

    assert "Also editing:" in html
    assert '<span class="editor-presence__person">erin (since <time datetime=' in html
    answer = first.post(presence_url(medicine)).json()
    assert [other["name"] for other in answer["others"]] == ["ed"]
    assert answer["others"][0]["time"] == timezone.localtime(
        Presence.objects.get(user=ed).since
    ).strftime("%H:%M")


def test_presence_expires_without_a_heartbeat_and_ends_when_the_page_is_left(medicine, erin, ed):
    first, second = client_for(erin), client_for(ed)
    first.get(url("change", medicine.pk))
    Presence.objects.filter(user=erin).update(
        seen_at=timezone.now() - datetime.timedelta(seconds=PRESENCE_EXPIRY_SECONDS + 1)
    )
    assert second.post(presence_url(medicine)).json() == {"others": []}

    first.post(presence_url(medicine))
    assert [o["name"] for o in second.post(presence_url(medicine)).json()["others"]] == ["erin"]
    first.post(presence_url(medicine), {"leaving": "1"})
    assert second.post(presence_url(medicine)).json() == {"others": []}


def test_presence_and_autosave_answer_editorial_staff_with_a_csrf_token_only(medicine, erin):
    plain_staff = client_for(make_user("sam"))
    for address in (presence_url(medicine), reverse("collaboration:autosave", args=[medicine.pk])):
        assert Client().post(address).status_code == 403
        assert plain_staff.post(address).status_code == 403
        assert client_for(erin).get(address).status_code == 405
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(erin)
        assert strict.post(address, {"base_number": 1}).status_code == 403
    assert not Presence.objects.exists() and not Autosave.objects.exists()


# --- autosave ----------------------------------------------------------------------


def autosave(client, medicine, text, base_number=1):
    return client.post(
        reverse("collaboration:autosave", args=[medicine.pk]),
        {"source_text": text, "base_number": base_number},
    )


def test_autosaved_text_is_private_never_a_version_and_offered_back(medicine, erin, ed):
    client = client_for(erin)
    typed = editor_form(client, medicine)["source_text"].replace(STORAGE, "Keep cool.\r\n")

    answer = autosave(client, medicine, typed)

    assert answer.status_code == 200 and "time" in answer.json()
    assert medicine.versions.count() == 1
    assert Autosave.objects.get(user=erin).text == typed.replace("\r\n", "\n")
    assert (
        "Restore my unsaved text"
        not in client_for(ed).get(url("change", medicine.pk)).content.decode()
    )

    page = client.get(url("change", medicine.pk)).content.decode()
    assert "You have unsaved text of this medicine from" in page
    assert "Restore my unsaved text" in page and "Discard my unsaved text" in page

    refused = save(client, medicine, typed.replace("## Storage", "## Storage\n<<<<<<< x"), 1)
    assert "Restore my unsaved text" not in refused.content.decode()
    restored = client.get(url("change", medicine.pk) + "?restore=autosave")
    assert restored.context["form"]["source_text"].value() == typed.replace("\r\n", "\n")
    assert restored.context["form"]["base_number"].value() == 1
    assert "The editor holds your autosaved text" in restored.content.decode()


def test_a_restored_autosave_merges_with_what_was_saved_since_and_is_then_cleared(
    medicine, erin, ed
):
    mine = client_for(erin)
    text = editor_form(mine, medicine)["source_text"]
    autosave(mine, medicine, text.replace(STORAGE, "Keep cool."), base_number=1)
    other = client_for(ed)
    save(
        other, medicine, editor_form(other, medicine)["source_text"].replace(OLD_DOSE, NEW_DOSE), 1
    )

    form = mine.get(url("change", medicine.pk) + "?restore=autosave").context["form"]
    response = save(mine, medicine, form["source_text"].value(), form["base_number"].value())

    assert response.status_code == 302
    third = medicine.versions.get(number=3)
    assert "Keep cool." in third.source_text and NEW_DOSE in third.source_text
    assert not Autosave.objects.exists()


def test_discarding_the_autosave_forgets_it(medicine, erin):
    client = client_for(erin)
    autosave(client, medicine, "anything")

    response = client.post(reverse("collaboration:discard_autosave", args=[medicine.pk]))

    assert response.status_code == 302 and response.url == url("change", medicine.pk)
    assert not Autosave.objects.exists()
    assert "Restore my unsaved text" not in client.get(url("change", medicine.pk)).content.decode()


def test_autosave_refuses_text_over_the_size_limit_and_a_bad_base(medicine, erin):
    client = client_for(erin)
    assert autosave(client, medicine, "x" * 2_000_000).status_code == 413
    assert autosave(client, medicine, "text", base_number="v1").status_code == 400
    assert not Autosave.objects.exists()


def test_staff_who_may_only_look_cannot_autosave(medicine, db):
    viewer = make_user("vera")
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_medicine"))
    client = client_for(viewer)
    assert 'data-autosave-url=""' in client.get(url("change", medicine.pk)).content.decode()
    assert client.post(presence_url(medicine)).status_code == 200
    assert autosave(client, medicine, "text").status_code == 403


def test_a_merge_the_parser_refuses_is_shown_with_its_problems_and_not_saved(
    medicine, erin, ed, monkeypatch
):
    # Both sides alone parse; the merged text (here made to fail) is checked again.
    first, second = client_for(erin), client_for(ed)
    text = editor_form(first, medicine)["source_text"]
    save(first, medicine, text.replace(OLD_DOSE, NEW_DOSE), 1)
    real_merge = merge.merge_texts

    def merge_dropping_storage(*args, **kwargs):
        result = real_merge(*args, **kwargs)
        return merge.MergeResult(
            result.text.replace("## Storage\n", ""), [], result.mine_parts, result.theirs_parts
        )

    monkeypatch.setattr(merge, "merge_texts", merge_dropping_storage)

    response = save(second, medicine, text.replace(STORAGE, "Keep cool."), 1)

    assert response.status_code == 200
    assert medicine.versions.count() == 2
    assert "Someone else saved version 2 while you were editing" in response.content.decode()
    assert any("Storage" in problem.message for problem in response.context["problems"])
    shown = response.context["form"]["source_text"].value()
    assert NEW_DOSE in shown and "Keep cool." in shown
    assert response.context["form"]["base_number"].value() == 2


def test_the_editor_page_with_presence_autosave_and_an_overlap_is_valid_html(
    medicine, erin, ed, tmp_path
):
    from tests.test_html_validity import _run_checker

    first, second = client_for(erin), client_for(ed)
    text = editor_form(first, medicine)["source_text"]
    second.get(url("change", medicine.pk))  # Ed is also editing
    autosave(first, medicine, text.replace(STORAGE, "Keep cool."))
    pages = {"offer": first.get(url("change", medicine.pk))}
    save(second, medicine, text.replace(STORAGE, "Keep in a fridge."), 1)
    pages["overlap"] = save(first, medicine, text.replace(STORAGE, "Keep below 30°C."), 1)
    files = []
    for name, response in pages.items():
        assert response.status_code == 200
        files.append(tmp_path / f"{name}.html")
        files[-1].write_bytes(response.content)

    errors = _run_checker(files)
    assert not errors, [(e["url"].rsplit("/", 1)[-1], e["lastLine"], e["message"]) for e in errors]


def test_a_save_racing_past_the_merge_is_merged_again_with_the_newest_version(
    medicine, erin, ed, monkeypatch
):
    from collaboration import saving
    from monographs import editing

    text = editor_form(client_for(erin), medicine)["source_text"]
    save(client_for(erin), medicine, text.replace(OLD_DOSE, NEW_DOSE), 1)
    real_save_draft = editing.save_draft
    calls = []

    def save_draft_while_erin_saves_again(medicine, to_save, *, base_number, user):
        calls.append(base_number)
        if len(calls) == 2:  # between Ed's merge and its save, Erin saves version 3
            latest = medicine.latest_version().source_text
            real_save_draft(
                medicine, latest.replace("Sleepiness", "Drowsiness"), base_number=2, user=erin
            )
        return real_save_draft(medicine, to_save, base_number=base_number, user=user)

    monkeypatch.setattr(editing, "save_draft", save_draft_while_erin_saves_again)

    saved = saving.save_draft(medicine, text.replace(STORAGE, "Keep cool."), base_number=1, user=ed)

    assert calls == [1, 2, 3]
    assert saved.version.number == 4 and saved.merged_with.number == 3
    for kept in (NEW_DOSE, "Drowsiness", "Keep cool."):
        assert kept in saved.version.source_text
