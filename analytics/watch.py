"""未诉先办 on a clock: a Temporal schedule starts `SpikeWatchWorkflow`, which has the worker
check today's spikes and queue an alert for each new one in the notifications outbox.

Every case worker creates (or updates) the schedule when it starts, unless
HOTLINE_SPIKE_WATCH=false (workflows/worker.py); `hotline report watch [--off]` does it by hand.

The workflow only carries the retry policy; the `check_spikes` activity
(analytics/watch_activities.py) does the work. Nothing here has side effects at import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.common import RetryPolicy
from temporalio.service import RPCError, RPCStatusCode

SCHEDULE_ID = "hotline-spike-watch"


@dataclass
class SpikeCheck:
    day: str | None = None  # ISO date; None: today in the city's time zone


@dataclass
class SpikeCheckResult:
    day: str
    found: int
    alerted: list[str] = field(default_factory=list)  # "<category>@<district>" told now


@workflow.defn
class SpikeWatchWorkflow:
    @workflow.run
    async def run(self, request: SpikeCheck) -> SpikeCheckResult:
        result: SpikeCheckResult = await workflow.execute_activity(
            "check_spikes",
            request,
            result_type=SpikeCheckResult,
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1), maximum_attempts=5),
        )
        return result


async def schedule_spike_watch(
    client: Client, *, task_queue: str, every: timedelta, schedule_id: str = SCHEDULE_ID
) -> None:
    """Create the schedule, or change its interval if it exists (safe to run at every start)."""
    action = ScheduleActionStartWorkflow(
        SpikeWatchWorkflow.run, SpikeCheck(), id=f"{schedule_id}-run", task_queue=task_queue
    )
    schedule = Schedule(action=action, spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every)]))
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:

        def _update(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(schedule_id).update(_update)


async def unschedule_spike_watch(client: Client, *, schedule_id: str = SCHEDULE_ID) -> bool:
    """Delete the schedule; False when there was none. Workers create it again at their next
    start unless HOTLINE_SPIKE_WATCH=false."""
    try:
        await client.get_schedule_handle(schedule_id).delete()
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True
