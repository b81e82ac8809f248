"""The search package's backend interface: one API, a backend per engine, no import circle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from monographs import search
from monographs.search.base import SearchBackend
from monographs.search.postgres import PostgresBackend
from monographs.search.whoosh import WhooshBackend

PACKAGE = Path(search.__file__).parent
MONOGRAPHS = PACKAGE.parent


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, relative imports made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(MONOGRAPHS.parent).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize(
    ("name", "backend_class"), [("whoosh", WhooshBackend), ("postgres", PostgresBackend)]
)
def test_the_setting_chooses_the_backend(settings, name, backend_class):
    settings.SEARCH_BACKEND = name

    backend = search.get_backend()

    assert isinstance(backend, backend_class)
    assert backend.name == name


@pytest.mark.parametrize("backend_class", [WhooshBackend, PostgresBackend])
def test_every_backend_answers_every_call_of_the_interface(backend_class):
    required = {
        name
        for name, value in vars(SearchBackend).items()
        if callable(value) and not name.startswith("_") and name != "remove_leftover_files"
    }

    missing = {
        name for name in required if getattr(backend_class, name) is vars(SearchBackend)[name]
    }

    assert required >= {"search", "exact_match", "did_you_mean", "suggest", "rebuild"}
    assert missing == set()


def test_no_backend_imports_the_package_that_chooses_it():
    modules = ("whoosh", "whoosh_writers", "postgres", "base", "query", "spelling", "documents")
    for module in modules:
        imported = _imports(PACKAGE / f"{module}.py")
        chosen = {name for name in imported if name == "monographs.search"}
        assert chosen == set(), module


def test_only_each_backend_imports_its_search_engine():
    importers: dict[str, set[str]] = {"whoosh": set(), "django.contrib.postgres.search": set()}
    # The models and migrations declare the PostgreSQL index's columns (SearchVectorField).
    for path in MONOGRAPHS.rglob("*.py"):
        if path.name == "models.py" or "migrations" in path.parts:
            continue
        for name in _imports(path):
            for engine in importers:
                if name == engine or name.startswith(f"{engine}."):
                    importers[engine].add(path.relative_to(MONOGRAPHS).as_posix())

    # The whoosh backend and its rebuild's writers (whoosh_writers.py).
    assert importers == {
        "whoosh": {"search/whoosh.py", "search/whoosh_writers.py"},
        "django.contrib.postgres.search": {"search/postgres.py"},
    }
