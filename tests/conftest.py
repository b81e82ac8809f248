"""Shared fixtures: fast passwords, temporary content/index/media paths, and Chromium.

Playwright's sync API runs an event loop in the test thread, which makes
Django's async-safety check refuse database access from browser tests.

Search tests taking ``search_backend`` run once per search backend the test
database offers. Tests marked ``postgres`` need PostgreSQL and Redis servers
(``services``), found through DATABASE_URL and CACHE_URL when those point at
them, else at their usual local addresses; without them they fail, saying so.
They run when the test database is PostgreSQL and are deselected on SQLite.
"""

import os
import time
from urllib.parse import urlsplit, urlunsplit

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    # The test machines have no network: keep Chromium from trying to phone home.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def database_is_postgresql() -> bool:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def search_backends() -> list[str]:
    """The search backends the test database offers: whoosh always, postgres on PostgreSQL."""
    return ["whoosh", "postgres"] if database_is_postgresql() else ["whoosh"]


def pytest_generate_tests(metafunc):
    if "search_backend" in metafunc.fixturenames:
        metafunc.parametrize("search_backend", search_backends(), indirect=True)


def pytest_collection_modifyitems(config, items):
    """On a SQLite test database, deselect the tests marked ``postgres`` (not skip them).

    They need PostgreSQL (and Redis): they run when the tests run on PostgreSQL,
    as in bin/run-tests' second pass, and fail there, saying why, if a server
    is missing.
    """
    if database_is_postgresql():
        return
    deselected = [item for item in items if item.get_closest_marker("postgres")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]


@pytest.fixture
def search_backend(request, settings):
    """Run the test once with each search backend of search_backends()."""
    settings.SEARCH_BACKEND = request.param
    return request.param


@pytest.fixture(scope="session")
def services() -> dict[str, str]:
    """Addresses of the PostgreSQL and Redis servers, checked: ``postgres`` (a database
    to connect to for creating others) and ``redis`` (a server address, no db number)."""
    import psycopg
    import redis

    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        database_url = "postgres://postgres@127.0.0.1:5432/postgres"
    postgres = urlunsplit(urlsplit(database_url)._replace(path="/postgres"))
    cache_url = os.environ.get("CACHE_URL", "")
    if not cache_url.startswith(("redis://", "rediss://")):
        cache_url = "redis://127.0.0.1:6379"
    redis_server = urlunsplit(urlsplit(cache_url)._replace(path=""))
    hint = "bin/run-tests runs this test in its PostgreSQL pass, with both servers running"
    try:
        psycopg.connect(postgres, connect_timeout=5).close()
    except psycopg.Error as error:
        pytest.fail(f"this test needs PostgreSQL, which did not answer ({error}); {hint}")
    try:
        redis.Redis.from_url(redis_server, socket_timeout=5).ping()
    except redis.RedisError as error:
        pytest.fail(
            f"this test needs Redis at {redis_server}, which did not answer ({error}); {hint}"
        )
    return {"postgres": postgres, "redis": redis_server}


@pytest.fixture
def whoosh_backend(settings):
    """For tests of the whoosh index's own files and locks, whatever the database."""
    settings.SEARCH_BACKEND = "whoosh"
    return "whoosh"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_leaflets_on_publish(settings):
    """Rendering four PDFs on every publish costs seconds; leaflet tests turn it back on."""
    settings.LEAFLETS_RENDER_ON_PUBLISH = False


@pytest.fixture(autouse=True)
def _no_follow_up_checks(settings):
    """Requests do not look for publish follow-ups (one query now and then), which would
    upset tests counting queries; test_followups.py turns the check on."""
    settings.PUBLISH_FOLLOWUP_CHECK_SECONDS = 24 * 60 * 60


PRODUCTION_STATIC_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    """The static files collected once, as `collectstatic` does on a production server."""
    from django.core.management import call_command
    from django.test import override_settings

    root = tmp_path_factory.mktemp("static")
    with override_settings(
        STATIC_ROOT=root,
        STORAGES=_storages_with_static(PRODUCTION_STATIC_STORAGE),
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


def _storages_with_static(backend: str) -> dict:
    from django.conf import settings

    return {**settings.STORAGES, "staticfiles": {"BACKEND": backend}}


@pytest.fixture(autouse=True)
def _production_static_storage(request, settings):
    """Pages render with production's static storage: hashed names from the manifest.

    A template that names a static file that does not exist then fails its test
    ("Missing staticfiles manifest entry"), as it would answer 500 in
    production. Browser tests keep the development storage: their live server
    serves files by their plain names.
    """
    if request.node.get_closest_marker("browser"):
        return
    settings.STATIC_ROOT = request.getfixturevalue("collected_static")
    settings.STORAGES = _storages_with_static(PRODUCTION_STATIC_STORAGE)


@pytest.fixture(autouse=True)
def _temporary_paths(settings, tmp_path):
    """Point content, search index and media at empty folders under tmp_path.

    The index folder is not created: a test that needs an index builds one.
    """
    settings.CONTENT_DIR = tmp_path / "content"
    settings.SEARCH_INDEX_DIR = tmp_path / "search-index"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CONTENT_DIR.mkdir()
    settings.MEDIA_ROOT.mkdir()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Use Debian's Chromium: Playwright's own browser download is not available here."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture
def medicine(db, settings):
    """The example monograph (tests/content/examplamide.md), loaded and published."""
    from monographs.models import Medicine
    from tests.factories import load_example

    load_example(settings.CONTENT_DIR)
    return Medicine.objects.get(slug="examplamide")


@pytest.fixture
def erin(db):
    """An editor (the Editor group)."""
    from tests.factories import make_user

    return make_user("erin", "Editor")


@pytest.fixture
def rita(db):
    """A reviewer (the Reviewer group)."""
    from tests.factories import make_user

    return make_user("rita", "Reviewer")


@pytest.fixture
def page_closed_before_flush(page):
    """Close the browser page before the test's database flush, and wait for its
    leaving beacon (an editor page's presence DELETE) to be handled.

    Request it after the database fixture, so that it is torn down first: an
    editor page left open keeps sending heartbeats and autosaves to the live
    server while the flush runs ("database table is locked").
    """
    from django.db import OperationalError

    from collaboration.models import Presence

    yield page
    page.context.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if not Presence.objects.exists():
                break
        except OperationalError:
            pass  # the beacon's DELETE holds the table: ask again
        time.sleep(0.05)


@pytest.fixture
def baclofen_site(live_server, transactional_db, settings) -> str:
    """The live server's address, with baclofen published and indexed (its
    leaflets rendered by their first request, as no browser test here opens one)."""
    from monographs import search
    from tests.factories import load_baclofen

    settings.LEAFLETS_RENDER_ON_PUBLISH = False
    load_baclofen()
    search.rebuild()
    return live_server.url
