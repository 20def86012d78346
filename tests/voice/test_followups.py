"""Voice follow-ups by the conversation rules: a caller whose number has exactly one open case
is asked, after the read-back, whether what they said is for that case (1) or a new problem (2);
details join the case once, a new problem opens one; another number cannot add to it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client

from api.main import create_app
from channels.voice.store import get_call
from intake.flows import start_case_workflow
from models import Case
from tests.utils.cases import case_row, details_of
from tests.utils.factories import unique_phone
from tests.utils.servers import serve
from tests.utils.speech import dtmf_message, media_messages, new_call_sid, speak, squash
from tests.voice.conftest import VoiceApi, case_of_call, gather_action, spoken
from tests.voice.test_menus import _case_of, _digits

SENTENCE = "우리 동네 도로가 너무 위험합니다"
ASK = {
    "zh": "您有一件正在办理的案件：{digits}。将刚才所说补充到该案件，请按1；"
    "作为新问题反映，请按2。",
    "en": "You have an open case, {digits}. To add what you said to that case, press 1. "
    "To report it as a new problem, press 2.",
}
ADDED = {
    "zh": "您所说的内容已补充到案件{digits}，承办单位会看到。再见。",
    "en": "What you said has been added to case {digits}; the unit handling it will see it. "
    "Goodbye.",
}
SEPARATOR = {"zh": "，", "en": ", "}


@pytest.fixture(scope="module")
def lines(voice_api: VoiceApi) -> Iterator[dict[str, VoiceApi]]:
    """Both lines listening (the English one with the Korean model too, as the Chinese one)."""
    settings = voice_api.settings.model_copy(
        update={"voice_recognition_languages": {"zh": "ko", "en": "ko"}}
    )
    with serve(create_app(settings)) as url:
        yield {"zh": voice_api, "en": VoiceApi(url, settings)}


async def _describe(api: VoiceApi, engine: Engine, call: dict[str, str], lang: str) -> str:
    """The caller describes a problem (ended with #), as the media stream carries it; the
    transcript the read-back repeats."""
    api.post("/twilio/voice", call)
    parameters = api.listen(call, lang)
    messages = media_messages(call["CallSid"], speak(SENTENCE), parameters=parameters, stop=False)
    stream_sid = json.loads(messages[1])["streamSid"]
    await api.stream([*messages, dtmf_message(stream_sid, "#", len(messages))])
    state = get_call(engine, call["CallSid"])
    assert state is not None and state.transcript and "너무" in squash(state.transcript)
    read_back = api.post(f"/twilio/voice/heard?lang={lang}", call)
    assert gather_action(read_back.text) == f"/twilio/voice/confirm?lang={lang}"
    return state.transcript


async def _open_case(api: VoiceApi, engine: Engine, client: Client, phone: str) -> Case:
    case = _case_of(api, engine, phone)
    await start_case_workflow(client=client, settings=api.settings, case=case)
    return case


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_caller_with_one_open_case_adds_what_they_said_to_it(
    lang: str, lines: dict[str, VoiceApi], engine: Engine, temporal_client: Client
) -> None:
    api, phone = lines[lang], unique_phone()
    case = await _open_case(api, engine, temporal_client, phone)
    call = {"CallSid": new_call_sid(), "From": phone}
    transcript = await _describe(api, engine, call, lang)

    asked = api.post(f"/twilio/voice/confirm?lang={lang}", {**call, "Digits": "1"})
    digits = _digits(case, SEPARATOR[lang])
    assert spoken(asked.text) == [ASK[lang].format(digits=digits)]
    details = f"/twilio/voice/details?case={case.number}&lang={lang}"
    assert gather_action(asked.text) == details

    for _ in range(2):  # Twilio repeats the webhook: added once
        added = api.post(details, {**call, "Digits": "1"})
        assert spoken(added.text) == [ADDED[lang].format(digits=digits)]
        assert "<Hangup" in added.text
    assert case_of_call(engine, call["CallSid"]) is None  # no new case
    for _ in range(200):
        if details_of(engine, case.number):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    assert details_of(engine, case.number) == [transcript]


async def test_key_2_reports_a_new_problem_and_another_number_cannot_add_to_the_case(
    lines: dict[str, VoiceApi], engine: Engine, temporal_client: Client
) -> None:
    api, phone = lines["en"], unique_phone()
    case = await _open_case(api, engine, temporal_client, phone)
    call = {"CallSid": new_call_sid(), "From": phone}
    await _describe(api, engine, call, "en")
    api.post("/twilio/voice/confirm?lang=en", {**call, "Digits": "1"})
    new = api.post(f"/twilio/voice/details?case={case.number}&lang=en", {**call, "Digits": "2"})
    filed = case_of_call(engine, call["CallSid"])
    assert filed is not None and filed.number != case.number
    number = _digits(filed, ", ")
    assert spoken(new.text) == [
        f"Your request is accepted. Your case number is: {number}. Again: {number}. Goodbye."
    ]

    # A stranger's call names the case in the (signed) URL: what they said is a new case.
    stranger = {"CallSid": new_call_sid(), "From": unique_phone()}
    await _describe(lines["zh"], engine, stranger, "zh")
    path = f"/twilio/voice/details?case={case.number}&lang=zh"
    refused = lines["zh"].post(path, {**stranger, "Digits": "1"})
    theirs = case_of_call(engine, stranger["CallSid"])
    assert theirs is not None and theirs.number != case.number
    assert spoken(refused.text)[0].startswith("您的诉求已受理")
    await asyncio.sleep(0.3)
    assert details_of(engine, case.number) == []
    assert case_row(engine, case.number).status == case.status
