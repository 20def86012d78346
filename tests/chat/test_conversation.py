"""A text outside any request, by chat: it joins the reopened case, thanks after a survey opens
nothing, several open cases are asked about and the number files the text, "新" / "NEW" always
starts a request, and acknowledgements do not count for the rate limit."""

from __future__ import annotations

import re

from sqlalchemy.engine import Engine
from temporalio.client import Client

from api.main import create_app
from core.settings import Settings
from models.enums import CaseStatus, IdentityKind
from tests.chat.conftest import Webhook
from tests.chat.test_webhook import _open_case, _with_button
from tests.utils.cases import (
    numbers_owned_by,
    resolve_through,
    wait_for_details,
    wait_for_notification,
    wait_for_status,
)
from tests.utils.servers import serve
from tests.utils.telegram_api import Citizen, FakeTelegram

NUMBER = re.compile(r"\d{8}-\d{6,}")
ADDED_ZH = "已补充到案件 {}，承办单位将会看到。\n如要反映其他问题，请以“新”开头发送，或发送 /new。"
ADDED_EN = (
    "Added to case {}; the unit handling it will see it.\n"
    "To report a different problem, start your message with “NEW” or send /new."
)
THANKS_ZH = "收到，谢谢。如有其他问题，欢迎随时给我们留言。"
THANKS_EN = "Thank you. Message us any time if there is anything else."


async def _open_case_en(
    webhook: Webhook, telegram: FakeTelegram, citizen: Citizen, text: str
) -> str:
    """The intake conversation in English (the chat's client is English)."""
    before = len([t for t in telegram.texts_to(citizen.chat_id) if "Case number" in t])
    await webhook.deliver(citizen.says(text))
    await webhook.deliver(citizen.shares_location(39.9962, 116.4707))
    await webhook.deliver(
        citizen.presses(telegram.message_with_buttons(citizen.chat_id), "No photo")
    )
    summary = await telegram.wait_async(lambda: _with_button(telegram, citizen, "Send"), "summary")
    await webhook.deliver(citizen.presses(summary, "Send"))
    reply = await telegram.wait_async(
        lambda: [t for t in telegram.texts_to(citizen.chat_id) if "Case number" in t][before:],
        "gave a case number",
    )
    found = NUMBER.search(reply[0])
    assert found is not None
    return found.group()


async def test_after_a_dissatisfied_survey_the_next_message_joins_the_reopened_case(
    webhook: Webhook, telegram: FakeTelegram, temporal_client: Client, engine: Engine
) -> None:
    citizen = Citizen()
    number = await _open_case(webhook, telegram, citizen)
    await resolve_through(temporal_client, number)
    await wait_for_notification(engine, number, "survey")
    await webhook.deliver(citizen.says("是 否 不满意"))
    await wait_for_status(engine, number, CaseStatus.reopened)

    # The reopened notice comes from the worker, so it may pass the thanks on its way.
    reopened = re.compile(
        rf"您的诉求 {number} 已重新办理，承办单位须在 \d{{4}}-\d\d-\d\d \d\d:\d\d 前办结。"
    )
    await telegram.wait_async(
        lambda: [t for t in telegram.texts_to(citizen.chat_id) if reopened.fullmatch(t)],
        "the reopened notice",
    )

    await webhook.deliver(citizen.says("烧烤摊昨晚又出来了"))
    *before, added = telegram.texts_to(citizen.chat_id)[-3:]
    assert added == ADDED_ZH.format(number)
    assert f"谢谢，您对案件 {number} 的评价已记录。" in before
    assert any(reopened.fullmatch(text) for text in before)
    assert await wait_for_details(engine, number, 1) == ["烧烤摊昨晚又出来了"]
    assert numbers_owned_by(engine, IdentityKind.telegram, str(citizen.chat_id)) == [number]
    await temporal_client.get_workflow_handle(number).terminate("test finished")


async def test_thanks_after_the_survey_opens_nothing_in_either_language(
    webhook: Webhook, telegram: FakeTelegram, temporal_client: Client, engine: Engine
) -> None:
    citizen = Citizen()
    number = await _open_case(webhook, telegram, citizen)
    await resolve_through(temporal_client, number)
    await wait_for_notification(engine, number, "survey")
    await webhook.deliver(citizen.says("是 是 满意"))
    await wait_for_status(engine, number, CaseStatus.closed)
    for text in ("嗯", "好的，谢谢！", "满意"):
        await webhook.deliver(citizen.says(text))
    assert telegram.texts_to(citizen.chat_id)[-3:] == [THANKS_ZH] * 3
    assert numbers_owned_by(engine, IdentityKind.telegram, str(citizen.chat_id)) == [number]

    english = Citizen(language_code="en")
    number = await _open_case_en(webhook, telegram, english, "The hallway light is out")
    await resolve_through(temporal_client, number)
    await wait_for_notification(engine, number, "survey")
    await webhook.deliver(english.says("yes yes satisfied"))
    await wait_for_status(engine, number, CaseStatus.closed)
    for text in ("thanks", "OK 👍"):
        await webhook.deliver(english.says(text))
    assert telegram.texts_to(english.chat_id)[-2:] == [THANKS_EN] * 2
    assert numbers_owned_by(engine, IdentityKind.telegram, str(english.chat_id)) == [number]


async def test_several_open_cases_are_asked_about_and_the_number_files_the_message(
    webhook: Webhook, telegram: FakeTelegram, engine: Engine
) -> None:
    citizen = Citizen()
    first = await _open_case(webhook, telegram, citizen)
    second = await _open_case(webhook, telegram, citizen, text="新 小区门口的井盖松了")
    await webhook.deliver(citizen.says("今天还是没人来修"))
    assert telegram.texts_to(citizen.chat_id)[-1] == (
        f"您有多件正在办理的诉求：\n{second}\n{first}\n这条消息是关于哪一件？请回复其编号；"
        "如要反映新问题，请以“新”开头发送，或发送 /new。"
    )
    await webhook.deliver(citizen.says(first))
    assert telegram.texts_to(citizen.chat_id)[-1] == ADDED_ZH.format(first)
    assert await wait_for_details(engine, first, 1) == ["今天还是没人来修"]
    assert numbers_owned_by(engine, IdentityKind.telegram, str(citizen.chat_id)) == [first, second]

    english = Citizen(language_code="en")
    one = await _open_case_en(webhook, telegram, english, "Rubbish not collected for days")
    two = await _open_case_en(webhook, telegram, english, "NEW The stairway light is out")
    await webhook.deliver(english.says("Nobody came today"))
    assert telegram.texts_to(english.chat_id)[-1] == (
        f"You have several open cases:\n{two}\n{one}\nWhich one is your message about? Reply "
        "with its number; to report a new problem, start your message with “NEW” or send /new."
    )
    await webhook.deliver(english.says(f"{one} still nothing"))
    assert telegram.texts_to(english.chat_id)[-1] == ADDED_EN.format(one)
    assert await wait_for_details(engine, one, 1) == ["still nothing"]
    assert numbers_owned_by(engine, IdentityKind.telegram, str(english.chat_id)) == [one, two]


async def test_acknowledgements_do_not_count_for_the_chat_rate_limit(
    chat_settings: Settings, chat_worker: None, telegram: FakeTelegram, engine: Engine
) -> None:
    strict = chat_settings.model_copy(
        update={"channel_rate_limit_messages": 2, "channel_rate_limit_backend": "database"}
    )
    with serve(create_app(strict)) as url:
        webhook = Webhook(url)
        citizen = Citizen()
        number = await _open_case(webhook, telegram, citizen)  # the description: 1 of 2
        for text in ("好的", "谢谢", "嗯", "收到", "OK"):
            await webhook.deliver(citizen.says(text))
        await webhook.deliver(citizen.says("电梯今天还是坏的"))  # details: 2 of 2
        await webhook.deliver(citizen.says("好的"))  # still answered at the limit
        await webhook.deliver(citizen.says("电梯还是坏的"))
    texts = telegram.texts_to(citizen.chat_id)
    assert texts[-8:-2] == [THANKS_ZH] * 5 + [ADDED_ZH.format(number)]
    assert texts[-2] == THANKS_ZH
    assert texts[-1].startswith("您提交诉求过于频繁")
    assert await wait_for_details(engine, number, 1) == ["电梯今天还是坏的"]
