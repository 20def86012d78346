"""`hotline staff`: create staff accounts and manage them, for the console and the staff API."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from core.enums import StaffRole

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

app = typer.Typer(
    help="Staff accounts: add, list, change password, deactivate.", no_args_is_help=True
)
console = Console()
# The audit log's actor for changes made here; no username can contain ":".
CLI_ACTOR = "cli:hotline"
PASSWORD = typer.Option(
    ...,
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    envvar="HOTLINE_STAFF_PASSWORD",
    help="Prompted for when not given (or from HOTLINE_STAFF_PASSWORD, for scripts).",
)


@app.command()
def add(
    username: str,
    role: StaffRole = typer.Option(
        ..., help="operator, dispatcher, unit_handler, supervisor or admin."
    ),
    unit: str | None = typer.Option(None, help="Unit code; required for a unit handler."),
    name: str = typer.Option("", help="Display name."),
    password: str = PASSWORD,
) -> None:
    """Create a staff user (the password is stored as an Argon2id hash)."""
    from core.db import session_scope
    from models.admin_edits import AdminInvalid, add_staff

    try:
        with session_scope(_engine()) as session:
            user = add_staff(
                session=session,
                actor=CLI_ACTOR,
                username=username,
                display_name=name,
                role=role.value,
                unit_code=unit or "",
                password=password,
            )
            unit_part = f", unit {user.unit_code}" if user.unit_code else ""
            summary = f"{user.username} ({user.role}{unit_part})"
    except AdminInvalid as exc:
        console.print(f"[red]not added:[/] {exc}")
        raise typer.Exit(1) from exc
    console.print(f"added staff user {summary}")


@app.command("list")
def list_users() -> None:
    """Every staff user with role, unit and whether they can log in."""
    from rich.table import Table
    from sqlmodel import Session

    from auth.users import list_staff_users

    with Session(_engine()) as session:
        users = list_staff_users(session=session)
    table = Table(title="staff users")
    for column in ("username", "name", "role", "unit", "active"):
        table.add_column(column)
    for user in users:
        table.add_row(
            user.username,
            user.display_name,
            str(user.role),
            user.unit_code or "",
            "yes" if user.active else "no",
        )
    console.print(table)


@app.command()
def passwd(username: str, password: str = PASSWORD) -> None:
    """Set a new password; the user's sessions and tokens stop working at once."""
    from models.admin_edits import reset_staff_password

    _change(
        lambda session: reset_staff_password(
            session=session, actor=CLI_ACTOR, username=username, password=password
        )
    )
    console.print(f"password of {username} changed")


@app.command()
def deactivate(username: str) -> None:
    """Stop a user from logging in; their sessions and tokens stop working at once."""
    from models.admin_edits import set_staff_active

    _change(
        lambda session: set_staff_active(
            session=session, actor=CLI_ACTOR, username=username, active=False
        )
    )
    console.print(f"{username} can no longer log in")


@app.command()
def activate(username: str) -> None:
    """Let a deactivated user log in again."""
    from models.admin_edits import set_staff_active

    _change(
        lambda session: set_staff_active(
            session=session, actor=CLI_ACTOR, username=username, active=True
        )
    )
    console.print(f"{username} can log in again")


def _change(change: Callable[[Session], object]) -> None:
    """One change and its audit row (`models/admin_edits.py`, as the console makes it)."""
    from core.db import session_scope
    from models.admin_edits import AdminInvalid

    try:
        with session_scope(_engine()) as session:
            change(session)
    except AdminInvalid as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc


def _engine() -> Engine:
    from core.db import get_engine
    from core.settings import get_settings

    return get_engine(get_settings().database_url)
