"""The survey by SMS names its keys per question, so "2" never means two things: 1/2 are yes/no
for the first two questions and 1/2/3 the satisfaction for the third. Old replies still read."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client

from models.enums import CaseStatus, Satisfaction
from tests.sms.phone import Phone, wait_for_sms
from tests.utils.cases import case_row, wait_for_notification
from tests.utils.twilio_api import FakeTwilio
from workflows.case import CaseWorkflow
from workflows.types import Dispatch, Resolve, UnitAction

CHAOYANG = "110105"
NUMBER = re.compile(r"\d{8}-\d{6,}")

SURVEY = {
    "zh": "回访 {n}：1. 承办单位是否联系了您？（是/否）2. 问题是否解决？（是/否）3. 您是否满意？"
    "（满意/基本满意/不满意）请按顺序回复三个答案，如“是 否 不满意”。也可回复数字，如“1 2 3”："
    "第1、2题 1=是，2=否；第3题 1=满意，2=基本满意，3=不满意。",
    "en": "Follow-up on {n}: 1. Did the unit contact you? (yes/no) 2. Is the problem solved? "
    "(yes/no) 3. Are you satisfied? (satisfied / basically satisfied / dissatisfied) Reply with "
    "three answers in order, e.g. 'yes no dissatisfied'. Digits work too, e.g. '1 2 3': "
    "questions 1 and 2: 1 = yes, 2 = no; question 3: 1 = satisfied, 2 = basically satisfied, "
    "3 = dissatisfied.",
}
CLARIFY = {
    "zh": "没能读懂您对案件 {n} 的回访答复。请按顺序回复三个答案，如“是 否 不满意”或“1 2 3”"
    "（第1、2题 1=是，2=否；第3题 1=满意，2=基本满意，3=不满意）。",
    "en": "We could not read your answer about case {n}. Please reply with three answers in "
    "order, e.g. 'yes no dissatisfied' or '1 2 3' (questions 1 and 2: 1 = yes, 2 = no; "
    "question 3: 1 = satisfied, 2 = basically satisfied, 3 = dissatisfied).",
}
OPEN = {"zh": "望京西园三区的路灯坏了。", "en": "EN The streetlight on Wangjing Road is broken."}
REPLY = {"zh": "路灯已更换。", "en": "The streetlight was replaced."}
UNCLEAR = {"zh": "是 是 是", "en": "yes yes yes"}
THANKS = {"zh": "感谢您对案件 {n} 的评价。", "en": "Thank you for rating case {n}."}


async def _surveyed_case(
    phone: Phone, language: str, twilio: FakeTwilio, client: Client, engine: Engine
) -> tuple[str, str]:
    opened = await phone.text(OPEN[language])
    found = NUMBER.search(opened or "")
    assert found, opened
    number = found.group(0)
    handle = client.get_workflow_handle(number)
    await handle.execute_update(CaseWorkflow.dispatch, Dispatch("dispatcher-1", CHAOYANG))
    await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("handler-1", CHAOYANG))
    await handle.execute_update(CaseWorkflow.respond, UnitAction("handler-1", CHAOYANG))
    await handle.execute_update(
        CaseWorkflow.resolve, Resolve("handler-1", CHAOYANG, REPLY[language])
    )
    await wait_for_notification(engine, number, "survey")
    texts = [m["Body"] for m in await wait_for_sms(twilio, phone.number, 3)]
    return number, texts[2]


@pytest.mark.parametrize(
    ("language", "answer", "satisfaction"),
    [
        ("zh", "1 1 2", Satisfaction.basically_satisfied),  # digits: the last 2 is "basically"
        ("zh", "是 是 基本满意", Satisfaction.basically_satisfied),
        ("en", "yes yes 2", Satisfaction.basically_satisfied),
        ("en", "1 1 1", Satisfaction.satisfied),
    ],
)
async def test_the_survey_names_its_keys_per_question_and_reads_the_answer(
    language: str,
    answer: str,
    satisfaction: Satisfaction,
    sms_url: str,
    twilio: FakeTwilio,
    temporal_client: Client,
    engine: Engine,
) -> None:
    phone = Phone(sms_url)
    number, survey = await _surveyed_case(phone, language, twilio, temporal_client, engine)
    assert survey.split("\n")[0] == SURVEY[language].format(n=number)

    assert await phone.text(UNCLEAR[language]) == CLARIFY[language].format(n=number)
    assert await phone.text(answer) == THANKS[language].format(n=number)
    outcome = await temporal_client.get_workflow_handle_for(CaseWorkflow.run, number).result()
    assert outcome.status == CaseStatus.closed
    case = case_row(engine, number)
    assert (case.survey_contacted, case.survey_resolved, case.satisfaction) == (
        True,
        True,
        satisfaction,
    )
