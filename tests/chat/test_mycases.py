"""/mycases and "Share my phone number" over the real webhook: a chat lists its own cases only;
a contact of the sender's own account links the phone's cases (filed by SMS) to the chat, a
contact of anyone else is refused and links nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.local_time import local_time
from core.settings import Settings
from intake.schemas import Contact
from intake.service import accept_intake
from models.citizen import CitizenIdentity
from models.enums import Channel, IdentityKind
from tests.chat.conftest import Webhook
from tests.chat.test_webhook import _open_case
from tests.utils.cases import case_row
from tests.utils.factories import make_intake, unique_phone
from tests.utils.telegram_api import Citizen, FakeTelegram


def _case_by(engine: Engine, settings: Settings, channel: Channel, contact: Contact) -> str:
    """A case as the SMS (or chat) channel files it, the contact proved by that channel."""
    kind = IdentityKind.phone if contact.phone else IdentityKind.telegram
    intake = make_intake(channel=channel, contact=contact, description="楼下餐馆油烟太大。")
    accepted = accept_intake(engine=engine, intake=intake, settings=settings, proved=kind)
    return accepted.case.number


def _date(engine: Engine, number: str) -> str:
    return local_time(case_row(engine, number).created_at, "Asia/Shanghai")


async def _reply(telegram: FakeTelegram, citizen: Citizen, after: int) -> dict[str, Any]:
    """The first message the bot sent this chat after it had sent `after` of them."""
    sent = await telegram.wait_async(
        lambda: telegram.sent("sendMessage", citizen.chat_id)[after:], "answered"
    )
    return dict(sent[0])


def _citizens(engine: Engine, *identities: tuple[IdentityKind, str]) -> list[int]:
    with Session(engine) as session:
        return [
            session.exec(
                select(CitizenIdentity.citizen_id).where(
                    CitizenIdentity.kind == kind, CitizenIdentity.value == value
                )
            ).one()
            for kind, value in identities
        ]


async def test_mycases_lists_the_chats_own_cases_and_links_its_own_phone_in_chinese(
    webhook: Webhook, telegram: FakeTelegram, engine: Engine, chat_settings: Settings
) -> None:
    citizen, phone = Citizen(), unique_phone()
    mine = await _open_case(webhook, telegram, citizen)
    other_chat = _case_by(engine, chat_settings, Channel.chat, Contact(telegram_chat_id="4242"))
    by_sms = _case_by(engine, chat_settings, Channel.sms, Contact(phone=phone))
    share = {"text": "分享我的手机号", "request_contact": True}

    count = len(telegram.sent("sendMessage", citizen.chat_id))
    await webhook.deliver(citizen.says("/mycases"))
    listed = await _reply(telegram, citizen, count)
    assert listed["text"] == (
        "您最近的诉求：\n"
        f"{mine}：已受理，等待派单，{_date(engine, mine)}\n"
        "发送 /status 编号 查看其中一件。\n\n"
        "也通过电话或短信反映过问题？请点击下方“分享我的手机号”，在这里一并查看那些诉求。"
    )
    assert listed["reply_markup"]["keyboard"] == [[share]]
    assert other_chat not in listed["text"] and by_sms not in listed["text"]

    # Someone else's contact card (forwarded, or picked from the address book): refused.
    count = len(telegram.sent("sendMessage", citizen.chat_id))
    await webhook.deliver(citizen.shares_contact(phone.lstrip("+"), user_id=777000111))
    refused = await _reply(telegram, citizen, count)
    assert refused["text"] == (
        "这不是您本人 Telegram 账号的手机号，未予关联。如需关联您的手机号，请点击“分享我的手机号”。"
    )
    assert refused["reply_markup"]["keyboard"] == [[share]]
    await webhook.deliver(citizen.shares_contact(phone, user_id=0))  # a contact with no account
    chat_citizen, phone_citizen = _citizens(
        engine, (IdentityKind.telegram, str(citizen.chat_id)), (IdentityKind.phone, phone)
    )
    assert chat_citizen != phone_citizen

    # The sender's own account's number (Telegram sends it without "+"): linked.
    count = len(telegram.sent("sendMessage", citizen.chat_id))
    await webhook.deliver(citizen.shares_contact(phone.lstrip("+")))
    done = await _reply(telegram, citizen, count)
    assert done["text"] == "您的手机号已与本对话关联。"
    assert done["reply_markup"] == {"remove_keyboard": True}
    both = (
        "您最近的诉求：\n"
        f"{by_sms}：已受理，等待派单，{_date(engine, by_sms)}\n"
        f"{mine}：已受理，等待派单，{_date(engine, mine)}\n"
        "发送 /status 编号 查看其中一件。"
    )
    assert (await _reply(telegram, citizen, count + 1))["text"] == both
    chat_citizen, phone_citizen = _citizens(
        engine, (IdentityKind.telegram, str(citizen.chat_id)), (IdentityKind.phone, phone)
    )
    assert chat_citizen == phone_citizen
    assert case_row(engine, by_sms).citizen_id == case_row(engine, mine).citizen_id

    # Linked: /mycases lists both and no longer offers the button.
    count = len(telegram.sent("sendMessage", citizen.chat_id))
    await webhook.deliver(citizen.says("/mycases"))
    again = await _reply(telegram, citizen, count)
    assert again["text"] == both
    assert "reply_markup" not in again
    assert other_chat not in again["text"]


async def test_a_new_english_chat_links_its_phone_and_sees_the_sms_case(
    webhook: Webhook, telegram: FakeTelegram, engine: Engine, chat_settings: Settings
) -> None:
    citizen, phone = Citizen(language_code="en"), unique_phone()
    by_sms = _case_by(engine, chat_settings, Channel.sms, Contact(phone=phone))

    await webhook.deliver(citizen.says("/mycases"))
    listed = await _reply(telegram, citizen, 0)
    assert listed["text"] == (
        "You have no case yet. Describe a problem to start one.\n\n"
        'Reported by phone or SMS too? Press "Share my phone number" below to see those '
        "cases here."
    )
    assert listed["reply_markup"]["keyboard"] == [
        [{"text": "Share my phone number", "request_contact": True}]
    ]

    await webhook.deliver(citizen.shares_contact(phone, user_id=citizen.chat_id + 1))
    refused = await _reply(telegram, citizen, 1)
    assert refused["text"] == (
        "This is not the phone number of your own Telegram account, so it was not linked. "
        'To link yours, press "Share my phone number".'
    )

    await webhook.deliver(citizen.shares_contact(phone))
    assert (await _reply(telegram, citizen, 2))["text"] == (
        "Your phone number is now linked to this chat."
    )
    assert (await _reply(telegram, citizen, 3))["text"] == (
        "Your latest cases:\n"
        f"{by_sms}: received, waiting to be sent to a unit, {_date(engine, by_sms)}\n"
        "/status <number> for one of them."
    )
    [chat_citizen, phone_citizen] = _citizens(
        engine, (IdentityKind.telegram, str(citizen.chat_id)), (IdentityKind.phone, phone)
    )
    assert chat_citizen == phone_citizen


HELP = {
    "zh": "这里是 12345 市民服务热线。\n"
    "直接发送文字描述问题即可提交诉求：我们会询问地点和照片（可选），然后给您案件编号。\n"
    "/new - 提交新诉求\n"
    "/status [编号] - 查询案件进度\n"
    "/add [编号] - 补充未办结案件的内容\n"
    "/mycases - 我最近的诉求\n"
    "/lang - 中文 / English\n"
    "/cancel - 取消当前诉求",
    "en": "This is the 12345 citizen service hotline.\n"
    "Describe a problem in a message to start a request: we ask for the place and an optional "
    "photo, then give you a case number.\n"
    "/new - start a request\n"
    "/status [number] - where your case stands\n"
    "/add [number] - add details to your open case\n"
    "/mycases - your latest cases\n"
    "/lang - 中文 / English\n"
    "/cancel - stop the current request",
}
OFFER = {
    "zh": "也通过电话或短信反映过问题？请点击下方“分享我的手机号”，在这里一并查看那些诉求。",
    "en": 'Reported by phone or SMS too? Press "Share my phone number" below to see those '
    "cases here.",
}
SHARE = {"zh": "分享我的手机号", "en": "Share my phone number"}


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_start_offers_to_share_the_phone_until_it_is_linked(
    language: str, webhook: Webhook, telegram: FakeTelegram
) -> None:
    citizen, phone = Citizen(language_code=language), unique_phone()
    await webhook.deliver(citizen.says("/start"))
    greeted = await _reply(telegram, citizen, 0)
    assert greeted["text"] == f"{HELP[language]}\n\n{OFFER[language]}"
    assert greeted["reply_markup"]["keyboard"] == [
        [{"text": SHARE[language], "request_contact": True}]
    ]

    await webhook.deliver(citizen.shares_contact(phone))
    await _reply(telegram, citizen, 2)  # linked, then the (empty) list of cases
    await webhook.deliver(citizen.says("/start"))
    again = await _reply(telegram, citizen, 3)
    assert again["text"] == HELP[language]
    assert "reply_markup" not in again
