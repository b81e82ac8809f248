"""The environment a benchmark gives the production server it starts."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

# Settings of the shell the benchmark runs in that must not reach the server.
_OWN_SETTINGS = ("DJANGO_", "DATABASE_", "CACHE_", "SEARCH_", "MEDIA_")


def production_env(folder: Path, **settings: str) -> dict[str, str]:
    """Production settings for a site whose files all live in `folder`.

    Debug off, a fresh secret key, 127.0.0.1 as the only host, HTTPS as the
    proxy reports it, SQLite in `folder`, warnings only in the log, and no
    leaflets rendered on publish (hundreds of medicines times four PDFs);
    `settings` add to these or replace them.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith(_OWN_SETTINGS)}
    env.update(
        {
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_PROXY_SSL_HEADER": "true",
            "DJANGO_VAR_DIR": str(folder),  # STATIC_ROOT is <var>/static
            "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
            "MEDIA_ROOT": str(folder / "media"),
            "SEARCH_INDEX_DIR": str(folder / "search-index"),
            "SITE_URL": "https://127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "LEAFLETS_RENDER_ON_PUBLISH": "false",
        }
    )
    env.update(settings)
    return env
