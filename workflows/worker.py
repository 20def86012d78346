"""The case worker: registers the workflows and activities on the task queue and runs them."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import Worker

from analytics.watch import SpikeWatchWorkflow
from analytics.watch_activities import SpikeActivities
from channels.notifier import NotifierRegistry
from channels.registry import channel_notifiers
from core.db import get_engine
from core.settings import Settings
from core.temporal import connect_temporal, metrics_runtime
from intake.reconcile import sweep_forever
from workflows.activities import CaseActivities
from workflows.calendar import CalendarSchedule, load_schedule
from workflows.callback import CallbackWorkflow
from workflows.case import CaseWorkflow

WORKFLOWS = [CaseWorkflow, CallbackWorkflow, SpikeWatchWorkflow]
log = logging.getLogger("hotline.worker")


def load_worker_calendar(settings: Settings) -> CalendarSchedule:
    """The calendar every resolve deadline is planned on (`plan_deadlines`).

    Loaded once per worker, before it polls, and frozen: a deadline already planned is in
    the workflow's history, so replay never asks again. `hotline calendar` loads it here too,
    so what it prints is what the worker computes.
    """
    return load_schedule(settings.holidays_file, timezone=settings.timezone)


def build_worker(
    client: Client,
    settings: Settings,
    *,
    task_queue: str | None = None,
    notifiers: NotifierRegistry | None = None,
    executor: ThreadPoolExecutor,
) -> Worker:
    engine = get_engine(settings.database_url)
    schedule = load_worker_calendar(settings)
    log.info("working-day calendar: %s", schedule.coverage())
    activities = CaseActivities(
        engine=engine,
        settings=settings,
        calendar=schedule.calendar(),
        notifiers=notifiers or channel_notifiers(settings, engine),
    )
    if settings.smart_dispatch:
        # In a thread of its own, not one of the activity slots (the worker counts every
        # executor thread as a slot): the worker polls at once, and a case that needs the
        # model waits for it behind the same lock.
        threading.Thread(
            target=activities.dispatcher.warm_up, name="dispatch-warm-up", daemon=True
        ).start()
    spikes = SpikeActivities(
        engine=activities.engine, settings=settings, notifiers=activities.notifiers
    )
    return Worker(
        client,
        task_queue=task_queue or settings.temporal_task_queue,
        workflows=WORKFLOWS,
        activities=activities.all() + spikes.all(),
        activity_executor=executor,
    )


async def run_worker(settings: Settings) -> None:
    """Run until cancelled (Ctrl-C or SIGTERM), then finish in-flight tasks and stop.

    With HOTLINE_TEMPORAL_METRICS_ADDRESS set, the SDK's metrics are served there first;
    `TemporalMetricsUnavailable` when the address cannot be bound."""
    runtime = metrics_runtime(settings.temporal_metrics_address)
    if runtime is not None:
        log.info("Temporal metrics on http://%s/metrics", settings.temporal_metrics_address)
    client = await connect_temporal(settings, runtime=runtime)
    with ThreadPoolExecutor(max_workers=16) as executor:
        worker = build_worker(client, settings, executor=executor)
        log.info("case worker on task queue %s", settings.temporal_task_queue)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        sweep = asyncio.create_task(
            sweep_forever(
                client=client, settings=settings, engine=get_engine(settings.database_url)
            )
        )
        async with worker:
            await stop.wait()
        sweep.cancel()
        log.info("case worker stopped")
