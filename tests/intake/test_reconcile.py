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
    started = await start_stranded_workflows(**sweep, min_age=timedelta(0))  # type: ignore[arg-type]
    assert stranded.number in started
    assert running.number not in started
    described = await temporal_client.get_workflow_handle(stranded.number).describe()
    assert described.status is WorkflowExecutionStatus.RUNNING

    again = await start_stranded_workflows(**sweep, min_age=timedelta(0))  # type: ignore[arg-type]
    assert stranded.number not in again


async def test_young_cases_are_left_to_the_intake_that_is_starting_them(
    settings: Settings, temporal_client: Client, engine: Engine
) -> None:
    case = accept_intake(engine=engine, intake=make_intake(), settings=settings).case
    started = await start_stranded_workflows(
        client=temporal_client, settings=settings, engine=engine, min_age=timedelta(minutes=5)
    )
    assert case.number not in started
