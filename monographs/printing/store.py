"""What every print product shares: the variants, WeasyPrint, and stored files behind one lock.

A product (the leaflet, a summary, a card …) is rendered once per version,
route and variant and kept in `default_storage` under `leaflets/<slug>/`, its
file name carrying all four (`baclofen-summary-oral-v3-large-print-letter.pdf`),
so a reader is normally sent a stored file. A missing file is rendered by the
first request that needs it, under a per-file lock so that concurrent requests
render it only once: a lock file under MEDIA_ROOT, and with a shared cache
(Redis, memcached) also a lock in the cache, so that several app servers
sharing one storage render it only once between them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import logging
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.memcached import BaseMemcachedCache
from django.core.cache.backends.redis import RedisCache
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from weasyprint import HTML, URLFetcher

logger = logging.getLogger(__name__)

# PDF/UA-1 makes WeasyPrint tag the structure (headings, lists, tables, the
# reading order) for screen readers and write the UA identification into the
# metadata; the title and language come from <title> and <html lang>.
PDF_OPTIONS = {"pdf_variant": "pdf/ua-1"}

# The shared lock of a server that died while rendering frees itself after
# this long; a render takes a few seconds.
SHARED_LOCK_SECONDS = 120

SIZES = ("standard", "large")
PAPERS = ("a4", "letter")


@dataclasses.dataclass(frozen=True)
class Variant:
    """How a print product is laid out: large print or not, on A4 or on US Letter paper."""

    large_print: bool = False
    letter: bool = False

    @classmethod
    def from_query(cls, size: str | None, paper: str | None) -> Variant:
        """The variant asked for by `?size=` and `?paper=`; a missing value is the default.

        Raises ValueError with a message fit to show the visitor.
        """
        size = "standard" if size is None else size
        paper = "a4" if paper is None else paper
        if size not in SIZES:
            raise ValueError(f"size must be one of: {', '.join(SIZES)} (for example ?size=large).")
        if paper not in PAPERS:
            raise ValueError(
                f"paper must be one of: {', '.join(PAPERS)} (for example ?paper=letter)."
            )
        return cls(large_print=size == "large", letter=paper == "letter")

    @property
    def suffix(self) -> str:
        return ("-large-print" if self.large_print else "") + ("-letter" if self.letter else "")

    @property
    def label(self) -> str:
        size = "large print" if self.large_print else "standard"
        return f"{size}, {'US Letter' if self.letter else 'A4'}"

    @property
    def size(self) -> str:
        return "large" if self.large_print else "standard"

    @property
    def paper(self) -> str:
        return "letter" if self.letter else "a4"

    @property
    def query(self) -> str:
        """The variant as URL parameters (`paper=a4&size=standard`)."""
        return f"paper={self.paper}&size={self.size}"


VARIANTS = (Variant(), Variant(large_print=True), Variant(letter=True), Variant(True, True))


class RenderedPdf(bytes):
    """PDF bytes that know their page count (WeasyPrint compresses the page tree,
    so it cannot be read back from the bytes without a PDF reader)."""

    pages: int = 0


def write_pdf(html: str) -> RenderedPdf:
    """Turn a print product's HTML into PDF bytes, fetching nothing from the network or the disk.

    Relative links resolve against SITE_URL, so they stay live on paper's PDF.
    Only data: URLs (the QR code) may be loaded.
    """
    document = HTML(
        string=html,
        base_url=settings.SITE_URL + "/",
        url_fetcher=URLFetcher(allowed_protocols={"data"}),
    ).render()
    pdf = RenderedPdf(document.write_pdf(**PDF_OPTIONS))
    pdf.pages = len(document.pages)
    return pdf


def pages_name(name: str) -> str:
    """Where the page count of the file stored as `name` is kept (in a folder of its own,
    so the files beside the PDF stay the PDFs)."""
    top, _, rest = name.partition("/")
    return f"{top}/.pages/{rest}.pages"


@dataclasses.dataclass(frozen=True)
class StoredInfo:
    pages: int  # 0: not known (a file stored before page counts were kept)
    size: int  # bytes


def stored_info(name: str) -> StoredInfo | None:
    """The page count and size of the stored file `name`; None if it is not stored."""
    try:
        size = default_storage.size(name)
    except FileNotFoundError:
        return None
    try:
        with default_storage.open(pages_name(name), "rb") as handle:
            pages = int(handle.read().decode() or 0)
    except (FileNotFoundError, ValueError):
        pages = 0
    return StoredInfo(pages=pages, size=size)


def store_pdf(name: str, render: Callable[[], bytes], *, force: bool = False) -> bool:
    """Make sure the file `name` is stored, rendering it with `render()`; True if rendered now.

    Renders only when the file is missing (or when `force`), holding a lock on
    the file so that a second caller waits for the first one's file instead of
    rendering it again. The PDF is written under a temporary name and moved into
    place, so nobody ever reads half a file.
    """
    with _shared_lock(name), _file_lock(name):
        if default_storage.exists(name) and not force:
            return False
        started = time.perf_counter()
        pdf = render()
        partial_dir = Path(settings.MEDIA_ROOT) / "leaflets" / ".partial"
        partial_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=partial_dir, suffix=".pdf", delete=False) as partial:
            partial.write(pdf)
        os.chmod(partial.name, 0o644)  # NamedTemporaryFile makes it readable by its owner only
        try:
            if default_storage.exists(name):
                default_storage.delete(name)
            # The count first: whoever finds the PDF finds its count too.
            if default_storage.exists(pages_name(name)):
                default_storage.delete(pages_name(name))
            if getattr(pdf, "pages", 0):
                default_storage.save(pages_name(name), ContentFile(str(pdf.pages).encode()))
            with open(partial.name, "rb") as handle:
                saved = default_storage.save(name, _RenderedFile(handle))
        finally:
            if os.path.exists(partial.name):
                os.unlink(partial.name)
        if saved != name:
            raise RuntimeError(f"print product stored as {saved!r} instead of {name!r}")
        seconds = time.perf_counter() - started
        logger.info("rendered %s in %.2f s (%d bytes)", name, seconds, len(pdf))
        return True


def open_pdf(name: str, render: Callable[[], bytes]) -> File:
    """Open the stored file `name`, rendering it first with `render()` if it is missing.

    The caller closes the file (a FileResponse does).
    """
    try:
        return default_storage.open(name, "rb")
    except FileNotFoundError:
        store_pdf(name, render)
        return default_storage.open(name, "rb")


class _RenderedFile(File):
    """A rendered PDF on disk, offered to the storage as a file it may move.

    FileSystemStorage moves a file that has `temporary_file_path()` into place
    with os.rename, which is atomic on one filesystem; other storages upload it.
    """

    def temporary_file_path(self) -> str:
        return self.file.name


def shared_lock_key(name: str) -> str:
    """The cache key of the render lock of the file stored as `name`."""
    return f"leaflets:render-lock:{name}"


@contextlib.contextmanager
def _shared_lock(name: str):
    """Hold a lock on one file in the cache when the cache is shared between servers.

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
    """Hold an exclusive lock on one file, through a lock file under MEDIA_ROOT.

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


# Renders that depend on options from the URL (a schedule's times and dose, a
# list of medicines) are not stored on the server: they are kept in the cache
# for this long, under a key of the normalised options, and rendered again after.
CACHED_RENDER_SECONDS = 60 * 60
CACHED_RENDER_LOCK_FILES = 16


def cached_pdf(key: str, render: Callable[[], bytes]) -> bytes:
    """The PDF under cache key `key`, rendered with `render()` (once, under the lock of
    `key`) when the cache does not hold it. The cache bounds what it keeps."""
    cache = caches["default"]
    pdf = cache.get(key)
    if pdf is not None:
        return pdf
    # The options come from visitors: a lock file per key would let them fill the
    # disk, so the keys share a fixed set of lock files (a rare wait for another's).
    slot = int(hashlib.sha256(key.encode()).hexdigest(), 16) % CACHED_RENDER_LOCK_FILES
    with _shared_lock(key), _file_lock(f"cached-render-{slot}"):
        pdf = cache.get(key)
        if pdf is None:
            pdf = bytes(render())
            cache.set(key, pdf, CACHED_RENDER_SECONDS)
    return pdf
