"""Web intake under load: intakes a second, p50/p99, and what durability costs.

Why it exists: `POST /api/v1/requests` records the case in one database transaction and then
starts its Temporal workflow before answering, so a citizen's request survives any crash once
acknowledged. That start is a network round trip to Temporal (and a history write there) on
every intake. This benchmark measures the endpoint over real HTTP with many clients at once,
and the same endpoint with the workflow start left out (a bench-only route mounted on a bench
copy of the app, never on the production app), so the ratio of the two is the price of
durability on the intake path.

It brings up everything and throws it away afterwards: a Temporal dev server (the `temporal`
binary beside the venv's python), a fresh database (a temporary SQLite file, or a throw-away
`hotline_bench_<hex>` database on a PostgreSQL server) migrated and seeded, one `hotline
worker` process (the started workflows run, as they would in production) and the API as its
own uvicorn process. The load comes from this process through httpx's async client.

Run from the project root:

    .venv/bin/python -m bench.intake                       # 20,000 requests, 50 at a time
    .venv/bin/python -m bench.intake --requests 2000       # a quick look
    .venv/bin/python -m bench.intake --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

It prints figures, never a pass/fail verdict on speed; the exit status is non-zero only when a
request got an unexpected answer.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import httpx
import temporalio
from fastapi import APIRouter, FastAPI, Header
from pydantic import BaseModel
from pydantic import Field as PydanticField
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool
from temporalio.testing import WorkflowEnvironment

from api.deps import EngineDep, SettingsDep
from api.main import create_app
from api.routes.cases import receipt, record_request
from bench.lifecycle import dev_server_binary, fresh_database, percentile
from bench.skeleton import load_average
from core.db import make_engine
from intake.schemas import RequestSubmission
from models import Case
from models.api_key import create_api_key
from models.case import RequestReceipt
from models.enums import Channel
from models.migrate import upgrade
from models.seed import seed
from workflows.search_attributes import CASE_CATEGORY, CASE_STATUS, CASE_UNIT

ROOT = Path(__file__).resolve().parents[1]
DURABLE = "/api/v1/requests"
ROW_ONLY = "/bench/v1/requests-row-only"
PLAIN = "/bench/v1/plain-insert"
console = Console()

# ---- the bench app: production app + one route that skips the workflow start ------------

row_only = APIRouter(prefix="/bench/v1", tags=["bench"])


@row_only.post("/requests-row-only", response_model=RequestReceipt, status_code=201)
async def submit_row_only(
    submission: RequestSubmission,
    engine: EngineDep,
    settings: SettingsDep,
    x_api_key: Annotated[str, Header()],
) -> RequestReceipt:
    """`POST /api/v1/requests` minus the workflow start: the baseline of the durability ratio."""
    accepted = await run_in_threadpool(
        lambda: record_request(
            engine=engine, settings=settings, submission=submission, secret=x_api_key
        )
    )
    return receipt(accepted.case)


class PlainRequest(BaseModel):
    """What a textbook endpoint validates: the text, a phone, a key; nothing else."""

    description: str = PydanticField(min_length=1, max_length=4000)
    contact: dict[str, str]
    intake_key: str = PydanticField(max_length=200)


PLAIN_TABLE = "bench_plain_requests"


@row_only.post("/plain-insert", status_code=201)
async def plain_insert(request: PlainRequest, engine: EngineDep) -> dict[str, int]:
    """The floor: validate, one INSERT in its own transaction, answer the row id. No API key,
    citizen, case number, event or workflow: what any FastAPI app over the same database
    pays, so `durable / plain` says how close the real intake is to a plain insert."""

    def insert() -> int:
        with engine.begin() as connection:
            result = connection.execute(
                text(f"INSERT INTO {PLAIN_TABLE} (intake_key, body) VALUES (:key, :body)"),
                {"key": request.intake_key, "body": request.description},
            )
            return int(result.lastrowid or 0)

    return {"id": await run_in_threadpool(insert)}


def create_plain_table(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            serial = "SERIAL" if engine.dialect.name == "postgresql" else "INTEGER"
            connection.execute(
                text(
                    f"CREATE TABLE IF NOT EXISTS {PLAIN_TABLE} (id {serial} PRIMARY KEY, "
                    "intake_key VARCHAR(200) NOT NULL, body TEXT NOT NULL)"
                )
            )
    finally:
        engine.dispose()


def bench_app() -> FastAPI:
    """The production app plus the bench routes (uvicorn factory for this benchmark only)."""
    app = create_app()
    app.include_router(row_only)
    return app


# ---- load -------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    path: str
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    wall_s: float = 0.0
    cpu_s: dict[str, float] = field(default_factory=dict)  # per process, during the phase

    @property
    def ok(self) -> int:
        return self.statuses[201]

    @property
    def rate(self) -> float:
        return self.ok / self.wall_s if self.wall_s else 0.0


def body(run_id: str, phase: str, index: int) -> dict[str, object]:
    return {
        "description": f"小区门口的路灯坏了一个星期，晚上很黑。（压测 {phase} {index}）",
        "contact": {"phone": f"+86139{index:08d}"},
        "intake_key": f"bench-{run_id}-{phase}-{index}",
    }


async def run_phase(
    client: httpx.AsyncClient, phase: Phase, run_id: str, count: int, concurrency: int
) -> Phase:
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> None:
        async with gate:
            began = time.perf_counter()
            try:
                answer = await client.post(phase.path, json=body(run_id, phase.name, index))
            except httpx.HTTPError as exc:
                phase.errors[type(exc).__name__] += 1
                return
            phase.latencies.append(time.perf_counter() - began)
            phase.statuses[answer.status_code] += 1
            if answer.status_code != 201:
                phase.errors[f"{answer.status_code}: {answer.text[:80]}"] += 1

    began = time.perf_counter()
    await asyncio.gather(*(one(index) for index in range(count)))
    phase.wall_s = time.perf_counter() - began
    return phase


# ---- the stack --------------------------------------------------------------------------


def free_port() -> int:
    """A free port below the ephemeral range (the Temporal dev server takes those)."""
    for _ in range(200):
        port = random.randrange(20000, 32000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit("no free port in 20000-31999")


def child_env(url: str, temporal: str, queue: str, tmp: Path, port: int) -> dict[str, str]:
    """The API's and the worker's environment. They run with a bytecode cache (in the run's
    temporary directory), as an installed service does: the workflow sandbox loads the
    workflow module afresh for every new workflow, and with PYTHONDONTWRITEBYTECODE (set on
    some shared machines) it compiled workflows/case.py from source each time, about 40 % of
    the worker's CPU in the durable phase, a cost no deployment pays."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        {
            "PYTHONPYCACHEPREFIX": str(tmp / "pycache"),
            "HOTLINE_DATABASE_URL": url,
            "HOTLINE_TEMPORAL_ADDRESS": temporal,
            "HOTLINE_TEMPORAL_TASK_QUEUE": queue,
            "HOTLINE_VAR_DIR": str(tmp),
            "HOTLINE_SMART_DISPATCH": "false",
            "HOTLINE_API_PORT": str(port),
            "HOTLINE_SECRET_KEY": secrets.token_urlsafe(48),  # the API refuses to run without
        }
    )
    return env


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as handle:
        return subprocess.Popen(  # noqa: S603 (our own argv)
            argv, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def wait_healthy(base: str, api: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        for _ in range(240):
            if api.poll() is not None:
                raise SystemExit(f"the API exited during start-up:\n{log.read_text()[-2000:]}")
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.5)
    raise SystemExit(f"the API never became healthy:\n{log.read_text()[-2000:]}")


def count_cases(url: str) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return int(session.exec(select(func.count()).select_from(Case)).one())
    finally:
        engine.dispose()


# ---- CPU per process --------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, float] | None:
    """The parent pid and CPU seconds (user + system) of a live process, from /proc."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def tree_cpu_s(root: int) -> float:
    """CPU seconds of a process and its live descendants (uvicorn's worker processes)."""
    parents: dict[int, list[int]] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            parents.setdefault(stat[0], []).append(int(entry.name))
            cpu[int(entry.name)] = stat[1]
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0.0)
        todo.extend(parents.get(pid, []))
    return total


def temporal_pid() -> int | None:
    """The dev server this process started (a child whose command is `temporal`)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _stat(int(entry.name))
        try:
            command = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if stat is not None and stat[0] == os.getpid() and command == "temporal":
            return int(entry.name)
    return None


@dataclass
class Processes:
    """The processes whose CPU each phase reports, by what they do."""

    pids: dict[str, int]

    def cpu_s(self) -> dict[str, float]:
        if not Path("/proc/self/stat").exists():
            return {}  # not Linux: no per-process figures
        load = {"load": time.process_time()}  # this process alone, not its children
        return load | {name: tree_cpu_s(pid) for name, pid in self.pids.items()}

    async def settle(self, name: str, *, quiet: float = 0.05, limit_s: float = 120) -> float:
        """Wait until `name` uses under `quiet` of a CPU over a second (the worker done with
        the last phase's workflows), so one phase's backlog does not run in the next one's
        time; the seconds waited."""
        began = time.perf_counter()
        while time.perf_counter() - began < limit_s:
            before = self.cpu_s().get(name)
            await asyncio.sleep(1)
            after = self.cpu_s().get(name)
            if before is None or after is None or after - before < quiet:
                break
        return time.perf_counter() - began


# ---- report -----------------------------------------------------------------------------


def print_report(args: argparse.Namespace, backend: str, phases: list[Phase], rows: int) -> None:
    table = Table(
        title=f"hotline web intake: {args.requests:,} requests per phase, {args.concurrency} "
        f"at a time, {args.api_workers} API process(es), {backend}",
        title_justify="left",
    )
    for column in ("endpoint", "201", "other", "intakes/s", "p50 ms", "p99 ms", "max ms"):
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    for phase in phases:
        lat = phase.latencies or [0.0]
        table.add_row(
            f"{phase.name} ({phase.path})",
            f"{phase.ok:,}",
            f"{sum(phase.errors.values()):,}",
            f"{phase.rate:,.1f}",
            f"{percentile(lat, 50) * 1000:,.1f}",
            f"{percentile(lat, 99) * 1000:,.1f}",
            f"{max(lat) * 1000:,.1f}",
        )
    console.print(table)
    if any(phase.cpu_s for phase in phases):
        cpu = Table(
            title="CPU ms per answered request, by process (the phase, and the worker "
            "catching up after it)",
            title_justify="left",
        )
        cpu.add_column("endpoint")
        names = list(phases[0].cpu_s)
        for name in [*names, "all"]:
            cpu.add_column(name, justify="right")
        for phase in phases:
            per = [1000 * phase.cpu_s.get(name, 0.0) / max(phase.ok, 1) for name in names]
            cpu.add_row(phase.name, *(f"{value:,.1f}" for value in [*per, sum(per)]))
        console.print(cpu)
    plain, durable, row = phases
    if plain.rate and durable.rate:
        console.print(
            f"[bold]durable / plain insert throughput = {durable.rate / plain.rate:.2f}[/] "
            f"(row only / plain = {row.rate / plain.rate:.2f}); load average "
            f"{load_average()}"
        )
    if row.rate and durable.rate:
        console.print(
            f"durability cost: durable/row-only throughput = {durable.rate / row.rate:.2f} "
            f"(row-only is {row.rate / durable.rate:.2f}× faster); p99 durable/row-only = "
            f"{percentile(durable.latencies, 99) / percentile(row.latencies, 99):.2f}"
        )
    console.print(f"case rows afterwards: {rows:,} (warm-up included)")
    for phase in phases:
        for error, n in phase.errors.most_common(5):
            console.print(f"[red]{phase.name}: {n} × {error}[/]")


# ---- main -------------------------------------------------------------------------------


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=positive_int, default=20_000, help="per phase")
    parser.add_argument("--concurrency", type=positive_int, default=50)
    parser.add_argument("--api-workers", type=positive_int, default=1, help="uvicorn processes")
    parser.add_argument("--warmup", type=int, default=200, help="requests per phase, unmeasured")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server to use")
    return parser.parse_args(argv)


async def bench(args: argparse.Namespace) -> int:
    run_id = uuid.uuid4().hex[:8]
    backend = "PostgreSQL" if args.database_url else "SQLite"
    console.print(
        f"[bold]hotline intake benchmark[/] · Python {platform.python_version()} · "
        f"temporalio {temporalio.__version__} · {os.cpu_count()} CPU(s) · {backend}"
    )
    async with AsyncExitStack() as cleanup:
        tmp = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="hotline-bench-")))
        url = cleanup.enter_context(fresh_database(args.database_url, tmp))
        console.print(f"database: {make_url(url).render_as_string(hide_password=True)}")
        with console.status("migrating and seeding…"):
            await asyncio.to_thread(upgrade, url)
            engine = make_engine(url)
            await asyncio.to_thread(seed, engine=engine)
            # The load comes from an integration: its intake keys make retries idempotent.
            key = create_api_key(engine=engine, name=f"bench {run_id}", channel=Channel.web)
            engine.dispose()
            await asyncio.to_thread(create_plain_table, url)
        with console.status("starting Temporal, a worker and the API…"):
            env = await WorkflowEnvironment.start_local(
                dev_server_existing_path=dev_server_binary(),
                search_attributes=[CASE_STATUS, CASE_UNIT, CASE_CATEGORY],
                dev_server_log_level="error",
            )
            cleanup.push_async_callback(env.shutdown)
            port = free_port()
            address = env.client.service_client.config.target_host
            child = child_env(url, address, f"hotline-bench-{run_id}", tmp, port)
            worker = start([sys.executable, "-m", "cli.main", "worker"], child, tmp / "w.log")
            cleanup.callback(stop, worker)
            api_argv = [sys.executable, "-m", "uvicorn", "bench.intake:bench_app", "--factory"]
            api_argv += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
            api_argv += ["--workers", str(args.api_workers)]
            # Longer than any wait in the run: uvicorn's 5 s default closes idle keep-alive
            # connections just as the client reuses them (seen as rare ReadErrors).
            api_argv += ["--timeout-keep-alive", "120"]
            api = start(api_argv, child, tmp / "api.log")
            cleanup.callback(stop, api)
            base = f"http://127.0.0.1:{port}"
            await wait_healthy(base, api, tmp / "api.log")
        console.print(f"API at {base} ({args.api_workers} process(es)), Temporal at {address}")
        limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=None)
        client = await cleanup.enter_async_context(
            httpx.AsyncClient(
                base_url=base, limits=limits, timeout=120, headers={"X-API-Key": key.secret}
            )
        )
        # Row only goes last: its cases are recorded without a workflow, exactly what the
        # worker's sweep exists for, and it starts theirs a minute later; run before the
        # durable phase, those starts would land in it.
        phases = [
            Phase("plain insert", PLAIN),
            Phase("durable", DURABLE),
            Phase("row only", ROW_ONLY),
        ]
        server = temporal_pid()
        processes = Processes(
            {"API": api.pid, "worker": worker.pid}
            | ({"Temporal": server} if server is not None else {})
        )
        for phase in phases:
            if args.warmup:
                warm = Phase(f"warm-{phase.name}", phase.path)
                await run_phase(client, warm, run_id, args.warmup, args.concurrency)
            with console.status("waiting for the worker to finish earlier workflow tasks…"):
                waited = await processes.settle("worker")
            before = processes.cpu_s()
            with console.status(f"{phase.name}: {args.requests:,} requests…"):
                await run_phase(client, phase, run_id, args.requests, args.concurrency)
            with console.status(f"{phase.name}: waiting for the worker to catch up…"):
                behind = await processes.settle("worker")
            after = processes.cpu_s()  # the workflows this phase started included
            phase.cpu_s = {name: after[name] - before[name] for name in after if name in before}
            console.print(
                f"{phase.name}: done in {phase.wall_s:.1f} s (worker settled {waited:.0f} s "
                f"before, caught up {behind:.0f} s after); load average {load_average()}"
            )
        rows = await asyncio.to_thread(count_cases, url)
        print_report(args, backend, phases, rows)
        console.print(
            "[dim]Figures from one shared machine: the API, worker, Temporal, database and "
            "load generator compete for the same CPUs; compare runs, not machines.[/]"
        )
        failed = any(phase.errors for phase in phases)
        with console.status("stopping and cleaning up…"):
            await cleanup.aclose()
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        return asyncio.run(bench(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
