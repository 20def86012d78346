"""Texts in: new cases, follow-ups, status, language, help, duplicates and refused webhooks."""

from __future__ import annotations

import asyncio
import re

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select
from temporalio.client import Client

from channels.twilio.signature import sign
from models import Case
from models.enums import Language
from tests.sms.phone import PUBLIC, Phone, message_sid, twilio_form
from tests.utils.cases import case_row, event_kinds, events
from tests.utils.twilio_api import AUTH_TOKEN

NUMBER = re.compile(r"\d{8}-\d{6}")


def _number(reply: str | None) -> str:
    assert reply is not None
    found = NUMBER.search(reply)
    assert found, reply
    return found.group(0)


def _cases_opened_by(engine: Engine, sid: str) -> int:
    with Session(engine) as session:
        return session.exec(
            select(func.count()).select_from(Case).where(col(Case.intake_key) == sid)
        ).one()


async def test_a_text_opens_a_case_and_the_reply_carries_its_number(
    sms_url: str, engine: Engine, temporal_client: Client
) -> None:
    phone = Phone(sms_url)
    reply = await phone.text("朝阳区望京街道路灯坏了一个星期，晚上很黑。")
    number = _number(reply)
    assert reply == f"您的诉求已受理，案件编号 {number}。回复“CX {number}”查询进度。"
    case = case_row(engine, number)
    assert (case.channel, case.language, case.status) == ("sms", Language.zh, "accepted")
    assert case.description == "朝阳区望京街道路灯坏了一个星期，晚上很黑。"
    description = await temporal_client.get_workflow_handle(number).describe()
    assert description.status is not None  # the case's workflow runs

    english = Phone(sms_url)
    reply = await english.text("The street light outside Block 3 has been broken for a week.")
    assert reply is not None and reply.startswith("Your request has been received. Case number")
    assert case_row(engine, _number(reply)).language == Language.en


async def test_a_text_soon_after_adds_to_the_case_and_new_opens_another(
    sms_url: str, engine: Engine
) -> None:
    phone = Phone(sms_url)
    number = _number(await phone.text("小区垃圾三天没人清运了。"))
    sid = message_sid()
    added = await phone.text("在3号楼东侧。", sid=sid)
    assert added == f"补充内容已记入案件 {number}。如要提出新的诉求，请以“新”开头发送。"
    again = await phone.text("在3号楼东侧。", sid=sid)  # Twilio delivers the same text twice
    assert again == added
    # Signals are handled in order: once the next text is on the timeline, so is any duplicate.
    await phone.text("靠近北门。")
    for _ in range(600):
        details = [e.payload["text"] for e in events(engine, number) if e.kind == "citizen_details"]
        if "靠近北门。" in details:
            break
        await asyncio.sleep(0.05)
    assert details == ["在3号楼东侧。", "靠近北门。"]

    other = _number(await phone.text("新 楼道灯也不亮。"))
    assert other != number
    assert case_row(engine, other).description == "楼道灯也不亮。"


async def test_a_duplicate_delivery_makes_no_second_case(sms_url: str, engine: Engine) -> None:
    phone = Phone(sms_url)
    sid = message_sid()
    first = await phone.text("噪音扰民，工地夜间施工。", sid=sid)
    second = await phone.text("噪音扰民，工地夜间施工。", sid=sid)
    assert first == second
    assert _cases_opened_by(engine, sid) == 1
    assert event_kinds(engine, _number(first)) == ["accepted"]


async def test_status_by_number_in_either_language_and_only_for_ones_own_cases(
    sms_url: str,
) -> None:
    phone = Phone(sms_url)
    number = _number(await phone.text("人行道上的井盖丢了。"))
    assert await phone.text(f"CX {number}") == f"案件 {number}：已受理。"
    assert await phone.text(f"status {number}") == f"Case {number}: received."
    assert await phone.text("查询") == f"案件 {number}：已受理。"  # the newest case

    stranger = Phone(sms_url)
    assert await stranger.text(f"CX {number}") == f"未找到您的案件 {number}，请核对编号。"
    assert (
        await stranger.text("STATUS") == "You have no case yet. Text us the problem to report it."
    )


async def test_language_switch_and_help(sms_url: str, engine: Engine) -> None:
    phone = Phone(sms_url)
    assert await phone.text("EN") == "We will reply to you in English from now on."
    help_text = await phone.text("?")
    assert help_text is not None and help_text.startswith("12345 citizen hotline")
    number = _number(await phone.text("110 120"))  # no words: the sender's language
    assert case_row(engine, number).language == Language.en
    assert await phone.text(f"cx{number}") == f"Case {number}: received."
    assert await phone.text("中文") == "今后将以中文回复您。"
    assert case_row(engine, number).language == Language.zh  # its notices follow
    assert await phone.text("帮助") == (
        "12345市民服务热线：直接发送问题描述即可提出诉求；“CX 编号”查询进度；"
        "“我的”查看您最近的诉求；“EN”切换英文；“退订”不再接收短信，“START”恢复。"
    )
    english = await phone.text("EN my neighbour's dog barks all night")
    assert english is not None and english.startswith("Added to case")


async def test_unsigned_or_forged_webhooks_are_refused(sms_url: str, engine: Engine) -> None:
    sid = message_sid()
    form = twilio_form("+8613800138000", "伪造的诉求", sid)
    async with httpx.AsyncClient(base_url=sms_url) as http:
        unsigned = await http.post("/twilio/sms", data=form)
        forged = await http.post(
            "/twilio/sms",
            data=form,
            headers={"X-Twilio-Signature": sign(f"{PUBLIC}/twilio/sms", form, "wrong-token")},
        )
        status = await http.post(
            "/twilio/sms/status", data={"MessageSid": sid, "MessageStatus": "delivered"}
        )
    assert (unsigned.status_code, forged.status_code, status.status_code) == (403, 403, 403)
    assert unsigned.json() == {"detail": "invalid or missing X-Twilio-Signature"}
    assert _cases_opened_by(engine, sid) == 0


async def test_a_form_without_sender_is_a_bad_request(sms_url: str) -> None:
    form = {
        k: v for k, v in twilio_form("+8613800138000", "x", message_sid()).items() if k != "From"
    }
    signature = sign(f"{PUBLIC}/twilio/sms", form, AUTH_TOKEN)
    async with httpx.AsyncClient(base_url=sms_url) as http:
        refused = await http.post(
            "/twilio/sms", data=form, headers={"X-Twilio-Signature": signature}
        )
    assert refused.status_code == 400
    assert refused.json() == {"detail": "an inbound SMS needs MessageSid and From"}


async def test_a_picture_without_words_is_asked_for_words(sms_url: str) -> None:
    phone = Phone(sms_url)
    assert await phone.text("") == "请用文字描述您的问题。"


async def test_a_sender_that_is_not_a_phone_number_is_refused(sms_url: str) -> None:
    form = twilio_form("not-a-number", "路灯坏了", message_sid())
    signature = sign(f"{PUBLIC}/twilio/sms", form, AUTH_TOKEN)
    async with httpx.AsyncClient(base_url=sms_url) as http:
        refused = await http.post(
            "/twilio/sms", data=form, headers={"X-Twilio-Signature": signature}
        )
    assert refused.status_code == 422
    assert refused.json()["detail"] == "'not-a-number' is not a phone number"
