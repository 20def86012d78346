"""撤回 by chat over the real webhook: the "Withdraw" button under /status and `/withdraw`, each
with a confirm step, only for the chat that owns the case; the citizen receives the exact
confirmation in their language, the unit is told."""

from __future__ import annotations

import re

from sqlalchemy.engine import Engine
from temporalio.client import Client

from models.enums import CaseStatus
from tests.chat.conftest import Webhook
from tests.chat.test_webhook import _open_case, _with_button
from tests.utils.cases import case_row, events, notifications, wait_for_notification
from tests.utils.telegram_api import Citizen, FakeTelegram
from workflows.case import CaseWorkflow
from workflows.types import Dispatch

CHAOYANG = "110105"


async def test_the_owner_withdraws_by_button_after_confirming_in_chinese(
    webhook: Webhook, telegram: FakeTelegram, engine: Engine, temporal_client: Client
) -> None:
    citizen = Citizen()
    number = await _open_case(webhook, telegram, citizen)
    handle = temporal_client.get_workflow_handle(number)
    await handle.execute_update(CaseWorkflow.dispatch, Dispatch("dispatcher-1", CHAOYANG))
    await wait_for_notification(engine, number, "dispatched")

    await webhook.deliver(citizen.says("/status"))
    status = await telegram.wait_async(
        lambda: _with_button(telegram, citizen, "撤回"), "offered to withdraw under /status"
    )
    await webhook.deliver(citizen.presses(status, "撤回"))
    question = await telegram.wait_async(
        lambda: _with_button(telegram, citizen, "是，撤回"), "asked to confirm"
    )
    assert question["text"] == f"确定撤回案件 {number} 吗？撤回后不再办理。"
    assert case_row(engine, number).status == CaseStatus.dispatched  # nothing yet

    await webhook.deliver(citizen.presses(question, "是，撤回"))
    await wait_for_notification(engine, number, "withdrawn")
    confirmation = f"您的诉求 {number} 已按您的要求撤回，不再办理。"
    await telegram.wait_async(
        lambda: confirmation in telegram.texts_to(citizen.chat_id), "the confirmation"
    )
    assert case_row(engine, number).status == CaseStatus.withdrawn
    [event] = [e for e in events(engine, number) if e.kind == "withdrawn"]
    assert (event.actor, event.payload["channel"]) == ("citizen", "chat")
    await wait_for_notification(engine, number, "unit_withdrawn")
    [unit] = [n for n in notifications(engine, number) if n.kind == "unit_withdrawn"]
    assert unit.address == CHAOYANG

    # The old confirm button, pressed again: a clear answer, nothing changes.
    await webhook.deliver(citizen.presses(question, "是，撤回"))
    answers = [c.get("text") for c in telegram.sent("answerCallbackQuery")]
    assert f"诉求 {number} 已撤回，无法再撤回。" in answers


async def _open_english_case(webhook: Webhook, telegram: FakeTelegram, citizen: Citizen) -> str:
    await webhook.deliver(
        citizen.says("The street lamp at the corner of Futong East Street is broken")
    )
    await webhook.deliver(citizen.says("Futong East Street 1"))
    prompt = await telegram.wait_async(
        lambda: _with_button(telegram, citizen, "No photo"), "asked for a photo"
    )
    await webhook.deliver(citizen.presses(prompt, "No photo"))
    summary = await telegram.wait_async(
        lambda: _with_button(telegram, citizen, "Send"), "asked to confirm"
    )
    await webhook.deliver(citizen.presses(summary, "Send"))
    found = await telegram.wait_async(
        lambda: [
            m.group(0)
            for t in telegram.texts_to(citizen.chat_id)
            if (m := re.search(r"\d{8}-\d{6}", t))
        ],
        "the case number",
    )
    return str(found[0])


async def test_withdraw_command_in_english_and_keep_it(
    webhook: Webhook, telegram: FakeTelegram, engine: Engine
) -> None:
    citizen = Citizen(language_code="en")
    number = await _open_english_case(webhook, telegram, citizen)
    await webhook.deliver(citizen.says(f"/withdraw {number}"))
    question = await telegram.wait_async(
        lambda: _with_button(telegram, citizen, "No, keep it"), "asked to confirm"
    )
    assert question["text"] == f"Withdraw case {number}? It will not be handled further."
    await webhook.deliver(citizen.presses(question, "No, keep it"))
    await telegram.wait_async(
        lambda: f"Case {number} stays open." in telegram.texts_to(citizen.chat_id), "kept"
    )
    assert case_row(engine, number).status == CaseStatus.accepted

    await webhook.deliver(citizen.presses(question, "Yes, withdraw it"))
    confirmation = f"Case {number} has been withdrawn as you asked. It will not be handled further."
    await telegram.wait_async(
        lambda: confirmation in telegram.texts_to(citizen.chat_id), "the confirmation"
    )
    assert case_row(engine, number).status == CaseStatus.withdrawn


async def test_another_chat_and_bad_numbers_are_refused(
    webhook: Webhook, telegram: FakeTelegram, engine: Engine
) -> None:
    owner, stranger = Citizen(), Citizen()
    number = await _open_case(webhook, telegram, owner)
    await webhook.deliver(stranger.says(f"/withdraw {number}"))
    await webhook.deliver(stranger.says("/withdraw 20991231-999999"))
    await webhook.deliver(stranger.says("/withdraw"))
    await webhook.deliver(stranger.says("/withdraw 12345"))
    # A forged confirm press from the stranger's chat.
    await webhook.deliver(owner.says(f"/withdraw {number}"))
    question = await telegram.wait_async(
        lambda: _with_button(telegram, owner, "是，撤回"), "asked to confirm"
    )
    forged = owner.presses(question, "是，撤回")
    forged["callback_query"]["from"] = stranger.user
    forged["callback_query"]["message"]["chat"]["id"] = stranger.chat_id
    await webhook.deliver(forged)
    usage = "请写明要撤回的案件编号：/withdraw 20261122-000123"
    assert telegram.texts_to(stranger.chat_id) == [
        f"未找到您的案件 {number}，请核对编号。",
        "未找到您的案件 20991231-999999，请核对编号。",
        usage,
        usage,
    ]
    refusal = [
        c
        for c in telegram.sent("answerCallbackQuery")
        if c["callback_query_id"] == forged["callback_query"]["id"]
    ]
    assert refusal[0]["text"] == f"未找到您的案件 {number}，请核对编号。"
    assert case_row(engine, number).status == CaseStatus.accepted
    assert not re.search("withdrawn", " ".join(e.kind for e in events(engine, number)))
