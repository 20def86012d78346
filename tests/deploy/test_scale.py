"""`hotline up --workers N --api-workers M`: several worker and API processes on one machine,
one Temporal and one database between them, and cases flow through all of them."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from core.settings import Environment, Settings
from models.enums import StaffRole
from tests.faults.stack import dispatch
from tests.utils.factories import make_submission
from tests.utils.processes import start_hotline, stop
from tests.utils.servers import free_port
from tests.utils.staff import staff_headers

CHAOYANG = "110105"


def descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            try:
                cmdline = (Path("/proc") / str(child) / "cmdline").read_bytes()
            except OSError:
                continue
            found.append((child, cmdline.replace(b"\0", b" ").decode(errors="replace")))
            todo.append(child)
    return found


def wait_healthy(url: str, process: object, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "hotline up exited during start-up"  # type: ignore[attr-defined]
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError("hotline up never became healthy")


async def activity_workers(client: Client, numbers: list[str]) -> set[int]:
    """The pids of the workers that ran the cases' activities (identity is pid@host)."""
    pids: set[int] = set()
    for number in numbers:
        async for event in client.get_workflow_handle(number).fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                identity = event.activity_task_started_event_attributes.identity
                pids.add(int(identity.split("@", 1)[0]))
    return pids


async def test_up_runs_n_workers_and_m_api_processes_on_one_temporal_and_database(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    temporal_port, api_port = free_port(), free_port()
    settings = Settings(
        environment=Environment.development,
        database_url=database_url,  # PostgreSQL when the suite runs on it
        var_dir=tmp_path / "var",
        temporal_address=f"127.0.0.1:{temporal_port}",
        temporal_ui_port=free_port(),
        api_port=api_port,
        smart_dispatch=False,
        _env_file=None,  # type: ignore[call-arg]
    )
    up = start_hotline(
        settings, "up", "--workers", "3", "--api-workers", "2", log=tmp_path / "up.log"
    )
    url = f"http://127.0.0.1:{api_port}"
    try:
        wait_healthy(url, up)
        processes = descendants(up.pid)
        workers = {pid for pid, cmd in processes if "cli.main worker" in cmd}
        temporal = [cmd for _, cmd in processes if "start-dev" in cmd]
        api = [pid for pid, cmd in processes if "cli.main api" in cmd]
        assert len(workers) == 3, processes
        assert len(temporal) == 1
        assert len(api) == 1
        api_processes = [cmd for _, cmd in descendants(api[0]) if "multiprocessing" in cmd]
        assert len(api_processes) >= 2, descendants(api[0])  # uvicorn's 2 workers (+ tracker)

        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            answers = await asyncio.gather(
                *(http.post("/api/v1/requests", json=make_submission())
                  for _ in range(30))
            )  # fmt: skip
        assert {a.status_code for a in answers} == {201}
        client = await Client.connect(settings.temporal_address)
        numbers = [a.json()["number"] for a in answers]
        await asyncio.gather(*(dispatch(client, n, CHAOYANG) for n in numbers))
        staff = staff_headers(url, engine, StaffRole.supervisor)
        async with httpx.AsyncClient(base_url=url, timeout=60, headers=staff) as http:
            for number in numbers:
                case = (await http.get(f"/api/v1/cases/{number}")).json()["case"]
                assert case["status"] == "dispatched"
        # 150 activities shared out: every worker process took some, none came from elsewhere
        assert await activity_workers(client, numbers) == workers
    finally:
        code = stop(up, signal.SIGINT, timeout=60)
    assert code == 0, (tmp_path / "up.log").read_text()[-3000:]
