"""回访 by phone: the callback step calls the citizen through Twilio's Calls API, and the keys
they press reach the case workflow through our signed webhook."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Engine
from temporalio.client import Client

from core.settings import Settings
from intake.flows import start_case_workflow
from intake.schemas import Contact
from intake.service import accept_intake
from models.enums import CaseStatus, Channel, Satisfaction
from tests.utils.cases import case_row
from tests.utils.factories import make_intake, unique_phone
from tests.utils.twilio_api import HOTLINE_NUMBER, FakeTwilio
from tests.voice.conftest import VoiceApi, stream_parameters
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


async def test_survey_call_answered_by_keys_closes_the_case(
    voice_settings: Settings,
    voice_api: VoiceApi,
    twilio: FakeTwilio,
    temporal_client: Client,
    engine: Engine,
) -> None:
    local = voice_settings.model_copy(update={"temporal_task_queue": f"voice-{uuid.uuid4().hex}"})
    phone = unique_phone()
    intake = make_intake(channel=Channel.voice, contact=Contact(phone=phone))
    case = accept_intake(engine=engine, intake=intake, settings=local).case
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with build_worker(temporal_client, local, executor=executor):
            await start_case_workflow(client=temporal_client, settings=local, case=case)
            handle = temporal_client.get_workflow_handle(case.number)
            await handle.execute_update(CaseWorkflow.dispatch, Dispatch("dispatcher", CHAOYANG))
            await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("h", CHAOYANG))
            await handle.execute_update(CaseWorkflow.respond, UnitAction("h", CHAOYANG, "called"))
            await handle.execute_update(
                CaseWorkflow.resolve, Resolve("h", CHAOYANG, "路灯已修复。")
            )

            await _until(lambda: twilio.calls_to(phone), "the survey call")
            placed = twilio.calls_to(phone)[0]
            assert placed["From"] == HOTLINE_NUMBER
            survey_url = (
                f"https://hotline.example.gov.cn/twilio/voice/survey?case={case.number}&amp;lang=zh"
            )
            assert f'action="{survey_url}"' in placed["Twiml"]
            # Silence on the keypad: answers in words, over a stream the signed webhook opens.
            listen_url = f"/twilio/voice/survey/listen?case={case.number}&lang=zh"
            redirect = "https://hotline.example.gov.cn" + listen_url.replace("&", "&amp;")
            assert f"<Redirect>{redirect}</Redirect>" in placed["Twiml"]
            listen = voice_api.post(listen_url, {"CallSid": placed["Sid"]})
            assert stream_parameters(listen.text)["purpose"] == "survey"
            assert "token" in stream_parameters(listen.text)

            unclear = voice_api.post(
                f"/twilio/voice/survey?case={case.number}&lang=zh",
                {"CallSid": placed["Sid"], "Digits": "9"},
            )
            assert "<Gather" in unclear.text  # asked again, nothing recorded
            answered = voice_api.post(
                f"/twilio/voice/survey?case={case.number}&lang=zh",
                {"CallSid": placed["Sid"], "Digits": "111"},
            )
            assert "感谢您的评价" in answered.text

            await _until(
                lambda: case_row(engine, case.number).status == CaseStatus.closed, "closed"
            )
    closed = case_row(engine, case.number)
    assert closed.satisfaction == Satisfaction.satisfied
    assert closed.survey_contacted is True and closed.survey_resolved is True
    assert [m["To"] for m in twilio.messages].count(phone) >= 1  # notices went by SMS
