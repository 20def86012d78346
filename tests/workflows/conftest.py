"""Per-test in-process workers on a fresh task queue, against either Temporal server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field

import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from intake.service import accept_intake
from models.enums import Channel
from tests.utils.factories import make_intake
from workflows.case import CaseWorkflow
from workflows.types import CaseInput
from workflows.worker import build_worker


@dataclass
class Harness:
    client: Client
    settings: Settings
    engine: Engine
    task_queue: str
    started: list[WorkflowHandle] = field(default_factory=list)

    async def new_case(self, **intake_overrides: object) -> WorkflowHandle:
        """Take a request in as a channel would, and start its workflow on this queue."""
        case = accept_intake(
            engine=self.engine, intake=make_intake(**intake_overrides), settings=self.settings
        ).case
        handle = await self.client.start_workflow(
            CaseWorkflow.run,
            CaseInput(
                number=case.number,
                channel=Channel(case.channel),
                urgency=case.urgency,
                category_code=case.category_code,
                use_search_attributes=self.settings.temporal_search_attributes,
                smart_dispatch=self.settings.smart_dispatch,
                awaiting_transcript=case.awaiting_transcript,
            ),
            id=case.number,
            task_queue=self.task_queue,
        )
        self.started.append(handle)
        return handle

    async def terminate_leftovers(self) -> None:
        """A workflow left waiting with no worker would freeze the time-skipping clock."""
        for handle in self.started:
            description = await handle.describe()
            if description.status != WorkflowExecutionStatus.RUNNING:
                continue
            await handle.terminate("test finished")
            for child in description.raw_description.pending_children:
                child_handle = self.client.get_workflow_handle(child.workflow_id)
                if (await child_handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                    await child_handle.terminate("test finished")


HarnessFactory = Callable[..., AbstractAsyncContextManager[Harness]]


@pytest.fixture
def harness(engine: Engine, settings: Settings) -> HarnessFactory:
    @asynccontextmanager
    async def running(env: WorkflowEnvironment, **overrides: object) -> AsyncIterator[Harness]:
        queue = f"test-{uuid.uuid4().hex}"
        local = settings.model_copy(
            update={"temporal_search_attributes": env.supports_time_skipping is False, **overrides}
        )
        with ThreadPoolExecutor(max_workers=8) as executor:
            async with build_worker(env.client, local, task_queue=queue, executor=executor):
                harness = Harness(env.client, local, engine, queue)
                try:
                    yield harness
                finally:
                    await harness.terminate_leftovers()

    return running
