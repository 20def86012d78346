"""A long case history continues as new with its whole state, and the case carries on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from models.enums import CaseStatus, Channel, Satisfaction
from tests.utils.cases import event_kinds, wait_for_notification
from tests.utils.servers import free_port
from tests.utils.temporal import dev_server_path
from tests.workflows.conftest import HarnessFactory
from workflows.case import CaseWorkflow
from workflows.search_attributes import CASE_CATEGORY, CASE_STATUS, CASE_UNIT
from workflows.types import CitizenDetails, Dispatch, Resolve, SurveyAnswer, UnitAction

CHAOYANG = "110105"


@pytest_asyncio.fixture(loop_scope="session")
async def eager_dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server that suggests continue-as-new after 60 history events, not thousands."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=dev_server_path(),
        port=free_port(),
        search_attributes=[CASE_STATUS, CASE_UNIT, CASE_CATEGORY],
        dev_server_extra_args=[
            "--dynamic-config-value",
            "limit.historyCount.suggestContinueAsNew=60",
        ],
    )
    yield env
    await env.shutdown()


async def test_long_history_continues_as_new_and_keeps_state(
    eager_dev_server: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(eager_dev_server) as h:
        handle = await h.new_case()
        first_run = (await handle.describe()).run_id
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch("d", CHAOYANG))
        for index in range(15):
            await handle.signal(
                CaseWorkflow.add_details, CitizenDetails(f"补充 {index}", Channel.sms, f"m{index}")
            )
        latest = h.client.get_workflow_handle_for(CaseWorkflow.run, handle.id)
        await latest.execute_update(CaseWorkflow.acknowledge, UnitAction("h", CHAOYANG))
        state = await latest.query(CaseWorkflow.describe)
        assert (await latest.describe()).run_id != first_run
        assert state.status == CaseStatus.acknowledged
        assert state.lead_unit_code == CHAOYANG
        await latest.execute_update(CaseWorkflow.respond, UnitAction("h", CHAOYANG))
        await latest.execute_update(CaseWorkflow.resolve, Resolve("h", CHAOYANG, "已处理"))
        await wait_for_notification(engine, handle.id, "survey")
        await latest.signal(
            CaseWorkflow.survey_answer, SurveyAnswer("a", True, True, Satisfaction.satisfied)
        )
        outcome = await latest.result()
    assert outcome.status == CaseStatus.closed
    kinds = event_kinds(engine, handle.id)
    assert kinds.count("citizen_details") == 15
    assert kinds[-1] == "closed"
