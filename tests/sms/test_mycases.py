"""MY / 我的 by SMS: the sender's own latest cases, newest first, with the status in words and
the local date; another number's case never appears."""

from __future__ import annotations

import operator
import re
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy.engine import Engine

from core.local_time import local_time
from core.settings import Settings
from intake.schemas import Contact
from intake.service import accept_intake
from models.enums import Channel, IdentityKind
from tests.sms.phone import Phone
from tests.utils.cases import case_row
from tests.utils.factories import make_intake

NUMBER = re.compile(r"\d{8}-\d{6,}")


async def _open_case(phone: Phone, text: str) -> str:
    reply = await phone.text(text)
    assert reply is not None
    found = NUMBER.search(reply)
    assert found, reply
    return found.group(0)


def _date(engine: Engine, number: str) -> str:
    return local_time(case_row(engine, number).created_at, "Asia/Shanghai")


async def test_wo_de_lists_the_senders_own_cases_newest_first_in_chinese(
    sms_url: str, engine: Engine
) -> None:
    phone, neighbour = Phone(sms_url), Phone(sms_url)
    first = await _open_case(phone, "望京西园三区的路灯坏了。")
    second = await _open_case(phone, "新 小区门口的井盖丢了。")
    theirs = await _open_case(neighbour, "楼下餐馆油烟太大。")

    answer = await phone.text("我的")
    assert answer == (
        "您最近的诉求：\n"
        f"{second}：已受理，{_date(engine, second)}\n"
        f"{first}：已受理，{_date(engine, first)}\n"
        "回复“CX 编号”查看其中一件。"
    )
    assert theirs not in answer
    mine = await neighbour.text("我的")
    assert mine is not None and theirs in mine and first not in mine and second not in mine


async def test_my_answers_in_english_and_a_number_without_cases_is_told_so(
    sms_url: str, engine: Engine
) -> None:
    phone = Phone(sms_url)
    number = await _open_case(phone, "EN The streetlight on Wangjing West Road is broken.")
    assert await phone.text("my") == (
        "Your latest cases:\n"
        f"{number}: received, {_date(engine, number)}\n"
        "Text 'STATUS <number>' for one of them."
    )
    stranger = Phone(sms_url)
    assert await stranger.text("MY") == "You have no case yet. Text us the problem to report it."
    assert await stranger.text("我的") == "您还没有案件。直接发送问题描述即可提出诉求。"


async def test_my_lists_at_most_five_the_newest(
    sms_url: str, engine: Engine, sms_settings: Settings
) -> None:
    phone = Phone(sms_url)
    start = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    numbers = []
    for day in range(6):
        intake = make_intake(
            channel=Channel.sms,
            contact=Contact(phone=phone.number),
            description=f"第{day + 1}件：路灯坏了。",
        )
        accepted = accept_intake(
            engine=engine,
            intake=intake,
            settings=sms_settings,
            proved=IdentityKind.phone,
            clock=partial(operator.add, start, timedelta(days=day)),
        )
        numbers.append(accepted.case.number)
    answer = await phone.text("MY")
    assert answer is not None
    lines = answer.split("\n")
    assert lines[1:6] == [
        f"{n}: received, 2026-11-{day + 2:02d} 09:00"
        for day, n in reversed(list(enumerate(numbers)))
        if day > 0
    ]
    assert numbers[0] not in answer
