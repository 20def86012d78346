"""Start a case's workflow after intake; safe to call any number of times for one case.

Workflow id = case number with USE_EXISTING, so a duplicate webhook, a client retry or a
re-run after a crash between the database commit and the start never makes a second workflow.
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from core.settings import Settings
from core.temporal import TemporalUnavailable
from models.case import Case
from models.enums import Channel, Urgency
from workflows.case import CaseWorkflow
from workflows.types import CaseInput


async def start_case_workflow(*, client: Client, settings: Settings, case: Case) -> None:
    try:
        await client.start_workflow(
            CaseWorkflow.run,
            CaseInput(
                number=case.number,
                channel=Channel(case.channel),
                urgency=Urgency(case.urgency),
                category_code=case.category_code,
                use_search_attributes=settings.temporal_search_attributes,
                smart_dispatch=settings.smart_dispatch,
                awaiting_transcript=case.awaiting_transcript,
            ),
            id=case.number,
            task_queue=settings.temporal_task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
    except WorkflowAlreadyStartedError:
        pass  # the case's workflow ran and finished: a late duplicate changes nothing
    except RPCError as exc:
        raise TemporalUnavailable(settings.temporal_address, exc.message) from exc
