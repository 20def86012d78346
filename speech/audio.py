"""Audio conversion: G.711 μ-law, 16-bit PCM, resampling and WAV files, with numpy only.

Twilio carries calls as 8 kHz μ-law; Vosk wants 16-bit mono PCM at its model's rate. The
standard library's `audioop` is deprecated (removed in Python 3.13), so the codec is written
here with the G.711 formulas, vectorised.
"""

from __future__ import annotations

import io
import wave
from math import gcd
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.signal import resample_poly

Samples = NDArray[np.int16]

_BIAS = 0x84
_CLIP = 32635  # 8159 << 2: the largest magnitude μ-law encodes


class AudioError(ValueError):
    """Audio we cannot read: not a WAV file, or a sample format we do not handle."""


def mulaw_decode(data: bytes) -> Samples:
    """G.711 μ-law bytes to 16-bit linear samples."""
    u = ~np.frombuffer(data, dtype=np.uint8).astype(np.int32) & 0xFF
    exponent = (u >> 4) & 0x07
    mantissa = u & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(u & 0x80, -magnitude, magnitude).astype(np.int16)


def mulaw_encode(samples: Samples) -> bytes:
    """16-bit linear samples to G.711 μ-law bytes (the 14-bit reference algorithm, so the
    bytes equal those of the C codec in CPython's old `audioop` and of most telephone gear)."""
    x = samples.astype(np.int32) >> 2
    negative = x < 0
    magnitude = np.minimum(np.where(negative, -x, x), _CLIP >> 2) + (_BIAS >> 2)
    segment = np.floor(np.log2(magnitude)).astype(np.int32) - 5
    overflow = segment > 7
    segment = np.clip(segment, 0, 7)
    mantissa = (magnitude >> (segment + 1)) & 0x0F
    value = np.where(overflow, 0x7F, (segment << 4) | mantissa)
    return (value ^ np.where(negative, 0x7F, 0xFF)).astype(np.uint8).tobytes()


def pcm_bytes(samples: Samples) -> bytes:
    """Little-endian 16-bit PCM, the byte layout Vosk's `AcceptWaveform` takes."""
    return samples.astype("<i2").tobytes()


def from_pcm_bytes(data: bytes) -> Samples:
    return np.frombuffer(data[: len(data) - len(data) % 2], dtype="<i2").astype(np.int16)


def resample(samples: Samples, from_rate: int, to_rate: int) -> Samples:
    """Polyphase resampling (anti-aliased), e.g. 8 kHz telephone audio to a 16 kHz model."""
    if from_rate == to_rate or samples.size == 0:
        return samples
    divisor = gcd(from_rate, to_rate)
    out = resample_poly(samples.astype(np.float32), to_rate // divisor, from_rate // divisor)
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


class StreamResampler:
    """Resampling chunk by chunk with the same result as resampling the whole signal.

    Each chunk is filtered with `context` samples of the audio on both sides, so no chunk
    edge clicks; output lags input by `context` samples until `flush`.
    """

    def __init__(self, from_rate: int, to_rate: int) -> None:
        divisor = gcd(from_rate, to_rate)
        self.up, self.down = to_rate // divisor, from_rate // divisor
        # The polyphase filter reaches about 10 input samples each way; keep whole `down` steps.
        self.context = self.down * -(-32 // self.down)
        self.buffer: Samples = np.zeros(self.context, dtype=np.int16)

    def push(self, samples: Samples) -> Samples:
        if self.up == self.down:
            return samples
        self.buffer = np.concatenate([self.buffer, samples])
        ready = (self.buffer.size - 2 * self.context) // self.down * self.down
        if ready <= 0:
            return np.zeros(0, dtype=np.int16)
        out = self._convert(self.buffer[: 2 * self.context + ready], ready)
        self.buffer = self.buffer[ready:]
        return out

    def flush(self) -> Samples:
        if self.up == self.down:
            return np.zeros(0, dtype=np.int16)
        pending = self.buffer.size - self.context
        padded = np.concatenate([self.buffer, np.zeros(self.context + self.down, np.int16)])
        ready = -(-pending // self.down) * self.down
        out = self._convert(padded[: 2 * self.context + ready], ready)
        self.buffer = np.zeros(self.context, dtype=np.int16)
        return out[: pending * self.up // self.down]

    def _convert(self, window: Samples, ready: int) -> Samples:
        converted = _poly(window, self)
        start = self.context * self.up // self.down
        return converted[start : start + ready * self.up // self.down]


def _poly(window: Samples, resampler: StreamResampler) -> Samples:
    out = resample_poly(window.astype(np.float32), resampler.up, resampler.down)
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


def rms_dbfs(samples: Samples) -> float:
    """Loudness of a frame in dB below full scale; silence is around -60 and lower."""
    if samples.size == 0:
        return -120.0
    rms = float(np.sqrt(np.mean(np.square(samples.astype(np.float64)))))
    return 20 * float(np.log10(max(rms, 1e-3) / 32768))


def read_wav(source: Path | bytes) -> tuple[Samples, int]:
    """Mono 16-bit samples and the rate of a WAV file (PCM 8/16/32-bit, or μ-law)."""
    raw = source.read_bytes() if isinstance(source, Path) else source
    if raw[:4] == b"RIFF" and _wav_format(raw) == 7:  # WAVE_FORMAT_MULAW (Twilio recordings)
        return _read_mulaw_wav(raw)
    try:
        with wave.open(io.BytesIO(raw), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError, RuntimeError, ValueError, OSError) as exc:
        # The standard module raises a bare RuntimeError (a chunk size past the end) and
        # ValueError / OSError for other mangled headers: all mean the same to a caller.
        raise AudioError(f"not a readable WAV file: {exc!r}") from exc
    if channels < 1 or rate < 1:
        raise AudioError(f"not a usable WAV file: {channels} channels at {rate} Hz")
    if width == 1:
        samples = ((np.frombuffer(frames, dtype=np.uint8).astype(np.int16) - 128) << 8).astype(
            np.int16
        )
    elif width == 2:
        samples = np.frombuffer(frames, dtype="<i2").astype(np.int16)
    elif width == 4:
        samples = (np.frombuffer(frames, dtype="<i4") >> 16).astype(np.int16)
    else:
        raise AudioError(f"unsupported WAV sample width: {width * 8} bits")
    return _mono(samples, channels), rate


def wav_bytes(samples: Samples, rate: int) -> bytes:
    """A 16-bit mono PCM WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm_bytes(samples))
    return buffer.getvalue()


def mulaw_wav_bytes(data: bytes, rate: int = 8000) -> bytes:
    """A μ-law WAV file (format 7) holding the call audio exactly as it arrived."""
    fmt = (
        (7).to_bytes(2, "little")
        + (1).to_bytes(2, "little")
        + rate.to_bytes(4, "little")
        + rate.to_bytes(4, "little")
        + (1).to_bytes(2, "little")
        + (8).to_bytes(2, "little")
        + (0).to_bytes(2, "little")
    )
    body = b"WAVE" + b"fmt " + len(fmt).to_bytes(4, "little") + fmt
    body += b"data" + len(data).to_bytes(4, "little") + data + (b"\0" if len(data) % 2 else b"")
    return b"RIFF" + len(body).to_bytes(4, "little") + body


def _mono(samples: Samples, channels: int) -> Samples:
    if channels == 1:
        return samples
    usable = samples[: samples.size - samples.size % channels].reshape(-1, channels)
    return usable.astype(np.int32).mean(axis=1).astype(np.int16)


def _chunks(raw: bytes) -> dict[bytes, bytes]:
    found: dict[bytes, bytes] = {}
    offset = 12
    while offset + 8 <= len(raw):
        name, size = (
            raw[offset : offset + 4],
            int.from_bytes(raw[offset + 4 : offset + 8], "little"),
        )
        found.setdefault(name, raw[offset + 8 : offset + 8 + size])
        offset += 8 + size + size % 2
    return found


def _wav_format(raw: bytes) -> int:
    fmt = _chunks(raw).get(b"fmt ", b"")
    return int.from_bytes(fmt[:2], "little") if len(fmt) >= 2 else 0


def _read_mulaw_wav(raw: bytes) -> tuple[Samples, int]:
    chunks = _chunks(raw)
    fmt = chunks[b"fmt "]
    channels = int.from_bytes(fmt[2:4], "little")
    rate = int.from_bytes(fmt[4:8], "little")
    if b"data" not in chunks:
        raise AudioError("μ-law WAV file without a data chunk")
    if len(fmt) < 8 or channels < 1 or rate < 1:
        raise AudioError(f"μ-law WAV file with a broken format: {channels} channels at {rate} Hz")
    return _mono(mulaw_decode(chunks[b"data"]), channels), rate
