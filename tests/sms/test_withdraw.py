"""撤回 by SMS: the owner's phone withdraws, the unit is told, the citizen gets the confirmation in
their language; a stranger, a missing or malformed number and a case past withdrawal are refused
in words that reveal nothing."""

from __future__ import annotations

import re

from sqlalchemy.engine import Engine
from temporalio.client import Client

from models.enums import CaseStatus
from tests.sms.phone import Phone, wait_for_sms
from tests.utils.cases import case_row, events, notifications, wait_for_notification
from tests.utils.twilio_api import FakeTwilio
from workflows.case import CaseWorkflow
from workflows.types import Dispatch, Resolve, UnitAction

CHAOYANG = "110105"
NUMBER = re.compile(r"\d{8}-\d{6,}")


async def _open_case(phone: Phone, text: str) -> str:
    reply = await phone.text(text)
    assert reply is not None
    found = NUMBER.search(reply)
    assert found, reply
    return found.group(0)


async def test_the_owner_withdraws_by_sms_in_chinese_and_the_unit_is_told(
    sms_url: str, twilio: FakeTwilio, temporal_client: Client, engine: Engine
) -> None:
    phone = Phone(sms_url)
    number = await _open_case(phone, "望京西园三区的路灯坏了。")
    handle = temporal_client.get_workflow_handle(number)
    await handle.execute_update(CaseWorkflow.dispatch, Dispatch("dispatcher-1", CHAOYANG))
    await wait_for_sms(twilio, phone.number, 1)

    assert await phone.text(f"撤回　{number}") is None  # full-width space; the notice confirms
    sent = await wait_for_sms(twilio, phone.number, 2)
    assert [m["Body"] for m in sent] == [
        f"您的诉求 {number} 已派至承办单位处理。",
        f"您的诉求 {number} 已按您的要求撤回，不再办理。",
    ]
    row = case_row(engine, number)
    assert (row.status, row.closed_at is not None) == (CaseStatus.withdrawn, True)
    [event] = [e for e in events(engine, number) if e.kind == "withdrawn"]
    assert event.actor == "citizen"
    assert event.payload["channel"] == "sms"
    await wait_for_notification(engine, number, "unit_withdrawn")
    [unit_notice] = [n for n in notifications(engine, number) if n.kind == "unit_withdrawn"]
    assert unit_notice.address == CHAOYANG

    # Again, once it is over: a clear answer, nothing changes.
    assert await phone.text(f"撤回 {number}") == f"诉求 {number} 已撤回，无法再撤回。"


async def test_the_owner_withdraws_by_sms_in_english(
    sms_url: str, twilio: FakeTwilio, engine: Engine
) -> None:
    phone = Phone(sms_url)
    number = await _open_case(phone, "EN The streetlight on Wangjing West Road is broken.")
    assert await phone.text(f"withdraw {number}") is None
    [sent] = await wait_for_sms(twilio, phone.number, 1)
    assert sent["Body"] == (
        f"Case {number} has been withdrawn as you asked. It will not be handled further."
    )
    assert case_row(engine, number).status == CaseStatus.withdrawn
    # No unit held it: only the citizen is told.
    assert [n.kind for n in notifications(engine, number) if n.kind.endswith("withdrawn")] == [
        "withdrawn"
    ]


async def test_withdraw_without_or_with_a_malformed_number_asks_for_it(sms_url: str) -> None:
    phone = Phone(sms_url)
    usage_zh = "如需撤回诉求，请发送“撤回”加诉求编号，例如“撤回 20261130-000011”。"
    usage_en = (
        "To withdraw a case, text 'WITHDRAW' and its number, e.g. 'WITHDRAW 20261130-000011'."
    )
    assert await phone.text("撤回") == usage_zh
    assert await phone.text("WITHDRAW 123") == usage_en
    assert await phone.text("Withdraw: 2026-11-30") == usage_en


async def test_stop_is_not_withdraw_and_withdraw_is_not_stop(
    sms_url: str, twilio: FakeTwilio, engine: Engine
) -> None:
    phone = Phone(sms_url)
    number = await _open_case(phone, "小区门口的井盖丢了。")
    await phone.text("退订")
    assert case_row(engine, number).status == CaseStatus.accepted  # opt-out only


async def test_another_phone_cannot_withdraw_and_learns_nothing(
    sms_url: str, twilio: FakeTwilio, engine: Engine
) -> None:
    owner, stranger = Phone(sms_url), Phone(sms_url)
    number = await _open_case(owner, "楼下餐馆油烟太大。")
    refusal = f"未找到您的案件 {number}，请核对编号。"
    assert await stranger.text(f"撤回 {number}") == refusal
    # A number that does not exist gets the very same answer.
    assert await stranger.text("撤回 20991231-999999") == refusal.replace(number, "20991231-999999")
    assert case_row(engine, number).status == CaseStatus.accepted
    assert "withdrawn" not in [e.kind for e in events(engine, number)]
    assert twilio.messages_to(stranger.number) == []


async def test_a_resolved_case_can_no_longer_be_withdrawn(
    sms_url: str, temporal_client: Client, engine: Engine
) -> None:
    phone = Phone(sms_url)
    number = await _open_case(phone, "EN Rubbish has not been collected for a week.")
    handle = temporal_client.get_workflow_handle(number)
    await handle.execute_update(CaseWorkflow.dispatch, Dispatch("dispatcher-1", CHAOYANG))
    await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("handler-1", CHAOYANG))
    await handle.execute_update(CaseWorkflow.respond, UnitAction("handler-1", CHAOYANG))
    await handle.execute_update(
        CaseWorkflow.resolve, Resolve("handler-1", CHAOYANG, "Collected today.")
    )
    answer = await phone.text(f"WITHDRAW {number}")
    # Resolved, or already in its follow-up (回访) a moment later: either way, too late.
    assert answer in (
        f"Case {number} is resolved and can no longer be withdrawn.",
        f"Case {number} is awaiting your feedback and can no longer be withdrawn.",
    )
    assert case_row(engine, number).status != CaseStatus.withdrawn
