"""The publish outbox: what must follow a publish is recorded with it, done by whoever comes next.

A publish (loading.load_content, editing.publish) changes the database in one
transaction, and the search index and the PDF leaflets must follow it. So
that a process killed between the commit and that work cannot leave the site
behind for good, the publish writes a `PublishFollowUp` row in its own
transaction (`record_publish`): one row per publish, a single bulk row for a
bulk load (the whole index is rebuilt, and leaflets render on first request).
The page cache needs nothing: its keys name the version shown, so a publish
changes them at once (pagecache.py).

Right after the commit the publishing process does its row's work itself
(`complete_after_commit`), as before the outbox, and deletes the row. A row
left behind is completed by the first of:

- `FollowUpMiddleware`: at most every PUBLISH_FOLLOWUP_CHECK_SECONDS per
  process, a request completes one row older than PUBLISH_FOLLOWUP_GRACE_SECONDS
  (a younger one belongs to a publish still running), search only;
- `manage.py complete_publishes`, run by bin/run-site and bin/serve-production
  at start, or by a timer: every row, bulk rows too;
- `rebuild_index` and `render_leaflets` (`rebuild_index`, `render_leaflets`
  here), which clear the part of every row they cover.

A process claims the rows it works on (`_claim`) until a deadline, so two
never do the same row at once and a dead one's claim runs out. The work is
idempotent: re-indexing a medicine reads its current published version. A
failure is logged and recorded on the row (attempts, last error); /healthz
reports the backlog (`backlog`) and fails once a row is stuck or failing.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from . import search
from .models import Medicine, PublishFollowUp, Version
from .printing import leaflets

logger = logging.getLogger(__name__)

# How long a process may work on a row before another may take it over: far
# longer than re-indexing a few hundred medicines (0.1 s each) or rendering
# twenty versions' leaflets; a bulk row rebuilds the whole index.
CLAIM_SECONDS = 600
BULK_CLAIM_SECONDS = 3600
# Rows a request completes at one check: one publish's worth of re-indexing.
ROWS_PER_CHECK = 1
ERROR_CHARS = 2000


@dataclasses.dataclass
class FollowUpReport:
    completed: int = 0
    failed: int = 0

    def summary(self) -> str:
        return f"{self.completed} completed, {self.failed} failed"


@dataclasses.dataclass(frozen=True)
class Backlog:
    """The follow-up rows not yet done, for /healthz."""

    pending: int = 0
    bulk: int = 0
    # Older than PUBLISH_FOLLOWUP_STUCK_SECONDS, or failed PUBLISH_FOLLOWUP_MAX_ATTEMPTS times.
    stuck: int = 0
    failing: int = 0

    @property
    def ok(self) -> bool:
        return not self.stuck and not self.failing

    @property
    def heals_itself(self) -> bool:
        """Whether the backlog is recent work that requests complete by themselves.

        A bulk row waits for `complete_publishes` or `rebuild_index`, run by
        an operator or a timer, so it does not count.
        """
        return self.ok and self.pending > 0 and not self.bulk


def record_publish(version_pks: list[int]) -> PublishFollowUp:
    """Record what must follow publishing the versions `version_pks`; call inside the publish's
    transaction, then `complete_after_commit` on commit.

    More than search.PUBLISH_REINDEX_LIMIT versions make one bulk row: the
    whole index is rebuilt then. Leaflets are rendered for at most
    leaflets.PUBLISH_RENDER_LIMIT versions, and only with LEAFLETS_RENDER_ON_PUBLISH.
    """
    bulk = len(version_pks) > search.PUBLISH_REINDEX_LIMIT
    return PublishFollowUp.objects.create(
        version_ids=[] if bulk else sorted(version_pks),
        bulk=bulk,
        needs_index=True,
        needs_leaflets=settings.LEAFLETS_RENDER_ON_PUBLISH
        and len(version_pks) <= leaflets.PUBLISH_RENDER_LIMIT,
    )


def record_reindex(version_pks: list[int]) -> PublishFollowUp:
    """Record that the medicines of `version_pks` must be re-indexed, with no
    leaflets to render (a withdrawal); call inside the change's transaction,
    then `complete_after_commit` on commit."""
    return PublishFollowUp.objects.create(
        version_ids=sorted(version_pks), bulk=False, needs_index=True, needs_leaflets=False
    )


def complete_after_commit(followup: PublishFollowUp) -> None:
    """The publish's own follow-up, right after its commit; never raises.

    A bulk row is left for `rebuild_index` (or `complete_publishes`): indexing
    thousands of medicines one by one inside the loading command would take
    far longer than one rebuild.
    """
    if followup.bulk:
        logger.warning(
            "many versions published at once: search index not updated now; run "
            "`manage.py rebuild_index` (/healthz reports the index stale until then)"
        )
        return
    try:
        complete_followups(PublishFollowUp.objects.filter(pk=followup.pk))
    except Exception:
        # The publish has happened; the row stays for whoever comes next.
        logger.exception("publish follow-up %s could not be claimed", followup.pk)


def complete_followups(
    rows=None,
    *,
    limit: int | None = None,
    leaflets_too: bool = True,
    progress: Callable[[PublishFollowUp, str], None] | None = None,
) -> FollowUpReport:
    """Claim the pending rows of `rows` (a queryset; default all), do their work, delete them.

    At most `limit` rows. Rows another process is working on are skipped. With
    `leaflets_too` false the leaflet part is left to the first request for each
    leaflet (requests must stay short). A failure is logged and recorded on its
    row, which is released for a later try; never raises for one. Calls
    `progress(row, outcome)` after each row, outcome "completed" or "failed: ...".
    """
    report = FollowUpReport()
    for row in _claim(PublishFollowUp.objects.all() if rows is None else rows, limit):
        try:
            _carry_out(row, leaflets_too=leaflets_too)
        except Exception as error:
            logger.exception("publish follow-up %s failed", row.pk)
            message = f"{type(error).__name__}: {error}"[:ERROR_CHARS]
            PublishFollowUp.objects.filter(pk=row.pk).update(
                attempts=F("attempts") + 1,
                last_attempt_at=timezone.now(),
                last_error=message,
                claimed_until=None,
            )
            report.failed += 1
            outcome = f"failed: {message}"
        else:
            PublishFollowUp.objects.filter(pk=row.pk).delete()
            report.completed += 1
            outcome = "completed"
        if progress:
            progress(row, outcome)
    return report


def complete_leftovers() -> FollowUpReport:
    """What a request does: complete ROWS_PER_CHECK rows a killed publish left, search only.

    Only rows older than PUBLISH_FOLLOWUP_GRACE_SECONDS (a younger one belongs
    to a publish whose own follow-up is about to run) and not tried within that
    time; no bulk rows. One cheap query when there is nothing to do.
    """
    cutoff = timezone.now() - datetime.timedelta(seconds=settings.PUBLISH_FOLLOWUP_GRACE_SECONDS)
    rows = PublishFollowUp.objects.filter(bulk=False, created_at__lte=cutoff).filter(
        Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lte=cutoff)
    )
    if not rows.claimable(timezone.now()).exists():
        return FollowUpReport()
    return complete_followups(rows, limit=ROWS_PER_CHECK, leaflets_too=False)


def backlog() -> Backlog:
    """Count the rows not yet done, and those stuck or failing (one query)."""
    now = timezone.now()
    stuck_before = now - datetime.timedelta(seconds=settings.PUBLISH_FOLLOWUP_STUCK_SECONDS)
    counts = PublishFollowUp.objects.aggregate(
        pending=Count("pk"),
        bulk=Count("pk", filter=Q(bulk=True)),
        stuck=Count("pk", filter=Q(created_at__lt=stuck_before)),
        failing=Count("pk", filter=Q(attempts__gte=settings.PUBLISH_FOLLOWUP_MAX_ATTEMPTS)),
    )
    return Backlog(**counts)


def rebuild_index(progress: Callable[[int, int], None] | None = None) -> search.RebuildReport:
    """search.rebuild(), then clear the search part of every row it covered.

    A row seen before the rebuild began belongs to a committed publish, which
    the rebuild reads; a later one may not be covered and stays.
    """
    covered = list(PublishFollowUp.objects.filter(needs_index=True).values_list("pk", flat=True))
    report = search.rebuild(progress=progress)
    _clear(covered, needs_index=False)
    return report


def render_leaflets(
    *, force: bool = False, slugs: list[str] | None = None, progress=None
) -> leaflets.StoreReport:
    """leaflets.store_all_leaflets(), then clear the leaflet part of every row it covered.

    With `slugs`, only rows whose versions all belong to those medicines; when
    a leaflet failed, none (the rows are tried again).
    """
    waiting = PublishFollowUp.objects.filter(needs_leaflets=True)
    covered = list(waiting.values_list("pk", "version_ids"))
    report = leaflets.store_all_leaflets(force=force, slugs=slugs, progress=progress)
    if report.failed:
        return report
    if slugs:
        of_slugs = set(
            Version.objects.filter(medicine__slug__in=slugs).values_list("pk", flat=True)
        )
        covered = [(pk, ids) for pk, ids in covered if set(ids) <= of_slugs]
    _clear([pk for pk, _ in covered], needs_leaflets=False)
    return report


class FollowUpMiddleware:
    """Completes, now and then, a publish follow-up that a killed process left behind.

    At most every PUBLISH_FOLLOWUP_CHECK_SECONDS per process (a clock read on
    every other request), the first that long after start (start-up runs
    `complete_publishes`), one thread at a time, before the view: a search
    right after the check finds the text. A failure is logged and recorded on
    the row; the request goes on as if nothing happened.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._next_check = time.monotonic() + settings.PUBLISH_FOLLOWUP_CHECK_SECONDS
        self._checking = threading.Lock()

    def __call__(self, request):
        now = time.monotonic()
        if now >= self._next_check and self._checking.acquire(blocking=False):
            try:
                self._next_check = now + settings.PUBLISH_FOLLOWUP_CHECK_SECONDS
                complete_leftovers()
            except Exception:
                logger.exception("publish follow-up check failed")
            finally:
                self._checking.release()
        return self.get_response(request)


# --- Private helpers ---------------------------------------------------------


def _claim(rows, limit: int | None) -> list[PublishFollowUp]:
    """Claim up to `limit` of `rows` that nobody is working on, oldest first.

    PostgreSQL: lock the free rows, skipping those another process is locking,
    and set their claim in one short transaction. SQLite, which locks the
    whole database for writes anyway: claim each row with one conditional UPDATE
    that only one process can win.
    """
    now = timezone.now()
    free = rows.claimable(now).order_by("pk")
    connection = connections[router.db_for_write(PublishFollowUp)]
    claimed = []
    if connection.vendor == "postgresql":
        with transaction.atomic():
            candidates = list(free.select_for_update(skip_locked=True)[:limit])
            for row in candidates:
                row.claimed_until = now + _claim_time(row)
                PublishFollowUp.objects.filter(pk=row.pk).update(claimed_until=row.claimed_until)
            return candidates
    for row in free[:limit]:
        until = now + _claim_time(row)
        if PublishFollowUp.objects.claimable(now).filter(pk=row.pk).update(claimed_until=until):
            row.claimed_until = until
            claimed.append(row)
    return claimed


def _claim_time(row: PublishFollowUp) -> datetime.timedelta:
    return datetime.timedelta(seconds=BULK_CLAIM_SECONDS if row.bulk else CLAIM_SECONDS)


def _carry_out(row: PublishFollowUp, *, leaflets_too: bool) -> None:
    """Re-index the row's medicines (or rebuild, for a bulk row), then render its leaflets."""
    if row.needs_index:
        if row.bulk:
            search.rebuild()
        else:
            search.index_medicines(
                Medicine.objects.filter(versions__pk__in=row.version_ids).distinct()
            )
        # Done for good: a failure of the leaflets below does not index again.
        PublishFollowUp.objects.filter(pk=row.pk).update(needs_index=False)
    if row.needs_leaflets and leaflets_too:
        failed = []
        versions = Version.objects.filter(pk__in=row.version_ids).select_related("medicine")
        for version in versions:
            for variant in leaflets.VARIANTS:
                try:
                    leaflets.store_leaflet(version, variant, force=True)
                except Exception as error:
                    logger.exception(
                        "could not render the %s leaflet of %s", variant.label, version
                    )
                    failed.append(f"{leaflets.leaflet_name(version, variant)} ({error})")
        if failed:
            raise RuntimeError("leaflets not rendered: " + "; ".join(failed))


def _clear(pks: list[int], **done) -> None:
    """Mark part of the rows `pks` done (`needs_index=False` or `needs_leaflets=False`);
    delete those with nothing left."""
    for start in range(0, len(pks), 900):  # SQLite's parameter limit
        chunk = pks[start : start + 900]
        PublishFollowUp.objects.filter(pk__in=chunk).update(**done)
        PublishFollowUp.objects.filter(
            pk__in=chunk, needs_index=False, needs_leaflets=False
        ).delete()
