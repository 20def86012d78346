"""A number that floods the hotline: one polite reply per window, then silence, and no cases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from api.main import create_app
from channels.sms import store
from core.settings import Settings
from models import Case
from tests.sms.phone import Phone, message_sid
from tests.utils.servers import serve


@pytest.fixture(scope="module")
def strict_url(sms_settings: Settings, sms_worker: None) -> Iterator[str]:
    strict = sms_settings.model_copy(
        update={"channel_rate_limit_messages": 2, "channel_rate_limit_window_s": 3600}
    )
    with serve(create_app(strict)) as url:
        yield url


async def test_a_flooding_number_is_told_once_then_ignored(strict_url: str, engine: Engine) -> None:
    phone = Phone(strict_url)
    first = await phone.text("小区电梯坏了。")
    assert first is not None and first.startswith("您的诉求已受理")
    assert (await phone.text("帮助") or "").startswith("12345市民服务热线")
    refused = [message_sid() for _ in range(3)]
    replies = [
        await phone.text(f"第{i}条：电梯还是坏的。", sid=sid) for i, sid in enumerate(refused)
    ]
    assert replies == ["您发送的短信过于频繁，请稍后再试。紧急情况请拨打 12345。", None, None]
    with Session(engine) as session:
        opened = session.exec(
            select(func.count()).select_from(Case).where(col(Case.intake_key).in_(refused))
        ).one()
    assert opened == 0

    # Even a flooding number is let go when it asks to be.
    assert await phone.text("STOP") == ("您已退订，将不再收到本热线的短信。回复“START”恢复。")
    assert store.is_opted_out(engine, phone.number)

    other = Phone(strict_url)  # the limit is per sender
    assert (await other.text("HELP") or "").startswith("12345 citizen hotline")
