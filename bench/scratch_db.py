"""A PostgreSQL database of a bench's own: created empty, dropped at the end unless kept.

Why: the analytics and console benches load hundreds of thousands of rows; they must never
touch a real database, and a failed run must not leave a large one behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from rich.console import Console
from sqlalchemy.engine import make_url


@contextmanager
def scratch_database(server_url: str, *, keep: bool, console: Console) -> Iterator[str]:
    """Yields the URL of a new, empty database on the server of `server_url`."""
    name = f"hotline_bench_{uuid.uuid4().hex[:10]}"
    server = make_url(server_url)
    admin = f"host={server.host} port={server.port or 5432} user={server.username} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        if keep:
            console.print(f"kept {url}")
        else:
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            console.print(f"dropped {name}")
