"""`/twilio/media`: Twilio Media Streams in, Vosk transcripts out, as the caller speaks.

Twilio opens a websocket per `<Connect><Stream>` and sends JSON messages: `connected`,
`start` (call sid, our custom parameters, the media format), `media` (20 ms of base64 μ-law
8 kHz), `dtmf`, `mark` and `stop`. We decode each frame, feed the call's recogniser on the
speech thread pool (partial results as it goes) and watch the energy for the end of speech;
then the transcript and the audio are stored for the call and we close the socket, which makes
Twilio go on to the `<Connect action>` webhook that reads the transcript back. A stream that
ends any other way (`stop` on hang-up, a dropped connection) still files a case with what was
heard and the audio, so no call is lost.

The handshake's signature only proves Twilio opened *a* stream (it signs the fixed URL), so
the `start` must also carry the stream token our signed webhook issued for that very call
(`channels/voice/tokens.py`) and the call must be one a signed webhook announced; anything
else is closed with 1008 (policy violation) before a byte is recorded.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import re
import time
from enum import StrEnum
from pathlib import Path
from typing import Any, cast

import numpy as np
from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from twilio.request_validator import RequestValidator

from api.deps import get_temporal
from channels.voice import tokens
from channels.voice.cases import file_case
from channels.voice.store import get_call, update_call
from channels.voice.voicemail import notifiers_of, text_case_number
from core.settings import Settings
from core.temporal import TemporalUnavailable
from models.enums import Language
from speech.audio import Samples, mulaw_decode, mulaw_wav_bytes
from speech.recognizer import EndOfSpeech, StreamingRecognizer, model_sample_rate, speech_executor
from speech.registry import ModelInstallError, ModelMissing, shared_registry

router = APIRouter(tags=["voice"])
log = logging.getLogger("hotline.voice.media")

RATE = 8000
CALL_SID = re.compile(r"[A-Za-z0-9]{2,64}")  # it names a file, so nothing else
BATCH = RATE // 10  # hand Vosk 100 ms at a time: fewer thread hops, same latency to a person


class StreamRefused(Exception):
    """A `start` that does not prove it belongs to a call we know: the socket is closed."""


class StreamState(StrEnum):
    listening = "listening"
    heard = "heard"  # end of speech detected: the IVR reads the transcript back
    interrupted = "interrupted"  # hang-up or dropped connection before the end of speech
    failed = "failed"  # no model: the IVR falls back to recording


def stream_url(settings: Settings) -> str:
    """The public websocket URL Twilio connects (and signs): wss behind https."""
    base = settings.public_base_url.rstrip("/")
    return base.replace("https://", "wss://", 1).replace("http://", "ws://", 1) + "/twilio/media"


def recognition_language(settings: Settings, line: Language) -> str:
    return settings.voice_recognition_languages.get(line.value, line.value)


def _signed(websocket: WebSocket, settings: Settings) -> bool:
    signature = websocket.headers.get("x-twilio-signature", "")
    if not signature or not settings.twilio_auth_token:
        return False
    url = stream_url(settings)
    if websocket.url.query:
        url += "?" + websocket.url.query
    return bool(RequestValidator(settings.twilio_auth_token).validate(url, {}, signature))


@router.websocket("/twilio/media")
async def media_stream(websocket: WebSocket) -> None:
    settings: Settings = websocket.app.state.settings
    if not _signed(websocket, settings):
        await websocket.close(code=1008)  # before accept: the handshake gets HTTP 403
        return
    await websocket.accept()
    await MediaSession(websocket, settings).run()


class MediaSession:
    def __init__(self, websocket: WebSocket, settings: Settings) -> None:
        self.websocket = websocket
        self.settings = settings
        self.engine = websocket.app.state.engine
        self.executor = speech_executor(settings.speech_threads)
        self.call_sid = ""
        self.language = Language.zh
        self.purpose = "intake"
        self.recognizer: StreamingRecognizer | None = None
        self.endpoint = EndOfSpeech(
            rate=RATE,
            silence_dbfs=settings.voice_silence_dbfs,
            end_silence_ms=settings.voice_end_silence_ms,
            max_speech_s=settings.voice_max_speech_s,
        )
        self.audio = bytearray()
        self.pending: list[Samples] = []
        self.pending_samples = 0
        self.finished = False

    async def run(self) -> None:
        try:
            while not self.finished:
                message = await self.websocket.receive_text()
                await self.handle(message)
        except StreamRefused as exc:
            log.warning("media stream refused: %s", exc)
            await self._close(1008)
        except WebSocketDisconnect:
            if self.call_sid and not self.finished:
                log.warning("call %s: media stream dropped without 'stop'", self.call_sid)
                await self.finish(StreamState.interrupted)
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
            # AttributeError: a message or part of it that is JSON but not an object
            log.warning("call %s: malformed media stream message: %s", self.call_sid, exc)
            if self.call_sid and not self.finished:
                await self.finish(StreamState.interrupted)
            await self._close(1003)

    async def handle(self, raw: str) -> None:
        message = json.loads(raw)
        if not isinstance(message, dict):
            raise ValueError(
                f"a media stream message is a JSON object, not {type(message).__name__}"
            )
        event = message.get("event")
        if event == "start":
            await self.start(message["start"])
        elif event == "media" and self.call_sid:
            await self.media(message["media"])
        elif event == "dtmf" and self.call_sid:
            if message["dtmf"].get("digit") == "#":  # the caller says "that's all"
                await self.finish(StreamState.heard)
                await self._close()
        elif event == "stop" and self.call_sid:
            await self.finish(StreamState.interrupted)
        # connected, mark and unknown events carry nothing we need

    async def start(self, start: dict[str, Any]) -> None:
        if self.call_sid:
            raise ValueError("a media stream carries one call: a second 'start'")
        call_sid = str(start["callSid"])
        if not CALL_SID.fullmatch(call_sid):
            raise StreamRefused(f"not a call sid: {call_sid[:80]!r}")
        params = start.get("customParameters") or {}
        purpose = str(params.get("purpose", "intake"))
        if not tokens.verify(self.settings, params.get(tokens.PARAMETER), call_sid, purpose):
            raise StreamRefused(f"call {call_sid}: the stream token is missing, forged or expired")
        if await asyncio.to_thread(get_call, self.engine, call_sid) is None:
            raise StreamRefused(f"call {call_sid}: no signed webhook announced this call")
        self.language = Language(params.get("language", "zh"))
        self.call_sid = call_sid
        self.purpose = purpose
        media_format = start.get("mediaFormat") or {}
        if media_format.get("encoding", "audio/x-mulaw") != "audio/x-mulaw":
            raise ValueError(f"unsupported media encoding {media_format.get('encoding')}")
        await asyncio.to_thread(
            update_call,
            self.engine,
            self.call_sid,
            language=self.language.value,
            purpose=self.purpose,
            stream_state=StreamState.listening.value,
            stream_error=None,
            transcript=None,
        )
        registry = shared_registry(self.settings)
        language = recognition_language(self.settings, self.language)
        try:
            model = await asyncio.get_running_loop().run_in_executor(
                self.executor, registry.get, language
            )
        except (ModelMissing, ModelInstallError) as exc:
            log.error("call %s: %s; falling back to recording", self.call_sid, exc)
            await asyncio.to_thread(
                update_call,
                self.engine,
                self.call_sid,
                stream_state=StreamState.failed.value,
                stream_error=str(exc)[:500],
            )
            self.finished = True
            await self._close()
            return
        path, _ = registry.locate(language)
        self.recognizer = StreamingRecognizer(
            model, model_rate=model_sample_rate(path), input_rate=RATE, language=language
        )

    async def media(self, media: dict[str, Any]) -> None:
        if media.get("track", "inbound") not in ("inbound", "inbound_track"):
            return
        chunk = base64.b64decode(media["payload"], validate=True)
        self.audio.extend(chunk)
        samples = mulaw_decode(chunk)
        self.pending.append(samples)
        self.pending_samples += samples.size
        ended = self.endpoint.push(samples)
        if self.pending_samples >= BATCH or ended:
            await self._feed()
        if ended:
            await self.finish(StreamState.heard)
            await self._close()

    async def _feed(self) -> None:
        if self.recognizer is None or not self.pending:
            return
        batch = np.concatenate(self.pending)
        self.pending, self.pending_samples = [], 0
        transcript = await self.recognizer.accept(batch, self.executor)
        if transcript.partial:
            log.debug("call %s partial: %s", self.call_sid, transcript.text)

    async def finish(self, state: StreamState) -> None:
        if self.finished:
            return
        self.finished = True
        audio_ended = time.perf_counter()  # the caller stopped speaking or hung up
        await self._feed()
        recognizer = self.recognizer
        text = await recognizer.finish(self.executor, audio_ended=audio_ended) if recognizer else ""
        audio_path = await asyncio.to_thread(self._save_audio)
        call = await asyncio.to_thread(
            update_call,
            self.engine,
            self.call_sid,
            stream_state=state.value,
            transcript=text,
            audio_path=audio_path,
        )
        log.info("call %s: stream %s, heard %d characters", self.call_sid, state.value, len(text))
        heard = bool(text) or self.endpoint.heard_speech
        if state is StreamState.interrupted and self.purpose == "intake" and heard:
            await self._file_what_was_heard(text, audio_path, call.from_number)

    async def _file_what_was_heard(
        self, text: str, audio_path: Path | None, from_number: str | None
    ) -> None:
        existing = await asyncio.to_thread(get_call, self.engine, self.call_sid)
        if existing is not None and existing.case_number:
            return
        try:
            temporal = await get_temporal(cast(Request, self.websocket))
        except TemporalUnavailable:
            temporal = None
        number = await file_case(
            engine=self.engine,
            settings=self.settings,
            temporal=temporal,
            call_sid=self.call_sid,
            language=self.language,
            from_number=from_number,
            transcript=text,
            audio_path=audio_path,
        )
        log.info("call %s: interrupted call filed as case %s", self.call_sid, number)
        # The caller never heard the number: it goes by SMS.
        await text_case_number(
            engine=self.engine,
            notifiers=notifiers_of(self.websocket.app.state),
            call_sid=self.call_sid,
            number=number,
        )

    def _save_audio(self) -> Path | None:
        if not self.audio:
            return None
        directory = self.settings.var_dir / "voice"
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.call_sid}.wav"
        path.write_bytes(mulaw_wav_bytes(bytes(self.audio), RATE))
        return path

    async def _close(self, code: int = 1000) -> None:
        try:
            await self.websocket.close(code=code)
        except RuntimeError:
            pass  # already closed by the other side
