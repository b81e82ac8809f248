"""Small factories for test data: monograph texts and loaded medicines.

`monograph_text()` gives a valid, small monograph (tests/content/examplamide.md)
with front-matter fields replaced; `load_files()` runs the real loader on files
written to a folder. Tests build what they need from these instead of fixtures
with hidden state.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.contrib.auth.models import Group, User
from django.test import Client

from monographs.loading import LoadReport, load_content

ROOT = Path(__file__).resolve().parent.parent
# Baclofen as the tests know it (version 1): a copy of content/baclofen.md, so that
# an edit of the live page (a new version) does not change what the tests assert.
# tests/test_content.py and tests/test_audit.py check the live content itself.
BACLOFEN = Path(__file__).resolve().parent / "frozen" / "content" / "baclofen.md"
EXAMPLE = Path(__file__).resolve().parent / "content" / "examplamide.md"


def monograph_text(path: Path = EXAMPLE, **fields) -> str:
    """The text of `path` with the given front-matter fields set (YAML flow values)."""
    text = path.read_text(encoding="utf-8")
    for field, value in fields.items():
        pattern = re.compile(rf"^{field}:.*$", re.M)
        line = f"{field}: {value}"
        assert pattern.search(text), f"{field} is not a top-level field of {path.name}"
        text = pattern.sub(lambda _m, line=line: line, text, count=1)
    return text


def write_monograph(folder: Path, slug: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}.md"
    path.write_text(text, encoding="utf-8")
    return path


def load_files(*paths: Path, **options) -> LoadReport:
    """Load with the real loader; fail the test loudly if the files have problems."""
    report = load_content(list(paths), **options)
    assert not report.problems, "\n".join(map(str, report.problems))
    return report


def load_baclofen() -> LoadReport:
    return load_files(BACLOFEN)


def load_example(folder: Path, slug: str = "examplamide", **fields) -> Path:
    """Write the example monograph as `slug` (its slug field set to match) and load it."""
    path = write_monograph(folder, slug, monograph_text(slug=slug, **fields))
    load_files(path)
    return path


def ensure_roles() -> None:
    """Make the Editor and Reviewer groups again, as migrations 0002 made them, if missing.

    A database test with transaction=True flushes every table, and in a run
    that also has plain database tests the flushed migrated rows are not given
    back: the snapshot Django restores them from (`_test_serialized_contents`)
    is missing on the connection those later tests use. `migrate` would make
    them so.
    """
    import importlib

    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.management import create_contenttypes
    from django.contrib.contenttypes.models import ContentType

    roles = importlib.import_module("monographs.migrations.0002_editorial_roles").GROUPS
    if Group.objects.filter(name__in=roles).count() == len(roles):
        return
    ContentType.objects.clear_cache()
    for app_config in apps.get_app_configs():
        create_contenttypes(app_config, verbosity=0)
        create_permissions(app_config, verbosity=0)
    for name, codenames in roles.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="monographs", codename__in=codenames)
        )


def make_user(username: str, *groups: str, is_staff: bool = True) -> User:
    """A user in the given editorial groups (Editor, Reviewer), password pw-<username>."""
    user = User.objects.create_user(username, password=f"pw-{username}", is_staff=is_staff)
    user.groups.add(*Group.objects.filter(name__in=groups))
    return user


def client_for(user: User) -> Client:
    """A test client logged in as `user`."""
    client = Client()
    client.force_login(user)
    return client
