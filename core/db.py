"""The database engine and sessions, with the SQLite settings that make concurrent writes safe.

SQLite is the laptop default: WAL lets readers proceed during a write, and `BEGIN IMMEDIATE`
takes the write lock up front so two intakes never deadlock upgrading a read lock (they queue
on the busy timeout instead). A hot path that only reads opens `read_only(engine)`: a plain
`BEGIN` that reads the WAL snapshot without queueing behind every writer for that lock.
PostgreSQL needs nothing special.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, create_engine

SQLITE_BUSY_TIMEOUT_S = 30
# Execution option of a connection that only reads (see `read_only`).
_READ_ONLY = "hotline_read_only"


def make_engine(url: str) -> Engine:
    """Create an engine; for SQLite also the directory the file lives in."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S}
    )
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        reads_only = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if reads_only else "BEGIN IMMEDIATE")


@lru_cache
def get_engine(url: str) -> Engine:
    """One engine (and pool) per URL per process."""
    return make_engine(url)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose work is one transaction: committed on success, rolled back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_only(engine: Engine) -> Iterator[Connection]:
    """A connection for reads alone. On SQLite its transaction does not take the write lock,
    so a read on every request (an API key check) does not wait for, or hold up, the writers;
    a write on it could fail at once with "database is locked" instead of queueing, so write
    on a connection of its own."""
    with engine.connect() as connection:
        yield connection.execution_options(**{_READ_ONLY: True})


def ping(engine: Engine) -> None:
    """Raise if the database does not answer a trivial query."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
