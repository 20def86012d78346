"""One citizen, one language: chosen by SMS, on Telegram or with the phone's key 2, the phone
greets in it and files the call's case in it."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from channels.sms.store import profile
from models.enums import Language
from speech.audio import wav_bytes
from tests.sms.phone import Phone
from tests.utils.factories import unique_phone
from tests.utils.speech import new_call_sid, speak
from tests.utils.twilio_api import ACCOUNT_SID, HOTLINE_NUMBER, FakeTwilio
from tests.voice.conftest import (
    PUBLIC,
    VoiceApi,
    gather_action,
    next_url,
    spoken,
    wait_for_case,
)

MENU_EN = (
    "To report a problem, stay on the line. To hear your cases, press 3. "
    "To withdraw a case, press 4. To speak to an operator, press 0."
)
MENU_ZH = "反映问题请直接讲述，查询您的案件请按3，撤回案件请按4，人工服务请按0。"
GREETING_EN = ["Welcome to the 12345 citizen service hotline.", MENU_EN, "中文服务请按2。"]
GREETING_ZH = ["您好，这里是12345市民服务热线。", MENU_ZH, "For English, press 2."]


async def test_a_citizen_who_chose_english_by_sms_is_greeted_and_filed_in_english(
    voice_api: VoiceApi, twilio: FakeTwilio, engine: Engine
) -> None:
    phone = Phone(voice_api.url)
    assert await phone.text("EN") == "We will reply to you in English from now on."

    call = {"CallSid": new_call_sid(), "From": phone.number, "To": HOTLINE_NUMBER}
    greeting = voice_api.post("/twilio/voice", call)
    assert spoken(greeting.text) == GREETING_EN
    assert gather_action(greeting.text) == "/twilio/voice/menu?lang=en"

    # The caller stays on the line: the English line (no English model here) records.
    describe = voice_api.post(next_url(greeting.text), call)
    assert spoken(describe.text) == [
        "After the tone, leave a message with the problem and where it is, then press hash."
    ]
    callback = f"{PUBLIC}/twilio/voice/recording?lang=en"
    assert f'recordingStatusCallback="{callback}"' in describe.text
    recording_sid = "RE" + call["CallSid"][2:]
    twilio.recordings[recording_sid] = wav_bytes(speak("물이 너무 많습니다"), 8000)
    url = f"{twilio.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{recording_sid}"
    filed = voice_api.post(
        callback.removeprefix(PUBLIC),
        {
            "CallSid": call["CallSid"],
            "RecordingSid": recording_sid,
            "RecordingUrl": url,
            "RecordingStatus": "completed",
        },
    )
    assert filed.status_code == 204
    case = await wait_for_case(engine, call["CallSid"])
    assert case.language == Language.en


def test_key_2_is_the_citizens_choice_for_the_next_call_and_for_texts(
    voice_api: VoiceApi, engine: Engine
) -> None:
    caller = unique_phone()
    first = {"CallSid": new_call_sid(), "From": caller}
    assert spoken(voice_api.post("/twilio/voice", first).text) == GREETING_ZH
    english = voice_api.post("/twilio/voice/menu?lang=zh", {**first, "Digits": "2"})
    assert spoken(english.text) == GREETING_EN
    assert profile(engine, caller).language == Language.en  # SMS replies in English too

    second = {"CallSid": new_call_sid(), "From": caller}
    assert spoken(voice_api.post("/twilio/voice", second).text) == GREETING_EN
    chinese = voice_api.post("/twilio/voice/menu?lang=en", {**second, "Digits": "2"})
    assert spoken(chinese.text) == GREETING_ZH
    assert gather_action(chinese.text) == "/twilio/voice/menu?lang=zh"
    assert profile(engine, caller).language == Language.zh


def test_a_withheld_number_is_greeted_in_chinese_and_chooses_for_this_call_only(
    voice_api: VoiceApi,
) -> None:
    call = {"CallSid": new_call_sid(), "From": "anonymous"}
    assert spoken(voice_api.post("/twilio/voice", call).text) == GREETING_ZH
    english = voice_api.post("/twilio/voice/menu?lang=zh", {**call, "Digits": "2"})
    assert spoken(english.text) == GREETING_EN
    again = {"CallSid": new_call_sid(), "From": "anonymous"}
    assert spoken(voice_api.post("/twilio/voice", again).text) == GREETING_ZH
