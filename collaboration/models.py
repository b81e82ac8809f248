"""Who has a medicine's editor open, and each editor's private autosaved text.

Both live in the database, so every app server sees the same rows. A Presence
row is a heartbeat: the editor page renews it every PRESENCE_SECONDS, and a row
not renewed within PRESENCE_EXPIRY_SECONDS no longer counts. An Autosave is one
editor's unsaved text of one medicine: never a version, never shown to anyone
else, replaced by each autosave and deleted by a successful save or a discard.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from monographs.models import Medicine

# The editor page sends a heartbeat this often; three missed ones and you are gone.
PRESENCE_SECONDS = 15
PRESENCE_EXPIRY_SECONDS = 45
# The editor page saves changed text privately this often (and when it is left).
AUTOSAVE_SECONDS = 30


class PresenceQuerySet(models.QuerySet):
    def current(self, medicine: Medicine, now: datetime.datetime | None = None):
        """Whoever has had `medicine`'s editor open within the expiry, earliest first."""
        now = now or timezone.now()
        cutoff = now - datetime.timedelta(seconds=PRESENCE_EXPIRY_SECONDS)
        return (
            self.filter(medicine=medicine, seen_at__gte=cutoff)
            .select_related("user")
            .order_by("since", "user__username")
        )

    def beat(self, medicine: Medicine, user, now: datetime.datetime | None = None) -> Presence:
        """Record that `user` has `medicine`'s editor open now; `since` starts again after a gap."""
        now = now or timezone.now()
        cutoff = now - datetime.timedelta(seconds=PRESENCE_EXPIRY_SECONDS)
        # Forget the others who left without saying so (closed laptop, lost network).
        self.filter(medicine=medicine, seen_at__lt=cutoff).exclude(user=user).delete()
        for _attempt in range(2):
            row = self.filter(medicine=medicine, user=user).first()
            if row is not None:
                if row.seen_at < cutoff:
                    row.since = now
                row.seen_at = now
                row.save(update_fields=["since", "seen_at"])
                return row
            try:
                with transaction.atomic():
                    return self.create(medicine=medicine, user=user, since=now, seen_at=now)
            except IntegrityError:
                continue  # the same user's other tab made the row first
        raise IntegrityError("presence row kept changing")

    def leave(self, medicine: Medicine, user) -> None:
        self.filter(medicine=medicine, user=user).delete()


class Presence(models.Model):
    """`user` has `medicine`'s editor open: since when, and when the page last said so."""

    medicine = models.ForeignKey(Medicine, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    since = models.DateTimeField()
    seen_at = models.DateTimeField()

    objects = PresenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("editor presence")
        constraints = [
            models.UniqueConstraint(
                fields=["medicine", "user"], name="collaboration_presence_one_per_editor"
            )
        ]
        indexes = [models.Index(fields=["medicine", "seen_at"])]

    def __str__(self) -> str:
        return f"{self.user} editing {self.medicine} since {self.since:%H:%M}"


class AutosaveQuerySet(models.QuerySet):
    def store(self, medicine: Medicine, user, *, text: str, base_number: int) -> Autosave:
        """Keep `text` as `user`'s unsaved text of `medicine`, replacing any before it."""
        row, _created = self.update_or_create(
            medicine=medicine,
            user=user,
            defaults={"text": text, "base_number": base_number, "saved_at": timezone.now()},
        )
        return row

    def mine(self, medicine: Medicine, user) -> Autosave | None:
        return self.filter(medicine=medicine, user=user).first()

    def discard(self, medicine: Medicine, user) -> None:
        self.filter(medicine=medicine, user=user).delete()


class Autosave(models.Model):
    """One editor's unsaved text of one medicine, and the version it started from."""

    medicine = models.ForeignKey(Medicine, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    base_number = models.PositiveIntegerField()
    saved_at = models.DateTimeField()

    objects = AutosaveQuerySet.as_manager()

    class Meta:
        verbose_name = _("autosaved text")
        constraints = [
            models.UniqueConstraint(
                fields=["medicine", "user"], name="collaboration_autosave_one_per_editor"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}'s unsaved text of {self.medicine} ({self.saved_at:%Y-%m-%d %H:%M})"
