"""The admin is druginfo's: its name, the editors' dashboard and `manage.py add_editor`."""

import datetime
import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from editorial import workflow
from monographs import editing
from tests.factories import client_for, load_example, make_user

OLD_DOSE = "- **Starting dose:** 5 mg three times a day"
NEW_DOSE = "- **Starting dose:** 7.5 mg three times a day"


def save_draft(medicine, user):
    latest = medicine.latest_version()
    return editing.save_draft(
        medicine,
        latest.source_text.replace(OLD_DOSE, NEW_DOSE),
        base_number=latest.number,
        user=user,
    )


# --- the site's name ------------------------------------------------------------


def test_the_admin_is_called_druginfo_editorial(db):
    client = client_for(make_user("erin", "Editor"))

    page = client.get(reverse("admin:index")).content.decode()
    login = Client().get(reverse("admin:login")).content.decode()

    assert "druginfo editorial" in page
    assert "Django administration" not in page
    assert "<title>Editors&#x27; dashboard | druginfo editorial</title>" in page
    assert "druginfo editorial" in login
    assert "Django administration" not in login


# --- the dashboard ------------------------------------------------------------------


def test_the_dashboard_shows_my_drafts_what_waits_for_my_review_and_what_was_published(
    medicine,
):
    erin, rita = make_user("erin", "Editor"), make_user("rita", "Reviewer")
    draft = save_draft(medicine, erin)
    workflow.send_for_review(draft, user=erin, change_note="The starting dose is now 7.5 mg.")

    erin_page = client_for(erin).get(reverse("admin:index")).content.decode()
    rita_page = client_for(rita).get(reverse("admin:index")).content.decode()

    version_url = reverse("editorial:version", args=["examplamide", draft.number])
    my_drafts, rest = erin_page.split("My drafts", 1)[1].split("</table>", 1)
    assert version_url in my_drafts and "in review" in my_drafts
    # An editor does not review; a reviewer sees the draft waiting, with its note.
    assert "Waiting for my review" not in erin_page
    waiting = rita_page.split("Waiting for my review", 1)[1].split("</table>", 1)[0]
    assert version_url in waiting
    assert "The starting dose is now 7.5 mg." in waiting
    assert "You have no drafts" in rita_page.split("My drafts", 1)[1].split("</table>", 1)[0]
    recent = rita_page.split("Recently published", 1)[1].split("</table>", 1)[0]
    assert reverse("editorial:version", args=["examplamide", 1]) in recent


def test_my_own_version_in_review_does_not_wait_for_my_review(medicine):
    rita = make_user("rita", "Reviewer")
    draft = save_draft(medicine, rita)
    workflow.send_for_review(draft, user=rita, change_note="Dose.")

    page = client_for(rita).get(reverse("admin:index")).content.decode()

    waiting = page.split("Waiting for my review", 1)[1].split("</table>", 1)[0]
    assert "Nothing is waiting for your review." in waiting


def test_the_dashboard_lists_medicines_due_for_review(db, settings):
    load_example(settings.CONTENT_DIR, next_review="2026-12-20")
    page = client_for(make_user("erin", "Editor")).get(reverse("admin:index")).content.decode()

    due = page.split("Review due within 30 days", 1)[1].split("</table>", 1)[0]
    assert reverse("editorial:medicine", args=["examplamide"]) in due
    assert "20 Dec 2026" in due


def test_the_dashboard_costs_the_same_queries_with_more_versions(medicine):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    erin = make_user("erin", "Editor")
    client = client_for(erin)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("admin:index")).status_code == 200
        return len(captured)

    save_draft(medicine, erin)
    one = queries()
    for dose in (6, 7, 8):
        latest = medicine.latest_version()
        editing.save_draft(
            medicine,
            latest.source_text.replace(
                NEW_DOSE, f"- **Starting dose:** {dose} mg three times a day"
            ).replace(f"{dose - 1} mg three", f"{dose} mg three"),
            base_number=latest.number,
            user=erin,
        )

    assert queries() == one


# --- add_editor ---------------------------------------------------------------------


def run_add_editor(*args) -> str:
    out = io.StringIO()
    call_command("add_editor", *args, stdout=out)
    return out.getvalue()


def test_add_editor_with_noinput_takes_the_password_from_the_environment(db, monkeypatch):
    monkeypatch.setenv("DJANGO_EDITOR_PASSWORD", "a long enough passphrase 7")

    output = run_add_editor(
        "nora", "--role", "reviewer", "--email", "nora@example.org", "--noinput"
    )

    user = User.objects.get(username="nora")
    assert "Made reviewer 'nora'" in output
    assert user.is_staff and not user.is_superuser
    assert user.email == "nora@example.org"
    assert list(user.groups.values_list("name", flat=True)) == ["Reviewer"]
    assert user.check_password("a long enough passphrase 7")
    assert user.has_perm("monographs.publish_version")
    signed_in = Client().post(
        reverse("admin:login"), {"username": "nora", "password": "a long enough passphrase 7"}
    )
    assert signed_in.status_code == 302


def test_add_editor_asks_the_password_twice(db, monkeypatch):
    answers = iter(["a long enough passphrase 7", "a long enough passphrase 7"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    run_add_editor("erin", "--role", "editor")

    user = User.objects.get(username="erin")
    assert list(user.groups.values_list("name", flat=True)) == ["Editor"]
    assert not user.has_perm("monographs.publish_version")


def test_add_editor_refuses_two_different_passwords(db, monkeypatch):
    answers = iter(["a long enough passphrase 7", "another passphrase 8"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    with pytest.raises(CommandError, match="The two passwords differ"):
        run_add_editor("erin", "--role", "editor")
    assert not User.objects.filter(username="erin").exists()


def test_add_editor_with_noinput_and_no_password_says_so_and_makes_nobody(db, monkeypatch):
    monkeypatch.delenv("DJANGO_EDITOR_PASSWORD", raising=False)

    with pytest.raises(CommandError, match="DJANGO_EDITOR_PASSWORD, which is not set"):
        run_add_editor("erin", "--role", "editor", "--noinput")
    assert not User.objects.filter(username="erin").exists()


def test_add_editor_refuses_an_existing_user_and_changes_nothing(db, monkeypatch):
    existing = make_user("erin", "Editor")
    monkeypatch.setenv("DJANGO_EDITOR_PASSWORD", "a long enough passphrase 7")

    with pytest.raises(CommandError, match="A user named 'erin' already exists"):
        run_add_editor("erin", "--role", "reviewer", "--noinput")

    existing.refresh_from_db()
    assert existing.check_password("pw-erin")
    assert list(existing.groups.values_list("name", flat=True)) == ["Editor"]


def test_add_editor_refuses_a_weak_password_and_a_bad_email(db, monkeypatch):
    monkeypatch.setenv("DJANGO_EDITOR_PASSWORD", "erin")
    with pytest.raises(CommandError, match="The password is refused"):
        run_add_editor("erin", "--role", "editor", "--noinput")

    monkeypatch.setenv("DJANGO_EDITOR_PASSWORD", "a long enough passphrase 7")
    with pytest.raises(CommandError, match="is not an e-mail address"):
        run_add_editor("erin", "--role", "editor", "--email", "erin at home", "--noinput")
    assert not User.objects.filter(username="erin").exists()


def test_add_editor_refuses_a_user_name_django_would_not_accept(db, monkeypatch):
    monkeypatch.setenv("DJANGO_EDITOR_PASSWORD", "a long enough passphrase 7")

    with pytest.raises(CommandError, match="'erin smith' cannot be a user name"):
        run_add_editor("erin smith", "--role", "editor", "--noinput")
    assert not User.objects.exists()


def test_add_editor_refuses_an_unknown_role(db):
    with pytest.raises(CommandError, match="invalid choice: 'admin'"):
        run_add_editor("erin", "--role", "admin", "--noinput")


# --- the lockout page ---------------------------------------------------------------


def test_the_lockout_page_gives_the_cool_off_time_from_the_settings(db, settings):
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=30)
    make_user("erin", "Editor")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("admin:login"), {"username": "erin", "password": "wrong"})

    locked = client.post(reverse("admin:login"), {"username": "erin", "password": "pw-erin"})

    page = locked.content.decode()
    assert locked.status_code == 429
    assert "There were 5 wrong passwords in a row" in page
    assert "locked for 30 minutes" in page
