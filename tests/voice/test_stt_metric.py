"""A call's streamed speech is observed into `hotline_stt_latency_seconds` on the API's /metrics."""

from __future__ import annotations

import httpx
import numpy as np
from prometheus_client.parser import text_string_to_metric_families

from tests.utils.speech import media_messages, new_call_sid, silence, speak
from tests.voice.conftest import VoiceApi


def _stt_count(api: VoiceApi, language: str) -> float:
    body = httpx.get(f"{api.url}/metrics", timeout=60).text
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == "hotline_stt_latency_seconds_count" and sample.labels == {
                "language": language
            }:
                return sample.value
    return 0.0


async def test_a_streamed_description_observes_the_stt_latency(voice_api: VoiceApi) -> None:
    call = {"CallSid": new_call_sid(), "From": "+8613912340000", "To": "+8610012345"}
    voice_api.post("/twilio/voice", call)
    parameters = voice_api.listen(call)  # the zh line, recognised with the Korean test model
    before = _stt_count(voice_api, "ko")
    audio = np.concatenate([silence(0.5), speak("사람이 너무 많습니다"), silence(3.0)])
    await voice_api.stream(media_messages(call["CallSid"], audio, parameters=parameters))
    assert _stt_count(voice_api, "ko") == before + 1
