"""The editor's save: a draft, merged three ways when it started from an older version.

`save_draft` calls monographs.editing.save_draft. When that refuses the save
because someone saved a newer version meanwhile (EditConflict), the typed text
("yours") is merged with the latest version ("theirs") against the version
the editor started from (the base):

- no overlap: the merged text is saved at once as a new draft based on the
  latest version, and the result says which parts came from each side. It is
  saved rather than held for confirmation because a draft is not public (a
  reviewer must still publish it), every earlier version stays in the history
  to compare with, and an unsaved merge is one closed tab away from being lost;
- overlaps: nothing is saved; MergeConflict carries the merged text with each
  overlap marked, based on the latest version, for the editor to resolve.

A text that still holds an overlap marker is refused before it is parsed.
A successful save deletes the editor's autosaved text of the medicine.
"""

from __future__ import annotations

import dataclasses
import logging

from monographs import editing, models
from monographs.parsing import MonographError, set_front_matter_fields

from . import merge
from .models import Autosave

logger = logging.getLogger(__name__)

# Saves racing past each other: merge again with the newest version, a few times.
MERGE_ATTEMPTS = 3


class MergeConflict(Exception):
    """Both sides changed the same lines: `result.text` marks each overlap; nothing was saved."""

    def __init__(self, latest: models.Version, result: merge.MergeResult):
        self.latest = latest
        self.result = result
        super().__init__(f"{len(result.overlaps)} overlaps with version {latest.number}")


class MergedTextInvalid(MonographError):
    """The merge had no overlap, but the merged text is not a valid monograph; nothing saved."""

    def __init__(self, latest: models.Version, result: merge.MergeResult, problems):
        self.latest = latest
        self.result = result
        super().__init__(problems)


@dataclasses.dataclass(frozen=True)
class SavedDraft:
    """The new draft; with `merged_with` (their version) and `merge` when it was merged."""

    version: models.Version
    merged_with: models.Version | None = None
    merge: merge.MergeResult | None = None


def save_draft(medicine: models.Medicine, text: str, *, base_number: int, user) -> SavedDraft:
    """Save `text`, typed from version `base_number`, as a new draft of `medicine`.

    Raises MonographError for an unresolved overlap marker or an invalid text,
    MergeConflict when a newer version changed the same lines, MergedTextInvalid
    when the merged text does not parse, editing.NothingChanged and
    PermissionDenied as editing.save_draft does. Nothing is written then.
    """
    problems = merge.marker_problems(text, f"{medicine.slug}.md (admin)")
    if problems:
        raise MonographError(problems)
    to_save, based_on = text, base_number
    merged_with = result = None
    for _attempt in range(MERGE_ATTEMPTS):
        try:
            version = editing.save_draft(medicine, to_save, base_number=based_on, user=user)
        except editing.EditConflict as conflict:
            merged_with = conflict.latest
            result = _merge(medicine, text, base_number, merged_with)
            if not result.clean:
                logger.info(
                    "merge overlaps medicine=%s base=%s theirs=%s overlaps=%s user=%s",
                    medicine.slug,
                    base_number,
                    merged_with.number,
                    len(result.overlaps),
                    user.get_username(),
                )
                raise MergeConflict(merged_with, result) from None
            to_save, based_on = result.text, merged_with.number
        except MonographError as error:
            if result is None:
                raise
            raise MergedTextInvalid(merged_with, result, error.problems) from None
        else:
            Autosave.objects.discard(medicine, user)
            if result is not None:
                logger.info(
                    "merged medicine=%s base=%s theirs=%s version=%s user=%s",
                    medicine.slug,
                    base_number,
                    merged_with.number,
                    version.number,
                    user.get_username(),
                )
            return SavedDraft(version, merged_with, result)
    raise MergeConflict(merged_with, result)


def _merge(
    medicine: models.Medicine, mine: str, base_number: int, latest: models.Version
) -> merge.MergeResult:
    base = medicine.versions.filter(number=base_number).first()
    # The admin sets `version:` and `status:` on every save: they are not anyone's edit.
    fields = {"version": latest.number, "status": latest.status}
    return merge.merge_texts(
        set_front_matter_fields(base.source_text, **fields) if base else "",
        latest.source_text,
        set_front_matter_fields(mine, **fields),
        theirs_label=f"version {latest.number}",
    )
