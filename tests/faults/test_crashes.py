"""Crash a part in the middle of live cases and check nothing was lost, doubled or forgotten.

Real processes throughout: `hotline worker` processes, a `temporal server start-dev` on a
database file, the API over HTTP, and for the database outage a private PostgreSQL cluster
(never the shared server). Clients retry the way a provider's webhook and a dispatcher do.
These take minutes, so they run in `make test-slow`.
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client

from api.main import create_app
from core.db import get_engine, make_engine
from core.settings import Environment, Settings
from models import migrate
from models.api_key import create_api_key
from models.enums import Channel
from models.seed import seed
from tests.faults.invariants import check_after_fault
from tests.faults.stack import (
    DevServer,
    cpu_hog,
    dispatch,
    gather_limited,
    private_postgres,
    submit,
)
from tests.utils.factories import make_submission
from tests.utils.processes import start_hotline, stop
from tests.utils.servers import serve

pytestmark = pytest.mark.slow

CHAOYANG = "110105"
ACTIVITY_SLOTS = 16  # per `hotline worker`: the most notices a crash can leave half-sent
CONCURRENCY = 20


@dataclass
class Stack:
    settings: Settings
    server: DevServer
    client: Client
    http: httpx.AsyncClient
    workers: list[Any]
    logs: Path
    key_id: int  # the integration the fault tests post as

    def stored_key(self, body: dict[str, Any]) -> str:
        """The intake_key as the case keeps it: in the integration's namespace."""
        return f"k{self.key_id}:{body['intake_key']}"


@asynccontextmanager
async def stack(
    tmp_path: Path, database_url: str, workers: int, *, busy: bool = False
) -> AsyncIterator[Stack]:
    """The whole service on its own dev server; `busy`: with every core kept busy meanwhile."""
    with ExitStack() as hog:
        if busy:
            hog.enter_context(cpu_hog())
        async with _stack(tmp_path, database_url, workers) as target:
            yield target


@asynccontextmanager
async def _stack(tmp_path: Path, database_url: str, workers: int) -> AsyncIterator[Stack]:
    server = DevServer(tmp_path / "temporal.db", tmp_path / "temporal.log")
    server.start()
    settings = Settings(
        environment=Environment.test,
        database_url=database_url,
        var_dir=tmp_path,
        temporal_address=server.address,
        temporal_task_queue=f"faults-{uuid.uuid4().hex[:8]}",
        temporal_connect_timeout_s=5.0,
        smart_dispatch=False,
        _env_file=None,  # type: ignore[call-arg]
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    running = [
        start_hotline(settings, "worker", log=logs / f"worker-{index}.log")
        for index in range(workers)
    ]
    engine = make_engine(database_url)
    try:
        key = create_api_key(
            engine=engine, name=f"faults {uuid.uuid4().hex[:8]}", channel=Channel.web
        )
    finally:
        engine.dispose()
    try:
        client = await Client.connect(server.address)
        with serve(create_app(settings)) as url:
            headers = {"X-API-Key": key.secret}
            async with httpx.AsyncClient(base_url=url, timeout=60, headers=headers) as http:
                yield Stack(settings, server, client, http, running, logs, key.key.id)
    finally:
        for process in running:
            stop(process)
        server.stop()


def bodies(count: int) -> list[dict[str, Any]]:
    run = uuid.uuid4().hex[:8]
    return [make_submission(intake_key=f"fault-{run}-{index}") for index in range(count)]


async def intake_and_dispatch(target: Stack, body: dict[str, Any]) -> str:
    answer = await submit(target.http, body)
    number: str = answer.json()["number"]
    await dispatch(target.client, number, CHAOYANG)
    return number


async def wait_until(done: Counter[str], at_least: int) -> None:
    while done["n"] < at_least:
        await asyncio.sleep(0.05)


async def test_kill_9_a_worker_in_the_middle_of_500_live_cases_and_restart_it(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    cases = bodies(500)
    done: Counter[str] = Counter()
    async with stack(tmp_path, database_url, workers=2, busy=True) as target:

        async def one(body: dict[str, Any]) -> str:
            number = await intake_and_dispatch(target, body)
            done["n"] += 1
            return number

        flow = asyncio.ensure_future(gather_limited((one(b) for b in cases), CONCURRENCY))
        await wait_until(done, 150)
        victim = target.workers[0]
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        killed_at = done["n"]
        target.workers[0] = start_hotline(
            target.settings, "worker", log=target.logs / "worker-0-restarted.log"
        )
        await flow
        report = await check_after_fault(
            engine=engine,
            client=target.client,
            keys=[target.stored_key(body) for body in cases],
            logs=sorted(target.logs.glob("worker-*.log")),
            may_resend=ACTIVITY_SLOTS,
        )
    assert killed_at < 500, "the kill must land while cases are live"
    assert report.cases == 500
    print(f"killed after {killed_at} cases; notices re-sent by the crash: {report.resent}")  # noqa: T201


async def test_restart_the_temporal_server_on_its_database_file_during_intake_and_dispatch(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    cases = bodies(200)
    done: Counter[str] = Counter()
    async with stack(tmp_path, database_url, workers=1, busy=True) as target:

        async def one(body: dict[str, Any]) -> str:
            number = await intake_and_dispatch(target, body)
            done["n"] += 1
            return number

        flow = asyncio.ensure_future(gather_limited((one(b) for b in cases), CONCURRENCY))
        for restart_after in (50, 120):
            await wait_until(done, restart_after)
            await asyncio.to_thread(target.server.stop)
            await asyncio.sleep(3)  # intake answers 503 meanwhile; clients retry
            await asyncio.to_thread(target.server.start)
        await flow
        report = await check_after_fault(
            engine=engine,
            client=target.client,
            keys=[target.stored_key(body) for body in cases],
            logs=sorted(target.logs.glob("worker-*.log")),
            may_resend=0,  # sending and marking sent need only the database
        )
    assert report.cases == 200


async def test_postgresql_down_for_30_seconds_during_intake(tmp_path: Path) -> None:
    cases = bodies(300)
    done: Counter[str] = Counter()
    outage: Counter[int] = Counter()
    with private_postgres() as cluster:
        migrate.upgrade(cluster.url)
        engine = get_engine(cluster.url)
        seed(engine=engine)
        async with stack(tmp_path, cluster.url, workers=1) as target:

            async def one(body: dict[str, Any]) -> str:
                number = await intake_and_dispatch(target, body)
                done["n"] += 1
                return number

            flow = asyncio.ensure_future(gather_limited((one(b) for b in cases), CONCURRENCY))
            await wait_until(done, 80)
            await asyncio.to_thread(cluster.stop)
            for _ in range(30):  # what a citizen sees meanwhile
                answer = await target.http.post("/api/v1/requests", json=bodies(1)[0])
                outage[answer.status_code] += 1
                await asyncio.sleep(1)
            await asyncio.to_thread(cluster.start)
            await flow
            report = await check_after_fault(
                engine=engine,
                client=target.client,
                keys=[target.stored_key(body) for body in cases],
                logs=sorted(target.logs.glob("worker-*.log")),
                may_resend=ACTIVITY_SLOTS,
            )
        # Dispose of this cluster's pool only: clearing get_engine's cache would drop the
        # session database's engine with its connections still open.
        engine.dispose()
    assert report.cases == 300
    assert set(outage) == {503}, outage
    print(f"notices re-sent because the database vanished mid-send: {report.resent}")  # noqa: T201
