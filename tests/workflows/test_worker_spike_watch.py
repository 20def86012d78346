"""未诉先办 is on wherever a worker runs: a starting worker creates (or updates) the schedule
`hotline-spike-watch` for its own task queue, a second start is harmless, and a Temporal that
refuses schedules costs a warning, never the worker. Off by default in the test environment."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client, ScheduleActionStartWorkflow
from temporalio.testing import WorkflowEnvironment

from analytics.watch import SCHEDULE_ID, unschedule_spike_watch
from core.settings import Environment, Settings
from workflows.worker import build_worker


@pytest_asyncio.fixture
async def no_watch(temporal_client: Client) -> AsyncIterator[None]:
    """The dev server is the session's: no schedule before the test, none left after it."""
    await unschedule_spike_watch(temporal_client)
    yield
    await unschedule_spike_watch(temporal_client)


async def test_a_starting_worker_schedules_the_watch_and_a_second_start_updates_it(
    settings: Settings, temporal_client: Client, no_watch: None
) -> None:
    queue = f"watch-{uuid.uuid4().hex[:8]}"
    watching = settings.model_copy(
        update={"spike_watch": True, "spike_watch_every_min": 30, "temporal_task_queue": queue}
    )
    handle = temporal_client.get_schedule_handle(SCHEDULE_ID)
    with ThreadPoolExecutor(max_workers=2) as executor:
        async with build_worker(temporal_client, watching, executor=executor):
            described = await handle.describe()
        assert described.schedule.spec.intervals[0].every == timedelta(minutes=30)
        action = described.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert (action.workflow, action.task_queue) == ("SpikeWatchWorkflow", queue)
        again = watching.model_copy(update={"spike_watch_every_min": 90})
        async with build_worker(temporal_client, again, executor=executor):
            described = await handle.describe()
    assert described.schedule.spec.intervals[0].every == timedelta(minutes=90)
    assert [s.id async for s in await temporal_client.list_schedules() if s.id == SCHEDULE_ID] == [
        SCHEDULE_ID
    ]


async def test_a_worker_with_the_watch_off_creates_no_schedule(
    settings: Settings, temporal_client: Client, no_watch: None
) -> None:
    assert settings.spike_watch is False  # the test environment's default
    with ThreadPoolExecutor(max_workers=2) as executor:
        async with build_worker(temporal_client, settings, executor=executor):
            pass
    assert await unschedule_spike_watch(temporal_client) is False  # there was none


async def test_a_temporal_refusing_schedules_costs_a_warning_not_the_worker(
    time_skipping: WorkflowEnvironment, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        environment=Environment.test,
        database_url=f"sqlite:///{tmp_path / 'hotline.db'}",
        var_dir=tmp_path,
        spike_watch=True,
        _env_file=None,  # type: ignore[call-arg]
    )
    with (
        ThreadPoolExecutor(max_workers=1) as executor,
        caplog.at_level(logging.INFO, logger="hotline.worker"),
    ):
        async with build_worker(time_skipping.client, settings, executor=executor):
            pass  # the time-skipping test server has no schedules: the worker runs anyway
    [warning] = [r for r in caplog.records if "spike watch" in r.getMessage()]
    assert warning.levelno == logging.WARNING
    assert f"could not create the schedule {SCHEDULE_ID}" in warning.getMessage()


def test_the_watch_is_on_by_default_and_off_in_tests_unless_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def settings(**values: object) -> Settings:
        return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]

    monkeypatch.delenv("HOTLINE_SPIKE_WATCH", raising=False)
    assert settings(environment=Environment.development).spike_watch is True
    assert settings(environment=Environment.production, secret_key="x" * 48).spike_watch is True
    assert settings(environment=Environment.test).spike_watch is False
    assert settings(environment=Environment.test, spike_watch=True).spike_watch is True
    monkeypatch.setenv("HOTLINE_SPIKE_WATCH", "true")
    assert settings(environment=Environment.test).spike_watch is True
    assert settings().spike_watch_every_min == 60
