"""Review steps around monographs.editing: notes, comments, send-back, discard, withdraw, review.

Each function is one thing an editor or reviewer does, in one transaction,
refusing with a WorkflowError (a message for the person) or PermissionDenied
before anything is written. Saving, sending for review and publishing text
stay in monographs/editing.py, which these call; the rules kept here:

- a draft goes to review with its own change note (never the previous one's);
- a reviewer sends a version in review back to draft with a comment saying why;
- a discarded draft's text and comments are kept (DiscardedDraft), never lost;
- a withdrawn medicine leaves the public site, its address saying why (410),
  until a version of it is published again;
- "reviewed, no change" moves the published version's review dates, recorded
  with the reviewer (Review), without a new text version.
"""

from __future__ import annotations

import datetime
import logging

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from monographs import editing, followups, models
from monographs.parsing import parse_monograph, set_front_matter_fields
from monographs.printing import products

from .models import Comment, DiscardedDraft, Review, ScheduledPublish, Withdrawal

logger = logging.getLogger(__name__)

WorkflowError = editing.WorkflowError
PERMISSION_WRITE = "monographs.add_version"
PERMISSION_SUBMIT = "monographs.change_version"
PERMISSION_PUBLISH = "monographs.publish_version"
NOTE_MAX_CHARS = 500
COMMENT_MAX_CHARS = 5000


def send_for_review(version: models.Version, *, user, change_note: str) -> models.Version:
    """Send a draft for review with its own change note (shown to the public once published).

    Refuses an empty note, and (editing.submit_for_review) a version that is not a
    draft or is older than the published version.
    """
    note = _required_text(change_note, "a change note saying what changed", NOTE_MAX_CHARS)
    with transaction.atomic():
        version = editing.submit_for_review(version, user=user)
        version.change_summary = note
        version.save(update_fields=["change_summary"])
    return version


def add_comment(version: models.Version, *, user, text: str) -> Comment:
    _require(user, PERMISSION_WRITE)
    text = _required_text(text, "the comment", COMMENT_MAX_CHARS)
    comment = Comment.objects.create(version=version, author=user, text=text)
    _log("commented on", user, version)
    return comment


def request_changes(version: models.Version, *, user, text: str) -> Comment:
    """A reviewer sends a version in review back to draft, saying what must change.

    Any publish scheduled for it is cancelled (it is no longer what was reviewed).
    """
    _require(user, PERMISSION_PUBLISH)
    text = _required_text(text, "what needs to change", COMMENT_MAX_CHARS)
    with transaction.atomic():
        version = _locked(version)
        if version.status != models.Version.Status.IN_REVIEW:
            raise WorkflowError(
                f"version {version.number} is {version.get_status_display()}; changes can "
                "only be requested for a version in review"
            )
        version.status = models.Version.Status.DRAFT
        version.save(update_fields=["status"])
        comment = Comment.objects.create(
            version=version, author=user, text=text, kind=Comment.Kind.CHANGES_REQUESTED
        )
        _cancel_schedules(version, f"changes were requested by {user.get_username()}")
    _log("requested changes to", user, version)
    return comment


def discard_draft(version: models.Version, *, user) -> DiscardedDraft:
    """Remove a draft from the versions; its text and comments are kept in a DiscardedDraft."""
    _require(user, PERMISSION_SUBMIT)
    with transaction.atomic():
        version = _locked(version)
        if version.status != models.Version.Status.DRAFT or version.published_at is not None:
            raise WorkflowError(
                f"version {version.number} is {version.get_status_display()}; only a draft "
                "can be discarded (a reviewer can send a version in review back to draft)"
            )
        kept = DiscardedDraft.objects.create(
            medicine=version.medicine,
            number=version.number,
            source_text=version.source_text,
            author=version.author,
            created_at=version.created_at,
            discarded_by=user,
            comments=[
                {
                    "author": comment.author.get_username(),
                    "kind": comment.kind,
                    "text": comment.text,
                    "created_at": comment.created_at.isoformat(),
                }
                for comment in version.comments.select_related("author")
            ],
        )
        version.delete()
    logger.info(
        "discarded draft medicine=%s version=%s user=%s",
        kept.medicine.slug,
        kept.number,
        user.get_username(),
    )
    return kept


def withdraw(medicine: models.Medicine, *, user, reason: str) -> Withdrawal:
    """Take a medicine off the public site; its page then says it was withdrawn, and why.

    The search index drops it once the transaction commits. Publishing a version
    of it again brings it back (lift_withdrawals).
    """
    _require(user, PERMISSION_PUBLISH)
    reason = _required_text(reason, "the reason for withdrawing it", NOTE_MAX_CHARS)
    with transaction.atomic():
        medicine = models.Medicine.objects.select_for_update().get(pk=medicine.pk)
        if medicine.published_version_id is None:
            raise WorkflowError(
                f"{medicine.slug} is not on the public site, so nothing to withdraw"
            )
        withdrawal = Withdrawal.objects.create(
            medicine=medicine,
            version_id=medicine.published_version_id,
            reason=reason,
            withdrawn_by=user,
        )
        medicine.published_version = None
        medicine.save(update_fields=["published_version"])
        for version in medicine.versions.filter(status=models.Version.Status.IN_REVIEW):
            _cancel_schedules(version, "the medicine was withdrawn")
        # Search drops it right after the commit; if this process dies first,
        # the recorded follow-up is completed by whoever comes next (followups.py).
        followup = followups.record_reindex([withdrawal.version_id])
        transaction.on_commit(lambda: followups.complete_after_commit(followup))
    logger.info("withdrew medicine=%s user=%s", medicine.slug, user.get_username())
    return withdrawal


def lift_withdrawals(sender, versions, **kwargs) -> None:
    """versions_published: a medicine published again is no longer withdrawn."""
    Withdrawal.objects.in_force().filter(
        medicine__in=[version.medicine_id for version in versions],
        medicine__published_version__isnull=False,
    ).update(lifted_at=timezone.now())


def withdrawal_in_force(slug: str) -> Withdrawal | None:
    return (
        Withdrawal.objects.in_force()
        .filter(medicine__slug=slug, medicine__published_version__isnull=True)
        .select_related("medicine", "version")
        .first()
    )


def record_review(
    medicine: models.Medicine,
    *,
    user,
    last_reviewed: datetime.date,
    next_review: datetime.date,
    note: str = "",
) -> Review:
    """A reviewer checked the published version and found nothing to change.

    The version's review dates (its front matter and stored fields, which the
    public page shows) move to the new ones, and a Review row records who
    reviewed it and the dates before; no new version is made, the text is
    otherwise untouched.
    """
    _require(user, PERMISSION_PUBLISH)
    check_review_dates(last_reviewed, next_review)
    with transaction.atomic():
        medicine = models.Medicine.objects.select_for_update().get(pk=medicine.pk)
        if medicine.published_version_id is None:
            raise WorkflowError(f"{medicine.slug} has no published version to review")
        version = _locked(medicine.published_version)
        review = Review.objects.create(
            version=version,
            reviewer=user,
            note=note.strip()[:NOTE_MAX_CHARS],
            previous_last_reviewed=version.last_reviewed,
            previous_next_review=version.next_review,
            last_reviewed=last_reviewed,
            next_review=next_review,
        )
        document = parse_monograph(
            set_front_matter_fields(
                version.source_text, last_reviewed=last_reviewed, next_review=next_review
            ),
            path=f"{medicine.slug}.md (admin)",
            expected_slug=medicine.slug,
        )
        version.source_text = document.source_text
        version.sha256 = document.sha256
        version.last_reviewed = document.last_reviewed
        version.next_review = document.next_review
        version.save(update_fields=["source_text", "sha256", "last_reviewed", "next_review"])
        # The stored PDFs print the old dates; the next request renders them anew.
        transaction.on_commit(lambda: _forget_leaflets(version))
    _log("reviewed without change", user, version)
    return review


def check_review_dates(
    last_reviewed: datetime.date, next_review: datetime.date, *, after: datetime.date | None = None
) -> None:
    """A review happened today or before; the next one is after it and after today (or `after`)."""
    today = timezone.localdate()
    if last_reviewed > today:
        raise WorkflowError("the review date cannot be in the future")
    if next_review <= max(today, after or today):
        raise WorkflowError(
            f"the next review date must be in the future (after {max(today, after or today)})"
        )
    if next_review <= last_reviewed:
        raise WorkflowError("the next review must be after the last review")


def schedule_publish(
    version: models.Version,
    *,
    user,
    publish_at: datetime.datetime,
    change_summary: str,
    last_reviewed: datetime.date,
    next_review: datetime.date,
) -> ScheduledPublish:
    """A reviewer decides to publish a version in review at `publish_at` (publish_scheduled).

    The same refusals as publishing now, checked today and again when it is due.
    """
    _require(user, PERMISSION_PUBLISH)
    summary = _required_text(change_summary, "what changed, in plain words", NOTE_MAX_CHARS)
    if publish_at <= timezone.now():
        raise WorkflowError("the publishing time must be in the future")
    check_review_dates(last_reviewed, next_review, after=timezone.localdate(publish_at))
    with transaction.atomic():
        version = _locked(version)
        editing.check_publishable(version, user, scheduling=True)
        if version.schedules.pending().exists():
            raise WorkflowError(f"version {version.number} is already scheduled; cancel that first")
        schedule = ScheduledPublish.objects.create(
            version=version,
            scheduled_by=user,
            publish_at=publish_at,
            change_summary=summary,
            last_reviewed=last_reviewed,
            next_review=next_review,
        )
    logger.info(
        "scheduled publish medicine=%s version=%s at=%s user=%s",
        version.medicine.slug,
        version.number,
        publish_at.isoformat(),
        user.get_username(),
    )
    return schedule


def cancel_schedule(schedule: ScheduledPublish, *, user) -> None:
    _require(user, PERMISSION_PUBLISH)
    updated = (
        ScheduledPublish.objects.pending()
        .filter(pk=schedule.pk)
        .update(
            state=ScheduledPublish.State.CANCELLED,
            finished_at=timezone.now(),
            outcome=f"cancelled by {user.get_username()}",
        )
    )
    if not updated:
        raise WorkflowError("that scheduled publish is no longer waiting")
    _log("cancelled the scheduled publish of", user, schedule.version)


# --- Private helpers ---------------------------------------------------------


def _require(user, permission: str) -> None:
    if user is None or not user.is_active or not user.has_perm(permission):
        raise PermissionDenied(f"you need the permission {permission} for this")


def _required_text(text: str, what: str, limit: int) -> str:
    text = (text or "").strip()
    if not text:
        raise WorkflowError(f"please write {what}")
    if len(text) > limit:
        raise WorkflowError(f"{what[0].upper()}{what[1:]} may be at most {limit} characters")
    return text


def _locked(version: models.Version) -> models.Version:
    return (
        models.Version.objects.select_for_update(of=("self",))
        .select_related("medicine__published_version")
        .get(pk=version.pk)
    )


def _forget_leaflets(version: models.Version) -> None:
    # Every print product of the version: leaflets, summaries, charts and cards.
    products.forget_products(version)


def _cancel_schedules(version: models.Version, why: str) -> None:
    version.schedules.pending().update(
        state=ScheduledPublish.State.CANCELLED, finished_at=timezone.now(), outcome=why
    )


def _log(action: str, user, version: models.Version) -> None:
    logger.info(
        "%s medicine=%s version=%s user=%s",
        action,
        version.medicine.slug,
        version.number,
        user.get_username(),
    )
