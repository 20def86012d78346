"""The Telegram bot by webhook: intake, /status, a notice when the case moves, the survey by
inline buttons, and duplicate deliveries that change nothing."""

from __future__ import annotations

import asyncio
import hashlib
import re

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.client import Client

from api.main import create_app
from channels.chat.webhook import PATH, SECRET_HEADER
from core.settings import Settings
from models import Attachment, Case, CitizenIdentity
from models.enums import CaseStatus, Channel, IdentityKind, Satisfaction
from tests.chat.conftest import Webhook
from tests.utils.cases import case_row, event_kinds, wait_for_notification
from tests.utils.servers import serve
from tests.utils.telegram_api import Citizen, FakeTelegram
from workflows.case import CaseWorkflow
from workflows.types import Dispatch, Resolve, UnitAction

CHAOYANG = "110105"
NUMBER = re.compile(r"\d{8}-\d{6}")
PHOTO = b"\xff\xd8\xff\xe0" + b"a broken street lamp" * 50


async def _open_case(
    webhook: Webhook,
    telegram: FakeTelegram,
    citizen: Citizen,
    *,
    photo: bytes | None = None,
    text: str = "望京街道阜通东大街路口的路灯坏了一周，晚上很黑",
) -> str:
    """The intake conversation; every update is delivered twice, as Telegram may.

    With a case open already, `text` must start with "新" / "NEW" to be a new request.
    """
    before = len([t for t in telegram.texts_to(citizen.chat_id) if "案件编号" in t])
    steps = [
        citizen.says(text),
        citizen.shares_location(39.9962, 116.4707),
        citizen.sends_photo(telegram, photo) if photo else None,
    ]
    for update in steps:
        if update is None:
            prompt = telegram.message_with_buttons(citizen.chat_id)
            update = citizen.presses(prompt, "不上传照片")
        assert await webhook.deliver(update) == 200
        assert await webhook.deliver(update) == 200
    summary = await telegram.wait_async(
        lambda: _with_button(telegram, citizen, "提交"), "asked to confirm"
    )
    confirm = citizen.presses(summary, "提交")
    for _ in range(2):
        assert await webhook.deliver(confirm) == 200
    reply = await telegram.wait_async(
        lambda: [t for t in telegram.texts_to(citizen.chat_id) if "案件编号" in t][before:],
        "gave a case number",
    )
    match = NUMBER.search(reply[0])
    assert match is not None
    return match.group()


def _with_button(telegram: FakeTelegram, citizen: Citizen, label: str) -> dict | None:
    try:
        message = telegram.message_with_buttons(citizen.chat_id)
    except AssertionError:
        return None
    buttons = [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
    return message if label in buttons else None


async def test_intake_conversation_makes_one_case_with_the_chat_and_the_photo(
    webhook: Webhook, telegram: FakeTelegram, engine: Engine
) -> None:
    citizen = Citizen()
    number = await _open_case(webhook, telegram, citizen, photo=PHOTO)

    case = case_row(engine, number)
    assert case.channel == Channel.chat
    assert case.latitude == 39.9962 and case.longitude == 116.4707
    assert "路灯" in case.description
    with Session(engine) as session:
        identities = session.exec(
            select(CitizenIdentity).where(CitizenIdentity.citizen_id == case.citizen_id)
        ).all()
        attachments = session.exec(select(Attachment).where(Attachment.case_id == case.id)).all()
    assert [(i.kind, i.value) for i in identities] == [
        (IdentityKind.telegram, str(citizen.chat_id))
    ]
    assert [(a.kind, a.sha256) for a in attachments] == [
        ("photo", hashlib.sha256(PHOTO).hexdigest())
    ]
    # Each update came twice; the conversation and the case happened once.
    replies = telegram.texts_to(citizen.chat_id)
    assert len([t for t in replies if "案件编号" in t]) == 1
    assert len([t for t in replies if "问题发生在哪里" in t]) == 1
    assert event_kinds(engine, number) == ["accepted"]

    # Send pressed again later (a new update, not a re-delivery): still one case.
    summary = [c for c in telegram.sent("sendMessage", citizen.chat_id) if "请确认" in c["text"]]
    assert await webhook.deliver(citizen.presses(summary[-1], "提交")) == 200
    answered = await telegram.wait_async(
        lambda: [
            c
            for c in telegram.sent("answerCallbackQuery")
            if c.get("text") == "该诉求已提交或已取消。"
        ],
        "said the request was already sent",
    )
    assert len(answered) == 1
    with Session(engine) as session:
        cases_of_chat = session.exec(select(Case).where(Case.citizen_id == case.citizen_id)).all()
    assert [c.number for c in cases_of_chat] == [number]


async def test_status_answers_with_and_without_a_number(
    webhook: Webhook, telegram: FakeTelegram
) -> None:
    citizen = Citizen()
    await webhook.deliver(citizen.says("/status"))
    await telegram.wait_async(
        lambda: any("还没有案件" in t for t in telegram.texts_to(citizen.chat_id)),
        "said there is no case yet",
    )
    number = await _open_case(webhook, telegram, citizen)
    await webhook.deliver(citizen.says("/status"))
    await webhook.deliver(citizen.says(f"/status {number}"))
    await webhook.deliver(citizen.says("/status 20990101-000001"))
    await webhook.deliver(citizen.says("/status 12345"))
    texts = await telegram.wait_async(
        lambda: (t := telegram.texts_to(citizen.chat_id)) and len(t) >= 9 and t,
        "answered every /status",
    )
    assert texts[-4:] == [
        f"案件 {number}：已受理，等待派单。",
        f"案件 {number}：已受理，等待派单。",
        "没有编号为 20990101-000001 的案件。",
        "案件编号格式如 20261122-000123：/status 20261122-000123",
    ]


async def test_case_notices_reach_the_chat_and_the_survey_is_answered_by_buttons(
    webhook: Webhook, telegram: FakeTelegram, temporal_client: Client, engine: Engine
) -> None:
    citizen = Citizen(language_code="en")
    await webhook.deliver(citizen.says("/lang"))
    chooser = await telegram.wait_async(
        lambda: _with_button(telegram, citizen, "English"), "offered the languages"
    )
    await webhook.deliver(citizen.presses(chooser, "中文"))  # the client says en; choose 中文
    number = await _open_case(webhook, telegram, citizen)

    handle = temporal_client.get_workflow_handle_for(CaseWorkflow.run, number)
    await handle.execute_update(CaseWorkflow.dispatch, Dispatch("dispatcher-1", CHAOYANG))
    await wait_for_notification(engine, number, "dispatched")
    assert f"您的诉求 {number} 已派至承办单位处理。" in telegram.texts_to(citizen.chat_id)

    await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("h", CHAOYANG))
    await handle.execute_update(CaseWorkflow.respond, UnitAction("h", CHAOYANG))
    await handle.execute_update(CaseWorkflow.resolve, Resolve("h", CHAOYANG, "路灯已修复"))
    await wait_for_notification(engine, number, "survey")
    question = await telegram.wait_async(
        lambda: _with_button(telegram, citizen, "是"), "asked the first survey question"
    )
    assert question["text"].endswith("1/3 承办单位是否联系了您？")

    await webhook.deliver(citizen.presses(question, "是"))
    question = await telegram.wait_async(
        lambda: (m := _with_button(telegram, citizen, "是")) and "2/3" in m["text"] and m,
        "asked the second question",
    )
    await webhook.deliver(citizen.presses(question, "是"))
    question = await telegram.wait_async(
        lambda: _with_button(telegram, citizen, "基本满意"), "asked the third question"
    )
    last = citizen.presses(question, "基本满意")
    await webhook.deliver(last)
    await webhook.deliver(last)  # delivered twice
    await webhook.deliver(citizen.presses(question, "不满意"))  # and a second press

    outcome = await handle.result()
    assert outcome.status == CaseStatus.closed
    row = case_row(engine, number)
    assert row.satisfaction == Satisfaction.basically_satisfied
    assert (row.survey_contacted, row.survey_resolved) == (True, True)
    assert event_kinds(engine, number).count("survey_answered") == 1
    thanks = [t for t in telegram.texts_to(citizen.chat_id) if t.startswith("谢谢，您对案件")]
    assert len(thanks) == 1


async def test_webhook_refuses_a_missing_or_wrong_secret(
    webhook: Webhook, telegram: FakeTelegram
) -> None:
    citizen = Citizen()
    assert await webhook.deliver(citizen.says("/help"), secret=None) == 403
    assert await webhook.deliver(citizen.says("/help"), secret="guess") == 403
    assert await webhook.deliver({"update_id": "not a number"}) == 422
    assert telegram.texts_to(citizen.chat_id) == []


async def test_language_follows_the_client_and_lang(
    webhook: Webhook, telegram: FakeTelegram
) -> None:
    citizen = Citizen(language_code="en-GB")
    await webhook.deliver(citizen.says("/help"))
    await webhook.deliver(citizen.says("/lang zh"))
    await webhook.deliver(citizen.says("/help"))
    texts = await telegram.wait_async(
        lambda: (t := telegram.texts_to(citizen.chat_id)) and len(t) >= 3 and t, "answered"
    )
    assert texts[0].startswith("This is the 12345 citizen service hotline.")
    assert texts[1] == "语言已设置：中文"
    assert texts[2].startswith("这里是 12345 市民服务热线。")


async def test_a_typed_survey_answer_counts_too_and_dissatisfied_unresolved_reopens(
    webhook: Webhook, telegram: FakeTelegram, temporal_client: Client, engine: Engine
) -> None:
    citizen = Citizen(language_code="en")
    await webhook.deliver(citizen.says("/lang zh"))
    number = await _open_case(webhook, telegram, citizen)
    handle = temporal_client.get_workflow_handle_for(CaseWorkflow.run, number)
    await handle.execute_update(CaseWorkflow.dispatch, Dispatch("dispatcher-1", CHAOYANG))
    await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("h", CHAOYANG))
    await handle.execute_update(CaseWorkflow.respond, UnitAction("h", CHAOYANG))
    await handle.execute_update(CaseWorkflow.resolve, Resolve("h", CHAOYANG, "已联系路灯所"))
    await wait_for_notification(engine, number, "survey")

    answer = citizen.says("是 否 不满意")
    await webhook.deliver(answer)
    await webhook.deliver(answer)
    for _ in range(600):
        if case_row(engine, number).status == CaseStatus.reopened:
            break
        await asyncio.sleep(0.05)
    row = case_row(engine, number)
    assert (row.status, row.satisfaction, row.reopen_count) == (
        CaseStatus.reopened,
        Satisfaction.dissatisfied,
        1,
    )
    assert event_kinds(engine, number).count("survey_answered") == 1
    await handle.terminate("test finished")


def test_without_a_bot_token_the_webhook_is_not_there(settings: Settings) -> None:
    with serve(create_app(settings)) as url:
        response = httpx.post(url + PATH, json={"update_id": 1}, headers={SECRET_HEADER: "x"})
    assert response.status_code == 404
    assert response.json()["detail"] == "the Telegram channel is not configured on this server"
