"""Review in the admin (editorial/): two people for every publish, notes, comments, discard,
withdraw, "reviewed, no change", and review dates in the future. Through the test client."""

import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from editorial import workflow
from editorial.models import Comment, DiscardedDraft, Review, Withdrawal
from monographs import editing, search
from monographs.models import Version
from tests.factories import client_for, make_user

OLD_DOSE = "- **Starting dose:** 5 mg three times a day"
NEW_DOSE = "- **Starting dose:** 7.5 mg three times a day"
NEXT_YEAR = timezone.localdate() + datetime.timedelta(days=365)


@pytest.fixture
def ravi(db):
    return make_user("ravi", "Reviewer")


def save_draft(medicine, user, old=OLD_DOSE, new=NEW_DOSE) -> Version:
    latest = medicine.latest_version()
    return editing.save_draft(
        medicine, latest.source_text.replace(old, new), base_number=latest.number, user=user
    )


def version_url(version) -> str:
    return reverse("editorial:version", args=[version.medicine.slug, version.number])


def medicine_url(medicine) -> str:
    return reverse("editorial:medicine", args=[medicine.slug])


def send(client, version, note="The starting dose is now 7.5 mg."):
    return client.post(version_url(version), {"action": "send_for_review", "change_note": note})


def publish(client, version, **fields):
    data = {
        "action": "publish",
        "change_summary": "The starting dose is now 7.5 mg.",
        "last_reviewed": timezone.localdate().isoformat(),
        "next_review": NEXT_YEAR.isoformat(),
        "publish_at": "",
        # The example monograph names no source documents: its numbers are unchecked.
        "confirm_numbers": "on",
        **fields,
    }
    return client.post(version_url(version), data)


def page(response) -> str:
    return response.content.decode()


# --- two people for every publish ------------------------------------------------------


def test_an_edit_goes_from_editor_to_another_reviewer_to_the_public(medicine, erin, rita):
    draft = save_draft(medicine, erin)

    sent = send(client_for(erin), draft)
    published = publish(client_for(rita), draft)

    assert sent.status_code == published.status_code == 302
    medicine.refresh_from_db()
    assert medicine.published_version.number == draft.number
    assert "7.5 mg three times a day" in page(Client().get(medicine.get_absolute_url()))
    changes = page(Client().get(reverse("monographs:changes", args=[medicine.slug])))
    assert "The starting dose is now 7.5 mg." in changes


def test_a_reviewer_cannot_publish_their_own_version(medicine, rita, ravi):
    draft = save_draft(medicine, rita)
    send(client_for(rita), draft)

    own_page = page(client_for(rita).get(version_url(draft)))
    refused = publish(client_for(rita), draft)

    assert "another reviewer must publish it" in own_page
    assert refused.status_code == 200
    assert "you made version 2, so you cannot publish it yourself" in page(refused)
    medicine.refresh_from_db()
    assert medicine.published_version.number == 1
    draft.refresh_from_db()
    assert draft.status == "in_review"

    assert publish(client_for(ravi), draft).status_code == 302
    medicine.refresh_from_db()
    assert medicine.published_version.number == 2


def test_the_admins_own_publish_page_refuses_self_publishing_too(medicine, rita):
    draft = save_draft(medicine, rita)
    editing.submit_for_review(draft, user=rita)

    response = client_for(rita).post(
        reverse("admin:monographs_medicine_publish", args=[medicine.pk, draft.number]),
        {
            "change_summary": "Mine.",
            "last_reviewed": timezone.localdate().isoformat(),
            "next_review": NEXT_YEAR.isoformat(),
            "confirm_numbers": "on",
        },
    )

    assert response.status_code == 200
    assert "you cannot publish it yourself" in page(response)
    medicine.refresh_from_db()
    assert medicine.published_version.number == 1


def test_an_editor_cannot_publish_or_request_changes(medicine, erin, rita):
    draft = save_draft(medicine, rita)
    send(client_for(rita), draft)

    assert publish(client_for(erin), draft).status_code == 403
    response = client_for(erin).post(
        version_url(draft), {"action": "request_changes", "text": "No."}
    )
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == "in_review"


# --- change notes ----------------------------------------------------------------------


def test_each_draft_asks_for_its_own_change_note(medicine, erin, rita):
    first = save_draft(medicine, erin)
    send(client_for(erin), first, note="The starting dose is now 7.5 mg.")
    publish(client_for(rita), first, change_summary="The starting dose is now 7.5 mg.")

    second = save_draft(medicine, erin, old=NEW_DOSE, new=OLD_DOSE)
    form = page(client_for(erin).get(version_url(second)))

    # The previous summary is in the new draft's text, but the form asks afresh.
    assert "The starting dose is now 7.5 mg." not in form.split('name="change_note"', 1)[1][:300]
    refused = send(client_for(erin), second, note="   ")
    assert "This field is required." in page(refused)
    second.refresh_from_db()
    assert second.status == "draft"

    send(client_for(erin), second, note="Back to 5 mg.")
    review_form = page(client_for(rita).get(version_url(second)))
    assert "Back to 5 mg." in review_form.split('name="change_summary"', 1)[1][:300]


# --- stale drafts --------------------------------------------------------------------


def test_a_draft_older_than_the_published_version_cannot_go_to_review(medicine, erin, rita):
    stale = save_draft(medicine, erin)
    newer = save_draft(medicine, erin, old="Keep below 25°C.", new="Keep cool.")
    send(client_for(erin), newer)
    publish(client_for(rita), newer)

    shown = page(client_for(erin).get(version_url(stale)))
    refused = send(client_for(erin), stale)

    assert "was published after this draft was made" in shown
    assert 'value="send_for_review"' not in shown
    assert refused.status_code == 200
    assert "version 3 was published after draft 2 was made" in page(refused)
    stale.refresh_from_db()
    assert stale.status == "draft"


# --- comments and requested changes ---------------------------------------------------


def test_a_reviewer_requests_changes_with_a_comment_the_editor_sees(medicine, erin, rita):
    draft = save_draft(medicine, erin)
    send(client_for(erin), draft)

    response = client_for(rita).post(
        version_url(draft), {"action": "request_changes", "text": "Cite the source for 7.5 mg."}
    )
    client_for(erin).post(version_url(draft), {"action": "comment", "text": "Added it."})

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "draft"
    shown = page(client_for(erin).get(version_url(draft)))
    assert "Cite the source for 7.5 mg." in shown
    assert "changes requested" in shown
    assert "Added it." in shown
    assert [c.kind for c in Comment.objects.filter(version=draft)] == ["changes", "comment"]
    dashboard = page(client_for(erin).get(reverse("admin:index")))
    assert "draft (changes requested)" in dashboard.split("My drafts", 1)[1].split("</table>")[0]


def test_an_empty_comment_is_refused_and_requesting_changes_needs_a_version_in_review(
    medicine, erin, rita
):
    draft = save_draft(medicine, erin)

    empty = client_for(erin).post(version_url(draft), {"action": "comment", "text": "  "})
    not_in_review = client_for(rita).post(
        version_url(draft), {"action": "request_changes", "text": "Why?"}
    )
    unknown = client_for(erin).post(version_url(draft), {"action": "explode"})

    assert "This field is required." in page(empty)
    assert "changes can only be requested for a version in review" in page(not_in_review)
    assert "Why?" in page(not_in_review)  # what was typed is still there
    assert unknown.status_code == 400
    assert not Comment.objects.exists()


# --- discard ---------------------------------------------------------------------------


def test_a_discarded_draft_leaves_the_versions_but_its_text_is_kept(medicine, erin, rita):
    draft = save_draft(medicine, erin)
    client_for(rita).post(version_url(draft), {"action": "comment", "text": "Not needed."})

    response = client_for(erin).post(version_url(draft), {"action": "discard"})

    assert response.status_code == 302
    assert list(medicine.versions.values_list("number", flat=True)) == [1]
    kept = DiscardedDraft.objects.get()
    assert NEW_DOSE in kept.source_text
    assert kept.comments[0]["text"] == "Not needed."
    shown = page(client_for(erin).get(medicine_url(medicine)))
    assert "Draft 2, discarded by erin" in shown
    assert "7.5 mg three times a day" in shown


def test_only_a_draft_can_be_discarded(medicine, erin, rita):
    draft = save_draft(medicine, erin)
    send(client_for(erin), draft)

    in_review = client_for(erin).post(version_url(draft), {"action": "discard"}, follow=True)
    published = client_for(erin).post(
        version_url(medicine.published_version), {"action": "discard"}, follow=True
    )

    assert "only a draft can be discarded" in page(in_review)
    assert "only a draft can be discarded" in page(published)
    assert medicine.versions.count() == 2
    assert not DiscardedDraft.objects.exists()


# --- withdraw --------------------------------------------------------------------------


def test_a_withdrawn_medicine_says_so_at_its_address_with_the_reason(medicine, rita):
    response = client_for(rita).post(
        medicine_url(medicine),
        {"action": "withdraw", "reason": "The medicine was taken off the market."},
    )

    assert response.status_code == 302
    public = Client().get(medicine.get_absolute_url())
    assert public.status_code == 410
    assert "information withdrawn" in page(public)
    assert "The medicine was taken off the market." in page(public)
    assert Client().get(reverse("monographs:a_z")).content.decode().count("examplamide") == 0
    # An old version's address says so too.
    old_version = Client().get(reverse("monographs:version", args=["examplamide", 1]))
    assert old_version.status_code == 410
    assert "The medicine was taken off the market." in page(old_version)
    withdrawal = Withdrawal.objects.get()
    assert withdrawal.version.number == 1 and withdrawal.withdrawn_by == rita


def test_a_withdrawn_medicine_leaves_the_search_index_and_the_cached_page(
    medicine, rita, search_backend, django_capture_on_commit_callbacks
):
    search.rebuild()
    assert search.search("examplamide").total == 1
    assert Client().get(medicine.get_absolute_url()).status_code == 200  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        client_for(rita).post(medicine_url(medicine), {"action": "withdraw", "reason": "Recalled."})

    assert search.search("examplamide").total == 0
    assert Client().get(medicine.get_absolute_url()).status_code == 410
    health = Client().get(reverse("monographs:healthz"))
    assert health.status_code == 200, health.content


def test_a_withdrawal_whose_process_died_before_reindexing_is_completed_later(
    medicine, rita, search_backend, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    call_command("complete_publishes", stdout=io.StringIO(), stderr=io.StringIO())  # the load's
    search.rebuild()
    # The commit happens, the after-commit work never runs (the process died).
    with django_capture_on_commit_callbacks(execute=False):
        client_for(rita).post(medicine_url(medicine), {"action": "withdraw", "reason": "Recalled."})
    assert search.search("examplamide").total == 1
    assert Client().get(reverse("monographs:healthz")).json()["pending"] == 1

    call_command("complete_publishes", stdout=io.StringIO(), stderr=io.StringIO())

    assert search.search("examplamide").total == 0
    assert "pending" not in Client().get(reverse("monographs:healthz")).json()


def test_publishing_again_lifts_a_withdrawal(
    medicine, erin, rita, django_capture_on_commit_callbacks
):
    client_for(rita).post(medicine_url(medicine), {"action": "withdraw", "reason": "Recalled."})
    draft = save_draft(medicine, erin)
    send(client_for(erin), draft)
    with django_capture_on_commit_callbacks(execute=True):
        publish(client_for(rita), draft)

    public = Client().get(medicine.get_absolute_url())

    assert public.status_code == 200
    assert Withdrawal.objects.get().lifted_at is not None


def test_withdrawing_needs_a_reason_and_a_reviewer(medicine, erin, rita):
    no_reason = client_for(rita).post(medicine_url(medicine), {"action": "withdraw", "reason": ""})
    by_editor = client_for(erin).post(medicine_url(medicine), {"action": "withdraw", "reason": "x"})

    assert "This field is required." in page(no_reason)
    assert by_editor.status_code == 403
    assert Client().get(medicine.get_absolute_url()).status_code == 200
    assert not Withdrawal.objects.exists()


# --- reviewed, no change ----------------------------------------------------------------


def test_reviewed_no_change_records_the_review_and_new_dates_without_a_new_version(medicine, rita):
    today = timezone.localdate()
    before = Client().get(medicine.get_absolute_url())  # cached under the old dates

    response = client_for(rita).post(
        medicine_url(medicine),
        {
            "action": "review",
            "last_reviewed": today.isoformat(),
            "next_review": NEXT_YEAR.isoformat(),
            "note": "Checked against the current label.",
        },
    )

    assert before.status_code == 200
    assert response.status_code == 302
    assert medicine.versions.count() == 1
    version = medicine.versions.get()
    assert (version.last_reviewed, version.next_review) == (today, NEXT_YEAR)
    assert f"last_reviewed: {today.isoformat()}" in version.source_text
    review = Review.objects.get()
    assert review.reviewer == rita and review.previous_next_review != NEXT_YEAR
    public = page(Client().get(medicine.get_absolute_url()))
    assert f'<time datetime="{today.isoformat()}">' in public
    assert f'<time datetime="{NEXT_YEAR.isoformat()}">' in public


@pytest.mark.parametrize(
    ("last", "following", "message"),
    [
        (-400, -1, "The next review must be in the future."),
        (-400, 0, "The next review must be in the future."),
        (0, 0, "The next review must be after the last review."),
        (1, 365, "The review date cannot be in the future."),
    ],
)
def test_review_dates_must_be_today_or_before_and_next_in_the_future(
    medicine, rita, last, following, message
):
    today = timezone.localdate()
    response = client_for(rita).post(
        medicine_url(medicine),
        {
            "action": "review",
            "last_reviewed": (today + datetime.timedelta(days=last)).isoformat(),
            "next_review": (today + datetime.timedelta(days=following)).isoformat(),
        },
    )

    assert response.status_code == 200
    assert message in page(response)
    assert not Review.objects.exists()


def test_publishing_with_a_next_review_in_the_past_is_refused(medicine, erin, rita):
    draft = save_draft(medicine, erin)
    send(client_for(erin), draft)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)

    refused = publish(
        client_for(rita),
        draft,
        last_reviewed=(yesterday - datetime.timedelta(days=1)).isoformat(),
        next_review=yesterday.isoformat(),
    )
    with pytest.raises(editing.WorkflowError, match="next review date must be in the future"):
        editing.publish(
            draft,
            user=rita,
            change_summary="x",
            last_reviewed=yesterday - datetime.timedelta(days=1),
            next_review=yesterday,
        )

    assert "The next review must be in the future." in page(refused)
    medicine.refresh_from_db()
    assert medicine.published_version.number == 1


def test_review_pages_are_for_staff_only(medicine):
    response = Client().get(medicine_url(medicine))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_the_withdrawn_page_is_valid_html(medicine, rita, tmp_path):
    from tests.test_html_validity import _run_checker

    workflow_withdraw = client_for(rita).post(
        medicine_url(medicine), {"action": "withdraw", "reason": "Recalled <for now> & more."}
    )
    response = Client().get(medicine.get_absolute_url())
    file = tmp_path / "withdrawn.html"
    file.write_bytes(response.content)

    messages = _run_checker([file])

    assert workflow_withdraw.status_code == 302
    assert "Recalled &lt;for now&gt; &amp; more." in response.content.decode()
    assert [m for m in messages if m.get("type") in ("error", "non-document-error")] == []


def test_after_a_review_with_no_change_the_old_file_is_refused_until_exported(
    medicine, rita, settings
):
    from monographs.loading import export_content, load_content

    workflow.record_review(
        medicine, user=rita, last_reviewed=timezone.localdate(), next_review=NEXT_YEAR
    )
    path = settings.CONTENT_DIR / "examplamide.md"

    refused = load_content([path])

    assert refused.problems
    version = medicine.versions.get()
    assert version.next_review == NEXT_YEAR

    export_content(settings.CONTENT_DIR, ["examplamide"])
    again = load_content([path])

    assert not again.problems and again.unchanged == ["examplamide"]
    assert f"next_review: {NEXT_YEAR.isoformat()}" in path.read_text(encoding="utf-8")


def test_the_review_pages_and_the_dashboard_are_valid_html(medicine, erin, rita, tmp_path):
    from tests.test_html_validity import _run_checker

    draft = save_draft(medicine, erin)
    send(client_for(erin), draft)
    client_for(erin).post(version_url(draft), {"action": "comment", "text": "Please check."})
    pages = {
        "version in review": client_for(rita).get(version_url(draft)),
        "refused publish": publish(client_for(rita), draft, next_review="2020-01-01"),
        "draft": client_for(erin).get(version_url(save_draft(medicine, erin, NEW_DOSE, OLD_DOSE))),
        "medicine": client_for(rita).get(medicine_url(medicine)),
        "dashboard": client_for(rita).get(reverse("admin:index")),
    }
    files = {}
    for index, (name, response) in enumerate(pages.items()):
        assert response.status_code == 200, name
        file = tmp_path / f"page-{index}.html"
        file.write_bytes(response.content)
        files[file.name] = name

    messages = _run_checker([tmp_path / name for name in files])

    errors = [
        f"{files.get(m.get('url', '').rsplit('/', 1)[-1])} line {m.get('lastLine')}: "
        f"{m.get('message')}"
        for m in messages
        if m.get("type") in ("error", "non-document-error")
    ]
    assert errors == [], "\n".join(errors)


def test_the_version_page_costs_the_same_queries_with_more_comments(medicine, erin, rita):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    draft = save_draft(medicine, erin)
    send(client_for(erin), draft)
    client = client_for(rita)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(version_url(draft)).status_code == 200
        return len(captured)

    client.post(version_url(draft), {"action": "comment", "text": "One."})
    one = queries()
    for number in range(5):
        client_for(erin).post(version_url(draft), {"action": "comment", "text": f"More {number}."})

    assert queries() == one


def test_a_version_sent_without_a_note_offers_no_old_summary_to_publish(medicine, erin, rita):
    first = save_draft(medicine, erin)
    send(client_for(erin), first, note="The starting dose is now 7.5 mg.")
    publish(client_for(rita), first, change_summary="The starting dose is now 7.5 mg.")
    second = save_draft(medicine, erin, old=NEW_DOSE, new=OLD_DOSE)

    # The admin's older one-click send, with no note.
    editing.submit_for_review(second, user=erin)

    form = page(client_for(rita).get(version_url(second)))
    assert "The starting dose is now 7.5 mg." not in form.split('name="change_summary"', 1)[1][:300]
    second.refresh_from_db()
    assert second.change_summary == ""
