"""The /healthz endpoint: database and search index, JSON, never cached.

Tests taking ``search_backend`` run with each search backend the test database
offers; a missing or broken index, or an index that works while the database
does not, are whoosh's cases (``whoosh_backend``): PostgreSQL's index lives in
the database.
"""

import pytest
from django.db import connections

from monographs.models import Medicine, PublishFollowUp
from monographs.search import index_medicines, index_status, rebuild
from tests.factories import load_example

pytestmark = pytest.mark.django_db


def test_healthy_site_answers_200_ok(client, search_backend):
    rebuild()

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "search_index": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"] == "application/json"


def test_missing_search_index_answers_503_naming_it(client, whoosh_backend):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "ok",
        "search_index": "error",
        "failing": ["search_index"],
    }
    assert response["Cache-Control"] == "no-store"


def test_broken_search_index_answers_503(client, settings, whoosh_backend):
    settings.SEARCH_INDEX_DIR.mkdir()
    (settings.SEARCH_INDEX_DIR / "_MAIN_1.toc").write_bytes(b"not an index")

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["search_index"]


def test_failing_database_answers_503_naming_it(client, monkeypatch, whoosh_backend):
    rebuild()

    def _refuse(*args, **kwargs):
        raise RuntimeError("database is down")

    monkeypatch.setattr(connections["default"], "cursor", _refuse)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["database"]
    assert response.json()["search_index"] == "ok"


def test_index_status_reports_missing_index_without_paths(settings, whoosh_backend):
    status = index_status()

    assert status["ok"] is False
    assert str(settings.SEARCH_INDEX_DIR) not in status["detail"]


def test_index_missing_a_published_medicine_is_stale_and_answers_503(
    client, settings, search_backend
):
    rebuild()
    load_example(settings.CONTENT_DIR)  # its after-commit re-index never runs in a test
    # Nothing pending that would bring the index up to date (a pending publish
    # is "catching up" instead: test_followups.py).
    PublishFollowUp.objects.all().delete()

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["search_index"]
    assert index_status() == {
        "ok": False,
        "detail": "the search index is stale: 1 medicine differs from the database",
    }


def test_index_that_caught_up_answers_200_again(client, settings, search_backend):
    rebuild()
    load_example(settings.CONTENT_DIR)

    index_medicines(Medicine.objects.all())

    assert client.get("/healthz").status_code == 200
    assert index_status()["ok"] is True
