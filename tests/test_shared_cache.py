"""The shared cache of several app servers: leaflets rendered once between all of them.

Each app server renders a missing leaflet under a lock file in its own
MEDIA_ROOT, which another machine cannot see; with a Redis cache they also
take a lock in Redis. These tests hold that lock as "another server" would.
The Redis tests are marked ``postgres`` (they need CI's services, see
conftest.services); the fallback without a shared cache runs everywhere.
"""

import secrets
import threading
import time

import pytest
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from monographs.models import Medicine
from monographs.printing import leaflets
from tests.factories import load_example

REDIS_DB = 15


@pytest.fixture
def render_calls(monkeypatch) -> list[str]:
    calls: list[str] = []

    def counting_render(version, variant, route=""):
        calls.append(leaflets.leaflet_name(version, variant, route))
        return b"%PDF-1.7 rendered here"

    monkeypatch.setattr(leaflets, "render_leaflet", counting_render)
    return calls


@pytest.fixture
def redis_cache(services, settings):
    """Django's Redis cache, on a database of its own and under a prefix of its own."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"{services['redis']}/{REDIS_DB}",
            "KEY_PREFIX": f"test-{secrets.token_hex(4)}",
        }
    }
    yield caches["default"]
    caches["default"].clear()


@pytest.fixture
def version(db, settings):
    load_example(settings.CONTENT_DIR)
    return Medicine.objects.select_related("published_version__medicine").get().published_version


def _store_in_thread(version, results: list) -> threading.Thread:
    thread = threading.Thread(
        target=lambda: results.append(leaflets.store_leaflet(version, leaflets.Variant())),
        daemon=True,
    )
    thread.start()
    return thread


@pytest.mark.postgres
def test_a_leaflet_another_server_is_rendering_is_waited_for_not_rendered_twice(
    redis_cache, version, render_calls
):
    name = leaflets.leaflet_name(version, leaflets.Variant())
    # Another app server is rendering this leaflet: it holds the lock in Redis.
    assert redis_cache.add(leaflets.shared_lock_key(name), "other-server", 60)
    results: list[bool] = []

    thread = _store_in_thread(version, results)
    time.sleep(0.5)
    assert thread.is_alive()  # waiting for the other server, not rendering

    default_storage.save(name, ContentFile(b"%PDF-1.7 from the other server"))
    redis_cache.delete(leaflets.shared_lock_key(name))
    thread.join(timeout=10)

    assert results == [False]  # found the other server's file
    assert render_calls == []
    with default_storage.open(name, "rb") as stored:
        assert stored.read() == b"%PDF-1.7 from the other server"


@pytest.mark.postgres
def test_the_lock_in_redis_is_released_after_rendering(redis_cache, version, render_calls):
    variant = leaflets.Variant(large_print=True)
    name = leaflets.leaflet_name(version, variant)

    assert leaflets.store_leaflet(version, variant) is True

    assert render_calls == [name]
    assert redis_cache.get(leaflets.shared_lock_key(name)) is None


def test_without_a_shared_cache_the_lock_file_alone_decides(settings, version, render_calls):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    name = leaflets.leaflet_name(version, leaflets.Variant())
    # A key in this process's own memory says nothing about other servers.
    caches["default"].add(leaflets.shared_lock_key(name), "stale", 60)
    results: list[bool] = []

    _store_in_thread(version, results).join(timeout=10)

    assert results == [True]
    assert render_calls == [name]
