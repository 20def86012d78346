"""回访 by phone: the callback step calls the citizen through Twilio's Calls API and asks one
question at a time; the keys they press reach the case workflow through our signed webhook,
and a citizen who cannot answer on the keypad gets the questions by SMS."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from sqlalchemy.engine import Engine
from temporalio.client import Client

from core.settings import Settings
from intake.flows import start_case_workflow
from intake.schemas import Contact
from intake.service import accept_intake
from models import Case
from models.enums import CaseStatus, Channel, Language, Satisfaction
from tests.utils.cases import case_row
from tests.utils.factories import make_intake, unique_phone
from tests.utils.twilio_api import HOTLINE_NUMBER, FakeTwilio
from tests.voice.conftest import VoiceApi, gather_action, next_url, spoken, stream_parameters
from workflows.case import CaseWorkflow
from workflows.types import Dispatch, Resolve, UnitAction
from workflows.worker import build_worker

CHAOYANG = "110105"


async def _until(condition: object, what: str) -> None:
    for _ in range(600):
        if callable(condition) and condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


@asynccontextmanager
async def _survey_call(
    settings: Settings,
    twilio: FakeTwilio,
    client: Client,
    engine: Engine,
    language: Language = Language.zh,
) -> AsyncIterator[tuple[Case, str, dict[str, str]]]:
    """A voice case resolved by its unit; yields it, its phone and the survey call placed."""
    local = settings.model_copy(update={"temporal_task_queue": f"voice-{uuid.uuid4().hex}"})
    phone = unique_phone()
    intake = make_intake(channel=Channel.voice, contact=Contact(phone=phone), language=language)
    case = accept_intake(engine=engine, intake=intake, settings=local).case
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with build_worker(client, local, executor=executor):
            await start_case_workflow(client=client, settings=local, case=case)
            handle = client.get_workflow_handle(case.number)
            await handle.execute_update(CaseWorkflow.dispatch, Dispatch("dispatcher", CHAOYANG))
            await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("h", CHAOYANG))
            await handle.execute_update(CaseWorkflow.respond, UnitAction("h", CHAOYANG, "called"))
            await handle.execute_update(
                CaseWorkflow.resolve, Resolve("h", CHAOYANG, "路灯已修复。")
            )
            await _until(lambda: twilio.calls_to(phone), "the survey call")
            yield case, phone, twilio.calls_to(phone)[0]


def _digits(number: str, separator: str) -> str:
    return separator.join(number.replace("-", ""))


async def test_survey_call_asks_one_question_at_a_time_and_closes_the_case(
    voice_settings: Settings,
    voice_api: VoiceApi,
    twilio: FakeTwilio,
    temporal_client: Client,
    engine: Engine,
) -> None:
    async with _survey_call(voice_settings, twilio, temporal_client, engine) as placed_call:
        case, phone, placed = placed_call
        assert placed["From"] == HOTLINE_NUMBER
        assert spoken(placed["Twiml"]) == [
            f"您好，这里是12345热线，就您的案件{_digits(case.number, '，')}做个回访。"
            "共三个问题，是请按1，否请按2。",
            "第一个问题：承办单位联系过您吗？",
        ]
        survey = f"/twilio/voice/survey?case={case.number}&lang=zh&answers=&retries=0"
        assert gather_action(placed["Twiml"]) == survey
        # Silence on the keypad: the answer in words, over a stream the signed webhook opens.
        listen_url = survey.replace("/survey?", "/survey/listen?")
        assert next_url(placed["Twiml"]) == listen_url
        listen = voice_api.post(listen_url, {"CallSid": placed["Sid"]})
        assert spoken(listen.text) == ["请说出您的回答。"]
        assert stream_parameters(listen.text)["purpose"] == "survey"
        assert "token" in stream_parameters(listen.text)

        call = {"CallSid": placed["Sid"]}
        wrong = voice_api.post(survey, {**call, "Digits": "9"})  # only this question again
        assert spoken(wrong.text) == [
            "抱歉，这个按键不是有效的回答。",
            "第一个问题：承办单位联系过您吗？",
            "是请按1，否请按2。",
        ]
        second = voice_api.post(gather_action(wrong.text), {**call, "Digits": "1"})
        assert spoken(second.text) == ["第二个问题：您的问题解决了吗？"]
        last = voice_api.post(gather_action(second.text), {**call, "Digits": "1"})
        assert spoken(last.text) == [
            "最后一个问题：您对办理结果满意吗？满意请按1，基本满意请按2，不满意请按3。"
        ]
        answered = voice_api.post(gather_action(last.text), {**call, "Digits": "2"})
        assert spoken(answered.text) == ["感谢您的评价，再见。"]
        assert "<Hangup" in answered.text

        await _until(lambda: case_row(engine, case.number).status == CaseStatus.closed, "closed")
    closed = case_row(engine, case.number)
    assert closed.satisfaction == Satisfaction.basically_satisfied
    assert closed.survey_contacted is True and closed.survey_resolved is True
    assert [m["To"] for m in twilio.messages].count(phone) >= 1  # notices went by SMS


async def test_wrong_keys_after_two_retries_end_politely_with_the_survey_by_sms(
    voice_settings: Settings,
    voice_api: VoiceApi,
    twilio: FakeTwilio,
    temporal_client: Client,
    engine: Engine,
) -> None:
    async with _survey_call(
        voice_settings, twilio, temporal_client, engine, Language.en
    ) as placed_call:
        case, phone, placed = placed_call
        assert spoken(placed["Twiml"]) == [
            f"Hello, this is the 12345 hotline, calling about your case "
            f"{_digits(case.number, ', ')}. We have three short questions. "
            "Press 1 for yes, 2 for no.",
            "First question: did the responsible unit contact you?",
        ]
        call = {"CallSid": placed["Sid"]}
        first = voice_api.post(gather_action(placed["Twiml"]), {**call, "Digits": "1"})
        assert spoken(first.text) == ["Second question: is your problem solved?"]
        step = first
        for retry in (1, 2):  # a wrong key asks only this question again, twice
            step = voice_api.post(gather_action(step.text), {**call, "Digits": "7"})
            assert spoken(step.text) == [
                "Sorry, that is not one of the answers.",
                "Second question: is your problem solved?",
                "Press 1 for yes, 2 for no.",
            ]
            assert gather_action(step.text).endswith(f"answers=1&retries={retry}")
        texts_before = len(twilio.messages_to(phone))
        goodbye = voice_api.post(gather_action(step.text), {**call, "Digits": "7"})
        assert spoken(goodbye.text) == [
            "We will send you the questions by text message, so you can answer there. "
            "Thank you, goodbye."
        ]
        assert "<Hangup" in goodbye.text
        texts = twilio.messages_to(phone)[texts_before:]
        assert [t["Body"] for t in texts] == [
            f"Follow-up on {case.number}: 1. Did the unit contact you? (yes/no) 2. Is the "
            "problem solved? (yes/no) 3. Are you satisfied? (satisfied / basically satisfied / "
            "dissatisfied) Reply with three answers in order, e.g. 'yes no dissatisfied'. "
            "Digits work too, e.g. '1 2 3': questions 1 and 2: 1 = yes, 2 = no; question 3: "
            "1 = satisfied, 2 = basically satisfied, 3 = dissatisfied."
        ]
        assert case_row(engine, case.number).status == CaseStatus.callback  # nothing recorded


async def test_the_fallback_survey_by_sms_is_in_chinese_for_a_chinese_case(
    voice_settings: Settings,
    voice_api: VoiceApi,
    twilio: FakeTwilio,
    temporal_client: Client,
    engine: Engine,
) -> None:
    async with _survey_call(voice_settings, twilio, temporal_client, engine) as placed_call:
        case, phone, placed = placed_call
        call, step = {"CallSid": placed["Sid"]}, placed["Twiml"]
        for _ in range(2):
            step = voice_api.post(gather_action(step), {**call, "Digits": "*"}).text
        texts_before = len(twilio.messages_to(phone))
        goodbye = voice_api.post(gather_action(step), {**call, "Digits": "5"})
        assert spoken(goodbye.text) == [
            "我们将把回访问题以短信发给您，请回复短信作答。谢谢，再见。"
        ]
        texts = twilio.messages_to(phone)[texts_before:]
        assert [t["Body"] for t in texts] == [
            f"回访 {case.number}：1. 承办单位是否联系了您？（是/否）2. 问题是否解决？（是/否）"
            "3. 您是否满意？（满意/基本满意/不满意）请按顺序回复三个答案，如“是 否 不满意”。"
            "也可回复数字，如“1 2 3”：第1、2题 1=是，2=否；第3题 1=满意，2=基本满意，3=不满意。"
        ]
