"""Versions published in the admin before versions recorded who published them get
their publisher from the record that was kept: a scheduled publish that went out
(its reviewer), or the admin's log entry "Published version N." (its user). The
name is the account's, as now; no profession was recorded then. A version with
neither (loaded from a file) keeps no publisher: no reviewer checked it."""

import re

from django.db import migrations

PUBLISHED_RE = re.compile(r"^Published version (\d+)\.$")


def _name(user) -> str:
    full = f"{user.first_name} {user.last_name}".strip()
    return full or user.username


def record_publishers(apps, schema_editor):
    Version = apps.get_model("monographs", "Version")
    Medicine = apps.get_model("monographs", "Medicine")
    ScheduledPublish = apps.get_model("editorial", "ScheduledPublish")
    LogEntry = apps.get_model("admin", "LogEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")

    publishers = {}
    content_type = ContentType.objects.filter(app_label="monographs", model="medicine").first()
    if content_type is not None:
        entries = LogEntry.objects.filter(
            content_type=content_type, change_message__startswith="Published version "
        ).order_by("action_time", "pk")
        slugs = dict(Medicine.objects.values_list("pk", "slug"))
        for entry in entries.select_related("user"):
            match = PUBLISHED_RE.match(entry.change_message)
            if match and entry.object_id.isdigit() and int(entry.object_id) in slugs:
                publishers[(int(entry.object_id), int(match[1]))] = entry.user
    for row in ScheduledPublish.objects.filter(state="published").select_related(
        "version", "scheduled_by"
    ):
        publishers[(row.version.medicine_id, row.version.number)] = row.scheduled_by
    for (medicine_id, number), user in publishers.items():
        Version.objects.filter(
            medicine_id=medicine_id,
            number=number,
            published_at__isnull=False,
            published_by__isnull=True,
        ).update(published_by=user, published_by_name=_name(user))


class Migration(migrations.Migration):
    dependencies = [
        ("editorial", "0002_reviewer_profile"),
        ("monographs", "0008_version_published_by"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(record_publishers, migrations.RunPython.noop)]
