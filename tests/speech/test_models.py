"""The registry finds, loads once and installs Vosk models; a missing one says how to fix it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from core.settings import Settings
from speech.audio import mulaw_decode, mulaw_encode, wav_bytes
from speech.recognizer import EndOfSpeech
from speech.registry import (
    ModelInstallError,
    ModelMissing,
    ModelRegistry,
    install_model,
    packaged_model_path,
    shared_registry,
)
from speech.transcribe import transcribe_wav
from tests.utils.processes import ROOT
from tests.utils.speech import SENTENCES, silence, speak, squash


def _settings(tmp_path: Path, **models: Path) -> Settings:
    return Settings(var_dir=tmp_path, speech_models=models, _env_file=None)  # type: ignore[call-arg]


def test_the_korean_package_model_is_found_and_loaded_once(tmp_path: Path) -> None:
    registry = shared_registry(_settings(tmp_path))
    info = registry.info("ko")
    assert info.source == "package" and info.usable and info.path == packaged_model_path("ko")
    assert registry.get("ko") is registry.get("ko")
    assert shared_registry(_settings(tmp_path)) is registry  # same configuration, same models


def test_a_missing_model_names_the_language_and_the_install_command(tmp_path: Path) -> None:
    registry = ModelRegistry(_settings(tmp_path, zh=tmp_path / "nowhere"))
    assert not registry.available("zh")
    with pytest.raises(ModelMissing) as missing:
        registry.get("zh")
    message = str(missing.value)
    assert "'zh'" in message and str(tmp_path / "nowhere") in message
    assert "hotline speech models install --lang zh --from ZIP_OR_URL" in message


def test_install_from_a_zip_puts_the_model_where_the_registry_looks(tmp_path: Path) -> None:
    archive = tmp_path / "vosk-model-small-xx.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("vosk-model-small-xx/am/final.mdl", b"model")
        bundle.writestr("vosk-model-small-xx/conf/mfcc.conf", "--sample-frequency=8000\n")
    models = tmp_path / "models"
    path = install_model(language="xx", source=str(archive), models_dir=models)
    assert path == models / "xx" and (path / "am" / "final.mdl").read_bytes() == b"model"
    registry = ModelRegistry(_settings(tmp_path))
    assert registry.info("xx").source == "installed" and registry.available("xx")


def test_install_refuses_archives_that_are_no_model_or_escape_their_folder(tmp_path: Path) -> None:
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as bundle:
        bundle.writestr("README", "nothing here")
    with pytest.raises(ModelInstallError, match="holds no Vosk model"):
        install_model(language="xx", source=str(empty), models_dir=tmp_path / "m")
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as bundle:
        bundle.writestr("../../escaped/am/x", "x")
    with pytest.raises(ModelInstallError, match="outside its folder"):
        install_model(language="xx", source=str(evil), models_dir=tmp_path / "m")
    assert not (tmp_path / "m" / "xx").exists()


def test_a_telephone_recording_is_transcribed(tmp_path: Path) -> None:
    sentence = "사람이 너무 많습니다"
    audio = np.concatenate([silence(0.5), speak(sentence), silence(1.0)])
    wav = wav_bytes(mulaw_decode(mulaw_encode(audio)), 8000)
    text = transcribe_wav(wav, registry=shared_registry(_settings(tmp_path)), language="ko")
    for word in SENTENCES[sentence]:
        assert word in squash(text)


def test_end_of_speech_waits_for_speech_then_for_silence() -> None:
    endpoint = EndOfSpeech(rate=8000, silence_dbfs=-45, end_silence_ms=500, max_speech_s=30)
    frames = [silence(0.02)] * 100  # two seconds of silence before the caller speaks
    assert not any(endpoint.push(frame) for frame in frames)
    loud = np.full(160, 4000, dtype=np.int16)
    assert not any(endpoint.push(loud) for _ in range(25))
    ended = [endpoint.push(silence(0.02)) for _ in range(30)]
    assert ended.index(True) == 24  # 25 quiet frames = 500 ms


def test_cli_transcribes_a_file_and_checks_models(tmp_path: Path) -> None:
    wav = tmp_path / "speech.wav"
    audio = np.concatenate([silence(0.5), speak("사람이 너무 많습니다"), silence(1.0)])
    wav.write_bytes(wav_bytes(mulaw_decode(mulaw_encode(audio)), 8000))
    env = {"HOTLINE_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-m", "cli.main", "speech"]
    done = subprocess.run(
        [*run, "transcribe", str(wav), "--lang", "ko"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "너무" in squash(done.stdout)
    missing = subprocess.run(
        [*run, "models", "check", "--lang", "zh"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert missing.returncode == 1 and "--lang zh" in missing.stdout
    listed = subprocess.run(
        [*run, "models", "list"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert "ko" in listed.stdout and "package" in listed.stdout
