"""Streaming recognition: one Kaldi recogniser per stream, fed on a thread pool, and the
end-of-speech detector that decides when a caller has finished talking.

Vosk's decoding is CPU-bound C++ that releases the GIL, so recognisers run on a shared pool
of threads while the event loop keeps serving websockets; each stream awaits its own chunks in
order, so no recogniser is ever used by two threads at once.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from core.metrics import STT_LATENCY_SECONDS
from speech.audio import Samples, StreamResampler, pcm_bytes, rms_dbfs

if TYPE_CHECKING:
    from vosk import Model

_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff])\s+(?=[\u3400-\u9fff\uf900-\ufaff])")

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def speech_executor(threads: int) -> ThreadPoolExecutor:
    """The process's recognition threads (created on first use, sized by the first caller)."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="vosk")
        return _executor


def tidy_text(text: str) -> str:
    """Vosk separates Chinese words with spaces; written Chinese has none."""
    return _CJK_GAP.sub("", " ".join(text.split()))


def model_sample_rate(model_path: Path | None, default: int = 16000) -> int:
    """The rate the model's features expect, from its `conf/mfcc.conf`."""
    if model_path is None:
        return default
    conf = model_path / "conf" / "mfcc.conf"
    if conf.is_file():
        match = re.search(r"--sample-frequency=(\d+)", conf.read_text(errors="replace"))
        if match:
            return int(match.group(1))
    return default


@dataclass
class Transcript:
    """Finished utterances plus the partial one being decoded now."""

    finals: list[str] = field(default_factory=list)
    partial: str = ""

    @property
    def text(self) -> str:
        return tidy_text(" ".join([*self.finals, self.partial]))


class StreamingRecognizer:
    """Audio in at the call's rate, text out; `accept` returns the transcript so far.

    Each final transcript is observed into `hotline_stt_latency_seconds{language}`: the time
    from the end of the audio (`audio_ended`, a `time.perf_counter()` value; by default the
    moment `finish` is called) to the final text, which is what a caller or a form waits."""

    def __init__(
        self, model: Model, *, model_rate: int, input_rate: int = 8000, language: str
    ) -> None:
        from vosk import KaldiRecognizer

        self.language = language
        self.model_rate = model_rate
        self.input_rate = input_rate
        self._recognizer = KaldiRecognizer(model, float(model_rate))
        self._resampler = StreamResampler(input_rate, model_rate)
        self.transcript = Transcript()

    def accept_sync(self, samples: Samples) -> Transcript:
        return self._decode(self._resampler.push(samples))

    def _decode(self, samples: Samples) -> Transcript:
        if self._recognizer.AcceptWaveform(pcm_bytes(samples)):
            text = json.loads(self._recognizer.Result()).get("text", "")
            if text:
                self.transcript.finals.append(text)
            self.transcript.partial = ""
        else:
            self.transcript.partial = json.loads(self._recognizer.PartialResult()).get(
                "partial", ""
            )
        return self.transcript

    def finish_sync(self, *, audio_ended: float | None = None) -> str:
        started = time.perf_counter() if audio_ended is None else audio_ended
        self._decode(self._resampler.flush())
        text = json.loads(self._recognizer.FinalResult()).get("text", "")
        if text:
            self.transcript.finals.append(text)
        self.transcript.partial = ""
        latency = time.perf_counter() - started
        STT_LATENCY_SECONDS.labels(language=self.language).observe(latency)
        return self.transcript.text

    async def accept(self, samples: Samples, executor: ThreadPoolExecutor) -> Transcript:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor, self.accept_sync, samples)

    async def finish(
        self, executor: ThreadPoolExecutor, *, audio_ended: float | None = None
    ) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            executor, lambda: self.finish_sync(audio_ended=audio_ended)
        )


class EndOfSpeech:
    """Energy-based end-pointing: speech heard, then `end_silence_ms` of quiet, or too long.

    Telephone lines carry little noise below -45 dBFS; a frame louder than the threshold is
    speech. Silence before the caller starts does not count, so a slow start is not cut off.
    """

    def __init__(
        self,
        *,
        rate: int,
        silence_dbfs: float,
        end_silence_ms: int,
        max_speech_s: float,
        min_speech_ms: int = 200,
    ) -> None:
        self.rate = rate
        self.silence_dbfs = silence_dbfs
        self.end_silence = rate * end_silence_ms // 1000
        self.max_samples = int(rate * max_speech_s)
        self.min_speech = rate * min_speech_ms // 1000
        self.speech_samples = 0
        self.quiet_run = 0
        self.total = 0

    @property
    def heard_speech(self) -> bool:
        return self.speech_samples >= self.min_speech

    def push(self, frame: Samples) -> bool:
        """Take one frame (e.g. 20 ms); True once the caller has finished speaking."""
        self.total += frame.size
        if rms_dbfs(frame) > self.silence_dbfs:
            self.speech_samples += frame.size
            self.quiet_run = 0
        else:
            self.quiet_run += frame.size
        if self.heard_speech and self.quiet_run >= self.end_silence:
            return True
        return self.total >= self.max_samples
