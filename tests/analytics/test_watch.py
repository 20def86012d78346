"""The spike check on a Temporal schedule: a worker runs it and queues the alerts in the outbox."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.client import Client, ScheduleActionExecutionStartWorkflow
from temporalio.worker import Worker

from analytics.spikes import recorded_alerts
from analytics.watch import SpikeCheck, SpikeCheckResult, SpikeWatchWorkflow, schedule_spike_watch
from analytics.watch_activities import SpikeActivities
from core.settings import Environment, Settings
from models.notification import Notification
from tests.analytics.history import add_case, local

DAY = date(2026, 11, 12)  # a Thursday: ten heating leaks in Xicheng, never seen before
LEAK, XICHENG = "16.05.002", "110102"


@pytest.fixture(scope="module")
def watched(history_engine: Engine) -> Engine:
    for hour in range(10):
        add_case(
            history_engine, at=local(f"2026-11-12 {8 + hour:02d}:00"), category=LEAK,
            district=XICHENG,
        )  # fmt: skip
    return history_engine


def worker(client: Client, engine: Engine, queue: str, executor: ThreadPoolExecutor) -> Worker:
    settings = Settings(
        environment=Environment.test,
        database_url=engine.url.render_as_string(hide_password=False),
        _env_file=None,  # type: ignore[call-arg]
    )
    activities = SpikeActivities(engine=engine, settings=settings)
    return Worker(
        client,
        task_queue=queue,
        workflows=[SpikeWatchWorkflow],
        activities=activities.all(),
        activity_executor=executor,
    )


async def test_the_workflow_alerts_a_spike_once(watched: Engine, temporal_client: Client) -> None:
    queue = f"spikes-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with worker(temporal_client, watched, queue, executor):
            results = [
                await temporal_client.execute_workflow(
                    SpikeWatchWorkflow.run,
                    SpikeCheck(DAY.isoformat()),
                    id=f"spike-watch-{uuid.uuid4().hex[:8]}",
                    task_queue=queue,
                )
                for _ in range(2)
            ]
    assert results[0] == SpikeCheckResult("2026-11-12", 1, [f"{LEAK}@{XICHENG}"])
    assert results[1] == SpikeCheckResult("2026-11-12", 1, [])  # found again, not told again
    with Session(watched) as session:  # queued for the senders of the worker's own queue
        told = session.exec(select(Notification).where(Notification.queue == queue)).all()
    assert [(n.kind, n.address, n.case_id, n.status) for n in told] == [
        ("spike_alert", XICHENG, None, "pending")
    ]
    assert [(a.category_code, a.area_code) for a in recorded_alerts(engine=watched, since=DAY)] == [
        (LEAK, XICHENG)
    ]


async def test_the_schedule_runs_the_check(watched: Engine, temporal_client: Client) -> None:
    queue = f"spikes-{uuid.uuid4().hex[:8]}"
    schedule_id = f"spike-watch-{uuid.uuid4().hex[:8]}"
    await schedule_spike_watch(
        temporal_client, task_queue=queue, every=timedelta(days=1), schedule_id=schedule_id
    )
    await schedule_spike_watch(  # again, with another interval: updated, not duplicated
        temporal_client, task_queue=queue, every=timedelta(hours=1), schedule_id=schedule_id
    )
    handle = temporal_client.get_schedule_handle(schedule_id)
    try:
        described = await handle.describe()
        assert described.schedule.spec.intervals[0].every == timedelta(hours=1)
        with ThreadPoolExecutor(max_workers=4) as executor:
            async with worker(temporal_client, watched, queue, executor):
                await handle.trigger()
                for _ in range(600):  # the run checks today: it finds nothing in this history
                    described = await handle.describe()
                    if described.info.recent_actions:
                        run = described.info.recent_actions[-1].action
                        assert isinstance(run, ScheduleActionExecutionStartWorkflow)
                        result = await temporal_client.get_workflow_handle(
                            run.workflow_id, run_id=run.first_execution_run_id
                        ).result()
                        break
                    await asyncio.sleep(0.05)
                else:
                    raise AssertionError("the schedule never started the check")
        assert result["found"] == 0 and result["alerted"] == []
    finally:
        await handle.delete()
