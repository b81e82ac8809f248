"""Editing together across app servers: two editors on two gunicorn servers, one database.

The servers of tests/test_multi_server.py (production settings, shared
PostgreSQL and Redis): Erin edits baclofen through server A, Ed through server
B. Each sees the other in "Also editing"; saves from the same version merge
(different sections both kept; the same lines shown to resolve, then both
kept), and Erin's autosave made through A is offered back through B.

Needs PostgreSQL and Redis (``postgres`` marker, see conftest.services).
"""

from __future__ import annotations

import html
import re

import psycopg
import pytest

from tests.factories import BACLOFEN
from tests.test_multi_server import (
    PASSWORD,
    _gunicorn,
    _log_in,
    _manage,
    _medicine_id,
    _production_env,
    shared_services,  # noqa: F401 (a fixture)
)

pytestmark = pytest.mark.postgres

HAIR_LOSS = "- Hair loss\n"
STORAGE = "Do not flush unwanted medicine down the toilet."


def _text_of(database_url: str, medicine_id: int, number: int) -> str:
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT source_text FROM monographs_version WHERE medicine_id = %s AND number = %s",
            (medicine_id, number),
        ).fetchone()
    assert row, f"no version {number}"
    return row[0]


def _editor_text(page: str) -> str:
    found = re.search(r"<textarea[^>]*name=\"source_text\"[^>]*>\n?(.*?)</textarea>", page, re.S)
    return html.unescape(found[1])


def test_two_editors_on_two_servers_see_each_other_and_merge(shared_services, tmp_path):  # noqa: F811
    env = _production_env(shared_services, tmp_path / "jobs")
    database_url = shared_services["database_url"]
    # The frozen copy (version 1): the numbers below count from it.
    source = BACLOFEN.read_text(encoding="utf-8")
    assert HAIR_LOSS in source and STORAGE in source
    _manage(env, "migrate", "--noinput")
    _manage(env, "load_content", str(BACLOFEN))
    for name in ("erin", "ed"):
        _manage(
            env,
            "createsuperuser",
            "--noinput",
            f"--username={name}",
            f"--email={name}@example.org",
            DJANGO_SUPERUSER_PASSWORD=PASSWORD,
        )
    medicine_id = _medicine_id(database_url)
    change = f"/admin/monographs/medicine/{medicine_id}/change/"
    presence = f"/admin/collaboration/{medicine_id}/presence/"

    env_a = {**env, "DJANGO_VAR_DIR": str(tmp_path / "a")}
    env_b = {**env, "DJANGO_VAR_DIR": str(tmp_path / "b")}
    with _gunicorn(env_a, "a", tmp_path) as erin, _gunicorn(env_b, "b", tmp_path) as ed:
        _log_in(erin, "erin")
        _log_in(ed, "ed")

        # Presence: each server sees who opened the editor through the other.
        assert "Nobody else has this medicine open." in erin.get(change).text
        assert "Also editing:" in ed.get(change).text and "erin (since" in ed.get(change).text
        answer = erin.post(presence, {})
        assert answer.status == 200 and '"name": "ed"' in answer.text

        # Different sections from version 1: both kept in version 3.
        mine = source.replace(HAIR_LOSS, HAIR_LOSS + "- Itching\n", 1)
        assert erin.post(change, {"source_text": mine, "base_number": "1"}).status == 302
        theirs = source.replace(STORAGE, "Never flush medicine down the toilet.")
        assert ed.post(change, {"source_text": theirs, "base_number": "1"}).status == 302
        merged = _text_of(database_url, medicine_id, 3)
        assert "- Itching\n" in merged and "Never flush medicine down the toilet." in merged

        # The same line from version 3: shown to resolve, then both kept.
        current = _editor_text(erin.get(change).text)
        saved = erin.post(
            change,
            {"source_text": current.replace("- Itching\n", "- Itchy skin\n"), "base_number": "3"},
        )
        assert saved.status == 302
        conflict = ed.post(
            change,
            {"source_text": current.replace("- Itching\n", "- Itching rash\n"), "base_number": "3"},
        )
        assert conflict.status == 200
        assert "Overlap 1 of 1: Side effects" in html.unescape(conflict.text)
        assert "Their text: version 4, by erin" in conflict.text
        resolved = ed.post(
            change,
            {
                "source_text": _editor_text(conflict.text),
                "base_number": "4",
                "overlap-1": "both",
            },
        )
        assert resolved.status == 302
        final = _text_of(database_url, medicine_id, 5)
        assert "- Itching rash\n- Itchy skin\n" in final
        assert "Never flush medicine down the toilet." in final and "<<<<<<<" not in final

        # Erin's autosave through A is hers alone, and offered back through B.
        autosave = f"/admin/collaboration/{medicine_id}/autosave/"
        assert erin.post(autosave, {"source_text": "draft text", "base_number": "5"}).status == 200
        assert "Restore my unsaved text" not in ed.get(change).text
        _log_in(ed, "erin")
        assert "Restore my unsaved text" in ed.get(change).text
