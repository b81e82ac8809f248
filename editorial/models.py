"""The editorial record around versions: comments, reviews, withdrawals, scheduled publishes.

A Version (monographs.models) is the text; these rows are what people said and
decided about it. None of them changes a version's text; workflow.py writes
them, together with the version or medicine change they belong to.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from monographs.models import Medicine, Version


class Comment(models.Model):
    """A remark on one version; a reviewer's "changes requested" sends the version back."""

    class Kind(models.TextChoices):
        COMMENT = "comment", _("comment")
        CHANGES_REQUESTED = "changes", _("changes requested")

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COMMENT)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["version", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.version}: {self.get_kind_display()} by {self.author}"


class Review(models.Model):
    """A reviewer read the published version and found nothing to change."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    reviewed_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)
    previous_last_reviewed = models.DateField()
    previous_next_review = models.DateField()
    last_reviewed = models.DateField()
    next_review = models.DateField()

    class Meta:
        ordering = ["-reviewed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.version} reviewed by {self.reviewer} on {self.last_reviewed}"


class WithdrawalQuerySet(models.QuerySet):
    def in_force(self):
        return self.filter(lifted_at__isnull=True)


class Withdrawal(models.Model):
    """A medicine taken off the public site; its address stays and says so (HTTP 410).

    Publishing a version of the medicine again lifts it (`lifted_at`); the row stays.
    """

    medicine = models.ForeignKey(Medicine, on_delete=models.CASCADE, related_name="withdrawals")
    # The version the public saw until the withdrawal.
    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    withdrawn_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)

    objects = WithdrawalQuerySet.as_manager()

    class Meta:
        ordering = ["-withdrawn_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["medicine"],
                condition=models.Q(lifted_at__isnull=True),
                name="one_withdrawal_in_force_per_medicine",
            )
        ]

    def __str__(self) -> str:
        return f"{self.medicine} withdrawn on {self.withdrawn_at:%Y-%m-%d}"


class DiscardedDraft(models.Model):
    """The text of a draft someone discarded, kept so that nothing written is ever lost."""

    medicine = models.ForeignKey(
        Medicine, on_delete=models.CASCADE, related_name="discarded_drafts"
    )
    number = models.PositiveIntegerField()
    source_text = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField()
    discarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    discarded_at = models.DateTimeField(auto_now_add=True)
    comments = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-discarded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.medicine} draft {self.number} (discarded)"


class ScheduledPublishQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(state=ScheduledPublish.State.PENDING)

    def due(self, now):
        return self.pending().filter(publish_at__lte=now)


class ScheduledPublish(models.Model):
    """A reviewer's decision to publish a version in review at a later date and time."""

    class State(models.TextChoices):
        PENDING = "pending", _("waiting")
        PUBLISHED = "published", _("published")
        FAILED = "failed", _("not published")
        CANCELLED = "cancelled", _("cancelled")

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="schedules")
    scheduled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)
    publish_at = models.DateTimeField()
    change_summary = models.TextField()
    last_reviewed = models.DateField()
    next_review = models.DateField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True, help_text=_("Why it was not published."))

    objects = ScheduledPublishQuerySet.as_manager()

    class Meta:
        ordering = ["publish_at", "pk"]
        constraints = [
            # One waiting schedule per version: a second would publish it twice.
            models.UniqueConstraint(
                fields=["version"],
                condition=models.Q(state="pending"),
                name="one_pending_schedule_per_version",
            )
        ]
        indexes = [models.Index(fields=["state", "publish_at"])]

    def __str__(self) -> str:
        return f"{self.version} at {self.publish_at:%Y-%m-%d %H:%M} ({self.get_state_display()})"


class ReviewerProfile(models.Model):
    """The profession of a reviewer account, which a page that reviewer publishes
    shows beside their name ("Checked by Rita Patel, pharmacist")."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_profile"
    )
    profession = models.CharField(
        max_length=100,
        help_text=_(
            "As the public pages show it beside the reviewer's name, e.g. "
            "“pharmacist” or “consultant neurologist”."
        ),
    )

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.get_username()}, {self.profession}"
