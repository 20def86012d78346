"""督办, 催办 and 改派 on the real Temporal dev server: events, notices, deadlines, refusals."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from models.enums import CaseStatus
from tests.utils.cases import case_row, event_kinds, events, notifications
from tests.workflows.conftest import HarnessFactory
from workflows.case import CaseWorkflow
from workflows.types import (
    Dispatch,
    ExtensionRequest,
    Redispatch,
    Supervise,
    UnitAction,
    Urge,
)

CHAOYANG, HAIDIAN = "110105", "110108"


async def test_supervise_flags_the_case_with_the_supervisors_note(
    temporal_dev: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(temporal_dev) as h:
        handle = await h.new_case()
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch("d", CHAOYANG))
        result = await handle.execute_update(
            CaseWorkflow.supervise, Supervise("boss", "三天未签收，请说明")
        )
        state = await handle.query(CaseWorkflow.describe)
    assert result.status == CaseStatus.dispatched  # a flag, not a transition
    assert state.supervised
    event = events(engine, handle.id)[-1]
    assert (event.kind, event.actor) == ("supervised", "boss")
    assert event.payload == {"unit": CHAOYANG, "note": "三天未签收，请说明"}
    assert case_row(engine, handle.id).supervised  # what the unit's list and page show


async def test_urge_notifies_the_unit_and_flags_the_case(
    temporal_dev: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(temporal_dev) as h:
        handle = await h.new_case()
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch("d", CHAOYANG))
        await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("h", CHAOYANG))
        await handle.execute_update(CaseWorkflow.urge, Urge("boss", "市民第三次来电"))
    event = events(engine, handle.id)[-1]
    assert (event.kind, event.actor, event.payload["note"]) == ("urged", "boss", "市民第三次来电")
    urged = [n for n in notifications(engine, handle.id) if n.kind == "unit_urged"]
    assert [(n.audience, n.address) for n in urged] == [("unit", CHAOYANG)]
    assert handle.id in urged[0].body and "市民第三次来电" in urged[0].body
    assert case_row(engine, handle.id).supervised


async def test_redispatch_moves_the_case_and_restarts_the_deadlines(
    temporal_dev: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(temporal_dev) as h:
        handle = await h.new_case()
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch("d", CHAOYANG))
        await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("h", CHAOYANG))
        before = case_row(engine, handle.id)
        result = await handle.execute_update(
            CaseWorkflow.redispatch, Redispatch("boss", HAIDIAN, "地址在海淀")
        )
        # The old unit has lost the case; the new one acts on it.
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("h", CHAOYANG))
        await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("h2", HAIDIAN))
    assert result.status == CaseStatus.dispatched
    after_kinds = event_kinds(engine, handle.id)
    assert after_kinds == ["accepted", "dispatched", "acknowledged", "redispatched", "acknowledged"]
    moved = events(engine, handle.id)[3]
    assert moved.actor == "boss"
    assert moved.payload == {"unit": HAIDIAN, "from_unit": CHAOYANG, "reason": "地址在海淀"}
    assert (moved.from_status, moved.to_status) == ("acknowledged", "dispatched")
    row = case_row(engine, handle.id)
    assert row.lead_unit_code == HAIDIAN
    assert before.acknowledge_due_at is not None and row.acknowledge_due_at is not None
    assert row.acknowledge_due_at > before.acknowledge_due_at  # the clock starts again
    assert row.resolve_due_at is not None and before.resolve_due_at is not None
    assert row.resolve_due_at >= before.resolve_due_at
    sent = [(n.kind, n.address) for n in notifications(engine, handle.id) if n.audience == "unit"]
    assert sent == [
        ("unit_new_case", CHAOYANG),
        ("unit_new_case", HAIDIAN),
        ("unit_redispatched", CHAOYANG),
    ]


@pytest.mark.parametrize(
    ("update", "argument", "message"),
    [
        (CaseWorkflow.supervise, Supervise("boss", " "), "needs a note"),
        (CaseWorkflow.urge, Urge("boss", ""), "needs a note"),
        (CaseWorkflow.redispatch, Redispatch("boss", HAIDIAN, ""), "needs a reason"),
        (CaseWorkflow.redispatch, Redispatch("boss", CHAOYANG, "x"), "already with unit"),
        (CaseWorkflow.redispatch, Redispatch("boss", "999999", "x"), "999999"),
    ],
)
async def test_bad_supervisor_actions_are_refused_and_write_nothing(
    temporal_dev: WorkflowEnvironment,
    harness: HarnessFactory,
    engine: Engine,
    update: object,
    argument: object,
    message: str,
) -> None:
    async with harness(temporal_dev) as h:
        handle = await h.new_case()
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch("d", CHAOYANG))
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(update, argument)  # type: ignore[call-overload]
        state = await handle.query(CaseWorkflow.describe)
    assert message in str(refused.value.cause)
    assert event_kinds(engine, handle.id) == ["accepted", "dispatched"]
    assert not state.supervised and state.lead_unit_code == CHAOYANG
    assert not case_row(engine, handle.id).supervised


async def test_supervisor_actions_need_a_unit_holding_the_case(
    temporal_dev: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(temporal_dev) as h:
        handle = await h.new_case()
        for update, argument in (
            (CaseWorkflow.supervise, Supervise("boss", "n")),
            (CaseWorkflow.urge, Urge("boss", "n")),
            (CaseWorkflow.redispatch, Redispatch("boss", HAIDIAN, "r")),
        ):
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await handle.execute_update(update, argument)  # type: ignore[call-overload]
            assert "is accepted; this needs it to be dispatched" in str(refused.value.cause)
    assert event_kinds(engine, handle.id) == ["accepted"]


async def test_redispatch_waits_for_a_pending_extension_decision(
    temporal_dev: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(temporal_dev) as h:
        handle = await h.new_case()
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch("d", CHAOYANG))
        await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("h", CHAOYANG))
        await handle.execute_update(
            CaseWorkflow.request_extension, ExtensionRequest("h", CHAOYANG, 2, "施工")
        )
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(CaseWorkflow.redispatch, Redispatch("boss", HAIDIAN, "r"))
    assert "pending extension" in str(refused.value.cause)
    assert case_row(engine, handle.id).lead_unit_code == CHAOYANG
