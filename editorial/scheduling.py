"""Scheduled publishing: publish each waiting ScheduledPublish whose time has come.

`publish_due` is what `manage.py publish_scheduled` runs (from cron or a
systemd timer). Each due row is claimed with a row lock (SKIP LOCKED on
PostgreSQL, so two runs at once never publish one row twice) and published
through monographs.editing.publish as the reviewer who scheduled it, with the
same refusals as publishing by hand: a row that can no longer be published
(sent back to draft, a newer version published, the reviewer's rights gone)
becomes "not published" with the reason, shown on the dashboard.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone

from monographs import editing
from monographs.parsing import MonographError

from .models import ScheduledPublish


@dataclasses.dataclass
class ScheduleReport:
    published: list[ScheduledPublish] = dataclasses.field(default_factory=list)
    failed: list[ScheduledPublish] = dataclasses.field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.published)} scheduled version(s) published, "
            f"{len(self.failed)} could not be published"
        )


def publish_due(
    now=None, progress: Callable[[ScheduledPublish], None] | None = None
) -> ScheduleReport:
    """Publish every waiting schedule due at `now` (default: now), oldest first.

    Returns what was published and what was refused; calls `progress` with each
    row once it is finished. Each row is its own transaction.
    """
    now = now or timezone.now()
    report = ScheduleReport()
    while (row := _publish_next(now)) is not None:
        (
            report.published if row.state == ScheduledPublish.State.PUBLISHED else report.failed
        ).append(row)
        if progress:
            progress(row)
    return report


def _publish_next(now) -> ScheduledPublish | None:
    with transaction.atomic():
        rows = ScheduledPublish.objects.due(now).select_related("version__medicine", "scheduled_by")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        row = rows.order_by("publish_at", "pk").first()
        if row is None:
            return None
        try:
            with transaction.atomic():
                editing.publish(
                    row.version,
                    user=row.scheduled_by,
                    change_summary=row.change_summary,
                    last_reviewed=row.last_reviewed,
                    next_review=row.next_review,
                )
        except (editing.WorkflowError, MonographError, PermissionDenied) as error:
            row.state = ScheduledPublish.State.FAILED
            row.outcome = str(error)
        else:
            row.state = ScheduledPublish.State.PUBLISHED
            row.outcome = ""
        row.finished_at = timezone.now()
        row.save(update_fields=["state", "outcome", "finished_at"])
    return row
