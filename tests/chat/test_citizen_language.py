"""The chat's /lang is the citizen's language, and the citizen's language reaches the chat."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.db import session_scope
from intake.citizens import preferred_language, set_preferred_language
from models.enums import Channel, IdentityKind, Language
from tests.chat.conftest import Webhook
from tests.utils.telegram_api import Citizen, FakeTelegram


def _chosen(engine: Engine, citizen: Citizen) -> Language | None:
    with Session(engine) as session:
        identity = (IdentityKind.telegram, str(citizen.chat_id))
        return preferred_language(session=session, identity=identity)


async def test_lang_in_the_chat_is_kept_for_the_citizen(
    webhook: Webhook, telegram: FakeTelegram, engine: Engine
) -> None:
    citizen = Citizen(language_code="zh-hans")
    assert _chosen(engine, citizen) is None
    await webhook.deliver(citizen.says("/lang en"))
    await telegram.wait_async(lambda: telegram.texts_to(citizen.chat_id), "answered")
    assert telegram.texts_to(citizen.chat_id) == ["Language set: English"]
    assert _chosen(engine, citizen) == Language.en


async def test_a_citizen_who_chose_english_elsewhere_is_answered_in_english(
    webhook: Webhook, telegram: FakeTelegram, engine: Engine
) -> None:
    citizen = Citizen(language_code="zh-hans")  # the Telegram client says Chinese
    with session_scope(engine) as session:  # as SMS `EN` or the phone's key 2 set it
        set_preferred_language(
            session=session,
            identity=(IdentityKind.telegram, str(citizen.chat_id)),
            proved_by=Channel.chat,
            language=Language.en,
        )
    await webhook.deliver(citizen.says("/help"))
    texts = await telegram.wait_async(lambda: telegram.texts_to(citizen.chat_id), "answered")
    assert texts[0].startswith("This is the 12345 citizen service hotline.")
