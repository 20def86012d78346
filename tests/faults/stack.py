"""Parts the fault tests break on purpose: a Temporal dev server on a database file, a private
PostgreSQL cluster, worker processes, and clients that retry the way channels and staff do.

Everything here is started by the test and stopped by it; the shared PostgreSQL at :5432 is
never touched (a private cluster is made with initdb in a temporary directory).
"""

from __future__ import annotations

import asyncio
import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.service import RPCError

from cli.supervisor import temporal_binary
from core.settings import Settings
from tests.utils.processes import start_hotline, stop
from tests.utils.servers import free_port
from workflows.actions import ActionOutcomeUnknown, act, update_id_for
from workflows.case import CaseWorkflow
from workflows.search_attributes import SEARCH_ATTRIBUTES
from workflows.types import Dispatch

RETRY_FOR_S = 240.0  # how long a client keeps retrying one call through an outage


def wait_port(port: int, *, up: bool, timeout_s: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            probe.settimeout(0.3)
            if (probe.connect_ex(("127.0.0.1", port)) == 0) == up:
                return
        time.sleep(0.1)
    raise AssertionError(f"port {port} never became {'open' if up else 'closed'}")


# ---- Temporal on a file -----------------------------------------------------------------


@dataclass
class DevServer:
    """`temporal server start-dev` on a database file, so it can be stopped and restarted."""

    db_file: Path
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        argv = [temporal_binary(), "server", "start-dev", "--headless", "--ip", "127.0.0.1"]
        argv += ["--port", str(self.port), "--db-filename", str(self.db_file)]
        argv += ["--http-port", str(free_port()), "--metrics-port", str(free_port())]
        argv += ["--log-level", "warn"]
        for name, kind in SEARCH_ATTRIBUTES.items():
            argv += ["--search-attribute", f"{name}={kind}"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603
                argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_port(self.port, up=True)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None:
            stop(self.process, sig)
            wait_port(self.port, up=False)


# ---- a private PostgreSQL ---------------------------------------------------------------


def _postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path is None:
        raise AssertionError(f"PostgreSQL's {name} is not installed (system-packages.txt)")
    return on_path


@dataclass
class PrivatePostgres:
    """A throw-away cluster on a free port; root runs it as the `postgres` user."""

    root: Path
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *argv: str) -> None:
        user: dict[str, Any] = {}
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            user = {"user": entry.pw_uid, "group": entry.pw_gid}
        subprocess.run(  # noqa: S603
            list(argv), check=True, capture_output=True, start_new_session=True, **user
        )

    def init(self) -> None:
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run(_postgres_bin("initdb"), "-D", str(self.root / "data"), "-U", "postgres",
                  "--auth=trust", "--no-sync")  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(_postgres_bin("pg_ctl"), "-D", str(self.root / "data"), "-l",
                  str(self.root / "log"), "-o", options, "-w", "start")  # fmt: skip

    def stop(self) -> None:
        self._run(_postgres_bin("pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate",
                  "-w", "stop")  # fmt: skip


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    root = Path(tempfile.mkdtemp(prefix="hotline-pg-"))  # not under pytest's 0700 tmp dirs
    cluster = PrivatePostgres(root)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(root, ignore_errors=True)


# ---- workers ----------------------------------------------------------------------------


@contextmanager
def workers(settings: Settings, log_dir: Path, count: int = 1) -> Iterator[list[Any]]:
    """`hotline worker` processes; the list can be changed (killed, replaced) by the test."""
    running = [
        start_hotline(settings, "worker", log=log_dir / f"worker-{index}.log")
        for index in range(count)
    ]
    try:
        yield running
    finally:
        for process in running:
            stop(process)


# ---- a machine that is busy with something else ------------------------------------------


@contextmanager
def cpu_hog() -> Iterator[int]:
    """Keep every core busy with spinning processes of normal priority while the block runs:
    the shared CI machine at its worst, where the server's update wait ran out before the
    workflow had run the update. Yields how many spinners run."""
    count = os.cpu_count() or 2
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield count
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


# ---- clients that retry, as channels and staff do --------------------------------------


async def retry(call: Callable[[], Awaitable[Any]], *, what: str) -> Any:
    """Repeat a call that fails because a part is down, for up to RETRY_FOR_S."""
    deadline = time.monotonic() + RETRY_FOR_S
    delay = 0.2
    while True:
        try:
            return await call()
        except (RPCError, httpx.TransportError, TransientAnswer, ActionOutcomeUnknown) as exc:
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} still failing after {RETRY_FOR_S} s: {exc}") from exc
        await asyncio.sleep(delay)
        delay = min(delay * 2, 3.0)


class TransientAnswer(RuntimeError):
    """A 5xx: the service says try again (Temporal or the database is down)."""


async def submit(client: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    """POST one intake until it is accepted: what a channel's webhook retry does."""

    async def once() -> httpx.Response:
        answer = await client.post("/api/v1/requests", json=body)
        if answer.status_code >= 500:
            raise TransientAnswer(f"{answer.status_code} {answer.text[:200]}")
        assert answer.status_code in (200, 201), answer.text
        return answer

    response: httpx.Response = await retry(once, what=f"intake {body.get('intake_key')}")
    return response


async def dispatch(client: Client, number: str, unit: str) -> None:
    """Dispatch as the console does: one update id for the request, so however many times the
    RPC times out or the server restarts, the case is dispatched once."""
    update_id = update_id_for(number, CaseWorkflow.dispatch, f"fault-{unit}")

    async def once() -> None:
        await act(
            client=client,
            number=number,
            update=CaseWorkflow.dispatch,
            argument=Dispatch("fault-dispatcher", unit),
            update_id=update_id,
        )

    await retry(once, what=f"dispatch {number}")


async def gather_limited(calls: Iterable[Awaitable[Any]], limit: int) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(call: Awaitable[Any]) -> Any:
        async with gate:
            return await call

    return await asyncio.gather(*(one(call) for call in calls))
