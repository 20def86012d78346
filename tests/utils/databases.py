"""Fresh, empty databases for tests: a SQLite file, or a throw-away PostgreSQL database.

With HOTLINE_TEST_DATABASE_URL set, each call creates a new database on that server and drops
it afterwards, so the suite never touches data it did not create.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url


def server_url() -> str | None:
    return os.environ.get("HOTLINE_TEST_DATABASE_URL") or None


@contextmanager
def fresh_database(tmp_dir: Path) -> Iterator[str]:
    """Yield the SQLAlchemy URL of a new empty database."""
    base = server_url()
    if base is None:
        yield f"sqlite:///{tmp_dir / f'hotline-{uuid.uuid4().hex[:8]}.db'}"
        return
    url = make_url(base)
    name = f"hotline_test_{uuid.uuid4().hex[:12]}"
    admin = _libpq(url)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _libpq(url: object) -> str:
    parsed = make_url(str(url)) if not hasattr(url, "host") else url
    parts = {
        "host": parsed.host or "127.0.0.1",  # type: ignore[attr-defined]
        "port": parsed.port or 5432,  # type: ignore[attr-defined]
        "user": parsed.username or "postgres",  # type: ignore[attr-defined]
        "dbname": parsed.database or "postgres",  # type: ignore[attr-defined]
    }
    if parsed.password:  # type: ignore[attr-defined]
        parts["password"] = parsed.password  # type: ignore[attr-defined]
    return " ".join(f"{key}={value}" for key, value in parts.items())
