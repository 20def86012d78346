"""Telephone audio conversions are exact where the standards say so."""

from __future__ import annotations

import numpy as np

from speech.audio import (
    StreamResampler,
    mulaw_decode,
    mulaw_encode,
    mulaw_wav_bytes,
    read_wav,
    resample,
    rms_dbfs,
    wav_bytes,
)


def test_mulaw_matches_g711_reference_values() -> None:
    # Code points from the G.711 table: silence, full scale both ways, a small step.
    assert mulaw_encode(np.array([0, 32767, -32768, 100, -100], dtype=np.int16)) == bytes(
        [0xFF, 0x80, 0x00, 0xF2, 0x72]
    )
    assert mulaw_decode(bytes([0xFF, 0x7F, 0x80, 0x00])).tolist() == [0, 0, 32124, -32124]


def test_mulaw_round_trip_keeps_every_code_and_bounds_the_error() -> None:
    codes = bytes(range(256))
    again = mulaw_encode(mulaw_decode(codes))
    decoded = mulaw_decode(codes)
    # 0x7F and 0xFF both decode to 0; every other code survives a round trip.
    assert [c for c in range(256) if again[c] != c] == [0x7F]
    signal = (np.sin(np.arange(8000) / 5) * 20000).astype(np.int16)
    error = np.abs(mulaw_decode(mulaw_encode(signal)).astype(int) - signal)
    assert (error <= np.abs(signal.astype(int)) // 16 + 16).all()  # ~4 bits of mantissa
    assert decoded.dtype == np.int16


def test_streamed_resampling_equals_resampling_the_whole_signal() -> None:
    signal = (np.random.default_rng(1).normal(0, 5000, 16000)).astype(np.int16)
    for source, target in ((8000, 16000), (22050, 16000), (16000, 8000)):
        resampler = StreamResampler(source, target)
        pieces = [resampler.push(signal[i : i + 160]) for i in range(0, signal.size, 160)]
        streamed = np.concatenate([*pieces, resampler.flush()])
        whole = resample(signal, source, target)
        assert abs(streamed.size - whole.size) <= 1
        n = min(streamed.size, whole.size)
        assert np.array_equal(streamed[:n], whole[:n])


def test_wav_files_round_trip_in_pcm_and_mulaw() -> None:
    tone = (np.sin(np.arange(800) / 3) * 8000).astype(np.int16)
    samples, rate = read_wav(wav_bytes(tone, 8000))
    assert rate == 8000 and np.array_equal(samples, tone)
    samples, rate = read_wav(mulaw_wav_bytes(mulaw_encode(tone)))
    assert rate == 8000 and np.array_equal(samples, mulaw_decode(mulaw_encode(tone)))


def test_loudness_tells_silence_from_speech() -> None:
    assert rms_dbfs(np.zeros(160, dtype=np.int16)) < -90
    assert rms_dbfs(np.full(160, 3000, dtype=np.int16)) > -25
