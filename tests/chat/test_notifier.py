"""`TelegramNotifier` on its own: what each notice looks like at the Bot API."""

from __future__ import annotations

from channels.chat.notifier import TelegramNotifier
from core.settings import Settings
from models.enums import Channel, Language
from notices.port import OutboundMessage
from tests.utils.telegram_api import Citizen, FakeTelegram


def _message(chat_id: int, kind: str, language: Language, text: str = "") -> OutboundMessage:
    return OutboundMessage(
        case_number="20261125-000042",
        channel=Channel.chat,
        address=str(chat_id),
        language=language,
        kind=kind,
        text=text,
    )


async def test_a_notice_is_sent_as_rendered_and_returns_the_message_id(
    chat_settings: Settings, telegram: FakeTelegram
) -> None:
    chat = Citizen().chat_id
    text = "Case 20261125-000042 has been sent to the unit responsible."
    provider_id = await TelegramNotifier(chat_settings).send(
        _message(chat, "dispatched", Language.en, text)
    )
    [call] = telegram.sent("sendMessage", chat)
    assert call["text"] == text
    assert "reply_markup" not in call
    assert provider_id == f"telegram:{chat}:{call['message_id']}"


async def test_the_survey_goes_out_as_its_first_question_with_buttons_in_the_case_language(
    chat_settings: Settings, telegram: FakeTelegram
) -> None:
    chat = Citizen().chat_id
    await TelegramNotifier(chat_settings).send(_message(chat, "survey", Language.en, "ignored"))
    [call] = telegram.sent("sendMessage", chat)
    assert call["text"] == (
        "Follow-up on case 20261125-000042: please answer three short questions.\n\n"
        "1/3 Did the unit responsible contact you?"
    )
    buttons = [b for row in call["reply_markup"]["inline_keyboard"] for b in row]
    assert [(b["text"], b["callback_data"]) for b in buttons] == [
        ("Yes", "sv:20261125-000042::1"),
        ("No", "sv:20261125-000042::2"),
    ]


async def test_a_chat_that_blocked_the_bot_is_recorded_undeliverable_not_retried(
    chat_settings: Settings, telegram: FakeTelegram
) -> None:
    chat = Citizen().chat_id
    telegram.blocked.add(chat)
    provider_id = await TelegramNotifier(chat_settings).send(
        _message(chat, "resolved", Language.zh, "您的诉求已办结。")
    )
    assert provider_id == "telegram:undeliverable:Forbidden: bot was blocked by the user"
