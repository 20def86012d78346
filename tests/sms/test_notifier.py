"""The SMS notifier on its own, against the local Twilio server: trimming, opt-out, errors."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from channels.sms import store
from channels.sms.notifier import OPTED_OUT, SmsNotifier
from core.settings import Settings
from intake.service import accept_intake
from models import SmsMessage
from models.enums import Channel, Language
from notices.port import OutboundMessage
from tests.utils.cases import events
from tests.utils.factories import make_intake, unique_phone
from tests.utils.twilio_api import FakeTwilio


def _message(address: str, text: str) -> OutboundMessage:
    return OutboundMessage(
        case_number="20990101-000001",  # no such case: the message is still recorded
        channel=Channel.sms,
        address=address,
        language=Language.zh,
        kind="resolved",
        text=text,
    )


async def test_a_long_chinese_text_is_trimmed_to_the_maximum_and_recorded(
    sms_settings: Settings, twilio: FakeTwilio, engine: Engine
) -> None:
    notifier = SmsNotifier(
        settings=sms_settings.model_copy(update={"sms_max_segments": 2}), engine=engine
    )
    phone = unique_phone()
    sid = await notifier.send(_message(phone, "答复：" + "已经协调物业维修。" * 40))
    [sent] = twilio.messages_to(phone)
    assert sent["Sid"] == sid
    assert len(sent["Body"]) == 67 * 2 and sent["Body"].endswith("…")
    with Session(engine) as session:
        row = session.exec(select(SmsMessage).where(SmsMessage.sid == sid)).one()
    assert (row.segments, row.encoding, row.body, row.case_id) == (2, "UCS-2", sent["Body"], None)


async def test_a_number_that_opted_out_is_never_texted(
    sms_settings: Settings, twilio: FakeTwilio, engine: Engine
) -> None:
    phone = unique_phone()
    store.set_opted_out(engine, phone, True)
    notifier = SmsNotifier(settings=sms_settings, engine=engine)
    assert await notifier.send(_message(phone, "您的诉求已办结。")) == OPTED_OUT
    assert twilio.messages_to(phone) == []


async def test_twilio_refusals_are_not_retried_but_outages_are(
    sms_settings: Settings, twilio: FakeTwilio, engine: Engine
) -> None:
    notifier = SmsNotifier(settings=sms_settings, engine=engine)
    phone = unique_phone()
    with twilio.lock:
        twilio.failures.append(400)
    assert await notifier.send(_message(phone, "x")) == "sms-refused:20400"
    with twilio.lock:
        twilio.failures.append(503)
    with pytest.raises(Exception, match="injected failure"):
        await notifier.send(_message(phone, "x"))
    assert twilio.messages_to(phone) == []


async def test_a_number_twilio_says_unsubscribed_is_opted_out(
    sms_settings: Settings, twilio: FakeTwilio, engine: Engine
) -> None:
    notifier = SmsNotifier(settings=sms_settings, engine=engine)
    phone = unique_phone()
    with twilio.lock:
        twilio.error_codes.append(21610)
    assert await notifier.send(_message(phone, "您的诉求已办结。")) == OPTED_OUT
    assert store.is_opted_out(engine, phone)
    assert await notifier.send(_message(phone, "回访")) == OPTED_OUT
    assert twilio.messages_to(phone) == []


def test_a_delivery_report_before_the_send_is_recorded_and_never_goes_backwards(
    settings: Settings, engine: Engine
) -> None:
    case = accept_intake(
        engine=engine, intake=make_intake(channel=Channel.sms), settings=settings
    ).case
    sid, phone = "SM" + uuid.uuid4().hex, unique_phone()
    report = {"sid": sid, "error_code": None, "phone": phone, "case_number": case.number}
    store.record_status(engine, status="delivered", kind="dispatched", **report)
    store.record_status(engine, status="delivered", kind="dispatched", **report)  # redelivered
    store.record_status(engine, status="sent", kind="dispatched", **report)  # late and older
    store.record_outbound(
        engine,
        store.Outbound(sid, phone, case.number, "dispatched", "您的诉求…", 1, "UCS-2", "queued"),
    )
    with Session(engine) as session:
        row = session.exec(select(SmsMessage).where(SmsMessage.sid == sid)).one()
    assert (row.status, row.kind, row.case_id, row.segments) == (
        "delivered",
        "dispatched",
        case.id,
        1,
    )
    assert [e.kind for e in events(engine, case.number)] == ["accepted", "sms_delivery"]
