"""Texts out: notices when the case moves, delivery reports, the survey by SMS, STOP honoured."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select
from temporalio.client import Client

from models import Case, SmsMessage
from models.citizen import CitizenIdentity
from models.enums import CaseStatus, Satisfaction
from tests.sms.phone import PUBLIC, Phone, message_sid, wait_for_sms
from tests.utils.cases import (
    case_row,
    event_kinds,
    events,
    notifications,
    resolve_through,
    wait_for_notification,
)
from tests.utils.twilio_api import HOTLINE_NUMBER, FakeTwilio
from workflows.case import CaseWorkflow
from workflows.types import Dispatch

CHAOYANG = "110105"
NUMBER = re.compile(r"\d{8}-\d{6}")


async def _open_case(phone: Phone, text: str = "望京西园三区的路灯坏了。") -> str:
    reply = await phone.text(text)
    assert reply is not None
    found = NUMBER.search(reply)
    assert found, reply
    return found.group(0)


def _sms_rows(engine: Engine, sid: str) -> SmsMessage | None:
    with Session(engine) as session:
        return session.exec(select(SmsMessage).where(SmsMessage.sid == sid)).first()


async def _wait_for_status(engine: Engine, sid: str, status: str) -> SmsMessage:
    for _ in range(600):
        row = _sms_rows(engine, sid)
        if row is not None and row.status == status and row.kind:
            return row
        await asyncio.sleep(0.05)
    raise AssertionError(f"message {sid} never reached '{status}': {_sms_rows(engine, sid)}")


async def test_a_dispatched_case_texts_the_citizen_and_records_delivery(
    sms_url: str, twilio: FakeTwilio, temporal_client: Client, engine: Engine
) -> None:
    phone = Phone(sms_url)
    number = await _open_case(phone)
    handle = temporal_client.get_workflow_handle(number)
    await handle.execute_update(CaseWorkflow.dispatch, Dispatch("dispatcher-1", CHAOYANG))
    [sent] = await wait_for_sms(twilio, phone.number)
    assert sent["Body"] == f"您的诉求 {number} 已派至承办单位处理。"
    assert sent["From"] == HOTLINE_NUMBER
    assert sent["StatusCallback"] == (f"{PUBLIC}/twilio/sms/status?case={number}&kind=dispatched")
    row = await _wait_for_status(engine, sent["Sid"], "delivered")
    assert (row.direction, row.kind, row.segments, row.encoding) == (
        "outbound",
        "dispatched",
        1,
        "UCS-2",
    )
    assert row.case_id == case_row(engine, number).id
    [notice] = [n for n in notifications(engine, number) if n.kind == "dispatched"]
    assert (notice.channel, notice.address, notice.provider_id) == ("sms", phone.number, row.sid)
    delivery = [e for e in events(engine, number) if e.kind == "sms_delivery"]
    assert [e.payload for e in delivery] == [
        {"sid": sent["Sid"], "status": "delivered", "notice": "dispatched"}
    ]


async def test_an_undelivered_text_is_recorded_on_the_case(
    sms_url: str, twilio: FakeTwilio, temporal_client: Client, engine: Engine
) -> None:
    phone = Phone(sms_url)
    twilio.undeliverable.add(phone.number)
    number = await _open_case(phone)
    await temporal_client.get_workflow_handle(number).execute_update(
        CaseWorkflow.dispatch, Dispatch("dispatcher-1", CHAOYANG)
    )
    [sent] = await wait_for_sms(twilio, phone.number)
    row = await _wait_for_status(engine, sent["Sid"], "undelivered")
    assert row.error_code == "30003"
    for _ in range(200):
        if "sms_delivery" in event_kinds(engine, number):
            break
        await asyncio.sleep(0.05)
    [event] = [e for e in events(engine, number) if e.kind == "sms_delivery"]
    assert event.payload["status"] == "undelivered"
    assert event.payload["error_code"] == "30003"


async def test_the_survey_answered_by_sms_closes_the_case(
    sms_url: str, twilio: FakeTwilio, temporal_client: Client, engine: Engine
) -> None:
    phone = Phone(sms_url)
    number = await _open_case(phone)
    await resolve_through(temporal_client, number, "路灯已更换。")
    await wait_for_notification(engine, number, "survey")
    texts = [m["Body"] for m in await wait_for_sms(twilio, phone.number, 3)]
    assert texts[1] == f"您的诉求 {number} 已办结。答复：路灯已更换。"
    assert texts[2].startswith(f"回访 {number}：")

    # One clarifying question for an answer we cannot read, then texts are texts again.
    clarify = await phone.text("还行吧")
    assert clarify is not None and clarify.startswith(f"没能读懂您对案件 {number} 的回访答复")
    unrelated = await phone.text("还有，小区门口的井盖松了。")
    assert unrelated is not None and unrelated.startswith("您的诉求已受理")
    assert number not in unrelated

    sid = message_sid()
    thanks = await phone.text("是 是 基本满意", sid=sid)
    assert thanks == f"感谢您对案件 {number} 的评价。"
    outcome = await temporal_client.get_workflow_handle_for(CaseWorkflow.run, number).result()
    assert outcome.status == CaseStatus.closed
    case = case_row(engine, number)
    assert case.satisfaction == Satisfaction.basically_satisfied
    assert (case.survey_contacted, case.survey_resolved) == (True, True)

    # Twilio delivers the answer again after the case closed: same reply, nothing new.
    cases_before = _case_count(engine)
    assert await phone.text("是 是 基本满意", sid=sid) == thanks
    assert _case_count(engine) == cases_before
    assert event_kinds(engine, number).count("survey_answered") == 1


async def test_stop_is_honoured_until_start(
    sms_url: str, twilio: FakeTwilio, temporal_client: Client, engine: Engine
) -> None:
    phone = Phone(sms_url)
    number = await _open_case(phone)
    assert await phone.text("退订") == "您已退订，将不再收到本热线的短信。回复“START”恢复。"
    with Session(engine) as session:
        identity = session.exec(
            select(CitizenIdentity).where(CitizenIdentity.value == phone.number)
        ).one()
    assert identity.opted_out
    assert await phone.text("帮助") is None  # no reply at all while opted out
    assert await phone.text(f"CX {number}") is None

    handle = temporal_client.get_workflow_handle(number)
    # The update returns once its notices are handled: the citizen's was not sent.
    await handle.execute_update(CaseWorkflow.dispatch, Dispatch("dispatcher-1", CHAOYANG))
    assert [n.kind for n in notifications(engine, number)] == ["unit_new_case"]
    assert twilio.messages_to(phone.number) == []

    assert await phone.text("START") == "您已恢复接收本热线的短信。"
    assert await phone.text(f"CX {number}") == f"案件 {number}：已派单。"


def _case_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Case).where(col(Case.id) > 0)).one()
