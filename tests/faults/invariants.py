"""What must hold after any fault: no case lost, none duplicated, no deadline forgotten, no
notice sent twice. Every fault test ends by calling `check_after_fault`."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus

from models import Case, CaseEvent, Notification
from models.enums import CaseStatus, Channel
from tests.faults.stack import gather_limited
from workflows.case import CaseWorkflow

DISPATCH_NOTICES = ("unit_new_case", "dispatched")  # to the unit, to the citizen


@dataclass(frozen=True)
class Report:
    cases: int
    resent: int  # notices a crash made the notifier send a second time (see check_sends)


def cases_by_key(engine: Engine, channel: Channel, keys: list[str]) -> dict[str, list[Case]]:
    found: dict[str, list[Case]] = {key: [] for key in keys}
    with Session(engine) as session:
        rows = session.exec(
            select(Case).where(Case.channel == channel, col(Case.intake_key).in_(keys))
        ).all()
    for row in rows:
        assert row.intake_key is not None
        found[row.intake_key].append(row)
    return found


def check_rows(engine: Engine, channel: Channel, keys: list[str]) -> dict[str, Case]:
    """No case lost, none duplicated; one `accepted` event each."""
    found = cases_by_key(engine, channel, keys)
    lost = [key for key, rows in found.items() if not rows]
    doubled = [key for key, rows in found.items() if len(rows) > 1]
    assert lost == [], f"{len(lost)} intakes have no case: {lost[:5]}"
    assert doubled == [], f"{len(doubled)} intakes made two cases: {doubled[:5]}"
    cases = {key: rows[0] for key, rows in found.items()}
    ids = [case.id for case in cases.values()]
    with Session(engine) as session:
        accepted: Counter[int | None] = Counter(
            session.exec(
                select(CaseEvent.case_id).where(
                    col(CaseEvent.case_id).in_(ids), CaseEvent.kind == "accepted"
                )
            ).all()
        )
    assert all(accepted[case_id] == 1 for case_id in ids), "an `accepted` event is missing/doubled"
    return cases


def check_dispatched_rows(engine: Engine, cases: list[Case]) -> None:
    """Each case dispatched once, and told once to the unit and the citizen (outbox rows)."""
    ids = [case.id for case in cases]
    with Session(engine) as session:
        dispatched: Counter[int | None] = Counter(
            session.exec(
                select(CaseEvent.case_id).where(
                    col(CaseEvent.case_id).in_(ids), CaseEvent.kind == "dispatched"
                )
            ).all()
        )
        notices = session.exec(select(Notification).where(col(Notification.case_id).in_(ids))).all()
    assert all(dispatched[case_id] == 1 for case_id in ids), "a dispatch was lost or doubled"
    by_case: Counter[tuple[int | None, str]] = Counter((n.case_id, n.kind) for n in notices)
    for case in cases:
        for kind in DISPATCH_NOTICES:
            assert by_case[(case.id, kind)] == 1, f"{case.number}: {kind} notices"
    unsent = [n.dedupe_key for n in notices if n.status != "sent"]
    assert unsent == [], f"notices never sent: {unsent[:5]}"


async def check_deadline(client: Client, number: str) -> None:
    """The workflow runs, knows its acknowledge deadline, and a timer for it is pending."""
    handle = client.get_workflow_handle_for(CaseWorkflow.run, number)
    description = await handle.describe()
    assert description.status == WorkflowExecutionStatus.RUNNING, f"{number}: {description.status}"
    state = await handle.query(CaseWorkflow.describe)
    assert state.status == CaseStatus.dispatched, f"{number}: {state.status}"
    due = state.deadlines.acknowledge_due_at
    assert due is not None and due > datetime.now(UTC), f"{number}: deadline {due}"
    started: set[int] = set()
    ended: set[int] = set()
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            started.add(event.event_id)
        elif event.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
            ended.add(event.timer_fired_event_attributes.started_event_id)
        elif event.event_type == EventType.EVENT_TYPE_TIMER_CANCELED:
            ended.add(event.timer_canceled_event_attributes.started_event_id)
    assert started - ended, f"{number}: no deadline timer is pending"


def sends_in_logs(logs: list[Path]) -> Counter[tuple[str, str]]:
    """What the worker's notifier actually handed out, per (case number, kind)."""
    pattern = re.compile(r"notify (\d{8}-\d{6}) (\w+) via ")
    sent: Counter[tuple[str, str]] = Counter()
    for log in logs:
        for match in pattern.finditer(log.read_text(errors="replace")):
            sent[(match.group(1), match.group(2))] += 1
    return sent


def check_sends(logs: list[Path], numbers: list[str], *, may_resend: int) -> int:
    """Every dispatch notice went out; count the ones that went out twice.

    The outbox row is written before sending and marked sent after; a worker killed (or a
    database lost) between the send and the mark sends that notice again on the retry. That
    window holds at most the notices in flight at the fault, so `may_resend` bounds it (0 for
    faults that cannot open it, the worker's activity slots for a kill).
    """
    sent = sends_in_logs(logs)
    missing = [(n, k) for n in numbers for k in DISPATCH_NOTICES if sent[(n, k)] == 0]
    assert missing == [], f"notices never handed to the notifier: {missing[:5]}"
    resent = sum(sent[(n, k)] - 1 for n in numbers for k in DISPATCH_NOTICES)
    assert resent <= may_resend, f"{resent} notices sent twice (allowed {may_resend})"
    return resent


async def check_after_fault(
    *,
    engine: Engine,
    client: Client,
    keys: list[str],
    logs: list[Path],
    may_resend: int,
    channel: Channel = Channel.web,
) -> Report:
    cases = check_rows(engine, channel, keys)
    check_dispatched_rows(engine, list(cases.values()))
    numbers = [case.number for case in cases.values()]
    await gather_limited((check_deadline(client, number) for number in numbers), 20)
    resent = check_sends(logs, numbers, may_resend=may_resend)
    return Report(cases=len(cases), resent=resent)
