"""Free texts read against the sender's open cases: a follow-up joins the reopened case, thanks
after a survey opens nothing, several open cases are asked about, NEW / 新 always opens a case,
and acknowledgements do not count for the rate limit."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client

from api.main import create_app
from core.settings import Settings
from intake.schemas import Contact, Intake
from intake.service import accept_intake
from models.enums import CaseStatus, Channel, IdentityKind, Language
from tests.sms.phone import Phone
from tests.utils.cases import (
    case_row,
    events,
    numbers_owned_by,
    resolve_through,
    wait_for_details,
    wait_for_notification,
    wait_for_status,
)
from tests.utils.servers import serve
from workflows.case import CaseWorkflow
from workflows.types import Merge

CHAOYANG = "110105"
NUMBER = re.compile(r"\d{8}-\d{6,}")
ADDED_ZH = "补充内容已记入案件 {}。如要提出新的诉求，请以“新”开头发送。"
ADDED_EN = "Added to case {}. To report a different problem, start your text with 'NEW'."
THANKS_ZH = "收到，谢谢。如有其他问题，欢迎随时发短信给我们。"
THANKS_EN = "Thank you. Text us any time if there is anything else."


async def _open_case(phone: Phone, text: str) -> str:
    reply = await phone.text(text)
    found = NUMBER.search(reply or "")
    assert found and (reply or "").startswith(("您的诉求已受理", "Your request")), reply
    return found.group(0)


async def test_after_a_dissatisfied_survey_the_next_text_joins_the_reopened_case(
    sms_url: str, temporal_client: Client, engine: Engine
) -> None:
    phone = Phone(sms_url)
    number = await _open_case(phone, "小区门口的烧烤摊每天晚上油烟很大。")
    await resolve_through(temporal_client, number, "已劝离烧烤摊。")
    await wait_for_notification(engine, number, "survey")
    assert await phone.text("是 否 不满意") == f"感谢您对案件 {number} 的评价。"
    await wait_for_status(engine, number, CaseStatus.reopened)

    reply = await phone.text("烧烤摊昨晚又出来了")
    assert reply == ADDED_ZH.format(number)
    assert await wait_for_details(engine, number, 1) == ["烧烤摊昨晚又出来了"]
    assert numbers_owned_by(engine, IdentityKind.phone, phone.number) == [number]  # no new case
    await temporal_client.get_workflow_handle(number).terminate("test finished")


async def test_the_english_line_follow_up_joins_the_reopened_case(
    sms_url: str, temporal_client: Client, engine: Engine
) -> None:
    phone = Phone(sms_url)
    number = await _open_case(phone, "EN A barbecue stall smokes outside Block 3 every night.")
    await resolve_through(temporal_client, number, "The stall was moved on.")
    await wait_for_notification(engine, number, "survey")
    assert await phone.text("yes no dissatisfied") == f"Thank you for rating case {number}."
    await wait_for_status(engine, number, CaseStatus.reopened)

    assert await phone.text("The stall was back last night") == ADDED_EN.format(number)
    assert await wait_for_details(engine, number, 1) == ["The stall was back last night"]
    assert numbers_owned_by(engine, IdentityKind.phone, phone.number) == [number]
    await temporal_client.get_workflow_handle(number).terminate("test finished")


async def _closed_after_survey(
    phone: Phone, client: Client, engine: Engine, report: str, answer: str
) -> str:
    number = await _open_case(phone, report)
    await resolve_through(client, number, "已处理。")
    await wait_for_notification(engine, number, "survey")
    assert await phone.text(answer) is not None
    await wait_for_status(engine, number, CaseStatus.closed)
    return number


async def test_thanks_after_a_satisfied_survey_opens_nothing(
    sms_url: str, temporal_client: Client, engine: Engine
) -> None:
    phone = Phone(sms_url)
    number = await _closed_after_survey(
        phone, temporal_client, engine, "楼道里的灯坏了。", "是 是 满意"
    )
    for text in ("嗯", "好的，谢谢！", "是", "满意", "👍", "是 是 满意"):
        assert await phone.text(text) == THANKS_ZH, text
    assert numbers_owned_by(engine, IdentityKind.phone, phone.number) == [number]

    english = Phone(sms_url)
    number = await _closed_after_survey(
        english, temporal_client, engine, "EN The hallway light is out.", "yes yes satisfied"
    )
    for text in ("thanks", "OK", "Thank you!", "yes"):
        assert await english.text(text) == THANKS_EN, text
    assert numbers_owned_by(engine, IdentityKind.phone, english.number) == [number]
    assert case_row(engine, number).language == Language.en


async def test_several_open_cases_are_asked_about_and_the_number_files_the_text(
    sms_url: str, engine: Engine
) -> None:
    phone = Phone(sms_url)
    first = await _open_case(phone, "小区垃圾三天没人清运了。")
    second = await _open_case(phone, "新 楼道灯也不亮。")
    asked = await phone.text("今天还是没人来")
    assert asked == (
        f"您有多件正在办理的诉求：\n{second}\n{first}\n"
        "这条短信是关于哪一件？请回复其编号；如要反映新问题，请以“新”开头发送。"
    )
    assert await phone.text(first) == ADDED_ZH.format(first)
    assert await wait_for_details(engine, first, 1) == ["今天还是没人来"]
    # Nothing is waiting any more: a bare number says how to add to that case.
    assert await phone.text(second) == f"如需补充诉求 {second}，请发送编号加补充内容。"
    # The number and the text in one go need no question.
    assert await phone.text(f"{second} 三楼和四楼都不亮") == ADDED_ZH.format(second)
    assert await wait_for_details(engine, second, 1) == ["三楼和四楼都不亮"]
    # Someone else's case, or none, is not found; nothing is filed.
    assert await phone.text("20991231-999999 路灯") == (
        "未找到您的案件 20991231-999999，请核对编号。"
    )
    assert numbers_owned_by(engine, IdentityKind.phone, phone.number) == [first, second]

    english = Phone(sms_url)
    one = await _open_case(english, "EN Rubbish has not been collected for three days.")
    two = await _open_case(english, "NEW The stairway light is out.")
    assert await english.text("Nobody came today either") == (
        f"You have several open cases:\n{two}\n{one}\nWhich one is your text about? Reply "
        "with its number; to report a new problem, start your text with 'NEW'."
    )
    assert await english.text(two) == ADDED_EN.format(two)
    assert await wait_for_details(engine, two, 1) == ["Nobody came today either"]


async def test_new_always_opens_a_case_even_with_one_open(sms_url: str, engine: Engine) -> None:
    phone = Phone(sms_url)
    first = await _open_case(phone, "公园的长椅坏了。")
    second = await _open_case(phone, "新 路灯不亮了")
    assert second != first
    assert case_row(engine, second).description == "路灯不亮了"

    english = Phone(sms_url)
    one = await _open_case(english, "EN The park bench is broken.")
    reply = await english.text("NEW streetlight out")
    two = await _open_case_reply(reply)
    assert two != one
    assert reply == (
        f"Your request has been received. Case number {two}. Text 'STATUS {two}' to follow it."
    )
    assert (case_row(engine, two).description, case_row(engine, two).language) == (
        "streetlight out",
        Language.en,
    )


async def _open_case_reply(reply: str | None) -> str:
    found = NUMBER.search(reply or "")
    assert found, reply
    return found.group(0)


@pytest.fixture(scope="module")
def strict_url(sms_settings: Settings, sms_worker: None) -> Iterator[str]:
    strict = sms_settings.model_copy(
        update={"channel_rate_limit_messages": 2, "channel_rate_limit_window_s": 3600}
    )
    with serve(create_app(strict)) as url:
        yield url


async def test_acknowledgements_do_not_count_for_the_rate_limit(
    strict_url: str, engine: Engine
) -> None:
    phone = Phone(strict_url)
    number = await _open_case(phone, "小区电梯坏了。")  # counted: 1 of 2
    for text in ("好的", "谢谢", "嗯", "OK", "收到", "thanks"):
        assert await phone.text(text) in (THANKS_ZH, THANKS_EN), text
    assert await phone.text("电梯今天还是坏的。") == ADDED_ZH.format(number)  # 2 of 2
    assert await phone.text("嗯") == THANKS_ZH  # still answered at the limit
    refused = await phone.text("电梯还是坏的。")
    assert refused is not None and refused.startswith("您发送的短信过于频繁")
    assert numbers_owned_by(engine, IdentityKind.phone, phone.number) == [number]


async def test_a_text_about_a_merged_case_joins_its_open_master(
    sms_url: str, temporal_client: Client, engine: Engine
) -> None:
    neighbour, phone = Phone(sms_url), Phone(sms_url)
    master = await _open_case(neighbour, "幸福小区3号楼下的烧烤摊油烟很大。")
    duplicate = await _open_case(phone, "3号楼楼下烧烤摊太呛了。")
    await temporal_client.get_workflow_handle(duplicate).execute_update(
        CaseWorkflow.merge, Merge("dispatcher-1", master)
    )
    await wait_for_status(engine, duplicate, CaseStatus.merged)

    assert await phone.text("今晚又开始烤了") == ADDED_ZH.format(master)
    assert await wait_for_details(engine, master, 1) == ["今晚又开始烤了"]
    assert await phone.text("谢谢") == THANKS_ZH  # nothing to add: answered, not filed
    assert await phone.text(f"{duplicate} 还有噪音") == ADDED_ZH.format(master)
    assert await wait_for_details(engine, master, 2) == ["今晚又开始烤了", "还有噪音"]
    assert numbers_owned_by(engine, IdentityKind.phone, phone.number) == [duplicate]


async def test_a_case_that_merely_names_the_phone_takes_none_of_its_texts(
    sms_url: str, sms_settings: Settings, engine: Engine
) -> None:
    """A web form may carry anyone's phone: that case is not the phone's conversation."""
    phone = Phone(sms_url)
    named = accept_intake(
        engine=engine,
        intake=Intake(
            channel=Channel.web, description="有人替您填的诉求", contact=Contact(phone=phone.number)
        ),
        settings=sms_settings,
    ).case
    own = await _open_case(phone, "我家门口的路灯坏了。")
    assert own != named.number
    assert await phone.text(f"{named.number} 这是我写的") == (
        f"未找到您的案件 {named.number}，请核对编号。"
    )
    assert [e for e in events(engine, named.number) if e.kind == "citizen_details"] == []
