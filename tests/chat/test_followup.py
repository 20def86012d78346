"""补充 by chat: the "Add details" button and /add send the next text to the chat's own open
case, once however often Telegram delivers it; another chat's case and a closed case refuse."""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import Engine
from temporalio.client import Client

from intake.followups import withdraw
from models.enums import CaseStatus
from tests.chat.conftest import Webhook
from tests.chat.test_webhook import _open_case, _with_button
from tests.utils.cases import case_row, details_of, wait_for_details
from tests.utils.telegram_api import Citizen, FakeTelegram


async def test_add_details_by_button_and_command_counts_each_text_once(
    webhook: Webhook, telegram: FakeTelegram, engine: Engine
) -> None:
    citizen = Citizen()
    number = await _open_case(webhook, telegram, citizen)
    confirmation = telegram.message_with_buttons(citizen.chat_id)
    assert "案件编号" in confirmation["text"]

    press = citizen.presses(confirmation, "补充")
    for _ in range(2):
        assert await webhook.deliver(press) == 200
    text = citizen.says("灯杆上的编号是 BJ-0417")
    for _ in range(2):  # delivered twice, as Telegram may
        assert await webhook.deliver(text) == 200
    assert await wait_for_details(engine, number, 1) == ["灯杆上的编号是 BJ-0417"]

    await webhook.deliver(citizen.says("/add"))  # the chat's newest open case
    await webhook.deliver(citizen.says("晚上十点以后完全不亮"))
    assert await wait_for_details(engine, number, 2) == [
        "灯杆上的编号是 BJ-0417",
        "晚上十点以后完全不亮",
    ]
    await webhook.deliver(citizen.says("/status"))
    status = await telegram.wait_async(
        lambda: (m := _with_button(telegram, citizen, "补充")) and "已受理" in m["text"] and m,
        "offered to add details under /status",
    )
    assert status["text"] == f"案件 {number}：已受理，等待派单。"

    texts = telegram.texts_to(citizen.chat_id)
    assert texts.count(f"请用一条消息发送案件 {number} 的补充内容，或发送 /cancel 取消。") == 2
    assert texts.count(f"已补充到案件 {number}，承办单位将会看到。") == 2
    # The texts went to the case, not into a new request.
    assert not any("问题发生在哪里" in t for t in texts[texts.index(confirmation["text"]) + 1 :])
    assert len(details_of(engine, number)) == 2


async def test_another_chats_case_and_a_closed_case_take_no_details(
    webhook: Webhook, telegram: FakeTelegram, engine: Engine, temporal_client: Client
) -> None:
    owner, stranger = Citizen(), Citizen()
    number = await _open_case(webhook, telegram, owner)

    await webhook.deliver(stranger.says(f"/add {number}"))
    await webhook.deliver(stranger.says("/add"))
    await webhook.deliver(stranger.says("/add 12345"))
    forged = owner.presses(telegram.message_with_buttons(owner.chat_id), "补充")
    forged["callback_query"]["from"] = stranger.user
    forged["callback_query"]["message"]["chat"]["id"] = stranger.chat_id
    await webhook.deliver(forged)
    assert telegram.texts_to(stranger.chat_id) == [
        f"没有编号为 {number} 的案件。",
        "您没有可补充的未办结案件。请直接描述问题以提交诉求。",
        "案件编号格式如 20261122-000123：/add 20261122-000123",
    ]
    refusal = [
        c
        for c in telegram.sent("answerCallbackQuery")
        if c["callback_query_id"] == forged["callback_query"]["id"]
    ]
    assert refusal[0]["text"] == f"没有编号为 {number} 的案件。"

    # The owner asks to add, then the case is withdrawn before the text arrives.
    await webhook.deliver(owner.says(f"/add {number}"))
    await withdraw(client=temporal_client, number=number, reason="test")
    for _ in range(600):
        if case_row(engine, number).status == CaseStatus.withdrawn:
            break
        await asyncio.sleep(0.05)
    withdrawn = f"您的诉求 {number} 已按您的要求撤回，不再办理。"  # the notice, before the texts
    await telegram.wait_async(lambda: withdrawn in telegram.texts_to(owner.chat_id), "notice")
    await webhook.deliver(owner.says("还有一盏也坏了"))
    await webhook.deliver(owner.says(f"/add {number}"))
    closed = f"案件 {number} 已结束，不再接收消息。"
    assert telegram.texts_to(owner.chat_id)[-2:] == [closed, closed]
    assert details_of(engine, number) == []


async def test_a_reply_that_failed_is_resent_and_the_details_still_count_once(
    webhook: Webhook, telegram: FakeTelegram, engine: Engine
) -> None:
    citizen = Citizen()
    number = await _open_case(webhook, telegram, citizen)
    await webhook.deliver(citizen.says("/add"))
    text = citizen.says("路灯下面的井盖也松了")
    telegram.blocked.add(citizen.chat_id)  # the signal goes out, the reply fails
    try:
        first = await webhook.deliver(text)
    finally:
        telegram.blocked.discard(citizen.chat_id)
    assert first != 200  # so Telegram sends the update again
    assert await wait_for_details(engine, number, 1) == ["路灯下面的井盖也松了"]

    assert await webhook.deliver(text) == 200  # the chat still awaits details: signalled again
    assert telegram.texts_to(citizen.chat_id)[-1] == f"已补充到案件 {number}，承办单位将会看到。"
    # A later text, signalled after the re-sent one: were that one counted, it would show first.
    await webhook.deliver(citizen.says("/add"))
    await webhook.deliver(citizen.says("井盖在人行道上"))
    assert await wait_for_details(engine, number, 2) == ["路灯下面的井盖也松了", "井盖在人行道上"]
