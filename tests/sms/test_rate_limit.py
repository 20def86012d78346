"""A number that floods the hotline: one polite reply with the real wait, then silence, and no
cases; keywords (HELP, STATUS, STOP) never count."""

from __future__ import annotations

import re
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
    assert (await phone.text("帮助") or "").startswith("12345市民服务热线")  # not counted
    assert (await phone.text("查询") or "") != ""  # nor is a status check
    assert await phone.text("电梯还是坏的，今天更严重了。") is not None  # details: the 2nd text
    refused = [message_sid() for _ in range(3)]
    replies = [
        await phone.text(f"第{i}条：电梯还是坏的。", sid=sid) for i, sid in enumerate(refused)
    ]
    told = re.fullmatch(
        r"您发送的短信过于频繁，请在 (\d+) 分钟后再试。紧急情况请拨打 12345。", replies[0] or ""
    )
    assert told is not None, replies[0]
    # The wait is the real one: the first text's minute leaves the sliding hour 60-61 min on.
    assert int(told.group(1)) in (60, 61)
    assert replies[1:] == [None, None]
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
