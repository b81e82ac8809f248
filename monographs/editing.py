"""The editorial workflow: drafts written in the admin, review, publishing and revert.

Each function here is one step an editor or reviewer takes, done in one
transaction, and the admin only calls them. The rules they keep:

- a save parses the Markdown with the same parser as the loader and becomes a
  new draft version (the version number is set for the editor); a published
  version is never changed in place;
- a save that started from an older version than the latest is refused with an
  EditConflict, so nobody's work is silently overwritten;
- a draft goes draft -> in review -> published, and only a user with the
  `monographs.publish_version` permission (the Reviewer group) publishes, never
  the one who made the version; a draft older than the published version
  cannot go to review; the next review date must be in the future;
- publishing writes the change summary and review dates into the version's
  front matter, makes it the public version and records, in the same
  transaction, that the search index and the leaflets must follow; once the
  transaction has committed it does that (followups.py; whoever comes next
  does it if this process dies first) and sends `versions_published`.

Log lines name the user, the medicine and the version, never the content.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import logging

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import followups, models
from .loading import create_version, versions_published
from .parsing import (
    Monograph,
    MonographError,
    Problem,
    parse_monograph,
    set_front_matter_fields,
)

logger = logging.getLogger(__name__)

REVIEW_DUE_WITHIN_DAYS = 30
DIFF_CONTEXT_LINES = 3
# What the new-medicine template marks each thing to fill in with: refused on saving.
PLACEHOLDERS = ("FILL IN", "FILL-IN")


class EditConflict(Exception):
    """Someone else saved a newer version after the editor opened theirs."""

    def __init__(self, latest: models.Version):
        self.latest = latest
        super().__init__(f"version {latest.number} was saved while you were editing")


class NothingChanged(Exception):
    """The text is the same as the latest version's: no new version is made."""


class WorkflowError(Exception):
    """A step that the version's status does not allow (e.g. publishing a draft)."""


def save_draft(medicine: models.Medicine, text: str, *, base_number: int, user) -> models.Version:
    """Save `text` as a new draft version of `medicine`, numbered latest + 1.

    `base_number` is the latest version number when the editor opened the
    text. Raises EditConflict when a newer version exists, MonographError (with
    lines of `text` as typed) when the text is not a valid monograph, and
    NothingChanged when it equals the latest version. Nothing is written then.
    """
    _require(user, "monographs.add_version")
    try:
        with transaction.atomic():
            _lock(medicine)
            latest = medicine.latest_version()
            latest_number = latest.number if latest else 0
            if latest_number != base_number:
                raise EditConflict(latest)
            number = latest_number + 1
            document = _parse_with_fields(
                text, medicine.slug, version=number, status=models.Version.Status.DRAFT
            )
            if latest and document.source_text == set_front_matter_fields(
                latest.source_text, version=number, status=models.Version.Status.DRAFT
            ):
                raise NothingChanged()
            version = create_version(
                medicine,
                document,
                origin=models.Version.Origin.ADMIN,
                author=user,
                status=models.Version.Status.DRAFT,
            )
    except IntegrityError:
        # Two saves raced past the check: the version number is taken.
        raise EditConflict(medicine.latest_version()) from None
    _log("saved draft", user, version)
    return version


def create_medicine(text: str, *, user) -> models.Version:
    """Make a new medicine from `text`, its slug taken from the front matter; version 1, draft.

    Raises MonographError when the text is not a valid monograph or the slug is taken.
    """
    _require(user, "monographs.add_medicine")
    _require(user, "monographs.add_version")
    document = _parse_with_fields(text, None, version=1, status=models.Version.Status.DRAFT)
    with transaction.atomic():
        medicine, created = models.Medicine.objects.get_or_create(slug=document.slug)
        if not created:
            raise MonographError(
                [
                    Problem(
                        _admin_path(document.slug),
                        document.field_lines.get("slug", 1),
                        f"a medicine with the slug '{document.slug}' already exists; "
                        "edit that one instead, or choose another slug",
                    )
                ]
            )
        version = create_version(
            medicine,
            document,
            origin=models.Version.Origin.ADMIN,
            author=user,
            status=models.Version.Status.DRAFT,
        )
    _log("created medicine", user, version)
    return version


def check_text(text: str, *, medicine: models.Medicine | None = None) -> list[Problem]:
    """The problems saving `text` would report, without saving: the editor's live preview.

    As a save of `medicine` (its slug fixed), or of a new medicine when None,
    whose slug must not be taken already. Lines are those of `text` as typed.
    """
    return check_and_parse(text, medicine=medicine)[0]


def check_and_parse(
    text: str, *, medicine: models.Medicine | None = None
) -> tuple[list[Problem], Monograph | None]:
    """check_text's problems, and the parsed document when the text parses (None if
    not): the live preview shows it as its page would. Its version is 1, a draft."""
    slug = medicine.slug if medicine else None
    try:
        document = _parse_with_fields(text, slug, version=1, status=models.Version.Status.DRAFT)
    except MonographError as error:
        return error.problems, None
    if medicine is None and models.Medicine.objects.filter(slug=document.slug).exists():
        return [
            Problem(
                _admin_path(document.slug),
                document.field_lines.get("slug", 1),
                f"a medicine with the slug '{document.slug}' already exists; "
                "edit that one instead, or choose another slug",
            )
        ], document
    return [], document


def submit_for_review(version: models.Version, *, user) -> models.Version:
    """Move a draft to "in review", where a Reviewer can publish it."""
    _require(user, "monographs.change_version")
    with transaction.atomic():
        version = _locked_version(version)
        if version.status != models.Version.Status.DRAFT:
            raise WorkflowError(
                f"version {version.number} is {version.get_status_display()}; "
                "only a draft can be sent for review"
            )
        current = version.medicine.published_version
        if current is not None and current.number > version.number:
            # Sending it on would take back what the newer version published.
            raise WorkflowError(
                f"version {current.number} was published after draft {version.number} was "
                f"made; bring your changes into a new draft of version {current.number} "
                "first (this draft stays to copy from)"
            )
        version.status = models.Version.Status.IN_REVIEW
        # The summary in a draft's text is the previous version's, not this
        # draft's: its own note is given when it goes to review (editorial).
        version.change_summary = ""
        version.save(update_fields=["status", "change_summary"])
    _log("sent for review", user, version)
    return version


def check_publishable(version: models.Version, user, *, scheduling: bool = False) -> None:
    """The refusals shared by publishing a version now and scheduling it
    (editorial.workflow.schedule_publish): it must be in review, made by someone
    else, and newer than the published version. Raises WorkflowError."""
    if version.status != models.Version.Status.IN_REVIEW:
        raise WorkflowError(
            f"version {version.number} is {version.get_status_display()}; "
            f"only a version in review can be {'scheduled' if scheduling else 'published'}"
        )
    if version.author_id is not None and version.author_id == user.pk:
        raise WorkflowError(
            f"you made version {version.number}, so another reviewer must publish it"
            if scheduling
            else f"you made version {version.number}, so you cannot publish it yourself; "
            "another reviewer must check and publish it"
        )
    current = version.medicine.published_version
    if current is not None and current.number >= version.number:
        raise WorkflowError(
            f"version {current.number} is already published; version {version.number} is older"
            if scheduling
            else f"version {current.number} is already published; publishing the older "
            f"version {version.number} would take the page back"
        )


def publish(
    version: models.Version,
    *,
    user,
    change_summary: str,
    last_reviewed: datetime.date,
    next_review: datetime.date,
) -> models.Version:
    """Make a version in review the one the public sees.

    The change summary (shown on the public changelog), the review dates and
    `status: published` are written into the version's front matter, which is
    parsed again; the version's stored fields follow it. Raises PermissionDenied
    for a user who may not publish, WorkflowError for a version not in review or
    older than the published one, and MonographError for bad dates.
    """
    _require(user, "monographs.publish_version")
    with transaction.atomic():
        _lock(version.medicine)
        version = _locked_version(version)
        check_publishable(version, user)
        document = _parse_with_fields(
            version.source_text,
            version.medicine.slug,
            status=models.Version.Status.PUBLISHED,
            change_summary=change_summary.strip(),
            last_reviewed=last_reviewed,
            next_review=next_review,
        )
        if document.next_review <= timezone.localdate():
            raise WorkflowError("the next review date must be in the future")
        # Only these front-matter fields changed, and no projected row depends
        # on them: the sections, alerts, dosing and the rest stay as they are.
        version.source_text = document.source_text
        version.sha256 = document.sha256
        version.change_summary = document.change_summary
        version.last_reviewed = document.last_reviewed
        version.next_review = document.next_review
        version.status = models.Version.Status.PUBLISHED
        version.published_at = timezone.now()
        # The sign-off the page shows: this reviewer, as named now.
        version.published_by = user
        version.published_by_name, version.published_by_profession = reviewer_sign_off(user)
        version.save(
            update_fields=[
                "source_text",
                "sha256",
                "change_summary",
                "last_reviewed",
                "next_review",
                "status",
                "published_at",
                "published_by",
                "published_by_name",
                "published_by_profession",
            ]
        )
        medicine = version.medicine
        medicine.published_version = version
        medicine.save(update_fields=["published_version"])
        # In this transaction: a process killed after the commit leaves it behind.
        followup = followups.record_publish([version.pk])
        transaction.on_commit(lambda: _after_publish(followup, version))
    _log("published", user, version)
    return version


def reviewer_sign_off(user) -> tuple[str, str]:
    """The name and profession a page shows for the reviewer account `user`: the
    account's full name (its user name when it has none) and the profession of its
    reviewer profile (editorial.ReviewerProfile; "" when it has none)."""
    profile = getattr(user, "reviewer_profile", None)
    return (
        user.get_full_name().strip() or user.get_username(),
        profile.profession.strip() if profile is not None else "",
    )


def revert(version: models.Version, *, user) -> models.Version:
    """Make a new draft, numbered latest + 1, whose text is that of the older `version`."""
    medicine = version.medicine
    latest = medicine.latest_version()
    new = save_draft(medicine, version.source_text, base_number=latest.number, user=user)
    logger.info(
        "reverted medicine=%s to version=%s as version=%s user=%s",
        medicine.slug,
        version.number,
        new.number,
        user.get_username(),
    )
    return new


def medicines_due_for_review(today: datetime.date | None = None):
    """Published medicines whose next review date has passed or falls within 30 days.

    Most overdue first, each with its published version.
    """
    today = today or timezone.localdate()
    return (
        models.Medicine.objects.published()
        .filter(
            published_version__next_review__lte=today
            + datetime.timedelta(days=REVIEW_DUE_WITHIN_DAYS)
        )
        .select_related("published_version")
        .order_by("published_version__next_review", "slug")
    )


@dataclasses.dataclass(frozen=True)
class DiffLine:
    """One line of a diff: kind is "same", "added", "removed" or "gap" (lines left out)."""

    kind: str
    old_line: int | None
    new_line: int | None
    text: str


def diff_texts(old: str, new: str) -> list[DiffLine]:
    """The changed lines of `new` against `old`, with a few lines of context around each.

    Plain text only: the template escapes every line when it shows them.
    """
    old_lines, new_lines = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    rows: list[DiffLine] = []
    for group in matcher.get_grouped_opcodes(DIFF_CONTEXT_LINES):
        if rows or group[0][1] > 0 or group[0][3] > 0:
            rows.append(DiffLine("gap", None, None, ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows.extend(
                    DiffLine("same", i + 1, j + 1, old_lines[i])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                )
                continue
            rows.extend(DiffLine("removed", i + 1, None, old_lines[i]) for i in range(i1, i2))
            rows.extend(DiffLine("added", None, j + 1, new_lines[j]) for j in range(j1, j2))
    return rows


def diff_with_typed_text(version: models.Version, text: str) -> list[DiffLine]:
    """What an editor's `text` changes in `version`, leaving out the lines the admin sets.

    The `version:` and `status:` lines are set on every save, so they are
    aligned with `version`'s before comparing: the diff shows only what a
    person changed.
    """
    status = (
        models.Version.Status.PUBLISHED
        if version.status == models.Version.Status.PUBLISHED
        else models.Version.Status.DRAFT
    )
    aligned = set_front_matter_fields(text, version=version.number, status=status)
    return diff_texts(version.source_text, aligned)


# --- Private helpers ---------------------------------------------------------


def _require(user, permission: str) -> None:
    if user is None or not user.is_active or not user.has_perm(permission):
        raise PermissionDenied(f"you need the permission {permission} for this")


def _lock(medicine: models.Medicine) -> None:
    """Serialise writers on one medicine (a no-op on SQLite, which locks the database)."""
    models.Medicine.objects.select_for_update().filter(pk=medicine.pk).first()


def _locked_version(version: models.Version) -> models.Version:
    return (
        models.Version.objects.select_for_update(of=("self",))
        .select_related("medicine__published_version")
        .get(pk=version.pk)
    )


def _admin_path(slug: str | None) -> str:
    return f"{slug}.md (admin)" if slug else "new monograph (admin)"


def _parse_with_fields(text: str, slug: str | None, **fields) -> Monograph:
    """Set front-matter `fields` on `text` and parse it as the loader would.

    Problems are reported at the lines of `text` as the editor typed it, even
    when a missing field had to be added.
    """
    updated = set_front_matter_fields(text, **fields)
    path = _admin_path(slug)
    try:
        document = parse_monograph(updated, path=path, expected_slug=slug)
    except MonographError as error:
        added = updated.count("\n") - text.count("\n")
        problems = list(error.problems)
        if added > 0:
            closing = _front_matter_closing_line(text)
            problems = [
                dataclasses.replace(
                    problem, line=_typed_line(problem.line, closing, added) if problem.line else 0
                )
                for problem in problems
            ]
        raise MonographError(_with_placeholders(problems, text, path)) from None
    if placeholders := _with_placeholders([], text, path):
        raise MonographError(placeholders)
    return document


def _with_placeholders(problems: list[Problem], text: str, path: str) -> list[Problem]:
    """`problems` and every other line still holding a placeholder of the new-medicine
    template (admin/monographs/medicine/new_monograph.md), in line order."""
    taken = {problem.line for problem in problems}
    for number, line in enumerate(text.splitlines(), start=1):
        if number not in taken and any(marker in line for marker in PLACEHOLDERS):
            problems.append(
                Problem(
                    path,
                    number,
                    "this line still holds a 'FILL IN' placeholder of the template; "
                    "write what it asks for",
                )
            )
    return sorted(problems, key=lambda problem: problem.line)


def _front_matter_closing_line(text: str) -> int:
    lines = text.splitlines()
    return next((i + 1 for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)


def _typed_line(line: int, closing: int, added: int) -> int:
    """Lines added before the closing `---` shift everything after them down."""
    if line < closing:
        return line
    return max(closing, line - added)


def _after_publish(followup: models.PublishFollowUp, version: models.Version) -> None:
    followups.complete_after_commit(followup)
    versions_published.send(sender=models.Version, versions=[version])


def _log(action: str, user, version: models.Version) -> None:
    logger.info(
        "%s medicine=%s version=%s user=%s",
        action,
        version.medicine.slug,
        version.number,
        user.get_username(),
    )
