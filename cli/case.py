"""`hotline case`: read a case and drive its workflow from a terminal, without the console.

Reads come from the database (the record); every action is a Temporal update, so the
workflow's validators decide exactly as they do for the API. The database and Temporal
clients are imported by the command that uses them, so `hotline case ...` starts at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console

if TYPE_CHECKING:
    from auth.roles import StaffAction
    from models.staff import StaffUser
    from workflows.types import ActionResult

app = typer.Typer(help="Show cases and act on them as staff.", no_args_is_help=True)
console = Console()
ACTOR = typer.Option(
    None, "--as", help="The active staff user who acts; their role and unit rules apply."
)
AS_SYSTEM = typer.Option(
    False,
    "--as-system",
    help="Operator's tool: act as 'system:cli' (admin reach), recorded so on the timeline.",
)
UNIT = typer.Option(None, help="The unit acted for (admins only; a handler acts for their own).")
SYSTEM_ACTOR = "system:cli"
T = TypeVar("T")


@app.command()
def show(number: str) -> None:
    """The case's current state."""
    from rich.table import Table
    from sqlmodel import Session

    from core.db import get_engine
    from core.settings import get_settings
    from models.service import case_public, get_case_or_raise

    with Session(get_engine(get_settings().database_url)) as session:
        case = _or_exit(lambda: get_case_or_raise(session=session, number=number))
        public = case_public(session=session, case=case)
    table = Table(show_header=False, title=f"case {number}")
    for key, value in public.model_dump().items():
        table.add_row(key, "" if value is None else str(value))
    console.print(table)


@app.command("timeline")
def show_timeline(number: str) -> None:
    """Every event of the case, oldest first."""
    from rich.table import Table
    from sqlmodel import Session

    from core.db import get_engine
    from core.settings import get_settings
    from models.service import get_case_or_raise, timeline

    with Session(get_engine(get_settings().database_url)) as session:
        case = _or_exit(lambda: get_case_or_raise(session=session, number=number))
        entries = timeline(session=session, case=case)
    table = Table(title=f"timeline of {number}")
    for column in ("time", "event", "by", "from", "to", "details"):
        table.add_column(column)
    for event in entries:
        details = ", ".join(f"{k}={v}" for k, v in event.payload.items())
        table.add_row(
            event.created_at.isoformat(timespec="seconds"),
            event.kind,
            event.actor,
            event.from_status or "",
            event.to_status or "",
            details,
        )
    console.print(table)


@app.command()
def dispatch(
    number: str,
    unit: str = typer.Option(..., help="Lead unit code."),
    assist: list[str] = typer.Option([], help="Assisting unit code (repeatable)."),
    category: str | None = typer.Option(None, help="Category code, if it changes."),
    actor: str | None = ACTOR,
    as_system: bool = AS_SYSTEM,
) -> None:
    """派单: send the case to its lead unit."""
    body = {"unit_code": unit, "assisting_unit_codes": list(assist), "category_code": category}
    _act(number, "dispatch", body, actor, as_system)


@app.command()
def acknowledge(
    number: str, unit: str | None = UNIT, actor: str | None = ACTOR, as_system: bool = AS_SYSTEM
) -> None:
    """签收: the unit accepts the case."""
    _act(number, "acknowledge", {"unit_code": unit}, actor, as_system)


@app.command("return")
def return_case(
    number: str,
    unit: str | None = UNIT,
    reason: str = typer.Option(...),
    actor: str | None = ACTOR,
    as_system: bool = AS_SYSTEM,
) -> None:
    """退单: the unit hands the case back to the dispatch centre, with a reason."""
    _act(number, "return", {"unit_code": unit, "reason": reason}, actor, as_system)


@app.command()
def overrule(
    number: str,
    reason: str = typer.Option(...),
    actor: str | None = ACTOR,
    as_system: bool = AS_SYSTEM,
) -> None:
    """Reject a return: the case goes back to the same unit."""
    _act(number, "overrule", {"reason": reason}, actor, as_system)


@app.command()
def respond(
    number: str,
    unit: str | None = UNIT,
    note: str = "",
    actor: str | None = ACTOR,
    as_system: bool = AS_SYSTEM,
) -> None:
    """响应: the unit has contacted the citizen."""
    _act(number, "respond", {"unit_code": unit, "note": note}, actor, as_system)


@app.command()
def extend(
    number: str,
    unit: str | None = UNIT,
    days: int = typer.Option(..., help="Working days requested."),
    reason: str = typer.Option(...),
    actor: str | None = ACTOR,
    as_system: bool = AS_SYSTEM,
) -> None:
    """延期: ask for more working days."""
    body = {"unit_code": unit, "working_days": days, "reason": reason}
    _act(number, "extend", body, actor, as_system)


@app.command()
def decide_extension(
    number: str,
    approve: bool = typer.Option(..., "--approve/--reject"),
    note: str = "",
    actor: str | None = ACTOR,
    as_system: bool = AS_SYSTEM,
) -> None:
    """Approve or reject the pending extension request."""
    _act(number, "decide_extension", {"approve": approve, "note": note}, actor, as_system)


@app.command()
def resolve(
    number: str,
    unit: str | None = UNIT,
    reply: str = typer.Option(...),
    actor: str | None = ACTOR,
    as_system: bool = AS_SYSTEM,
) -> None:
    """办结: the unit's reply to the citizen."""
    _act(number, "resolve", {"unit_code": unit, "reply": reply}, actor, as_system)


@app.command()
def answer(
    number: str,
    reply: str = typer.Option(...),
    actor: str | None = ACTOR,
    as_system: bool = AS_SYSTEM,
) -> None:
    """直接答复: answer a consultation directly."""
    _act(number, "answer", {"reply": reply}, actor, as_system)


@app.command()
def merge(
    number: str,
    into: str = typer.Option(...),
    actor: str | None = ACTOR,
    as_system: bool = AS_SYSTEM,
) -> None:
    """Close this case as a duplicate of another, open case."""
    _act(number, "merge", {"master_number": into}, actor, as_system)


@app.command()
def supervise(
    number: str,
    note: str = typer.Option(...),
    actor: str | None = ACTOR,
    as_system: bool = AS_SYSTEM,
) -> None:
    """督办: flag the case for supervision, with a note the unit reads."""
    _act(number, "supervise", {"note": note}, actor, as_system)


@app.command()
def urge(
    number: str,
    note: str = typer.Option(...),
    actor: str | None = ACTOR,
    as_system: bool = AS_SYSTEM,
) -> None:
    """催办: urge the unit holding the case (the unit is notified)."""
    _act(number, "urge", {"note": note}, actor, as_system)


@app.command()
def redispatch(
    number: str,
    unit: str = typer.Option(..., help="The unit that takes the case over."),
    reason: str = typer.Option(...),
    actor: str | None = ACTOR,
    as_system: bool = AS_SYSTEM,
) -> None:
    """改派: move a case a unit holds to another unit; its deadlines start again."""
    _act(number, "redispatch", {"unit_code": unit, "reason": reason}, actor, as_system)


@app.command()
def withdraw(
    number: str,
    reason: str = typer.Option(..., help="Why the citizen withdraws, as they said it."),
    actor: str | None = ACTOR,
    as_system: bool = AS_SYSTEM,
) -> None:
    """撤回 on the citizen's behalf (they called or wrote), with their reason."""
    _act(number, "withdraw", {"reason": reason}, actor, as_system)


def _act(
    number: str, action: str, fields: dict[str, Any], actor: str | None, as_system: bool
) -> None:
    """Check who acts, then run the action through the staff API's own path and print the state.

    A refusal of the actor (unknown or inactive user, a role the action is not for, another
    unit's case, both or neither of --as and --as-system, a bad value) exits 2 and sends nothing
    to the workflow; a refusal by the workflow's rules exits 1.
    """
    from pydantic import ValidationError
    from temporalio.service import RPCError

    from auth.roles import NotPermitted, StaffAction
    from core.temporal import TemporalUnavailable
    from workflows.actions import ActionOutcomeUnknown, ActionRefused

    try:
        staff_action = StaffAction(action)
        user = _acting_user(actor, as_system)
        result: ActionResult = asyncio.run(_execute(user, number, staff_action, fields))
    except (StaffIdentityRefused, NotPermitted) as exc:
        console.print(f"[red]refused:[/] {exc}")
        raise typer.Exit(2) from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        console.print(f"[red]refused:[/] {problems}")
        raise typer.Exit(2) from exc
    except ActionRefused as exc:
        console.print(f"[red]refused:[/] {exc}")
        raise typer.Exit(1) from exc
    except ActionOutcomeUnknown as exc:
        console.print(f"[yellow]not answered yet:[/] {exc}")
        raise typer.Exit(2) from exc
    except (TemporalUnavailable, RPCError) as exc:
        console.print(f"[red]cannot reach the case workflow:[/] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"case {result.number} is now {result.status.value} (by {user.username})")


class StaffIdentityRefused(Exception):
    """`--as` names nobody who may act: nothing is sent to the workflow."""


def _acting_user(actor: str | None, as_system: bool) -> StaffUser:
    """The active staff user `--as` names, or the operator's `system:cli` stand-in."""
    from sqlmodel import Session

    from auth.users import get_active_staff_user
    from core.db import get_engine
    from core.settings import get_settings
    from models.enums import StaffRole
    from models.staff import StaffUser

    if as_system and actor:
        raise StaffIdentityRefused("give either --as USER or --as-system, not both")
    if as_system:
        # Never saved: it stands for the operator at the server's terminal, with an admin's
        # reach, so the workflow's rules still decide and the timeline says "system:cli".
        return StaffUser(username=SYSTEM_ACTOR, password_hash="!", role=StaffRole.admin)
    if not actor:
        raise StaffIdentityRefused("say who acts: --as USER (a staff user) or --as-system")
    with Session(get_engine(get_settings().database_url)) as session:
        user = get_active_staff_user(session=session, username=actor.strip().lower())
        if user is None:
            raise StaffIdentityRefused(f"'{actor}' is not an active staff user")
        session.expunge(user)
    return user


async def _execute(
    user: StaffUser, number: str, action: StaffAction, fields: dict[str, Any]
) -> ActionResult:
    """The API's `perform`: the same visibility, role and unit checks, then the update."""
    from api.staff_actions import BODIES, perform
    from core.db import get_engine
    from core.settings import get_settings
    from core.temporal import connect_temporal
    from models.service import CaseNotFound

    settings = get_settings()
    body = BODIES[action].model_validate({k: v for k, v in fields.items() if v is not None})
    engine = get_engine(settings.database_url)
    client = await connect_temporal(settings)
    try:
        return await perform(
            engine=engine, client=client, user=user, number=number, action=action, body=body
        )
    except CaseNotFound as exc:
        # The API says "not found" for another unit's case; the terminal says why.
        raise StaffIdentityRefused(
            f"{user.username} cannot act on case {number}: no such case, or not their unit's"
        ) from exc


def _or_exit(lookup: Callable[[], T]) -> T:
    from models.service import CaseNotFound

    try:
        return lookup()
    except CaseNotFound as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
