"""A real transcription observes `hotline_stt_latency_seconds{language}` (served on /metrics)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from prometheus_client import REGISTRY

from core.settings import Settings
from speech.audio import wav_bytes
from speech.registry import shared_registry
from speech.transcribe import transcribe_wav
from tests.utils.speech import silence, speak


def _observed(language: str) -> tuple[float, float]:
    labels = {"language": language}
    count = REGISTRY.get_sample_value("hotline_stt_latency_seconds_count", labels) or 0.0
    total = REGISTRY.get_sample_value("hotline_stt_latency_seconds_sum", labels) or 0.0
    return count, total


def test_transcribing_a_recording_observes_the_stt_latency_by_language(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    audio = np.concatenate([silence(0.3), speak("사람이 너무 많습니다"), silence(0.5)])
    count, total = _observed("ko")
    text = transcribe_wav(wav_bytes(audio, 8000), registry=shared_registry(settings), language="ko")
    assert text
    new_count, new_total = _observed("ko")
    assert new_count == count + 1
    assert new_total > total
