"""The monograph page cache: whole responses, kept under the version they show.

A monograph page (`monographs:detail`, `monographs:version`) is the same for
every reader, so after its first request the complete response, body and
headers, is stored in Django's cache. `PageCacheMiddleware` sits just inside
SecurityMiddleware and WhiteNoise and answers later requests from the cache,
skipping the rest of the middleware stack and the view: a cached page then
costs about what a static file does.

Nothing stale is served: every request first reads the page's `PageState` (one
small query) and the cache key names everything the page depends on: the
version shown and its content hash, the current version (so an older page gets
its "superseded" banner), whether the review date has passed, the language,
the site address, and a fingerprint of the code, templates and static files
(so a deploy starts afresh). A publish changes the state, hence the key, at once.
The same state gives the ETag and Last-Modified of conditional requests.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from datetime import UTC, date, datetime, time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.translation import get_language_from_request

from monographs.models import Medicine, Version

# A key names one version, so an entry never goes stale; the timeout only lets
# memory go back from versions nobody asks for any more.
PAGE_CACHE_TIMEOUT = 60 * 60 * 24 * 7
CACHED_URL_NAMES = frozenset({"detail", "version"})


@dataclasses.dataclass(frozen=True)
class PageState:
    """What decides the bytes of a monograph page, read in one small query."""

    slug: str
    version_pk: int
    current_pk: int
    current_published_at: datetime
    next_review: date
    sha256: str = ""

    @property
    def is_current(self) -> bool:
        return self.version_pk == self.current_pk

    @functools.cached_property
    def due_for_review(self) -> bool:
        return self.next_review < timezone.localdate()

    @property
    def last_modified(self) -> datetime:
        """When the page last changed: the current version's publication (an older
        page became superseded then) or, once passed, the review date (its note)."""
        if self.due_for_review:
            return max(self.current_published_at, datetime.combine(self.next_review, time.min, UTC))
        return self.current_published_at

    def fingerprint(self, language: str) -> str:
        """Everything the page's bytes depend on: its cache key and its ETag."""
        parts = (self.version_pk, self.sha256[:12], self.current_pk, int(self.due_for_review))
        site = _short_hash(settings.SITE_URL)  # in the canonical links
        return "-".join(map(str, (*parts, language, site, release_fingerprint())))


@functools.lru_cache(maxsize=8)
def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def page_state(request: HttpRequest, slug: str, number: int | None = None) -> PageState | None:
    """The state of a medicine's published version, or of its version `number`.

    None when there is no such public page: an unknown or unpublished
    medicine, or a version never published. Read once per request (kept on
    the request): the middleware, the conditional-GET functions and the view
    all ask.
    """
    memo = request.__dict__.setdefault("_monograph_page_states", {})
    if (slug, number) not in memo:
        row = _published_row(slug) if number is None else _version_row(slug, number)
        memo[(slug, number)] = PageState(slug, *row) if row else None
    return memo[(slug, number)]


def _published_row(slug: str) -> tuple | None:
    # Every request for a monograph page runs this, cached ones too, where
    # building the equivalent ORM query took longer than all the rest of the
    # request; so it is plain SQL, prepared once.
    with connection.cursor() as cursor:
        cursor.execute(_published_sql(), [slug])
        row = cursor.fetchone()
    if row and timezone.is_naive(row[2]):
        # SQLite hands back naive datetimes; Django stores them in UTC.
        row = (*row[:2], timezone.make_aware(row[2], UTC), *row[3:])
    return row


@functools.cache
def _published_sql() -> str:
    medicine, version = Medicine._meta.db_table, Version._meta.db_table
    return (
        "SELECT v.id, v.id, v.published_at, v.next_review, v.sha256 "  # noqa: S608 -- table names from the models; the slug is a parameter
        f"FROM {medicine} m JOIN {version} v ON v.id = m.published_version_id WHERE m.slug = %s"
    )


def _version_row(slug: str, number: int) -> tuple | None:
    rows = Version.objects.filter(
        medicine__slug=slug,
        number=number,
        published_at__isnull=False,
        language=F("medicine__published_version__language"),
    ).values_list(
        "pk",
        "medicine__published_version",
        "medicine__published_version__published_at",
        "next_review",
        "sha256",
    )
    return next(iter(rows.order_by()[:1]), None)


@functools.cache
def release_fingerprint() -> str:
    """A short hash of what this process renders pages with: the monographs code,
    the templates, the static files and the settings file."""
    digest = hashlib.sha256()
    app = Path(__file__).resolve().parent
    folders = [app, *map(Path, settings.STATICFILES_DIRS)]
    folders += [Path(folder) for engine in settings.TEMPLATES for folder in engine.get("DIRS", [])]
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(folder)).encode())
                digest.update(path.read_bytes())
    digest.update(Path(settings.BASE_DIR, "druginfo", "settings.py").read_bytes())
    return digest.hexdigest()[:12]


class PageCacheMiddleware:
    """Serve stored monograph pages, with the headers the inner middleware gave them.

    Goes right after SecurityMiddleware and WhiteNoiseMiddleware: the HTTPS
    redirect and the security headers still apply to every response.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "GET" or not request.path_info.startswith(_monographs_prefix()):
            return self.get_response(request)
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        if match.namespace != "monographs" or match.url_name not in CACHED_URL_NAMES:
            return self.get_response(request)
        state = page_state(request, match.kwargs["slug"], match.kwargs.get("number"))
        if state is None:
            return self.get_response(request)

        language = get_language_from_request(request)  # as LocaleMiddleware will choose
        key = f"monographs:page:{state.slug}:{state.fingerprint(language)}"
        # The route choice (?route=oral) is another page; a value that is not a
        # plain word is never a route of a medicine (the view redirects it).
        route = request.GET.get("route", "")
        if route:
            if len(route) > 40 or not route.replace("-", "").isalnum() or not route.isascii():
                return self.get_response(request)
            key += f":route={route}"
        stored = cache.get(key)
        if stored is not None:
            content, headers = stored
            response = HttpResponse(content)
            for name, value in headers:
                response.headers[name] = value
            if "If-None-Match" in request.headers or "If-Modified-Since" in request.headers:
                return get_conditional_response(
                    request,
                    etag=response.headers.get("ETag"),
                    last_modified=int(state.last_modified.timestamp()),
                    response=response,
                )
            return response

        response = self.get_response(request)
        if _can_store(response):
            cache.set(key, (response.content, list(response.headers.items())), PAGE_CACHE_TIMEOUT)
        return response


@functools.cache
def _monographs_prefix() -> str:
    """Where the monograph pages live ("/medicines/"); other paths pass straight on."""
    return reverse("monographs:a_z")


def _can_store(response: HttpResponse) -> bool:
    """A complete 200 that is the same for everyone: no cookie, no per-user variation."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    vary = response.headers.get("Vary", "").lower()
    cache_control = response.headers.get("Cache-Control", "").lower()
    return "cookie" not in vary and not {"private", "no-store"} & set(
        part.strip() for part in cache_control.split(",")
    )
