"""Reading back what the workflow wrote (events, notifications, the case row), and driving a
case to `resolved` the way staff do, for tests whose subject comes after that."""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client

from intake.owners import owner_filter
from models import Case, CaseEvent, Notification
from models.enums import CaseStatus, IdentityKind
from models.service import get_case_or_raise
from workflows.case import CaseWorkflow
from workflows.types import Dispatch, Resolve, UnitAction

CHAOYANG = "110105"


def case_row(engine: Engine, number: str) -> Case:
    with Session(engine) as session:
        return get_case_or_raise(session=session, number=number)


def event_kinds(engine: Engine, number: str) -> list[str]:
    return [event.kind for event in events(engine, number)]


def events(engine: Engine, number: str) -> list[CaseEvent]:
    with Session(engine) as session:
        case = get_case_or_raise(session=session, number=number)
        return list(
            session.exec(
                select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(col(CaseEvent.id))
            ).all()
        )


def notifications(engine: Engine, number: str) -> list[Notification]:
    with Session(engine) as session:
        case = get_case_or_raise(session=session, number=number)
        return list(
            session.exec(
                select(Notification)
                .where(Notification.case_id == case.id)
                .order_by(col(Notification.id))
            ).all()
        )


async def wait_for_notification(engine: Engine, number: str, kind: str, count: int = 1) -> None:
    """Wait (in real time, briefly) until the outbox sender has sent `count` notices of
    `kind` (the workflow only queues them)."""

    for _ in range(600):  # up to 30 s on a busy machine
        sent = [n.kind for n in notifications(engine, number) if n.status == "sent"]
        if sent.count(kind) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"case {number} never sent {count} '{kind}' notice(s)")


async def wait_until_sent(engine: Engine, numbers: list[str], timeout_s: float = 60) -> None:
    """Wait (in real time) until the outbox sender has sent every notice of these cases."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        waiting = [
            (number, n.kind)
            for number in numbers
            for n in notifications(engine, number)
            if n.status != "sent"
        ]
        if not waiting:
            return
        if loop.time() > deadline:
            raise AssertionError(f"notices never sent: {waiting[:10]}")
        await asyncio.sleep(0.1)


async def wait_for_status(engine: Engine, number: str, status: CaseStatus) -> None:
    """Wait (in real time, briefly) until the case row reaches `status`."""

    for _ in range(600):
        if case_row(engine, number).status == status:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"case {number} never became {status}: {event_kinds(engine, number)}")


async def resolve_through(
    client: Client, number: str, reply: str = "已处理", *, unit: str = CHAOYANG
) -> None:
    """Dispatch, acknowledge, respond and resolve as a dispatcher and a unit handler would."""
    handle = client.get_workflow_handle(number)
    await handle.execute_update(CaseWorkflow.dispatch, Dispatch("dispatcher-1", unit))
    await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("handler-1", unit))
    await handle.execute_update(CaseWorkflow.respond, UnitAction("handler-1", unit))
    await handle.execute_update(CaseWorkflow.resolve, Resolve("handler-1", unit, reply))


def details_of(engine: Engine, number: str) -> list[str]:
    """The texts the citizen added to the case, in order."""
    return [
        e.payload.get("text", "") for e in events(engine, number) if e.kind == "citizen_details"
    ]


async def wait_for_details(engine: Engine, number: str, count: int) -> list[str]:
    """The case's added texts once there are at least `count` (they arrive by signal)."""
    for _ in range(600):
        if len(found := details_of(engine, number)) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"case {number} has details {details_of(engine, number)}")


def numbers_owned_by(engine: Engine, kind: IdentityKind, value: str) -> list[str]:
    """The case numbers an identity reaches (the same rule as the channels' own lookups)."""
    with Session(engine) as session:
        rows = session.exec(
            select(Case.number).where(owner_filter(kind, value)).order_by(col(Case.id))
        ).all()
    return list(rows)
