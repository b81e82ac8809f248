"""The editors' dashboard: what needs this person's attention, on the admin's front page."""

from __future__ import annotations

import dataclasses
import datetime

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from monographs import editing
from monographs.models import Medicine, Version

from .models import Comment, ScheduledPublish, Withdrawal
from .workflow import PERMISSION_PUBLISH

RECENT_DAYS = 30
ROWS = 20


@dataclasses.dataclass
class Dashboard:
    my_drafts: list[Version]
    waiting_for_my_review: list[Version]
    can_review: bool
    review_due: list[Medicine]
    review_due_days: int
    scheduled: list[ScheduledPublish]
    recently_published: list[Version]
    withdrawn: list[Withdrawal]
    today: datetime.date


def build_dashboard(user) -> Dashboard | None:
    """The lists for `user`; None for someone who cannot see the monographs."""
    if not user.has_perm("monographs.view_version"):
        return None
    today = timezone.localdate()
    can_review = user.has_perm(PERMISSION_PUBLISH)
    unpublished = (
        _versions()
        .filter(status__in=[Version.Status.DRAFT, Version.Status.IN_REVIEW])
        .annotate(
            # Sent back by a reviewer: the editor has their comment to act on.
            changes_requested=Exists(
                Comment.objects.filter(version=OuterRef("pk"), kind=Comment.Kind.CHANGES_REQUESTED)
            )
        )
    )
    waiting = (
        unpublished.filter(status=Version.Status.IN_REVIEW)
        .exclude(author=user)
        .order_by("created_at")
        if can_review
        else Version.objects.none()
    )
    return Dashboard(
        my_drafts=list(unpublished.filter(author=user).order_by("-created_at")[:ROWS]),
        waiting_for_my_review=list(waiting[:ROWS]),
        can_review=can_review,
        review_due=list(editing.medicines_due_for_review(today)[:ROWS]),
        review_due_days=editing.REVIEW_DUE_WITHIN_DAYS,
        scheduled=_schedules(),
        recently_published=list(
            _versions().filter(published_at__isnull=False).order_by("-published_at")[:ROWS]
        ),
        withdrawn=list(
            Withdrawal.objects.in_force()
            .select_related("medicine", "withdrawn_by")
            .order_by("-withdrawn_at")[:ROWS]
        ),
        today=today,
    )


def _versions() -> QuerySet[Version]:
    return Version.objects.select_related("medicine", "author").defer("source_text")


def _schedules() -> list[ScheduledPublish]:
    """Waiting schedules, and those that could not be published in the last 30 days."""
    since = timezone.now() - datetime.timedelta(days=RECENT_DAYS)
    rows = ScheduledPublish.objects.filter(state=ScheduledPublish.State.PENDING) | (
        ScheduledPublish.objects.filter(state=ScheduledPublish.State.FAILED, finished_at__gte=since)
    )
    return list(
        rows.select_related("version__medicine", "scheduled_by").order_by("publish_at")[:ROWS]
    )
