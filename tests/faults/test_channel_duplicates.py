"""Every channel webhook delivered twice, shuffled and concurrently, as Twilio, Telegram and
Open311 clients may: one case per message, one details event per follow-up, one survey answer
per case, and late redeliveries after the case closed change nothing."""

from __future__ import annotations

import asyncio
import random
import re
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client

from channels.chat.webhook import PATH as TELEGRAM_PATH
from channels.chat.webhook import SECRET_HEADER
from channels.twilio.signature import sign
from models import Case, CaseEvent
from models.api_key import create_api_key
from models.enums import CaseStatus, Channel
from tests.badinput.conftest import PUBLIC, TELEGRAM_SECRET
from tests.faults.stack import gather_limited
from tests.sms.phone import message_sid, twilio_form, twiml_messages
from tests.utils.cases import resolve_through, wait_for_notification
from tests.utils.factories import unique_phone
from tests.utils.telegram_api import Citizen, FakeTelegram
from tests.utils.twilio_api import AUTH_TOKEN
from workflows.case import CaseWorkflow

CHAOYANG = "110105"
NUMBER = re.compile(r"\d{8}-\d{6}")
PEOPLE = 8
CONCURRENCY = 12


async def twice_shuffled(
    items: list[Any], deliver: Callable[[Any], Awaitable[Any]], seed: int
) -> list[tuple[Any, Any]]:
    """Each item delivered twice, in a shuffled order, several at a time: (item, answer)."""
    doubled = items * 2
    random.Random(seed).shuffle(doubled)
    answers = await gather_limited((deliver(item) for item in doubled), CONCURRENCY)
    return list(zip(doubled, answers, strict=True))


def cases_with_keys(engine: Engine, keys: list[str]) -> Counter[str]:
    with Session(engine) as session:
        found = session.exec(select(Case.intake_key).where(col(Case.intake_key).in_(keys))).all()
    return Counter(key for key in found if key is not None)


def event_counts(engine: Engine, numbers: list[str], kind: str) -> Counter[str]:
    with Session(engine) as session:
        rows = session.exec(
            select(Case.number)
            .join(CaseEvent, col(CaseEvent.case_id) == col(Case.id))
            .where(col(Case.number).in_(numbers), CaseEvent.kind == kind)
        ).all()
    return Counter(rows)


# ---- SMS --------------------------------------------------------------------------------


async def test_every_sms_twice_and_shuffled_makes_one_case_one_detail_one_answer(
    channels_url: str, engine: Engine, temporal_client: Client
) -> None:
    phones = [unique_phone() for _ in range(PEOPLE)]
    async with httpx.AsyncClient(base_url=channels_url, timeout=60) as http:

        async def text(message: tuple[str, str, str]) -> str:
            phone, body, sid = message
            form = twilio_form(phone, body, sid)
            signature = sign(f"{PUBLIC}/twilio/sms", form, AUTH_TOKEN)
            answer = await http.post(
                "/twilio/sms", data=form, headers={"X-Twilio-Signature": signature}
            )
            assert answer.status_code == 200, answer.text
            [reply] = twiml_messages(answer.text)
            return reply

        reports = [
            (phone, f"小区{i}号楼门口的路灯坏了。", message_sid()) for i, phone in enumerate(phones)
        ]
        opened = await twice_shuffled(reports, text, seed=1)
        number_of: dict[str, str] = {}
        for (phone, _, _), reply in opened:
            assert number_of.setdefault(phone, reply) == reply, "a duplicate got another answer"
        counts = cases_with_keys(engine, [sid for _, _, sid in reports])
        assert sorted(counts.values()) == [1] * PEOPLE
        with Session(engine) as session:
            by_sid = {
                case.intake_key: case.number
                for case in session.exec(
                    select(Case).where(col(Case.intake_key).in_([s for _, _, s in reports]))
                ).all()
            }
        numbers = [by_sid[sid] for _, _, sid in reports]

        details = [(phone, "在东侧，靠近北门。", message_sid()) for phone in phones]
        added = await twice_shuffled(details, text, seed=2)
        for (phone, _, _), reply in added:
            assert by_sid[next(s for p, _, s in reports if p == phone)] in reply, reply

        await asyncio.gather(*(resolve_through(temporal_client, number) for number in numbers))
        for number in numbers:
            await wait_for_notification(engine, number, "survey")
        answers = [(phone, "是 是 满意", message_sid()) for phone in phones]
        answered = await twice_shuffled(answers, text, seed=3)
        for number in numbers:
            handle = temporal_client.get_workflow_handle_for(CaseWorkflow.run, number)
            assert (await handle.result()).status == CaseStatus.closed
        # Twilio's late retries of everything, after the cases closed: same replies, no case.
        late = await twice_shuffled(reports + details + answers, text, seed=4)
    first: dict[str, set[str]] = {}
    for (_, _, sid), reply in opened + added + answered:
        first.setdefault(sid, set()).add(reply)
    assert all(len(replies) == 1 for replies in first.values()), "a duplicate got another reply"
    assert all(first[sid] == {reply} for (_, _, sid), reply in late), "a late retry did more"

    every_sid = [sid for _, _, sid in reports + details + answers]
    assert sum(cases_with_keys(engine, every_sid).values()) == PEOPLE
    assert event_counts(engine, numbers, "accepted") == Counter(numbers)
    assert event_counts(engine, numbers, "citizen_details") == Counter(numbers)
    assert event_counts(engine, numbers, "survey_answered") == Counter(numbers)


# ---- Telegram ---------------------------------------------------------------------------


def buttons_of(telegram: FakeTelegram, citizen: Citizen, label: str) -> dict[str, Any] | None:
    try:
        message = telegram.message_with_buttons(citizen.chat_id)
    except AssertionError:
        return None
    labels = [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
    return message if label in labels else None


async def wait_for_event(engine: Engine, number: str, kind: str) -> None:
    for _ in range(1200):
        if event_counts(engine, [number], kind)[number]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{number} never got a {kind} event")


async def test_every_telegram_update_twice_and_shuffled_makes_one_case_each(
    channels_url: str, engine: Engine, channel_telegram: FakeTelegram, temporal_client: Client
) -> None:
    telegram = channel_telegram
    citizens = [Citizen() for _ in range(PEOPLE)]
    async with httpx.AsyncClient(base_url=channels_url, timeout=60) as http:

        async def deliver(update: dict[str, Any]) -> None:
            answer = await http.post(
                TELEGRAM_PATH, json=update, headers={SECRET_HEADER: TELEGRAM_SECRET}
            )
            assert answer.status_code == 200, answer.text

        async def press(label: str) -> list[dict[str, Any]]:
            prompts = [
                await telegram.wait_async(
                    lambda c=c: buttons_of(telegram, c, label), f"offered '{label}'"
                )
                for c in citizens
            ]
            return [c.presses(p, label) for c, p in zip(citizens, prompts, strict=True)]

        said = [c.says(f"阜通东大街{i}号的井盖松了，很危险") for i, c in enumerate(citizens)]
        await twice_shuffled(said, deliver, seed=5)
        located = [c.shares_location(39.9962, 116.4707) for c in citizens]
        await twice_shuffled(located, deliver, seed=6)
        await twice_shuffled(await press("不上传照片"), deliver, seed=7)
        confirms = await press("提交")
        await twice_shuffled(confirms, deliver, seed=8)
        numbers = []
        for citizen in citizens:
            [told] = await telegram.wait_async(
                lambda c=citizen: [t for t in telegram.texts_to(c.chat_id) if "案件编号" in t],
                "gave a case number",
            )
            found = NUMBER.search(told)
            assert found, told
            numbers.append(found.group())
        # More details: the button, then the text, each delivered twice.
        await twice_shuffled(await press("补充"), deliver, seed=11)
        details = [c.says("井盖旁边还有一个坑") for c in citizens]
        await twice_shuffled(details, deliver, seed=12)
        for number in numbers:  # the details reach the case before it is dispatched
            await wait_for_event(engine, number, "citizen_details")
        await asyncio.gather(*(resolve_through(temporal_client, number) for number in numbers))
        for number in numbers:
            await wait_for_notification(engine, number, "survey")
        answers = [c.says("是 是 满意") for c in citizens]
        await twice_shuffled(answers, deliver, seed=13)
        for number in numbers:
            handle = temporal_client.get_workflow_handle_for(CaseWorkflow.run, number)
            assert (await handle.result()).status == CaseStatus.closed
        # Telegram re-sends the whole conversation later: nothing new.
        await twice_shuffled(said + located + confirms + details + answers, deliver, seed=9)

    with Session(engine) as session:
        keys = session.exec(select(Case.intake_key).where(Case.channel == Channel.chat)).all()
    # Only Telegram intakes (tg:<chat>:<key>); other tests of the session file chat cases too.
    per_chat = Counter(str(key).split(":")[1] for key in keys if str(key).startswith("tg:"))
    assert [per_chat[str(c.chat_id)] for c in citizens] == [1] * PEOPLE
    for citizen in citizens:
        told = [t for t in telegram.texts_to(citizen.chat_id) if "案件编号" in t]
        assert len(told) == 1, told  # one confirmation, not one per delivery
    assert event_counts(engine, numbers, "accepted") == Counter(numbers)
    assert event_counts(engine, numbers, "citizen_details") == Counter(numbers)
    assert event_counts(engine, numbers, "survey_answered") == Counter(numbers)


# ---- Open311 ----------------------------------------------------------------------------


@pytest.mark.parametrize("idempotency", [False, True], ids=["same form", "Idempotency-Key"])
async def test_every_open311_post_retried_makes_one_case(
    idempotency: bool, api_url: str, engine: Engine
) -> None:
    key = create_api_key(engine=engine, name=f"retrying client {idempotency}").secret
    posts = [
        (
            {
                "api_key": key,
                "service_code": "01.01.001",
                "lat": "39.9219",
                "long": "116.4436",
                "description": f"工地围挡倒了，挡住人行道。{uuid.uuid4().hex[:8]}",
            },
            uuid.uuid4().hex if idempotency else None,
        )
        for _ in range(PEOPLE)
    ]
    async with httpx.AsyncClient(base_url=f"{api_url}/open311/v2", timeout=60) as http:

        async def post(item: tuple[dict[str, str], str | None]) -> dict[str, Any]:
            form, header = item
            headers = {"Idempotency-Key": header} if header else {}
            answer = await http.post("/requests.json", data=form, headers=headers)
            assert answer.status_code in (200, 201), answer.text
            [created] = answer.json()
            return dict(created)

        answered = await twice_shuffled(posts, post, seed=10)
    numbers: dict[str, set[str]] = {}
    for (form, _), created in answered:
        numbers.setdefault(form["description"], set()).add(created["service_request_id"])
    assert all(len(found) == 1 for found in numbers.values()), numbers
    every = [number for found in numbers.values() for number in found]
    assert len(set(every)) == PEOPLE
    assert event_counts(engine, every, "accepted") == Counter(every)
