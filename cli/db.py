"""`hotline db`: migrate the database, seed its reference data, and write new migrations."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

app = typer.Typer(help="Database schema and reference data.", no_args_is_help=True)
console = Console()


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from core.settings import get_settings
    from models import migrate

    settings = get_settings()
    migrate.upgrade(settings.database_url, revision)
    console.print(f"database at {redact_url(settings.database_url)} is at {revision}")


@app.command("seed")
def seed() -> None:
    """Insert the shipped units and category catalog where they are missing."""
    from core.db import get_engine
    from core.settings import get_settings
    from models.seed import seed as seed_database

    report = seed_database(engine=get_engine(get_settings().database_url))
    console.print(f"added {report.units_added} units and {report.categories_added} categories")


@app.command("revision")
def revision(
    message: str = typer.Option(..., "-m", "--message", help="What the migration changes."),
    versions: Path | None = typer.Option(
        None,
        file_okay=False,
        help="The migrations directory to read and write (default: models/migrations/versions).",
    ),
) -> None:
    """Autogenerate the next numbered migration from the models' changes (maintainers only).

    The models are compared with a scratch SQLite database upgraded to head, never with
    HOTLINE_DATABASE_URL; read the file before committing it (renames look like drop + add)."""
    import logging

    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("alembic").setLevel(logging.WARNING)  # the scratch upgrade's chatter
    from models import migrate

    try:
        made = migrate.autogenerate_revision(
            message=message, versions_dir=versions or migrate.VERSIONS_DIR
        )
    except migrate.RevisionError as exc:
        console.print(f"[red]no migration written:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    if made.path is None:
        console.print("no changes: the models match the migrations at head; nothing written")
        return
    for change in made.changes:
        console.print(f"  {escape(change)}", highlight=False)
    console.print(f"wrote {made.path} ({len(made.changes)} change(s)); review it before committing")


def redact_url(url: str) -> str:
    """A database URL fit to print: the password replaced by ***."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
