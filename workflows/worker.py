"""The case worker: registers the workflows and activities on the task queue and runs them.

Also the composition root: the channels' notifiers are wired into the outbox sender here (the
activities only queue notices), and the sender runs beside the worker unless
`HOTLINE_OUTBOX_SENDER_IN_WORKER=false` (then `hotline sender` runs it on its own). At start a
worker creates (or updates) the spike watch's schedule, unless `HOTLINE_SPIKE_WATCH=false`.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import timedelta
from types import TracebackType

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from analytics.watch import SCHEDULE_ID, SpikeWatchWorkflow, schedule_spike_watch
from analytics.watch_activities import SpikeActivities
from channels.registry import channel_notifiers
from core.db import get_engine
from core.settings import Settings
from core.temporal import connect_temporal, metrics_runtime
from intake.reconcile import sweep_forever
from notices.port import NotifierRegistry
from notices.sender import OutboxSender
from workflows.activities import CaseActivities
from workflows.calendar import CalendarSchedule, load_schedule
from workflows.callback import CallbackWorkflow
from workflows.case import CaseWorkflow

WORKFLOWS = [CaseWorkflow, CallbackWorkflow, SpikeWatchWorkflow]
# The project's packages the workflow modules import: loaded once per process, not again per
# workflow run in the sandbox (measured ~50 ms of CPU per case). Their code at workflow level
# is data types and enums; the replay tests guard determinism.
PASSTHROUGH_MODULES = ("core", "models", "workflows", "analytics", "dispatch", "notices")
log = logging.getLogger("hotline.worker")
# How long a starting worker gives Temporal to create the spike watch's schedule.
SPIKE_WATCH_TIMEOUT_S = 10.0


def load_worker_calendar(settings: Settings) -> CalendarSchedule:
    """The calendar every resolve deadline is planned on (`plan_deadlines`).

    Loaded once per worker, before it polls, and frozen: a deadline already planned is in
    the workflow's history, so replay never asks again. `hotline calendar` loads it here too,
    so what it prints is what the worker computes.
    """
    return load_schedule(settings.holidays_file, timezone=settings.timezone)


async def ensure_spike_watch(
    client: Client,
    settings: Settings,
    *,
    task_queue: str,
    timeout_s: float = SPIKE_WATCH_TIMEOUT_S,
) -> bool:
    """Create or update the spike watch's schedule for this worker's queue; True when done.

    Bounded and never raising: a Temporal that refuses or stalls the schedule must not keep
    the worker from its cases. Every worker does it, so the watch is on wherever one runs."""
    every = timedelta(minutes=settings.spike_watch_every_min)
    try:
        await asyncio.wait_for(
            schedule_spike_watch(client, task_queue=task_queue, every=every), timeout=timeout_s
        )
    except Exception as exc:  # TimeoutError, RPCError, ...: the worker runs on without it
        log.warning(
            "spike watch: could not create the schedule %s (%s: %s); "
            "`hotline report watch` creates it by hand",
            SCHEDULE_ID,
            type(exc).__name__,
            exc,
        )
        return False
    log.info(
        "spike watch: schedule %s checks for spikes every %s min",
        SCHEDULE_ID,
        settings.spike_watch_every_min,
    )
    return True


class CaseWorker:
    """The Temporal worker and, beside it, the outbox sender: `async with` runs both, after
    scheduling the spike watch when `spike_watch` is given."""

    def __init__(
        self,
        worker: Worker,
        sender: OutboxSender | None,
        spike_watch: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self.worker = worker
        self.sender = sender
        self.spike_watch = spike_watch
        self._sending: asyncio.Task[None] | None = None

    async def __aenter__(self) -> CaseWorker:
        await self.worker.__aenter__()
        if self.sender is not None:
            self._sending = asyncio.create_task(self.sender.run(), name="outbox-sender")
        if self.spike_watch is not None:
            await self.spike_watch()  # bounded, never raises
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            await self.worker.__aexit__(exc_type, exc, traceback)
        finally:
            if self._sending is not None:
                self._sending.cancel()
                with suppress(asyncio.CancelledError):
                    await self._sending


def build_sender(
    settings: Settings, notifiers: NotifierRegistry | None = None, queue: str | None = None
) -> OutboxSender:
    engine = get_engine(settings.database_url)
    return OutboxSender(
        engine=engine,
        settings=settings,
        notifiers=notifiers or channel_notifiers(settings, engine),
        queue=queue or settings.temporal_task_queue,
    )


def build_worker(
    client: Client,
    settings: Settings,
    *,
    task_queue: str | None = None,
    notifiers: NotifierRegistry | None = None,
    executor: ThreadPoolExecutor,
) -> CaseWorker:
    engine = get_engine(settings.database_url)
    queue = task_queue or settings.temporal_task_queue
    schedule = load_worker_calendar(settings)
    log.info("working-day calendar: %s", schedule.coverage())
    sender = build_sender(settings, notifiers, queue)
    activities = CaseActivities(
        engine=engine,
        settings=settings,
        calendar=schedule.calendar(),
        notifiers=sender.notifiers,
        queued=sender.wake if settings.outbox_sender_in_worker else lambda: None,
    )
    if settings.smart_dispatch:
        # In a thread of its own, not one of the activity slots (the worker counts every
        # executor thread as a slot): the worker polls at once, and a case that needs the
        # model waits for it behind the same lock.
        threading.Thread(
            target=activities.dispatcher.warm_up, name="dispatch-warm-up", daemon=True
        ).start()
    spikes = SpikeActivities(engine=activities.engine, settings=settings, queued=activities.queued)
    worker = Worker(
        client,
        task_queue=queue,
        workflows=WORKFLOWS,
        activities=activities.all() + spikes.all(),
        activity_executor=executor,
        # One slot per thread: an activity taken from the server waits for no thread.
        max_concurrent_activities=executor._max_workers,
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
        ),
    )

    async def watch() -> bool:
        return await ensure_spike_watch(client, settings, task_queue=queue)

    return CaseWorker(
        worker,
        sender if settings.outbox_sender_in_worker else None,
        watch if settings.spike_watch else None,
    )


async def run_sender(settings: Settings) -> None:
    """`hotline sender`: only the outbox sender, until SIGINT or SIGTERM."""
    sender = build_sender(settings)
    task = asyncio.create_task(sender.run(), name="outbox-sender")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task
    log.info("outbox sender stopped")


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
