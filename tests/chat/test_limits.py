"""The per-chat rate limit counts what creates or changes cases, not presses or commands: a
realistic session is never held back, a flood of new requests is, told once with the real wait,
and the count holds across API workers."""

from __future__ import annotations

import math
import time
from contextlib import ExitStack
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client

from api.main import create_app
from channels.chat.webhook import PATH, SECRET_HEADER
from channels.rate_limit import RateLimiter
from core.settings import Settings
from models import Case, CitizenIdentity
from models.channels import RateLimitWindow
from models.enums import CaseStatus, Channel, IdentityKind
from tests.chat.conftest import Webhook
from tests.chat.test_webhook import CHAOYANG, _open_case, _with_button
from tests.utils.cases import wait_for_notification
from tests.utils.servers import serve
from tests.utils.telegram_api import Citizen, FakeTelegram
from workflows.case import CaseWorkflow
from workflows.types import Dispatch, Resolve, UnitAction

LIMITED_EN = (
    "You are sending requests too often; please try again in {minutes} min. Call 12345 if urgent."
)
LIMITED_ZH = "您提交诉求过于频繁，请在 {minutes} 分钟后再试。紧急情况请拨打 12345。"


def _deliver(url: str, update: dict[str, Any], settings: Settings) -> None:
    headers = {SECRET_HEADER: settings.telegram_webhook_secret}
    response = httpx.post(url + PATH, json=update, headers=headers, timeout=60)
    assert response.status_code == 200


def _cases_of(engine: Engine, citizen: Citizen) -> list[Case]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(Case)
                .join(CitizenIdentity, col(CitizenIdentity.citizen_id) == col(Case.citizen_id))
                .where(
                    CitizenIdentity.kind == IdentityKind.telegram,
                    CitizenIdentity.value == str(citizen.chat_id),
                )
            ).all()
        )


def _possible_waits(
    engine: Engine, citizen: Citizen, settings: Settings, asked: tuple[float, float]
) -> set[str]:
    """The minutes the citizen may be told, for a refusal between `asked[0]` and `asked[1]`:
    until the oldest counted message's slice leaves the window."""
    limiter = RateLimiter.from_settings(settings, engine)
    with Session(engine) as session:
        oldest = min(
            session.exec(
                select(RateLimitWindow.window_start).where(
                    RateLimitWindow.channel == Channel.chat,
                    RateLimitWindow.sender == str(citizen.chat_id),
                )
            ).all()
        )
    ends = oldest + limiter.slice_s + limiter.window_s
    return {str(math.ceil((ends - int(t)) / 60)) for t in asked}


def test_a_flood_of_new_requests_is_told_the_real_wait_once_across_api_workers(
    chat_settings: Settings, telegram: FakeTelegram, engine: Engine
) -> None:
    local = chat_settings.model_copy(
        update={"channel_rate_limit_messages": 3, "channel_rate_limit_backend": "database"}
    )
    citizen, other = Citizen(language_code="en"), Citizen(language_code="en")
    with ExitStack() as stack:  # two API workers: the count lives in the database
        urls = [stack.enter_context(serve(create_app(local))) for _ in range(2)]
        for i in range(3):  # three new requests begun, each dropped with /cancel
            _deliver(urls[i % 2], citizen.says(f"Street lamp number {i} is broken"), local)
            _deliver(urls[i % 2], citizen.says("/cancel"), local)
        before = time.time()
        _deliver(urls[1], citizen.says("Street lamp number 3 is broken"), local)
        after = time.time()
        _deliver(urls[0], citizen.says("Street lamp number 4 is broken"), local)
        _deliver(urls[1], citizen.says("/help"), local)  # commands still answered
        _deliver(urls[0], other.says("My street lamp is broken"), local)  # its own budget
    texts = telegram.texts_to(citizen.chat_id)
    notices = [t for t in texts if t.startswith("You are sending requests too often")]
    assert len(notices) == 1
    told = {
        LIMITED_EN.format(minutes=m)
        for m in _possible_waits(engine, citizen, local, (before, after))
    }
    assert notices[0] in told
    assert texts[-1].startswith("This is the 12345 citizen service hotline.")
    assert not any(t.startswith("You are sending") for t in telegram.texts_to(other.chat_id))
    assert _cases_of(engine, citizen) == []


async def test_a_realistic_session_is_never_limited_with_the_default_limit(
    webhook: Webhook,
    telegram: FakeTelegram,
    temporal_client: Client,
    engine: Engine,
    chat_settings: Settings,
) -> None:
    """Two requests, /lang, /status again and again, a survey answered with buttons: over 25
    updates, of which two count."""
    assert chat_settings.channel_rate_limit_messages == 20
    citizen = Citizen()
    await webhook.deliver(citizen.says("/lang"))
    chooser = await telegram.wait_async(
        lambda: _with_button(telegram, citizen, "中文"), "offered the languages"
    )
    await webhook.deliver(citizen.presses(chooser, "中文"))
    first = await _open_case(webhook, telegram, citizen)
    for _ in range(4):
        await webhook.deliver(citizen.says("/status"))
    await webhook.deliver(citizen.says(f"/status {first}"))
    await webhook.deliver(citizen.says("/help"))
    await _open_case(webhook, telegram, citizen, text="新 小区门口的井盖松了")  # the second

    handle = temporal_client.get_workflow_handle_for(CaseWorkflow.run, first)
    await handle.execute_update(CaseWorkflow.dispatch, Dispatch("dispatcher-1", CHAOYANG))
    await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("h", CHAOYANG))
    await handle.execute_update(CaseWorkflow.respond, UnitAction("h", CHAOYANG))
    await handle.execute_update(CaseWorkflow.resolve, Resolve("h", CHAOYANG, "路灯已修复"))
    await wait_for_notification(engine, first, "survey")
    for step, label in (("1/3", "是"), ("2/3", "是"), ("3/3", "满意")):
        question = await telegram.wait_async(
            lambda s=step, lb=label: (
                (m := _with_button(telegram, citizen, lb)) and s in m["text"] and m
            ),
            f"asked survey question {step}",
        )
        await webhook.deliver(citizen.presses(question, label))
    assert (await handle.result()).status == CaseStatus.closed
    for _ in range(4):
        await webhook.deliver(citizen.says("/status"))
    await webhook.deliver(citizen.says("/lang"))

    texts = telegram.texts_to(citizen.chat_id)
    assert not [t for t in texts if "频繁" in t or "too often" in t]
    numbers = {c.number for c in _cases_of(engine, citizen)}
    assert len(numbers) == 2 and first in numbers
