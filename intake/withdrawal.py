"""撤回: one path for every channel and for staff acting on the citizen's behalf.

The workflow ignores a withdrawal it cannot take (the unit has answered, the case is over), so
the status is checked here first: the asker gets a clear answer instead of silence. A citizen
may withdraw only a case they own (`intake.owners`); a stranger learns nothing, not even
whether the number exists, so both are the same `NotYours`.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio.client import Client

from intake.followups import withdraw
from intake.owners import ProvedContact, owned_by
from models.case import Case
from models.enums import CaseStatus, Channel
from models.service import CaseNotFound, get_case
from workflows.types import WITHDRAWABLE

WAIT_POLLS = 200  # 10 s for the workflow to record it


class NotYours(LookupError):
    """No such case, or not the asker's: said the same way so nothing leaks."""


class NotWithdrawable(RuntimeError):
    """The case is past the point of withdrawal (answered, closed, merged, withdrawn)."""

    def __init__(self, number: str, status: CaseStatus) -> None:
        super().__init__(number, status)
        self.number = number
        self.status = status

    def __str__(self) -> str:
        return f"case {self.number} is {self.status.value} and can no longer be withdrawn"


def _load(engine: Engine, number: str, asker: ProvedContact | None) -> Case:
    with Session(engine) as session:
        case = get_case(session=session, number=number)
        if case is None:
            if asker is not None:
                raise NotYours(number)
            raise CaseNotFound(number)
        if asker is not None and not owned_by(session, case, asker):
            raise NotYours(number)
        if CaseStatus(case.status) not in WITHDRAWABLE:
            raise NotWithdrawable(case.number, CaseStatus(case.status))
        return case


def check_owned(engine: Engine, number: str, asker: ProvedContact) -> Case:
    """The case if `asker` may withdraw it now (a confirm step asks before acting)."""
    return _load(engine, number, asker)


async def withdraw_case(
    *,
    client: Client,
    engine: Engine,
    number: str,
    reason: str,
    asker: ProvedContact | None,
    channel: Channel | None = None,
    actor: str = "citizen",
) -> Case:
    """Withdraw `number` for its owner (`asker`) or for staff (`asker` None, `actor` the user).

    Returns the case row once the workflow has recorded the withdrawal.
    """
    case = await asyncio.to_thread(_load, engine, number, asker)
    await withdraw(
        client=client,
        number=case.number,
        reason=reason,
        actor=actor,
        channel=channel.value if channel is not None else "",
    )
    for _ in range(WAIT_POLLS):
        row = await asyncio.to_thread(_row, engine, case.number)
        if row.status == CaseStatus.withdrawn:
            return row
        if CaseStatus(row.status) not in WITHDRAWABLE:
            raise NotWithdrawable(row.number, CaseStatus(row.status))  # resolved meanwhile
        await asyncio.sleep(0.05)
    return await asyncio.to_thread(_row, engine, case.number)


def _row(engine: Engine, number: str) -> Case:
    with Session(engine) as session:
        case = get_case(session=session, number=number)
        assert case is not None
        return case
