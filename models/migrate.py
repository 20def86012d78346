"""Schema migrations: upgrade any database to head, tell whether one is current, write new ones.

Configured in code rather than an alembic.ini so an installed `hotline` can migrate from any
working directory.
"""

from __future__ import annotations

import importlib.util
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from core.db import make_engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VERSIONS_DIR = MIGRATIONS_DIR / "versions"
REVISION_ID = re.compile(r"^\d{4}$")
# Search structures that only a migration can describe (an FTS5 table and its shadow tables on
# SQLite, an expression index on PostgreSQL): comparisons with the models leave them out.
UNMODELLED = re.compile(r"^(case_search($|_)|ix_cases_search_)")


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's `include_name` hook: everything but the search structures above."""
    return not (name and UNMODELLED.match(name))


class RevisionError(ValueError):
    """A migration cannot be written; the message says why."""


@dataclass(frozen=True)
class NewRevision:
    """What `autogenerate_revision` found: the schema changes, and the file written for them."""

    changes: list[str]
    path: Path | None


def alembic_config(database_url: str, *, versions_dir: Path | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    if versions_dir is not None:
        config.set_main_option("path_separator", "os")  # a path with spaces stays one path
        config.set_main_option("version_locations", str(versions_dir))
    return config


def upgrade(database_url: str, revision: str = "head", *, versions_dir: Path | None = None) -> None:
    command.upgrade(alembic_config(database_url, versions_dir=versions_dir), revision)


def head_revision(*, versions_dir: Path | None = None) -> str:
    config = alembic_config("sqlite://", versions_dir=versions_dir)
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None, "no migrations found"
    return head


def next_revision_id(versions_dir: Path = VERSIONS_DIR) -> str:
    """The repository's naming scheme: revision ids are 4-digit numbers, one above the highest
    (numbers freed by dropped drafts are not reused: the chain, not the number, orders them)."""
    config = alembic_config("sqlite://", versions_dir=versions_dir)
    ids = [script.revision for script in ScriptDirectory.from_config(config).walk_revisions()]
    numbers = [int(rev) for rev in ids if REVISION_ID.match(rev)]
    return f"{max(numbers, default=0) + 1:04d}"


def autogenerate_revision(*, message: str, versions_dir: Path = VERSIONS_DIR) -> NewRevision:
    """Compare the tables the models describe with a scratch SQLite database upgraded to head,
    and write the difference as the next numbered migration in `versions_dir`; nothing is
    written when there is no difference. A scratch database, not the configured one, so the
    migration describes the code's change and not whatever state a deployment drifted into.
    (Importing this module imported the `models` package: every table is on the metadata.)"""
    if not re.search(r"[A-Za-z0-9]", message):
        raise RevisionError("the message must say what changes, in letters or digits")
    if not versions_dir.is_dir():
        raise RevisionError(f"{versions_dir} is not a directory of migrations")
    with tempfile.TemporaryDirectory(prefix="hotline-revision-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'scratch.db'}"
        upgrade(url, versions_dir=versions_dir)
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                context = MigrationContext.configure(
                    connection, opts={"compare_type": True, "include_name": include_name}
                )
                changes = [describe(diff) for diff in compare_metadata(context, SQLModel.metadata)]
        finally:
            engine.dispose()
        if not changes:
            return NewRevision(changes=[], path=None)
        config = alembic_config(url, versions_dir=versions_dir)
        _format_with_ruff(config)
        rev_id = next_revision_id(versions_dir)
        script = command.revision(
            config,
            message=message,
            autogenerate=True,
            rev_id=rev_id,
            version_path=str(versions_dir),
        )
    assert script is not None and not isinstance(script, list)
    return NewRevision(changes=changes, path=Path(script.path))


def describe(diff: Any) -> str:
    """One line for an autogenerate difference: its kind and the names it touches
    (`add_column cases priority`), not the repr of a whole table."""
    if isinstance(diff, list):
        return "; ".join(describe(item) for item in diff)
    kind, *rest = diff
    names = [getattr(item, "name", item) for item in rest]
    return " ".join([kind, *(name for name in names if isinstance(name, str))])


def _format_with_ruff(config: Config) -> None:
    """Where ruff is installed (a development checkout), leave the file as `make lint` wants it."""
    if importlib.util.find_spec("ruff") is None:
        return
    section = "post_write_hooks"
    config.set_section_option(section, "hooks", "ruff_format")
    config.set_section_option(section, "ruff_format.type", "module")
    config.set_section_option(section, "ruff_format.module", "ruff")
    config.set_section_option(section, "ruff_format.options", "format REVISION_SCRIPT_FILENAME")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
