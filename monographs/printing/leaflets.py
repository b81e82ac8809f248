"""Printable PDF leaflets: render a version to PDF with WeasyPrint, store it, serve it.

A leaflet is rendered once
per version and variant (A4 or US Letter, standard or large print) and kept in
`default_storage` under `leaflets/<slug>/<slug>-leaflet-v<N>[-large-print][-letter].pdf`,
so a patient is normally sent a stored file. Publishing renders the new
version's leaflets after the commit (followups.py); a missing file is rendered
by the first request that needs it, under a per-file lock so that concurrent
requests render it only once: a lock file under MEDIA_ROOT, and with a shared
cache (Redis) also a lock in the cache, so that several app servers sharing one
storage render it only once between them.
Stored leaflets of superseded versions are never removed: the changelog links to them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import logging
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import segno
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.memcached import BaseMemcachedCache
from django.core.cache.backends.redis import RedisCache
from django.core.files import File
from django.core.files.storage import default_storage
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML, URLFetcher

from monographs import models

logger = logging.getLogger(__name__)

# PDF/UA-1 makes WeasyPrint tag the structure (headings, lists, tables, the
# reading order) for screen readers and write the UA identification into the
# metadata; the title and language come from <title> and <html lang>.
PDF_OPTIONS = {"pdf_variant": "pdf/ua-1"}

# More published versions than this at once is a bulk import: rendering four
# PDFs for each inside the loading command would keep it busy for hours, so
# the operator runs `manage.py render_leaflets` instead (and any leaflet still
# missing is rendered by its first request).
PUBLISH_RENDER_LIMIT = 20

# The shared lock of a server that died while rendering frees itself after
# this long; a render takes a few seconds.
SHARED_LOCK_SECONDS = 120

_SIZES = ("standard", "large")
_PAPERS = ("a4", "letter")


@dataclasses.dataclass(frozen=True)
class Variant:
    """How a leaflet is laid out: large print or not, on A4 or on US Letter paper."""

    large_print: bool = False
    letter: bool = False

    @classmethod
    def from_query(cls, size: str | None, paper: str | None) -> Variant:
        """The variant asked for by `?size=` and `?paper=`; a missing value is the default.

        Raises ValueError with a message fit to show the visitor.
        """
        size = "standard" if size is None else size
        paper = "a4" if paper is None else paper
        if size not in _SIZES:
            raise ValueError(f"size must be one of: {', '.join(_SIZES)} (for example ?size=large).")
        if paper not in _PAPERS:
            raise ValueError(
                f"paper must be one of: {', '.join(_PAPERS)} (for example ?paper=letter)."
            )
        return cls(large_print=size == "large", letter=paper == "letter")

    @property
    def suffix(self) -> str:
        return ("-large-print" if self.large_print else "") + ("-letter" if self.letter else "")

    @property
    def label(self) -> str:
        size = "large print" if self.large_print else "standard"
        return f"{size}, {'US Letter' if self.letter else 'A4'}"


VARIANTS = (Variant(), Variant(large_print=True), Variant(letter=True), Variant(True, True))


def leaflet_filename(version: models.Version, variant: Variant) -> str:
    """`baclofen-leaflet-v3.pdf`, `baclofen-leaflet-v3-large-print.pdf`, …"""
    return f"{version.medicine.slug}-leaflet-v{version.number}{variant.suffix}.pdf"


def leaflet_name(version: models.Version, variant: Variant) -> str:
    """The leaflet's name in default_storage."""
    return f"leaflets/{version.medicine.slug}/{leaflet_filename(version, variant)}"


def build_leaflet_html(version: models.Version, variant: Variant) -> str:
    """The leaflet of `version` as an HTML document for WeasyPrint (reads the version's rows).

    Page 1 has the name, the safety box, the currency block and the key
    takeaways; then comes every other section of the version in page order,
    printed from the same rows as the web page (detail.html): the quick answer,
    the introduction and each block. Product rule: every dose, limit and
    warning of the page is on paper too. Runs a fixed number of queries.
    """
    version = (
        models.Version.objects.select_related("medicine")
        .defer("source_text")  # the Markdown: tens of kilobytes the leaflet never prints
        .prefetch_related(
            "alerts",
            "takeaways",
            "dosing",
            "side_effects",
            "faqs",
            "references",
            Prefetch(
                "interactions",
                queryset=models.Interaction.objects.order_by("severity", "position"),
            ),
            Prefetch("sections", queryset=models.Section.objects.prefetch_related("blocks")),
        )
        .get(pk=version.pk)
    )
    alerts = list(version.alerts.all())
    interactions = list(version.interactions.all())
    urgent_alerts = [a for a in alerts if a.kind == models.Alert.Kind.URGENT]
    page_url = settings.SITE_URL + version.medicine.get_absolute_url()
    qr_code = segno.make(page_url, error="m", micro=False)
    context = {
        "version": version,
        "variant": variant,
        "page_url": page_url,
        "qr_code_uri": qr_code.svg_data_uri(scale=4, border=4),
        "printed_on": timezone.localdate(),
        "safety_alerts": [a for a in alerts if a.kind == models.Alert.Kind.SAFETY],
        "urgent_alerts": urgent_alerts,
        "major_interactions": [i for i in interactions if i.severity == "major"],
        "minor_interactions": [i for i in interactions if i.severity == "minor"],
        "sections": _sections(version, urgent_alerts),
    }
    return render_to_string("monographs/leaflet.html", context)


# A side-effects band of at most this many effects is kept whole on one page;
# a longer one may run over a page break. Either way its header row (band name
# and meaning) is repeated on every page it reaches, so no effect is ever
# printed without its frequency.
SHORT_BAND_EFFECTS = 8


def _sections(version: models.Version, urgent_alerts: list) -> list[dict]:
    """The page's sections with their rows, plus which bands are short enough to keep whole."""
    sections = version.sections_with_rows(urgent_alerts)
    for section in sections:
        for item in section["blocks"]:
            if item["kind"] == "band":
                item["short"] = len(item["effects"]) <= SHORT_BAND_EFFECTS
    return sections


def write_pdf(html: str) -> bytes:
    """Turn leaflet HTML into PDF bytes, fetching nothing from the network or the disk.

    Relative links resolve against SITE_URL, so they stay live on paper's PDF.
    Only data: URLs (the QR code) may be loaded.
    """
    document = HTML(
        string=html,
        base_url=settings.SITE_URL + "/",
        url_fetcher=URLFetcher(allowed_protocols={"data"}),
    )
    return document.write_pdf(**PDF_OPTIONS)


def render_leaflet(version: models.Version, variant: Variant) -> bytes:
    """Render the leaflet of `version` in `variant` to PDF bytes. Stores nothing."""
    return write_pdf(build_leaflet_html(version, variant))


def store_leaflet(version: models.Version, variant: Variant, *, force: bool = False) -> bool:
    """Make sure the leaflet of `version` in `variant` is stored; True if it was rendered now.

    Renders only when the file is missing (or when `force`), holding a lock on
    the file so that a second caller waits for the first one's file instead of
    rendering it again. The PDF is written under a temporary name and moved into
    place, so nobody ever reads half a file.
    """
    name = leaflet_name(version, variant)
    with _shared_lock(name), _file_lock(name):
        if default_storage.exists(name) and not force:
            return False
        started = time.perf_counter()
        pdf = render_leaflet(version, variant)
        partial_dir = Path(settings.MEDIA_ROOT) / "leaflets" / ".partial"
        partial_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=partial_dir, suffix=".pdf", delete=False) as partial:
            partial.write(pdf)
        os.chmod(partial.name, 0o644)  # NamedTemporaryFile makes it readable by its owner only
        try:
            if default_storage.exists(name):
                default_storage.delete(name)
            with open(partial.name, "rb") as handle:
                saved = default_storage.save(name, _RenderedFile(handle))
        finally:
            if os.path.exists(partial.name):
                os.unlink(partial.name)
        if saved != name:
            raise RuntimeError(f"leaflet stored as {saved!r} instead of {name!r}")
        seconds = time.perf_counter() - started
        logger.info("rendered leaflet %s in %.2f s (%d bytes)", name, seconds, len(pdf))
        return True


class _RenderedFile(File):
    """A rendered PDF on disk, offered to the storage as a file it may move.

    FileSystemStorage moves a file that has `temporary_file_path()` into place
    with os.rename, which is atomic on one filesystem; other storages upload it.
    """

    def temporary_file_path(self) -> str:
        return self.file.name


def shared_lock_key(name: str) -> str:
    """The cache key of the render lock of the leaflet stored as `name`."""
    return f"leaflets:render-lock:{name}"


@contextlib.contextmanager
def _shared_lock(name: str):
    """Hold a lock on one leaflet in the cache when the cache is shared between servers.

    cache.add() stores the key only if it is absent, atomically in Redis or
    memcached, so one server at a time gets it; the others poll until it is
    released (or expires, if its holder died). With a cache of this process
    only (locmem, file, dummy), the file lock is the lock.
    """
    cache = caches["default"]
    if not isinstance(cache, RedisCache | BaseMemcachedCache):
        yield
        return
    key = shared_lock_key(name)
    token = secrets.token_hex(8)
    while not cache.add(key, token, timeout=SHARED_LOCK_SECONDS):
        time.sleep(0.1)
    try:
        yield
    finally:
        # Only our own: after an expiry another server may hold it now.
        if cache.get(key) == token:
            cache.delete(key)


@contextlib.contextmanager
def _file_lock(name: str):
    """Hold an exclusive lock on one leaflet, through a lock file under MEDIA_ROOT.

    flock (not lockf) because its locks belong to the open file, not to the
    process: two threads of one server process exclude each other too.
    """
    filename = name.rsplit("/", 1)[-1]  # unique: it holds the slug
    path = Path(settings.MEDIA_ROOT) / "leaflets" / ".locks" / f"{filename}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def open_leaflet(version: models.Version, variant: Variant) -> File:
    """Open the stored leaflet of `version` in `variant`, rendering it first if it is missing.

    The caller closes the file (a FileResponse does).
    """
    name = leaflet_name(version, variant)
    try:
        return default_storage.open(name, "rb")
    except FileNotFoundError:
        store_leaflet(version, variant)
        return default_storage.open(name, "rb")


@dataclasses.dataclass
class StoreReport:
    rendered: list[str] = dataclasses.field(default_factory=list)
    already_stored: list[str] = dataclasses.field(default_factory=list)
    failed: list[str] = dataclasses.field(default_factory=list)


def store_all_leaflets(
    *,
    force: bool = False,
    slugs: list[str] | None = None,
    progress: Callable[[int, int, str, str], None] | None = None,
) -> StoreReport:
    """Store the leaflets of every version ever published (superseded ones too), all variants.

    Existing files are kept unless `force`. `progress(done, total, name, outcome)`
    is called after each leaflet, outcome being "rendered", "already stored" or
    "failed". A leaflet that fails is logged and reported; the others go on.
    """
    versions = (
        models.Version.objects.ever_published()
        .select_related("medicine")
        .order_by("medicine__slug", "number", "language")
    )
    if slugs:
        versions = versions.filter(medicine__slug__in=slugs)
    jobs = [(version, variant) for version in versions for variant in VARIANTS]
    report = StoreReport()
    for done, (version, variant) in enumerate(jobs, start=1):
        name = leaflet_name(version, variant)
        try:
            rendered = store_leaflet(version, variant, force=force)
        except Exception:
            logger.exception("could not render leaflet %s", name)
            report.failed.append(name)
            outcome = "failed"
        else:
            outcome = "rendered" if rendered else "already stored"
            (report.rendered if rendered else report.already_stored).append(name)
        if progress:
            progress(done, len(jobs), name, outcome)
    return report
