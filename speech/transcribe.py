"""Whole-file transcription: recordings after a call, `hotline speech transcribe`, the bench."""

from __future__ import annotations

import time
from pathlib import Path

from speech.audio import Samples, read_wav
from speech.recognizer import StreamingRecognizer, model_sample_rate
from speech.registry import ModelRegistry

# Feed Vosk in 0.2 s pieces, as a stream would arrive; one huge buffer decodes no faster.
_CHUNK_S = 0.2


def transcribe_samples(
    samples: Samples, rate: int, *, registry: ModelRegistry, language: str
) -> str:
    """The text of the audio; `ModelMissing` when the language has no model."""
    model = registry.get(language)
    path, _ = registry.locate(language)
    recognizer = StreamingRecognizer(
        model, model_rate=model_sample_rate(path), input_rate=rate, language=language
    )
    audio_ended = time.perf_counter()  # a recording is all there: its latency is the decode
    step = max(1, int(rate * _CHUNK_S))
    for start in range(0, samples.size, step):
        recognizer.accept_sync(samples[start : start + step])
    return recognizer.finish_sync(audio_ended=audio_ended)


def transcribe_wav(source: Path | bytes, *, registry: ModelRegistry, language: str) -> str:
    samples, rate = read_wav(source)
    return transcribe_samples(samples, rate, registry=registry, language=language)
