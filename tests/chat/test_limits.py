"""The per-chat rate limit: a flooding chat is held back and told once, politely."""

from __future__ import annotations

import httpx

from api.main import create_app
from channels.chat.limits import ChatRateLimiter
from channels.chat.webhook import PATH, SECRET_HEADER
from core.settings import Settings
from tests.utils.servers import serve
from tests.utils.telegram_api import Citizen, FakeTelegram


def test_the_window_slides_and_the_notice_is_given_once_per_blocked_stretch() -> None:
    now = [0.0]
    limiter = ChatRateLimiter(limit=2, window_s=60, clock=lambda: now[0])
    assert [limiter.allow(1), limiter.allow(1), limiter.allow(1)] == [True, True, False]
    assert limiter.allow(2)  # another chat has its own budget
    assert [limiter.should_tell(1), limiter.should_tell(1)] == [True, False]
    now[0] = 30
    assert not limiter.allow(1)
    now[0] = 60.5  # both earlier messages left the window
    assert [limiter.allow(1), limiter.allow(1), limiter.allow(1)] == [True, True, False]
    now[0] = 200
    assert limiter.allow(1)
    assert limiter.should_tell(1)  # a new stretch gets its own notice


def test_a_flooding_chat_gets_one_polite_message(
    chat_settings: Settings, telegram: FakeTelegram
) -> None:
    local = chat_settings.model_copy(update={"telegram_rate_limit_messages": 3})
    citizen = Citizen(language_code="en")
    with serve(create_app(local)) as url:
        for _ in range(6):
            update = citizen.says("/help")
            response = httpx.post(
                url + PATH, json=update, headers={SECRET_HEADER: local.telegram_webhook_secret}
            )
            assert response.status_code == 200
    texts = telegram.texts_to(citizen.chat_id)
    assert len(texts) == 4
    assert all(t.startswith("This is the 12345 citizen service hotline.") for t in texts[:3])
    assert texts[3] == "You are sending messages very fast; please wait a minute and try again."
