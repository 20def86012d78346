"""并案 by chat: an English-line Telegram citizen whose case is merged is told the master's number,
sees it on /status, receives the master's reply and survey in English and answers by buttons;
the answer is recorded beside the master citizen's, which it does not replace."""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import Engine
from temporalio.client import Client

from models.enums import CaseStatus
from tests.chat.conftest import Webhook
from tests.chat.test_webhook import _open_case, _with_button
from tests.chat.test_withdraw import _open_english_case
from tests.utils.cases import case_row, events, wait_for_notification
from tests.utils.telegram_api import Citizen, FakeTelegram
from workflows.case import CaseWorkflow
from workflows.types import Dispatch, Merge, Resolve, UnitAction

CHAOYANG = "110105"


async def test_a_merged_chat_citizen_gets_the_masters_reply_and_survey_in_english(
    webhook: Webhook, telegram: FakeTelegram, engine: Engine, temporal_client: Client
) -> None:
    first, second = Citizen(), Citizen(language_code="en")
    master = await _open_case(webhook, telegram, first)
    duplicate = await _open_english_case(webhook, telegram, second)
    handle = temporal_client.get_workflow_handle(master)
    await handle.execute_update(CaseWorkflow.dispatch, Dispatch("dispatcher-1", CHAOYANG))
    await temporal_client.get_workflow_handle(duplicate).execute_update(
        CaseWorkflow.merge, Merge("dispatcher-1", master)
    )
    merged = (
        f"Case {duplicate} reports the same problem as case {master} and has been merged into "
        "it; you will receive its reply."
    )
    await telegram.wait_async(lambda: merged in telegram.texts_to(second.chat_id), "merged")

    await webhook.deliver(second.says(f"/status {duplicate}"))
    status = (
        f"Case {duplicate} was merged into case {master}. "
        f"Case {master}: sent to the unit responsible."
    )
    await telegram.wait_async(lambda: status in telegram.texts_to(second.chat_id), "status")

    await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("h", CHAOYANG))
    await handle.execute_update(CaseWorkflow.respond, UnitAction("h", CHAOYANG))
    await handle.execute_update(CaseWorkflow.resolve, Resolve("h", CHAOYANG, "路灯已修复"))
    reply = f"Case {duplicate} has been resolved. Reply: 路灯已修复"
    await telegram.wait_async(lambda: reply in telegram.texts_to(second.chat_id), "the reply")
    await wait_for_notification(engine, duplicate, "survey")
    question = await telegram.wait_async(
        lambda: _with_button(telegram, second, "Yes"), "asked the first survey question"
    )
    assert question["text"] == (
        f"Follow-up on case {duplicate}: please answer three short questions.\n\n"
        "1/3 Did the unit responsible contact you?"
    )
    await webhook.deliver(second.presses(question, "Yes"))
    question = await telegram.wait_async(
        lambda: (m := _with_button(telegram, second, "No")) and "2/3" in m["text"] and m,
        "asked the second question",
    )
    await webhook.deliver(second.presses(question, "Yes"))
    question = await telegram.wait_async(
        lambda: _with_button(telegram, second, "Satisfied"), "asked the third question"
    )
    await webhook.deliver(second.presses(question, "Satisfied"))
    thanks = f"Thank you: your answers on case {duplicate} are recorded."
    await telegram.wait_async(lambda: thanks in telegram.texts_to(second.chat_id), "thanked")

    for _ in range(600):
        answers = [e for e in events(engine, master) if e.kind == "merged_survey_answered"]
        if answers:
            break
        await asyncio.sleep(0.05)
    assert [a.payload for a in answers] == [
        {
            "duplicate": duplicate,
            "contacted": "true",
            "resolved": "true",
            "satisfaction": "satisfied",
        }
    ]
    # The master's own survey is still open: the merged answer did not stand in for it.
    row = case_row(engine, master)
    assert (row.status, row.satisfaction) == (CaseStatus.callback, None)
