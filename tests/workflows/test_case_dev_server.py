"""The case workflow on a real Temporal dev server with `hotline worker` processes."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine
from temporalio.client import Client

from core.settings import Settings
from intake.flows import start_case_workflow
from intake.service import accept_intake
from models.enums import CaseStatus, Satisfaction, StaffRole
from tests.utils.cases import (
    case_row,
    event_kinds,
    notifications,
    wait_for_notification,
    wait_until_sent,
)
from tests.utils.factories import make_intake, make_submission
from tests.utils.processes import ROOT, hotline_env, start_hotline, stop
from tests.utils.staff import make_staff
from workflows.case import CaseWorkflow
from workflows.types import Dispatch, Resolve, SurveyAnswer, UnitAction

CHAOYANG = "110105"
HAPPY_PATH = [
    "accepted",
    "dispatched",
    "acknowledged",
    "responded",
    "resolved",
    "callback_started",
    "survey_answered",
    "closed",
]


def _hotline_case(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "cli.main", "case", *args],
        cwd=ROOT,
        env={**hotline_env(settings), "COLUMNS": "250"},  # rich tables at full width
        capture_output=True,
        text=True,
        timeout=60,
    )


async def _satisfied(client: Client, engine: Engine, number: str) -> None:
    await wait_for_notification(engine, number, "survey")
    handle = client.get_workflow_handle(number)
    answer = SurveyAnswer(f"{number}-answer", True, True, Satisfaction.satisfied)
    await handle.signal(CaseWorkflow.survey_answer, answer)


async def test_full_lifecycle_through_the_api_the_cli_and_a_worker_process(
    api_url: str, settings: Settings, temporal_client: Client, engine: Engine
) -> None:
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as http:
        created = await http.post("/api/v1/requests", json=make_submission())
    assert created.status_code == 201
    number = created.json()["number"]
    dispatcher = make_staff(engine, StaffRole.dispatcher).username
    handler = make_staff(engine, StaffRole.unit_handler, CHAOYANG).username
    steps = [
        ("dispatch", "--unit", CHAOYANG, "--as", dispatcher),
        ("acknowledge", "--unit", CHAOYANG, "--as", handler),
        ("respond", "--as", handler),
        ("resolve", "--reply", "路灯已修复", "--as", handler),
    ]
    for command, *options in steps:
        done = await asyncio.to_thread(_hotline_case, settings, command, number, *options)
        assert done.returncode == 0, done.stdout + done.stderr
    await _satisfied(temporal_client, engine, number)
    outcome = await temporal_client.get_workflow_handle_for(CaseWorkflow.run, number).result()
    assert outcome.status == CaseStatus.closed
    assert event_kinds(engine, number) == HAPPY_PATH
    shown = await asyncio.to_thread(_hotline_case, settings, "timeline", number)
    assert all(kind in shown.stdout for kind in HAPPY_PATH)


def test_cli_reports_a_refused_action_with_the_reason(
    api_url: str, settings: Settings, engine: Engine
) -> None:
    created = httpx.post(f"{api_url}/api/v1/requests", json=make_submission())
    number = created.json()["number"]
    admin = make_staff(engine, StaffRole.admin).username
    done = _hotline_case(settings, "acknowledge", number, "--unit", CHAOYANG, "--as", admin)
    assert done.returncode == 1
    assert "refused" in done.stdout
    assert f"case {number} is accepted; this needs it to be dispatched" in " ".join(
        done.stdout.split()
    )
    assert event_kinds(engine, number) == ["accepted"]


async def test_starting_a_case_workflow_twice_runs_it_once(
    settings: Settings, temporal_client: Client, engine: Engine, worker_process: None
) -> None:
    case = accept_intake(engine=engine, intake=make_intake(), settings=settings).case
    await start_case_workflow(client=temporal_client, settings=settings, case=case)
    first = await temporal_client.get_workflow_handle(case.number).describe()
    await start_case_workflow(client=temporal_client, settings=settings, case=case)
    second = await temporal_client.get_workflow_handle(case.number).describe()
    assert first.run_id == second.run_id
    assert event_kinds(engine, case.number) == ["accepted"]


async def test_search_attributes_follow_the_case(
    settings: Settings, temporal_client: Client, engine: Engine, worker_process: None
) -> None:
    case = accept_intake(engine=engine, intake=make_intake(), settings=settings).case
    await start_case_workflow(client=temporal_client, settings=settings, case=case)
    handle = temporal_client.get_workflow_handle(case.number)
    await handle.execute_update(CaseWorkflow.dispatch, Dispatch("d", CHAOYANG))
    query = (
        f"WorkflowId = '{case.number}' AND CaseStatus = 'dispatched' AND CaseUnit = '{CHAOYANG}'"
    )
    for _ in range(300):  # visibility is eventually consistent
        found = [w.id async for w in temporal_client.list_workflows(query)]
        if found:
            break
        await asyncio.sleep(0.1)
    assert found == [case.number]


async def test_a_worker_killed_mid_case_loses_nothing_and_repeats_no_notification(
    settings: Settings, temporal_client: Client, engine: Engine, var_dir: Path
) -> None:
    # The killed worker's sender may hold notices it had not sent: they wait out its lease.
    queue = f"kill-{uuid.uuid4().hex[:8]}"
    local = settings.model_copy(update={"temporal_task_queue": queue, "outbox_lease_s": 2})
    logs = [var_dir / f"kill-{uuid.uuid4().hex[:6]}-{i}.log" for i in (1, 2)]
    worker = start_hotline(local, "worker", log=logs[0])
    numbers = []
    for _ in range(30):
        case = accept_intake(engine=engine, intake=make_intake(), settings=local).case
        await start_case_workflow(client=temporal_client, settings=local, case=case)
        numbers.append(case.number)
    handles = [temporal_client.get_workflow_handle_for(CaseWorkflow.run, n) for n in numbers]
    await asyncio.gather(
        *(h.execute_update(CaseWorkflow.dispatch, Dispatch("d", CHAOYANG)) for h in handles)
    )
    acknowledging = asyncio.gather(
        *(h.execute_update(CaseWorkflow.acknowledge, UnitAction("h", CHAOYANG)) for h in handles)
    )
    await asyncio.sleep(0.2)
    worker.send_signal(signal.SIGKILL)  # mid-burst: some acknowledged, some in flight
    worker.wait()
    worker = start_hotline(local, "worker", log=logs[1])
    try:
        await acknowledging
        for h in handles:
            await h.execute_update(CaseWorkflow.respond, UnitAction("h", CHAOYANG))
            await h.execute_update(CaseWorkflow.resolve, Resolve("h", CHAOYANG, "已处理"))
        await asyncio.gather(*(_satisfied(temporal_client, engine, n) for n in numbers))
        outcomes = await asyncio.gather(*(h.result() for h in handles))
        await wait_until_sent(engine, numbers)
    finally:
        stop(worker)
    assert {o.status for o in outcomes} == {CaseStatus.closed}
    for number in numbers:
        assert event_kinds(engine, number) == HAPPY_PATH
        assert case_row(engine, number).status == "closed"
        kinds = [n.kind for n in notifications(engine, number)]
        assert kinds == ["unit_new_case", "dispatched", "resolved", "survey"]
    sent_lines = "".join(log.read_text(errors="replace") for log in logs)
    for number in numbers:
        # A worker killed between a send and its "sent" mark sends that notice again after the
        # lease: under the same idempotency key, so a provider that dedupes (Twilio, e-mail's
        # Message-ID) delivers it once. Every notice went out, each under exactly one key.
        sends = re.findall(rf"notify {number} (\w+) via .* key (\S+)", sent_lines)
        keys: dict[str, set[str]] = {}
        for kind, key in sends:
            keys.setdefault(kind, set()).add(key)
        assert sorted(keys) == sorted(["unit_new_case", "dispatched", "resolved", "survey"])
        assert all(len(k) == 1 and "-" not in k for k in keys.values()), keys
