"""A case recorded while Temporal was away gets its workflow from the workers' sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError

from core.settings import Settings
from intake.flows import start_case_workflow
from intake.reconcile import start_stranded_workflows
from intake.service import accept_intake
from tests.utils.factories import make_intake


async def test_the_sweep_starts_missing_workflows_once_and_leaves_running_ones(
    settings: Settings, temporal_client: Client, engine: Engine, worker_process: None
) -> None:
    stranded = accept_intake(engine=engine, intake=make_intake(), settings=settings).case
    running = accept_intake(engine=engine, intake=make_intake(), settings=settings).case
    await start_case_workflow(client=temporal_client, settings=settings, case=running)
    with pytest.raises(RPCError):
        await temporal_client.get_workflow_handle(stranded.number).describe()

    sweep = {"client": temporal_client, "settings": settings, "engine": engine}
    started = (await start_stranded_workflows(**sweep, min_age=timedelta(0))).started  # type: ignore[arg-type]
    assert stranded.number in started
    assert running.number not in started
    described = await temporal_client.get_workflow_handle(stranded.number).describe()
    assert described.status is WorkflowExecutionStatus.RUNNING

    again = (await start_stranded_workflows(**sweep, min_age=timedelta(0))).started  # type: ignore[arg-type]
    assert stranded.number not in again


async def test_young_cases_are_left_to_the_intake_that_is_starting_them(
    settings: Settings, temporal_client: Client, engine: Engine
) -> None:
    case = accept_intake(engine=engine, intake=make_intake(), settings=settings).case
    swept = await start_stranded_workflows(
        client=temporal_client, settings=settings, engine=engine, min_age=timedelta(minutes=5)
    )
    assert case.number not in swept.started


async def test_the_sweep_pages_past_cases_that_have_workflows_and_goes_on_from_its_cursor(
    settings: Settings, temporal_client: Client, engine: Engine, worker_process: None
) -> None:
    # Cases waiting for a dispatcher stay accepted: a sweep that only ever looked at the
    # oldest page would never reach a stranded case behind them.
    sweep = {"client": temporal_client, "settings": settings, "engine": engine}
    before = await start_stranded_workflows(**sweep, min_age=timedelta(0))  # type: ignore[arg-type]
    waiting = [
        accept_intake(engine=engine, intake=make_intake(), settings=settings).case for _ in range(3)
    ]
    for case in waiting:
        await start_case_workflow(client=temporal_client, settings=settings, case=case)
    stranded = accept_intake(engine=engine, intake=make_intake(), settings=settings).case

    first = await start_stranded_workflows(
        **sweep,  # type: ignore[arg-type]
        after=before.cursor,
        min_age=timedelta(0),
        limit=2,
    )
    assert first.started == [stranded.number]
    assert first.cursor is not None and first.cursor.case_id == stranded.id

    late = accept_intake(engine=engine, intake=make_intake(), settings=settings).case
    second = await start_stranded_workflows(**sweep, after=first.cursor, min_age=timedelta(0))  # type: ignore[arg-type]
    assert second.started == [late.number]
