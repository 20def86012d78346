"""A staff action whose RPC times out still acts, and acts once.

On a loaded machine the server stops waiting for an update before the workflow has run it; the
SDK then raises `WorkflowUpdateRPCTimeoutOrCancelledError` although the update is fine. Here the
case's worker starts only after several RPC timeouts have passed, so the first sends cannot be
answered in time: `workflows.actions.act` must wait on the same update id until the outcome is
known, and the timeline must hold one dispatch.
"""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from intake.service import accept_intake
from models.enums import CaseStatus, Channel
from tests.utils.cases import event_kinds
from tests.utils.factories import make_intake
from workflows.actions import act, update_id_for
from workflows.case import CaseWorkflow
from workflows.types import CaseInput, Dispatch
from workflows.worker import build_worker

CHAOYANG = "110105"
SHORT_RPC = timedelta(milliseconds=300)
WORKER_LATE_SECONDS = 2.0

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_an_update_whose_rpc_times_out_completes_once(
    temporal_dev: WorkflowEnvironment, engine: Engine, settings: Settings
) -> None:
    client = temporal_dev.client
    queue = f"test-{uuid.uuid4().hex}"
    case = accept_intake(engine=engine, intake=make_intake(), settings=settings).case
    await client.start_workflow(
        CaseWorkflow.run,
        CaseInput(number=case.number, channel=Channel(case.channel), urgency=case.urgency),
        id=case.number,
        task_queue=queue,  # no worker polls it yet: every update RPC times out
    )
    update_id = update_id_for(case.number, CaseWorkflow.dispatch, "request-1")
    argument = Dispatch("dispatcher-1", CHAOYANG)

    # The SDK alone gives up: the client is told nothing happened although it may.
    with pytest.raises(WorkflowUpdateRPCTimeoutOrCancelledError):
        await client.get_workflow_handle(case.number).execute_update(
            CaseWorkflow.dispatch, argument, id=update_id, rpc_timeout=SHORT_RPC
        )

    acting = asyncio.create_task(
        act(
            client=client,
            number=case.number,
            update=CaseWorkflow.dispatch,
            argument=argument,
            update_id=update_id,
            rpc_timeout=SHORT_RPC,
        )
    )
    await asyncio.sleep(WORKER_LATE_SECONDS)
    assert not acting.done()  # still waiting on the same update, neither failed nor resent

    local = settings.model_copy(update={"temporal_search_attributes": True})
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with build_worker(client, local, task_queue=queue, executor=executor):
            result = await asyncio.wait_for(acting, timeout=60)
            assert result.status is CaseStatus.dispatched
            # The same request sent again (a browser's resend) gets the first answer.
            again = await act(
                client=client,
                number=case.number,
                update=CaseWorkflow.dispatch,
                argument=argument,
                update_id=update_id,
            )
            assert again.status is CaseStatus.dispatched
            assert event_kinds(engine, case.number).count("dispatched") == 1
            await client.get_workflow_handle(case.number).terminate("test finished")
