"""The bare Temporal workflow of a case's shape, driven like the lifecycle benchmark drives cases.

Why: a figure for the lifecycle means little on a shared 2-core machine unless it is set beside
what Temporal alone costs in the same minute. This runs `bench.skeleton_workflows.SkeletonCase`
(start, four updates, the callback child, a survey signal, the result: the same seven client
calls and the same child as a real case, no activities, no database) with the same concurrency,
and reports cases/s, the dispatch update's p50, the whole case's p50 and the CPU this process
spent per case. `python -m bench.lifecycle --compare-skeleton` runs it in the same run on the
same dev server and prints the ratios; alone:

    .venv/bin/python -m bench.skeleton --cases 300 --concurrency 50
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import Progress, TaskID
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from bench.skeleton_workflows import (
    SkeletonAction,
    SkeletonAnswer,
    SkeletonCallback,
    SkeletonCase,
    skeleton_step,
)

POLL_FIRST_S, POLL_MAX_S = 0.01, 0.1  # as bench.lifecycle polls for the survey
console = Console()


@dataclass
class Figures:
    """One run's figures, the same for the skeleton and the real lifecycle."""

    cases: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0  # this process's CPU time (client and worker both live here)
    dispatch_s: list[float] = field(default_factory=list)
    whole_s: list[float] = field(default_factory=list)
    failures: int = 0

    @property
    def rate(self) -> float:
        return self.cases / self.wall_s if self.wall_s else 0.0

    @property
    def cpu_ms_per_case(self) -> float:
        return 1000 * self.cpu_s / self.cases if self.cases else 0.0


def p50(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2] if ordered else float("nan")


async def drive_skeleton(
    client: Client, task_queue: str, number: str, figures: Figures, *, steps: bool = False
) -> None:
    began = time.perf_counter()
    handle = await client.start_workflow(
        SkeletonCase.run, args=[number, steps], id=number, task_queue=task_queue
    )
    mark = time.perf_counter()
    await handle.execute_update(SkeletonCase.dispatch, SkeletonAction("bench-dispatcher", "u"))
    figures.dispatch_s.append(time.perf_counter() - mark)
    for update in (SkeletonCase.acknowledge, SkeletonCase.respond, SkeletonCase.resolve):
        await handle.execute_update(update, SkeletonAction("bench-handler", "u"))
    delay = POLL_FIRST_S
    while not await handle.query(SkeletonCase.sent):
        await asyncio.sleep(delay)
        delay = min(delay * 2, POLL_MAX_S)
    await handle.signal(SkeletonCase.survey_answer, SkeletonAnswer(satisfied=True))
    result = await handle.result()
    if result.status != "closed":
        raise RuntimeError(f"skeleton case {number} ended {result.status}")
    figures.whole_s.append(time.perf_counter() - began)


async def run_skeleton(
    client: Client,
    *,
    cases: int,
    concurrency: int,
    progress: Progress | None = None,
    task: TaskID | None = None,
    steps: bool = False,
) -> Figures:
    """Run `cases` skeleton cases `concurrency` at a time on a worker of their own; with
    `steps`, each transition runs one no-op activity, as a real case does."""
    task_queue = f"skeleton-{uuid.uuid4().hex[:8]}"
    run = uuid.uuid4().hex[:8]
    figures = Figures()
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> None:
        async with gate:
            try:
                await drive_skeleton(
                    client, task_queue, f"skeleton-{run}-{index}", figures, steps=steps
                )
            except Exception:  # counted, not fatal: the figure says how many failed
                figures.failures += 1
            else:
                figures.cases += 1
            if progress is not None and task is not None:
                progress.advance(task)

    with ThreadPoolExecutor(max_workers=16) as executor:
        worker = Worker(
            client,
            task_queue=task_queue,
            workflows=[SkeletonCase, SkeletonCallback],
            activities=[skeleton_step],
            activity_executor=executor,
            max_concurrent_activities=16,
            # As the real worker passes its own modules through: otherwise every new
            # skeleton workflow re-imports this module in the sandbox, and the limit it stands
            # for would be set too low.
            workflow_runner=SandboxedWorkflowRunner(
                restrictions=SandboxRestrictions.default.with_passthrough_modules(
                    "bench.skeleton_workflows"
                )
            ),
        )
        async with worker:
            cpu, wall = time.process_time(), time.perf_counter()
            async with asyncio.TaskGroup() as group:
                for index in range(cases):
                    group.create_task(one(index))
            figures.wall_s = time.perf_counter() - wall
            figures.cpu_s = time.process_time() - cpu
    return figures


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} CPU(s)"


def describe(name: str, figures: Figures) -> str:
    return (
        f"{name}: {figures.cases:,} cases in {figures.wall_s:,.1f} s = {figures.rate:,.2f} "
        f"cases/s; dispatch p50 {p50(figures.dispatch_s) * 1000:,.0f} ms; whole case p50 "
        f"{p50(figures.whole_s):,.2f} s; CPU {figures.cpu_ms_per_case:,.0f} ms/case"
        + (f"; {figures.failures} failed" if figures.failures else "")
    )


async def main_async(args: argparse.Namespace) -> int:
    from bench.lifecycle import dev_server_binary, new_progress

    env = await WorkflowEnvironment.start_local(dev_server_existing_path=dev_server_binary())
    try:
        with new_progress() as progress:
            task = progress.add_task("skeleton cases", total=args.cases, failed=0)
            figures = await run_skeleton(
                env.client,
                cases=args.cases,
                concurrency=args.concurrency,
                progress=progress,
                task=task,
                steps=args.steps,
            )
    finally:
        await env.shutdown()
    console.print(describe("skeleton", figures))
    console.print(f"load average {load_average()}")
    return 1 if figures.failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.skeleton", description=__doc__)
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--steps", action="store_true", help="one no-op activity per transition (9 per case)"
    )
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
