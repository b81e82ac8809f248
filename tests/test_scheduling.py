"""Scheduled publishing: a reviewer picks a future time; `manage.py publish_scheduled` publishes
what is due, as the reviewer who scheduled it, with the same refusals as publishing by hand."""

import datetime
import io
import threading
import time

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from editorial import scheduling, workflow
from editorial.models import ScheduledPublish
from monographs import editing
from monographs.models import Medicine, Version
from tests.factories import client_for, ensure_roles, load_example, make_user

OLD_DOSE = "- **Starting dose:** 5 mg three times a day"
NEW_DOSE = "- **Starting dose:** 7.5 mg three times a day"
NEXT_YEAR = timezone.localdate() + datetime.timedelta(days=365)


@pytest.fixture
def in_review(medicine, erin) -> Version:
    latest = medicine.latest_version()
    draft = editing.save_draft(
        medicine,
        latest.source_text.replace(OLD_DOSE, NEW_DOSE),
        base_number=latest.number,
        user=erin,
    )
    return workflow.send_for_review(draft, user=erin, change_note="The dose is now 7.5 mg.")


def schedule_form(when: datetime.datetime, **fields) -> dict:
    return {
        "action": "publish",
        "change_summary": "The starting dose is now 7.5 mg.",
        "last_reviewed": timezone.localdate().isoformat(),
        "next_review": NEXT_YEAR.isoformat(),
        "publish_at": timezone.localtime(when).strftime("%Y-%m-%dT%H:%M"),
        # The example monograph names no source documents: its numbers are unchecked.
        "confirm_numbers": "on",
        **fields,
    }


def version_url(version) -> str:
    return reverse("editorial:version", args=[version.medicine.slug, version.number])


def run_publish_scheduled() -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("publish_scheduled", stdout=out, stderr=err)
    except SystemExit as exit_:
        return out.getvalue(), err.getvalue(), exit_.code
    return out.getvalue(), err.getvalue(), 0


def test_a_reviewer_schedules_and_the_command_publishes_when_due(medicine, in_review, rita):
    when = timezone.now() + datetime.timedelta(hours=2)

    response = client_for(rita).post(version_url(in_review), schedule_form(when))

    assert response.status_code == 302
    schedule = ScheduledPublish.objects.get()
    assert schedule.state == "pending" and schedule.scheduled_by == rita
    dashboard = client_for(rita).get(reverse("admin:index")).content.decode()
    assert "Scheduled publishing" in dashboard and "waiting" in dashboard

    # Not yet due: nothing happens.
    out, _err, code = run_publish_scheduled()
    assert (out.strip(), code) == ("0 scheduled version(s) published, 0 could not be published", 0)
    medicine.refresh_from_db()
    assert medicine.published_version.number == 1

    ScheduledPublish.objects.update(publish_at=timezone.now() - datetime.timedelta(minutes=1))
    out, _err, code = run_publish_scheduled()

    assert code == 0
    assert out.splitlines()[0].startswith("published examplamide version 2 (")
    assert out.splitlines()[-1] == "1 scheduled version(s) published, 0 could not be published"
    medicine.refresh_from_db()
    assert medicine.published_version.number == 2
    assert medicine.published_version.change_summary == "The starting dose is now 7.5 mg."
    assert "7.5 mg three times a day" in Client().get(medicine.get_absolute_url()).content.decode()
    schedule.refresh_from_db()
    assert schedule.state == "published"
    # Run again: nothing left to do.
    assert run_publish_scheduled()[0].strip().startswith("0 scheduled")


@pytest.mark.parametrize(
    ("shift", "fields", "message"),
    [
        (datetime.timedelta(hours=-1), {}, "The publishing time must be in the future."),
        (
            datetime.timedelta(days=400),
            {},
            "The next review must be after the publishing date.",
        ),
        (
            datetime.timedelta(hours=1),
            {
                "last_reviewed": (timezone.localdate() - datetime.timedelta(days=400)).isoformat(),
                "next_review": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
            },
            "The next review must be in the future.",
        ),
        (datetime.timedelta(hours=1), {"publish_at": "tomorrow-ish"}, "Enter a valid date/time."),
    ],
)
def test_a_bad_schedule_is_refused_and_nothing_is_scheduled(
    medicine, in_review, rita, shift, fields, message
):
    response = client_for(rita).post(
        version_url(in_review), schedule_form(timezone.now() + shift, **fields)
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ScheduledPublish.objects.exists()


def test_the_author_cannot_schedule_their_own_version(medicine, rita):
    latest = medicine.latest_version()
    draft = editing.save_draft(
        medicine, latest.source_text.replace(OLD_DOSE, NEW_DOSE), base_number=1, user=rita
    )
    workflow.send_for_review(draft, user=rita, change_note="Mine.")

    response = client_for(rita).post(
        version_url(draft), schedule_form(timezone.now() + datetime.timedelta(hours=1))
    )

    assert "so another reviewer must publish it" in response.content.decode()
    assert not ScheduledPublish.objects.exists()


def test_a_schedule_that_can_no_longer_be_published_is_reported_not_published(
    medicine, in_review, rita
):
    schedule = workflow.schedule_publish(
        in_review,
        user=rita,
        publish_at=timezone.now() + datetime.timedelta(hours=1),
        change_summary="Dose.",
        last_reviewed=timezone.localdate(),
        next_review=NEXT_YEAR,
    )
    # The reviewer loses the right to publish before it is due.
    rita.groups.set(Group.objects.filter(name="Editor"))
    ScheduledPublish.objects.update(publish_at=timezone.now() - datetime.timedelta(minutes=1))

    out, err, code = run_publish_scheduled()

    assert code == 1
    assert "not published examplamide version 2" in err
    assert "publish_version" in err
    assert out.strip() == "0 scheduled version(s) published, 1 could not be published"
    schedule.refresh_from_db()
    assert schedule.state == "failed" and "publish_version" in schedule.outcome
    medicine.refresh_from_db()
    assert medicine.published_version.number == 1


def test_requesting_changes_cancels_the_schedule(medicine, in_review, rita):
    workflow.schedule_publish(
        in_review,
        user=rita,
        publish_at=timezone.now() + datetime.timedelta(hours=1),
        change_summary="Dose.",
        last_reviewed=timezone.localdate(),
        next_review=NEXT_YEAR,
    )
    other = make_user("ravi", "Reviewer")
    workflow.request_changes(in_review, user=other, text="Not yet.")
    ScheduledPublish.objects.update(publish_at=timezone.now() - datetime.timedelta(minutes=1))

    out, _err, code = run_publish_scheduled()

    assert code == 0 and out.strip().startswith("0 scheduled")
    schedule = ScheduledPublish.objects.get()
    assert schedule.state == "cancelled" and "changes were requested by ravi" in schedule.outcome


def test_a_reviewer_cancels_a_schedule(medicine, in_review, rita):
    schedule = workflow.schedule_publish(
        in_review,
        user=rita,
        publish_at=timezone.now() + datetime.timedelta(hours=1),
        change_summary="Dose.",
        last_reviewed=timezone.localdate(),
        next_review=NEXT_YEAR,
    )

    response = client_for(rita).post(
        version_url(in_review), {"action": "cancel_schedule", "schedule": schedule.pk}
    )
    again = client_for(rita).post(
        version_url(in_review), {"action": "cancel_schedule", "schedule": schedule.pk}, follow=True
    )

    assert response.status_code == 302
    schedule.refresh_from_db()
    assert schedule.state == "cancelled"
    assert "no longer waiting" in again.content.decode()
    in_review.refresh_from_db()
    assert in_review.status == "in_review"


def test_a_version_cannot_be_scheduled_twice(medicine, in_review, rita):
    fields = {
        "user": rita,
        "publish_at": timezone.now() + datetime.timedelta(hours=1),
        "change_summary": "Dose.",
        "last_reviewed": timezone.localdate(),
        "next_review": NEXT_YEAR,
    }
    workflow.schedule_publish(in_review, **fields)

    with pytest.raises(editing.WorkflowError, match="already scheduled"):
        workflow.schedule_publish(in_review, **fields)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_publish_a_due_version_once(settings):
    # PostgreSQL: a run locks the row it publishes (SKIP LOCKED), so a second run
    # at the same moment neither waits for it nor publishes it again.
    ensure_roles()
    load_example(settings.CONTENT_DIR)
    medicine = Medicine.objects.get(slug="examplamide")
    erin, rita = make_user("erin", "Editor"), make_user("rita", "Reviewer")
    draft = editing.save_draft(
        medicine,
        medicine.latest_version().source_text.replace(OLD_DOSE, NEW_DOSE),
        base_number=1,
        user=erin,
    )
    workflow.send_for_review(draft, user=erin, change_note="Dose.")
    workflow.schedule_publish(
        draft,
        user=rita,
        publish_at=timezone.now() + datetime.timedelta(minutes=1),
        change_summary="Dose.",
        last_reviewed=timezone.localdate(),
        next_review=NEXT_YEAR,
    )
    ScheduledPublish.objects.update(publish_at=timezone.now() - datetime.timedelta(minutes=1))
    locked, release = threading.Event(), threading.Event()

    def hold_the_row():
        try:
            with transaction.atomic():
                list(ScheduledPublish.objects.select_for_update().all())
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        assert locked.wait(30)
        started = time.monotonic()
        skipped = scheduling.publish_due()
        assert time.monotonic() - started < 5
    finally:
        release.set()
        holder.join()
    reports = []

    def run():
        try:
            reports.append(scheduling.publish_due())
        finally:
            connection.close()

    runs = [threading.Thread(target=run) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join()

    assert (len(skipped.published), len(skipped.failed)) == (0, 0)
    assert sorted(len(report.published) for report in reports) == [0, 1]
    assert not any(report.failed for report in reports)
    assert Medicine.objects.get(slug="examplamide").published_version.number == 2
    assert ScheduledPublish.objects.get().state == "published"
