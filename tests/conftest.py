"""Shared fixtures: fast passwords, temporary content/index/media paths, and Chromium.

Playwright's sync API runs an event loop in the test thread, which makes
Django's async-safety check refuse database access from browser tests.
"""

import os

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


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_leaflets_on_publish(settings):
    """Rendering four PDFs on every publish costs seconds; leaflet tests turn it back on."""
    settings.LEAFLETS_RENDER_ON_PUBLISH = False


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
