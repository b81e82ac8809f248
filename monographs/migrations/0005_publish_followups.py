"""The publish outbox: work a committed publish still owes (followups.py)."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("monographs", "0004_search_lexemes"),
    ]

    operations = [
        migrations.CreateModel(
            name="PublishFollowUp",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                ),
                ("version_ids", models.JSONField(blank=True, default=list)),
                ("bulk", models.BooleanField(default=False)),
                ("needs_index", models.BooleanField(default=True)),
                ("needs_leaflets", models.BooleanField(default=False)),
                ("claimed_until", models.DateTimeField(blank=True, null=True)),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("last_attempt_at", models.DateTimeField(blank=True, null=True)),
                ("last_error", models.TextField(blank=True)),
            ],
            options={
                "ordering": ["pk"],
            },
        ),
    ]
