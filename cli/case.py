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
    from workflows.types import ActionResult

app = typer.Typer(help="Show cases and act on them as staff.", no_args_is_help=True)
console = Console()
ACTOR = typer.Option(..., "--as", help="Who acts (staff user name); recorded on the timeline.")
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
    actor: str = ACTOR,
) -> None:
    """派单: send the case to its lead unit."""
    from workflows.types import Dispatch

    _act(number, "dispatch", Dispatch(actor, unit, list(assist), category))


@app.command()
def acknowledge(number: str, unit: str = typer.Option(...), actor: str = ACTOR) -> None:
    """签收: the unit accepts the case."""
    from workflows.types import UnitAction

    _act(number, "acknowledge", UnitAction(actor, unit))


@app.command("return")
def return_case(
    number: str, unit: str = typer.Option(...), reason: str = typer.Option(...), actor: str = ACTOR
) -> None:
    """退单: the unit hands the case back to the dispatch centre, with a reason."""
    from workflows.types import ReturnCase

    _act(number, "return_case", ReturnCase(actor, unit, reason))


@app.command()
def overrule(number: str, reason: str = typer.Option(...), actor: str = ACTOR) -> None:
    """Reject a return: the case goes back to the same unit."""
    from workflows.types import Overrule

    _act(number, "overrule_return", Overrule(actor, reason))


@app.command()
def respond(number: str, unit: str = typer.Option(...), note: str = "", actor: str = ACTOR) -> None:
    """响应: the unit has contacted the citizen."""
    from workflows.types import UnitAction

    _act(number, "respond", UnitAction(actor, unit, note))


@app.command()
def extend(
    number: str,
    unit: str = typer.Option(...),
    days: int = typer.Option(..., help="Working days requested."),
    reason: str = typer.Option(...),
    actor: str = ACTOR,
) -> None:
    """延期: ask for more working days."""
    from workflows.types import ExtensionRequest

    _act(number, "request_extension", ExtensionRequest(actor, unit, days, reason))


@app.command()
def decide_extension(
    number: str,
    approve: bool = typer.Option(..., "--approve/--reject"),
    note: str = "",
    actor: str = ACTOR,
) -> None:
    """Approve or reject the pending extension request."""
    from workflows.types import ExtensionDecision

    _act(number, "decide_extension", ExtensionDecision(actor, approve, note))


@app.command()
def resolve(
    number: str, unit: str = typer.Option(...), reply: str = typer.Option(...), actor: str = ACTOR
) -> None:
    """办结: the unit's reply to the citizen."""
    from workflows.types import Resolve

    _act(number, "resolve", Resolve(actor, unit, reply))


@app.command()
def answer(number: str, reply: str = typer.Option(...), actor: str = ACTOR) -> None:
    """直接答复: answer a consultation directly."""
    from workflows.types import AnswerDirectly

    _act(number, "answer_directly", AnswerDirectly(actor, reply))


@app.command()
def merge(number: str, into: str = typer.Option(...), actor: str = ACTOR) -> None:
    """Close this case as a duplicate of another, open case."""
    from workflows.types import Merge

    _act(number, "merge", Merge(actor, into))


@app.command()
def supervise(number: str, note: str = typer.Option(...), actor: str = ACTOR) -> None:
    """督办: flag the case for supervision, with a note the unit reads."""
    from workflows.types import Supervise

    _act(number, "supervise", Supervise(actor, note))


@app.command()
def urge(number: str, note: str = typer.Option(...), actor: str = ACTOR) -> None:
    """催办: urge the unit holding the case (the unit is notified)."""
    from workflows.types import Urge

    _act(number, "urge", Urge(actor, note))


@app.command()
def redispatch(
    number: str,
    unit: str = typer.Option(..., help="The unit that takes the case over."),
    reason: str = typer.Option(...),
    actor: str = ACTOR,
) -> None:
    """改派: move a case a unit holds to another unit; its deadlines start again."""
    from workflows.types import Redispatch

    _act(number, "redispatch", Redispatch(actor, unit, reason))


def _act(number: str, update: str, argument: Any) -> None:
    """Run the `CaseWorkflow` update named `update` (a method name) and print the new state."""
    from temporalio.service import RPCError

    from core.temporal import TemporalUnavailable
    from workflows.actions import ActionRefused

    try:
        result: ActionResult = asyncio.run(_execute(number, update, argument))
    except ActionRefused as exc:
        console.print(f"[red]refused:[/] {exc}")
        raise typer.Exit(1) from exc
    except (TemporalUnavailable, RPCError) as exc:
        console.print(f"[red]cannot reach the case workflow:[/] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"case {result.number} is now {result.status.value}")


async def _execute(number: str, update: str, argument: Any) -> ActionResult:
    from core.settings import get_settings
    from core.temporal import connect_temporal
    from workflows.actions import act
    from workflows.case import CaseWorkflow

    client = await connect_temporal(get_settings())
    method = getattr(CaseWorkflow, update)
    return await act(client=client, number=number, update=method, argument=argument)


def _or_exit(lookup: Callable[[], T]) -> T:
    from models.service import CaseNotFound

    try:
        return lookup()
    except CaseNotFound as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
