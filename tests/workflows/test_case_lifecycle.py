"""The 接诉即办 loop on the time-skipping server: days of deadlines pass in milliseconds."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from sqlalchemy.engine import Engine
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from models.enums import CaseStatus, Channel, Satisfaction, Urgency
from tests.utils.cases import (
    case_row,
    event_kinds,
    events,
    notifications,
    wait_for_notification,
)
from tests.workflows.conftest import HarnessFactory
from workflows.case import CaseWorkflow
from workflows.types import (
    AnswerDirectly,
    CitizenDetails,
    Dispatch,
    ExtensionDecision,
    ExtensionRequest,
    Merge,
    Overrule,
    Resolve,
    ReturnCase,
    SurveyAnswer,
    UnitAction,
    Withdraw,
)

CHAOYANG, HAIDIAN = "110105", "110108"
SATISFIED = SurveyAnswer(
    "answer-1", contacted=True, resolved=True, satisfaction=Satisfaction.satisfied
)


async def _handle_to_resolved(handle: WorkflowHandle, unit: str = CHAOYANG) -> None:
    await handle.execute_update(CaseWorkflow.dispatch, Dispatch("dispatcher-1", unit))
    await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("handler-1", unit))
    await handle.execute_update(CaseWorkflow.respond, UnitAction("handler-1", unit, "called"))
    resolved = await handle.execute_update(
        CaseWorkflow.resolve, Resolve("handler-1", unit, "路灯已修复。")
    )
    assert resolved.status == CaseStatus.resolved  # the callback waits for the handler


async def _answer_survey(
    engine: Engine, handle: WorkflowHandle, answer: SurveyAnswer, round_: int = 1
) -> None:
    """Answer as a citizen does: once the survey has reached them."""
    await wait_for_notification(engine, handle.id, "survey", count=round_)
    await handle.signal(CaseWorkflow.survey_answer, answer)


async def test_happy_path_from_intake_to_satisfied_close(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        await _handle_to_resolved(handle)
        await _answer_survey(engine, handle, SATISFIED)
        outcome = await handle.result()
    assert (outcome.status, outcome.satisfaction) == (CaseStatus.closed, Satisfaction.satisfied)
    assert event_kinds(engine, handle.id) == [
        "accepted",
        "dispatched",
        "acknowledged",
        "responded",
        "resolved",
        "callback_started",
        "survey_answered",
        "closed",
    ]
    row = case_row(engine, handle.id)
    assert (row.status, row.satisfaction, row.lead_unit_code) == ("closed", "satisfied", CHAOYANG)
    assert (row.survey_contacted, row.survey_resolved, row.reply) == (True, True, "路灯已修复。")
    assert row.closed_at is not None and not row.supervised
    assert [n.kind for n in notifications(engine, handle.id)] == [
        "unit_new_case",
        "dispatched",
        "resolved",
        "survey",
    ]


async def test_every_transition_records_from_and_to_status(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch("d", CHAOYANG))
        await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("h", CHAOYANG))
    recorded = [(e.kind, e.from_status, e.to_status) for e in events(engine, handle.id)]
    assert recorded == [
        ("accepted", None, "accepted"),
        ("dispatched", "accepted", "dispatched"),
        ("acknowledged", "dispatched", "acknowledged"),
    ]


async def test_return_then_redispatch_to_another_unit(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch("d", CHAOYANG))
        returned = await handle.execute_update(
            CaseWorkflow.return_case, ReturnCase("h", CHAOYANG, "地址在海淀区")
        )
        assert returned.status == CaseStatus.returned
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch("d", HAIDIAN))
        await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("h2", HAIDIAN))
    assert event_kinds(engine, handle.id)[1:] == [
        "dispatched",
        "returned",
        "dispatched",
        "acknowledged",
    ]
    assert case_row(engine, handle.id).lead_unit_code == HAIDIAN
    assert "returned" in [n.kind for n in notifications(engine, handle.id)]


async def test_overruled_return_goes_back_to_the_same_unit(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch("d", CHAOYANG))
        await handle.execute_update(CaseWorkflow.return_case, ReturnCase("h", CHAOYANG, "不归我们"))
        result = await handle.execute_update(
            CaseWorkflow.overrule_return, Overrule("d", "属地管理，由朝阳区办理")
        )
    assert result.status == CaseStatus.dispatched
    assert case_row(engine, handle.id).lead_unit_code == CHAOYANG


async def test_approved_extension_moves_the_resolve_deadline(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch("d", CHAOYANG))
        before = case_row(engine, handle.id).resolve_due_at
        await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("h", CHAOYANG))
        await handle.execute_update(
            CaseWorkflow.request_extension, ExtensionRequest("h", CHAOYANG, 5, "需要协调施工队")
        )
        await handle.execute_update(CaseWorkflow.decide_extension, ExtensionDecision("s", True))
    after = case_row(engine, handle.id).resolve_due_at
    assert before is not None and after is not None
    assert timedelta(days=5) <= after - before <= timedelta(days=9)  # 5 working days
    assert event_kinds(engine, handle.id)[-2:] == ["extension_requested", "extension_approved"]


async def test_rejected_extension_keeps_the_deadline(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch("d", CHAOYANG))
        before = case_row(engine, handle.id).resolve_due_at
        await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("h", CHAOYANG))
        await handle.execute_update(
            CaseWorkflow.request_extension, ExtensionRequest("h", CHAOYANG, 3, "人手不足")
        )
        await handle.execute_update(
            CaseWorkflow.decide_extension, ExtensionDecision("s", False, "不予延期")
        )
    assert case_row(engine, handle.id).resolve_due_at == before
    assert event_kinds(engine, handle.id)[-1] == "extension_rejected"


async def test_missed_acknowledge_deadline_escalates(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch("d", CHAOYANG))
        await time_skipping.sleep(timedelta(hours=5))  # acknowledge within 4 h
        state = await handle.query(CaseWorkflow.describe)
    breaches = [e for e in events(engine, handle.id) if e.kind == "sla_breach"]
    assert [b.payload for b in breaches] == [{"deadline": "acknowledge", "unit": CHAOYANG}]
    assert case_row(engine, handle.id).supervised
    assert state.supervised and state.breached == ["acknowledge"]
    sent = [(n.kind, n.address) for n in notifications(engine, handle.id) if n.kind == "sla_breach"]
    assert sent == [("sla_breach", CHAOYANG), ("sla_breach", "110000")]  # the unit and its parent
    # In words: the deadline (签收) and the unit's name, no English word or code inside.
    bodies = [n.body for n in notifications(engine, handle.id)]
    assert any("已超过签收时限（朝阳区）" in body for body in bodies), bodies
    assert not any(re.search(r"\d{4}-\d\d-\d\dT\d\d:", body) for body in bodies), bodies


async def test_missed_respond_deadline_escalates(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case(urgency=Urgency.urgent)
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch("d", CHAOYANG))
        await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("h", CHAOYANG))
        await time_skipping.sleep(timedelta(hours=3))  # urgent: first contact within 2 h
    breaches = [e.payload["deadline"] for e in events(engine, handle.id) if e.kind == "sla_breach"]
    assert breaches == ["respond"]


async def test_missed_resolve_deadline_escalates_once(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch("d", CHAOYANG))
        await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("h", CHAOYANG))
        await handle.execute_update(CaseWorkflow.respond, UnitAction("h", CHAOYANG))
        await time_skipping.sleep(timedelta(days=30))  # 7 working days, and then some
        await handle.execute_update(CaseWorkflow.resolve, Resolve("h", CHAOYANG, "已处理"))
    breaches = [e.payload["deadline"] for e in events(engine, handle.id) if e.kind == "sla_breach"]
    assert breaches == ["resolve"]


async def test_dissatisfied_and_unresolved_reopens_the_case(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    unhappy = SurveyAnswer(
        "a1", contacted=True, resolved=False, satisfaction=Satisfaction.dissatisfied
    )
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        await _handle_to_resolved(handle)
        await _answer_survey(engine, handle, unhappy)
        await time_skipping.sleep(timedelta(minutes=1))
        state = await handle.query(CaseWorkflow.describe)
        assert state.status == CaseStatus.reopened
        await handle.execute_update(CaseWorkflow.respond, UnitAction("h", CHAOYANG))
        await handle.execute_update(CaseWorkflow.resolve, Resolve("h", CHAOYANG, "已重新修复"))
        await _answer_survey(
            engine, handle, SurveyAnswer("a2", True, True, Satisfaction.basically_satisfied), 2
        )
        outcome = await handle.result()
    assert outcome.satisfaction == Satisfaction.basically_satisfied
    row = case_row(engine, handle.id)
    assert (row.reopen_count, row.status) == (1, "closed")
    assert event_kinds(engine, handle.id).count("reopened") == 1


async def test_survey_without_answer_closes_with_no_evaluation(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        await _handle_to_resolved(handle)
        outcome = await handle.result()  # the server skips the two days of retries
    assert outcome.satisfaction == Satisfaction.no_evaluation
    assert [n.kind for n in notifications(engine, handle.id)].count("survey") == 3
    assert event_kinds(engine, handle.id)[-1] == "survey_unanswered"


async def test_a_duplicate_survey_answer_counts_once(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        await _handle_to_resolved(handle)
        await _answer_survey(engine, handle, SATISFIED)
        await handle.signal(CaseWorkflow.survey_answer, SATISFIED)
        await handle.result()
    assert event_kinds(engine, handle.id).count("survey_answered") == 1


async def test_consultation_answered_directly_goes_to_callback(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        await handle.execute_update(
            CaseWorkflow.answer_directly, AnswerDirectly("operator-7", "社保卡补办请携带身份证。")
        )
        await _answer_survey(engine, handle, SATISFIED)
        outcome = await handle.result()
    assert outcome.status == CaseStatus.closed
    assert event_kinds(engine, handle.id)[1:3] == ["answered_directly", "callback_started"]


async def test_anonymous_case_closes_without_evaluation_at_once(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    from intake.schemas import Contact

    async with harness(time_skipping) as h:
        handle = await h.new_case(contact=Contact())
        await handle.execute_update(CaseWorkflow.answer_directly, AnswerDirectly("op", "答复"))
        outcome = await handle.result()
    assert outcome.satisfaction == Satisfaction.no_evaluation
    assert notifications(engine, handle.id) == []


async def test_duplicate_merged_into_master_closes_and_tells_the_master(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        master = await h.new_case()
        duplicate = await h.new_case()
        merged = await duplicate.execute_update(CaseWorkflow.merge, Merge("d", master.id))
        outcome = await duplicate.result()
        for _ in range(600):  # the master records the merge on its own time
            if "duplicate_merged" in event_kinds(engine, master.id):
                break
            await asyncio.sleep(0.05)
    assert merged.status == outcome.status == CaseStatus.merged
    assert event_kinds(engine, duplicate.id) == ["accepted", "merged"]
    assert event_kinds(engine, master.id) == ["accepted", "duplicate_merged"]
    assert events(engine, master.id)[-1].payload == {"duplicate": duplicate.id}
    assert case_row(engine, duplicate.id).merged_into_id == case_row(engine, master.id).id


async def test_a_case_merged_after_the_masters_reply_gets_that_reply_and_the_survey(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        master = await h.new_case()
        duplicate = await h.new_case()
        await _handle_to_resolved(master)
        await wait_for_notification(engine, master.id, "survey")
        await duplicate.execute_update(CaseWorkflow.merge, Merge("d", master.id))
        await wait_for_notification(engine, duplicate.id, "survey")
        await _answer_survey(engine, master, SATISFIED)
        outcome = await master.result()
    assert outcome.status == CaseStatus.closed
    told = notifications(engine, duplicate.id)
    assert [n.kind for n in told] == ["merged", "resolved", "survey"]
    assert told[0].body == (
        f"您的诉求 {duplicate.id} 与诉求 {master.id} 反映的是同一问题，已并入 {master.id} "
        "一并办理，办理结果将告知您。"
    )
    assert told[1].body == f"您的诉求 {duplicate.id} 已办结。答复：路灯已修复。"
    assert told[2].body.startswith(f"回访 {duplicate.id}：")


async def test_citizen_withdraws_an_open_case(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch("d", CHAOYANG))
        await handle.signal(CaseWorkflow.withdraw, Withdraw("问题已自行解决"))
        outcome = await handle.result()
    assert outcome.status == CaseStatus.withdrawn
    row = case_row(engine, handle.id)
    assert (row.status, row.closed_at is not None) == ("withdrawn", True)
    assert event_kinds(engine, handle.id)[-1] == "withdrawn"


async def test_withdrawal_after_resolve_is_ignored(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        await _handle_to_resolved(handle)
        await handle.signal(CaseWorkflow.withdraw, Withdraw("too late"))
        await _answer_survey(engine, handle, SATISFIED)
        outcome = await handle.result()
    assert outcome.status == CaseStatus.closed
    assert "withdrawn" not in event_kinds(engine, handle.id)


async def test_citizen_details_are_recorded_once_per_message(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    details = CitizenDetails("补充：在3号楼东侧", Channel.sms, "SM123")
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        await handle.signal(CaseWorkflow.add_details, details)
        await handle.signal(CaseWorkflow.add_details, details)  # the webhook came twice
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch("d", CHAOYANG))
        state = await handle.query(CaseWorkflow.describe)
    assert [t.kind for t in state.timeline].count("citizen_details") == 1
    recorded = [e for e in events(engine, handle.id) if e.kind == "citizen_details"]
    assert [e.payload["text"] for e in recorded] == ["补充：在3号楼东侧"]
