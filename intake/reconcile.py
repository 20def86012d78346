"""Start the workflows of cases that were recorded while Temporal was unreachable.

Intake commits the case first and starts its workflow second. When Temporal is down in
between, web and Open311 callers get 503 and retry, but a phone call or a Telegram
conversation cannot retry: without this sweep such a case would sit in `accepted` with no
deadlines running. Workers run the sweep every `reconcile_interval_s`; starting is
idempotent (workflow id = case number), so several workers sweeping at once is harmless.

Each worker looks at every `accepted` case once, when it is `min_age` old, and remembers
where it stopped (the newest case it found with a workflow or gave one): cases waiting for a
dispatcher stay `accepted` for hours, and asking Temporal about all of them every round would
cost a round trip per waiting case per minute, and, with a page limit, would never reach past
the oldest page. A round that fails keeps its place and is tried again from there. A worker
that starts afresh looks at the whole `max_age` window once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from core.clock import utcnow
from core.settings import Settings
from intake.flows import start_case_workflow
from models.case import Case
from models.enums import CaseStatus

log = logging.getLogger("hotline.reconcile")


@dataclass(frozen=True)
class Cursor:
    """The last case a sweep has dealt with, in (created_at, id) order."""

    created_at: datetime
    case_id: int


@dataclass
class Swept:
    started: list[str] = field(default_factory=list)  # numbers of the cases given a workflow
    cursor: Cursor | None = None  # where the next round carries on


def _candidates(
    engine: Engine,
    *,
    after: Cursor | None,
    min_age: timedelta,
    max_age: timedelta,
    limit: int,
) -> list[Case]:
    now = utcnow()
    query = select(Case).where(
        Case.status == CaseStatus.accepted,
        col(Case.created_at) <= now - min_age,
        col(Case.created_at) >= now - max_age,
    )
    if after is not None:
        query = query.where(
            or_(
                col(Case.created_at) > after.created_at,
                and_(col(Case.created_at) == after.created_at, col(Case.id) > after.case_id),
            )
        )
    with Session(engine, expire_on_commit=False) as session:
        return list(
            session.exec(query.order_by(col(Case.created_at), col(Case.id)).limit(limit)).all()
        )


async def start_stranded_workflows(
    *,
    client: Client,
    settings: Settings,
    engine: Engine,
    after: Cursor | None = None,
    min_age: timedelta = timedelta(seconds=60),
    max_age: timedelta = timedelta(days=2),
    limit: int = 500,
) -> Swept:
    """Start the workflow of every `accepted` case past `after` that has none, a page of
    `limit` cases at a time until none are left; the cursor is the last case dealt with."""
    swept = Swept(cursor=after)
    while True:
        cases = await asyncio.to_thread(
            _candidates,
            engine,
            after=swept.cursor,
            min_age=min_age,
            max_age=max_age,
            limit=limit,
        )
        for case in cases:
            if not await _has_workflow(client, case.number):
                await start_case_workflow(client=client, settings=settings, case=case)
                log.warning("started the workflow of case %s, recorded without one", case.number)
                swept.started.append(case.number)
            assert case.id is not None
            swept.cursor = Cursor(case.created_at, case.id)
        if len(cases) < limit:
            return swept


async def _has_workflow(client: Client, number: str) -> bool:
    try:
        await client.get_workflow_handle(number).describe()
    except RPCError as exc:
        if exc.status is not RPCStatusCode.NOT_FOUND:
            raise
        return False
    return True  # running (or waiting for a dispatcher): nothing to do


async def sweep_forever(*, client: Client, settings: Settings, engine: Engine) -> None:
    """The worker's background sweep; a failed sweep is logged and tried again next time,
    from the last case it dealt with."""
    cursor: Cursor | None = None
    while True:
        await asyncio.sleep(settings.reconcile_interval_s)
        try:
            cursor = (
                await start_stranded_workflows(
                    client=client, settings=settings, engine=engine, after=cursor
                )
            ).cursor
        except Exception:  # noqa: BLE001 - Temporal or the database away: next round
            log.exception("sweep for cases without a workflow failed; retrying next round")
