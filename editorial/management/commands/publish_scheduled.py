"""manage.py publish_scheduled: publish the scheduled versions whose time has come.

Run every few minutes from cron or a systemd timer (README). One line per
version published or refused, then a one-line summary; exits with status 1
when any due version could not be published (the reason is on the dashboard).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from editorial import scheduling


class Command(BaseCommand):
    help = "Publish the versions scheduled for now or earlier."

    def handle(self, *args, **options):
        report = scheduling.publish_due(progress=self._progress)
        self.stdout.write(report.summary())
        if report.failed:
            raise SystemExit(1)

    def _progress(self, row):
        version = row.version
        when = row.publish_at.isoformat(timespec="minutes")
        if row.state == row.State.PUBLISHED:
            self.stdout.write(
                f"published {version.medicine.slug} version {version.number} ({when})"
            )
        else:
            self.stderr.write(
                f"not published {version.medicine.slug} version {version.number} ({when}): "
                f"{row.outcome}"
            )
