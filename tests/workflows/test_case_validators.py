"""Every staff action the case cannot take is refused before anything is recorded.

An update's validator rejects a bad request before it reaches history, and the few checks that
need the database (does the unit exist, does the master case exist) fail inside the handler
before the first write. Either way the case keeps its events, its row, its notifications and
its workflow state exactly as they were.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from models.enums import CaseStatus, Satisfaction
from tests.utils.cases import case_row, events, notifications, wait_for_notification
from tests.workflows.conftest import HarnessFactory
from workflows.case import CaseWorkflow
from workflows.types import (
    AnswerDirectly,
    Dispatch,
    ExtensionDecision,
    ExtensionRequest,
    Merge,
    Overrule,
    Resolve,
    ReturnCase,
    UnitAction,
)

CHAOYANG, HAIDIAN = "110105", "110108"
UNKNOWN_UNIT = "999999"

Setup = Callable[[WorkflowHandle], Awaitable[None]]


# ---- what "nothing was recorded" means -----------------------------------------------------


@dataclass(frozen=True)
class Trace:
    """Everything a staff action could leave behind, in the database and in the workflow."""

    event_ids: list[int]
    notification_ids: list[int]
    row_status: str
    row_lead_unit: str | None
    row_deadlines: tuple[datetime | None, datetime | None, datetime | None]
    row_reply: str | None
    row_closed_at: datetime | None
    status: CaseStatus
    event_seq: int
    lead_unit: str | None
    pending_extension_days: int | None
    extension_days_granted: int


async def _trace(engine: Engine, handle: WorkflowHandle) -> Trace:
    row = case_row(engine, handle.id)
    state = await handle.query(CaseWorkflow.describe)
    pending = state.pending_extension
    return Trace(
        event_ids=[event.id for event in events(engine, handle.id) if event.id is not None],
        notification_ids=[n.id for n in notifications(engine, handle.id) if n.id is not None],
        row_status=row.status,
        row_lead_unit=row.lead_unit_code,
        row_deadlines=(row.acknowledge_due_at, row.respond_due_at, row.resolve_due_at),
        row_reply=row.reply,
        row_closed_at=row.closed_at,
        status=state.status,
        event_seq=state.event_seq,
        lead_unit=state.lead_unit_code,
        pending_extension_days=pending.working_days if pending else None,
        extension_days_granted=state.extension_days_granted,
    )


async def _refused(handle: WorkflowHandle, update: Any, action: object) -> ApplicationError:
    """Send the update, expect it to fail, and return the reason the workflow gave."""
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await handle.execute_update(update, action)
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


# ---- getting a case into the state under test ----------------------------------------------


async def _accepted(handle: WorkflowHandle) -> None:
    pass


async def _dispatched(handle: WorkflowHandle) -> None:
    await handle.execute_update(CaseWorkflow.dispatch, Dispatch("d", CHAOYANG))


async def _acknowledged(handle: WorkflowHandle) -> None:
    await _dispatched(handle)
    await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("h", CHAOYANG))


async def _returned(handle: WorkflowHandle) -> None:
    await _dispatched(handle)
    await handle.execute_update(CaseWorkflow.return_case, ReturnCase("h", CHAOYANG, "不归我们"))


async def _in_progress(handle: WorkflowHandle) -> None:
    await _acknowledged(handle)
    await handle.execute_update(CaseWorkflow.respond, UnitAction("h", CHAOYANG, "已联系"))


async def _extension_pending(handle: WorkflowHandle) -> None:
    await _in_progress(handle)
    await handle.execute_update(
        CaseWorkflow.request_extension, ExtensionRequest("h", CHAOYANG, 5, "需要协调施工队")
    )


# ---- validator rejections ------------------------------------------------------------------


def _wrong_state(status: str, allowed: str) -> str:
    return f"case {{number}} is {status}; this needs it to be {allowed}"


NOT_THE_LEAD = f"case {{number}} is with unit {CHAOYANG}, not {HAIDIAN}"
MAX_EXTENSION = "an extension must be between 1 and 15 working days (at most 15 per case)"

VALIDATOR_REJECTIONS = [
    pytest.param(
        _acknowledged,
        CaseWorkflow.dispatch,
        Dispatch("d", HAIDIAN),
        _wrong_state("acknowledged", "accepted, returned"),
        id="dispatch-after-acknowledge",
    ),
    pytest.param(
        _accepted,
        CaseWorkflow.dispatch,
        Dispatch("d", ""),
        "name the unit to dispatch to",
        id="dispatch-to-empty-unit",
    ),
    pytest.param(
        _accepted,
        CaseWorkflow.dispatch,
        Dispatch("d", "   "),
        "name the unit to dispatch to",
        id="dispatch-to-blank-unit",
    ),
    pytest.param(
        _accepted,
        CaseWorkflow.dispatch,
        Dispatch("d", CHAOYANG, [HAIDIAN, CHAOYANG]),
        "the lead unit cannot also be an assisting unit",
        id="dispatch-lead-also-assisting",
    ),
    pytest.param(
        _returned,
        CaseWorkflow.dispatch,
        Dispatch("d", HAIDIAN, [HAIDIAN]),
        "the lead unit cannot also be an assisting unit",
        id="redispatch-lead-also-assisting",
    ),
    pytest.param(
        _dispatched,
        CaseWorkflow.acknowledge,
        UnitAction("h", HAIDIAN),
        NOT_THE_LEAD,
        id="acknowledge-by-another-unit",
    ),
    pytest.param(
        _accepted,
        CaseWorkflow.acknowledge,
        UnitAction("h", CHAOYANG),
        _wrong_state("accepted", "dispatched"),
        id="acknowledge-before-dispatch",
    ),
    pytest.param(
        _acknowledged,
        CaseWorkflow.acknowledge,
        UnitAction("h", CHAOYANG),
        _wrong_state("acknowledged", "dispatched"),
        id="acknowledge-twice",
    ),
    pytest.param(
        _dispatched,
        CaseWorkflow.return_case,
        ReturnCase("h", CHAOYANG, ""),
        "a return needs a reason",
        id="return-without-reason",
    ),
    pytest.param(
        _acknowledged,
        CaseWorkflow.return_case,
        ReturnCase("h", CHAOYANG, " \n "),
        "a return needs a reason",
        id="return-with-blank-reason",
    ),
    pytest.param(
        _dispatched,
        CaseWorkflow.return_case,
        ReturnCase("h", HAIDIAN, "不归我们"),
        NOT_THE_LEAD,
        id="return-by-another-unit",
    ),
    pytest.param(
        _in_progress,
        CaseWorkflow.return_case,
        ReturnCase("h", CHAOYANG, "不归我们"),
        _wrong_state("in_progress", "dispatched, acknowledged"),
        id="return-once-in-progress",
    ),
    pytest.param(
        _dispatched,
        CaseWorkflow.overrule_return,
        Overrule("d", "属地管理"),
        _wrong_state("dispatched", "returned"),
        id="overrule-when-not-returned",
    ),
    pytest.param(
        _returned,
        CaseWorkflow.overrule_return,
        Overrule("d", ""),
        "overruling a return needs a reason",
        id="overrule-without-reason",
    ),
    pytest.param(
        _dispatched,
        CaseWorkflow.respond,
        UnitAction("h", CHAOYANG),
        _wrong_state("dispatched", "acknowledged, reopened"),
        id="respond-before-acknowledge",
    ),
    pytest.param(
        _in_progress,
        CaseWorkflow.respond,
        UnitAction("h", CHAOYANG),
        _wrong_state("in_progress", "acknowledged, reopened"),
        id="respond-twice",
    ),
    pytest.param(
        _acknowledged,
        CaseWorkflow.respond,
        UnitAction("h", HAIDIAN),
        NOT_THE_LEAD,
        id="respond-by-another-unit",
    ),
    pytest.param(
        _acknowledged,
        CaseWorkflow.request_extension,
        ExtensionRequest("h", CHAOYANG, 16, "工程量大"),
        MAX_EXTENSION,
        id="extension-beyond-the-maximum",
    ),
    pytest.param(
        _acknowledged,
        CaseWorkflow.request_extension,
        ExtensionRequest("h", CHAOYANG, 0, "工程量大"),
        MAX_EXTENSION,
        id="extension-of-zero-days",
    ),
    pytest.param(
        _in_progress,
        CaseWorkflow.request_extension,
        ExtensionRequest("h", CHAOYANG, -3, "工程量大"),
        MAX_EXTENSION,
        id="extension-of-negative-days",
    ),
    pytest.param(
        _extension_pending,
        CaseWorkflow.request_extension,
        ExtensionRequest("h", CHAOYANG, 2, "还要两天"),
        "an extension request is already waiting for a decision",
        id="second-extension-while-one-is-pending",
    ),
    pytest.param(
        _in_progress,
        CaseWorkflow.request_extension,
        ExtensionRequest("h", CHAOYANG, 5, ""),
        "an extension request needs a reason",
        id="extension-without-reason",
    ),
    pytest.param(
        _in_progress,
        CaseWorkflow.request_extension,
        ExtensionRequest("h", HAIDIAN, 5, "工程量大"),
        NOT_THE_LEAD,
        id="extension-by-another-unit",
    ),
    pytest.param(
        _dispatched,
        CaseWorkflow.request_extension,
        ExtensionRequest("h", CHAOYANG, 5, "工程量大"),
        _wrong_state("dispatched", "acknowledged, in_progress, reopened"),
        id="extension-before-acknowledge",
    ),
    pytest.param(
        _in_progress,
        CaseWorkflow.decide_extension,
        ExtensionDecision("s", True),
        "there is no extension request to decide",
        id="approve-with-nothing-pending",
    ),
    pytest.param(
        _accepted,
        CaseWorkflow.decide_extension,
        ExtensionDecision("s", False, "不予延期"),
        "there is no extension request to decide",
        id="reject-with-nothing-pending",
    ),
    pytest.param(
        _in_progress,
        CaseWorkflow.resolve,
        Resolve("h", CHAOYANG, ""),
        "a resolution needs a reply text for the citizen",
        id="resolve-with-empty-reply",
    ),
    pytest.param(
        _in_progress,
        CaseWorkflow.resolve,
        Resolve("h", CHAOYANG, " \t\n "),
        "a resolution needs a reply text for the citizen",
        id="resolve-with-whitespace-reply",
    ),
    pytest.param(
        _in_progress,
        CaseWorkflow.resolve,
        Resolve("h", HAIDIAN, "已处理"),
        NOT_THE_LEAD,
        id="resolve-by-another-unit",
    ),
    pytest.param(
        _acknowledged,
        CaseWorkflow.resolve,
        Resolve("h", CHAOYANG, "已处理"),
        _wrong_state("acknowledged", "in_progress, reopened"),
        id="resolve-before-respond",
    ),
    pytest.param(
        _dispatched,
        CaseWorkflow.answer_directly,
        AnswerDirectly("op", "请携带身份证。"),
        _wrong_state("dispatched", "accepted"),
        id="answer-directly-after-dispatch",
    ),
    pytest.param(
        _accepted,
        CaseWorkflow.answer_directly,
        AnswerDirectly("op", "  "),
        "a direct answer needs a reply text for the citizen",
        id="answer-directly-with-blank-reply",
    ),
    pytest.param(
        _accepted,
        CaseWorkflow.merge,
        Merge("d", "{number}"),
        "a case cannot be merged into itself",
        id="merge-into-itself",
    ),
    pytest.param(
        _dispatched,
        CaseWorkflow.merge,
        Merge("d", ""),
        "name the case to merge into",
        id="merge-into-unnamed-case",
    ),
]


@pytest.mark.parametrize(("setup", "update", "action", "message"), VALIDATOR_REJECTIONS)
async def test_validator_rejects_before_anything_is_recorded(
    time_skipping: WorkflowEnvironment,
    harness: HarnessFactory,
    engine: Engine,
    setup: Setup,
    update: Any,
    action: object,
    message: str,
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        await setup(handle)
        if isinstance(action, Merge):  # the case number is only known once the case exists
            action = Merge(action.actor, action.master_number.format(number=handle.id))
        before = await _trace(engine, handle)
        cause = await _refused(handle, update, action)
        after = await _trace(engine, handle)
    assert (cause.type, cause.message) == ("ValueError", message.format(number=handle.id))
    assert after == before


# ---- checks that need the database, made in the handler before the first write -------------


async def test_dispatch_to_an_unknown_unit_is_refused_without_a_trace(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        before = await _trace(engine, handle)
        cause = await _refused(handle, CaseWorkflow.dispatch, Dispatch("d", UNKNOWN_UNIT))
        after = await _trace(engine, handle)
    assert (cause.type, cause.message) == ("InvalidAction", f"unknown unit '{UNKNOWN_UNIT}'")
    assert after == before


async def test_dispatch_with_an_unknown_assisting_unit_is_refused_without_a_trace(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        before = await _trace(engine, handle)
        cause = await _refused(
            handle, CaseWorkflow.dispatch, Dispatch("d", CHAOYANG, [HAIDIAN, UNKNOWN_UNIT])
        )
        after = await _trace(engine, handle)
    assert (cause.type, cause.message) == ("InvalidAction", f"unknown unit '{UNKNOWN_UNIT}'")
    assert after == before


async def test_redispatch_to_an_unknown_unit_keeps_the_returned_case_as_it_was(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        await _returned(handle)
        before = await _trace(engine, handle)
        cause = await _refused(handle, CaseWorkflow.dispatch, Dispatch("d", UNKNOWN_UNIT))
        after = await _trace(engine, handle)
    assert cause.message == f"unknown unit '{UNKNOWN_UNIT}'"
    assert after == before
    assert (after.status, after.lead_unit) == (CaseStatus.returned, CHAOYANG)


async def test_dispatch_with_an_unknown_category_is_refused_without_a_trace(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        before = await _trace(engine, handle)
        state_before = await handle.query(CaseWorkflow.describe)
        cause = await _refused(
            handle, CaseWorkflow.dispatch, Dispatch("d", CHAOYANG, category_code="no-such")
        )
        after = await _trace(engine, handle)
        state_after = await handle.query(CaseWorkflow.describe)
    assert (cause.type, cause.message) == ("InvalidAction", "unknown category 'no-such'")
    assert after == before
    assert (state_after.category_code, state_after.policy) == (
        state_before.category_code,
        state_before.policy,
    )


async def test_merge_into_a_case_that_does_not_exist_is_refused_without_a_trace(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        before = await _trace(engine, handle)
        cause = await _refused(handle, CaseWorkflow.merge, Merge("d", "NO-SUCH-CASE"))
        after = await _trace(engine, handle)
    assert (cause.type, cause.message) == ("InvalidAction", "no case numbered 'NO-SUCH-CASE'")
    assert after == before


async def test_merge_into_a_closed_case_is_refused_without_a_trace(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        master = await h.new_case()
        await master.execute_update(CaseWorkflow.answer_directly, AnswerDirectly("op", "答复"))
        await master.result()
        handle = await h.new_case()
        before = await _trace(engine, handle)
        cause = await _refused(handle, CaseWorkflow.merge, Merge("d", master.id))
        after = await _trace(engine, handle)
    assert (cause.type, cause.message) == (
        "InvalidAction",
        f"case {master.id} is closed: merge into an open case",
    )
    assert after == before


async def test_a_refused_dispatch_leaves_the_case_ready_for_a_good_one(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        await _refused(handle, CaseWorkflow.dispatch, Dispatch("d", UNKNOWN_UNIT))
        await _refused(handle, CaseWorkflow.dispatch, Dispatch("d", ""))
        result = await handle.execute_update(CaseWorkflow.dispatch, Dispatch("d", CHAOYANG))
    assert result.status == CaseStatus.dispatched
    assert [e.kind for e in events(engine, handle.id)] == ["accepted", "dispatched"]
    assert case_row(engine, handle.id).lead_unit_code == CHAOYANG


# ---- once the unit is done -------------------------------------------------------------------


async def test_merge_during_the_callback_is_refused_without_a_trace(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        other = await h.new_case()
        await handle.execute_update(CaseWorkflow.answer_directly, AnswerDirectly("op", "答复"))
        await wait_for_notification(engine, handle.id, "survey")
        before = await _trace(engine, handle)
        cause = await _refused(handle, CaseWorkflow.merge, Merge("d", other.id))
        after = await _trace(engine, handle)
    assert before.status == CaseStatus.callback
    assert (cause.type, cause.message) == (
        "ValueError",
        f"case {handle.id} is callback: it cannot merge",
    )
    assert after == before


CLOSED_CASE_UPDATES = [
    pytest.param(CaseWorkflow.dispatch, Dispatch("d", CHAOYANG), id="dispatch"),
    pytest.param(CaseWorkflow.acknowledge, UnitAction("h", CHAOYANG), id="acknowledge"),
    pytest.param(CaseWorkflow.return_case, ReturnCase("h", CHAOYANG, "不归我们"), id="return"),
    pytest.param(CaseWorkflow.overrule_return, Overrule("d", "属地管理"), id="overrule"),
    pytest.param(CaseWorkflow.respond, UnitAction("h", CHAOYANG), id="respond"),
    pytest.param(
        CaseWorkflow.request_extension,
        ExtensionRequest("h", CHAOYANG, 5, "工程量大"),
        id="request-extension",
    ),
    pytest.param(CaseWorkflow.decide_extension, ExtensionDecision("s", True), id="decide"),
    pytest.param(CaseWorkflow.resolve, Resolve("h", CHAOYANG, "已处理"), id="resolve"),
    pytest.param(CaseWorkflow.answer_directly, AnswerDirectly("op", "再答复"), id="answer"),
    pytest.param(CaseWorkflow.merge, Merge("d", "ANY-CASE"), id="merge"),
]


@pytest.mark.parametrize(("update", "action"), CLOSED_CASE_UPDATES)
async def test_a_closed_case_refuses_every_update_without_a_trace(
    time_skipping: WorkflowEnvironment,
    harness: HarnessFactory,
    engine: Engine,
    update: Any,
    action: object,
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        await handle.execute_update(CaseWorkflow.answer_directly, AnswerDirectly("op", "答复"))
        outcome = await handle.result()  # no survey answer: closes as 未评价
        before = await _trace(engine, handle)
        with pytest.raises(RPCError) as failure:
            await handle.execute_update(update, action)
        after = await _trace(engine, handle)
    assert (outcome.status, outcome.satisfaction) == (CaseStatus.closed, Satisfaction.no_evaluation)
    assert failure.value.status == RPCStatusCode.NOT_FOUND, failure.value.status
    assert after == before
