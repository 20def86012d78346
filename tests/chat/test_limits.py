"""The per-chat rate limit is the shared per-sender one: a flooding chat is held back and told
once per window, politely, and the count holds across API workers."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.main import create_app
from channels.chat.webhook import PATH, SECRET_HEADER
from core.settings import Settings
from models import Case, CitizenIdentity
from models.enums import IdentityKind
from tests.utils.servers import serve
from tests.utils.telegram_api import Citizen, FakeTelegram

NOTICE = "You are sending messages very fast; please wait a minute and try again."


def _deliver(url: str, update: dict[str, Any], settings: Settings) -> None:
    headers = {SECRET_HEADER: settings.telegram_webhook_secret}
    response = httpx.post(url + PATH, json=update, headers=headers, timeout=60)
    assert response.status_code == 200


def test_a_flooding_chat_gets_one_polite_message_across_api_workers(
    chat_settings: Settings, telegram: FakeTelegram
) -> None:
    local = chat_settings.model_copy(
        update={"channel_rate_limit_messages": 3, "channel_rate_limit_backend": "database"}
    )
    citizen, other = Citizen(language_code="en"), Citizen(language_code="en")
    with ExitStack() as stack:  # two API workers: the count lives in the database
        urls = [stack.enter_context(serve(create_app(local))) for _ in range(2)]
        for i in range(6):
            _deliver(urls[i % 2], citizen.says("/help"), local)
        _deliver(urls[0], other.says("/help"), local)  # another chat has its own budget
    texts = telegram.texts_to(citizen.chat_id)
    assert len(texts) == 4
    assert all(t.startswith("This is the 12345 citizen service hotline.") for t in texts[:3])
    assert texts[3] == NOTICE
    assert len(telegram.texts_to(other.chat_id)) == 1


def test_a_refused_press_makes_no_case_and_is_answered_silently_after_the_notice(
    chat_settings: Settings, telegram: FakeTelegram, engine: Engine
) -> None:
    local = chat_settings.model_copy(
        update={"channel_rate_limit_messages": 3, "channel_rate_limit_backend": "database"}
    )
    citizen = Citizen(language_code="en")
    with serve(create_app(local)) as url:
        _deliver(url, citizen.says("The street lamp at the corner is broken"), local)
        _deliver(url, citizen.says("Futong East Street 1"), local)
        photo_prompt = telegram.message_with_buttons(citizen.chat_id)
        _deliver(url, citizen.presses(photo_prompt, "No photo"), local)
        summary = telegram.message_with_buttons(citizen.chat_id)
        assert "Please check your request" in summary["text"]
        refused = [citizen.presses(summary, "Send") for _ in range(2)]  # the 4th and 5th
        for press in refused:
            _deliver(url, press, local)
    answers = {c["callback_query_id"]: c.get("text") for c in telegram.sent("answerCallbackQuery")}
    assert [answers[press["callback_query"]["id"]] for press in refused] == [NOTICE, None]
    assert telegram.texts_to(citizen.chat_id)[-1].startswith("Please check your request")
    with Session(engine) as session:
        cases = session.exec(
            select(Case)
            .join(CitizenIdentity, col(CitizenIdentity.citizen_id) == col(Case.citizen_id))
            .where(
                CitizenIdentity.kind == IdentityKind.telegram,
                CitizenIdentity.value == str(citizen.chat_id),
            )
        ).all()
    assert cases == []
