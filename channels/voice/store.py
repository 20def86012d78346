"""A call's state between webhooks, in the `voice_calls` table (shared by every API worker)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from core.clock import utcnow
from core.db import session_scope
from models.voice_call import VoiceCall


@dataclass(frozen=True)
class CallState:
    call_sid: str
    language: str
    from_number: str | None
    purpose: str
    survey_case_number: str | None
    stream_state: str | None
    stream_error: str | None
    transcript: str | None
    attempts: int
    audio_path: Path | None
    case_number: str | None


def _view(row: VoiceCall) -> CallState:
    return CallState(
        call_sid=row.call_sid,
        language=row.language,
        from_number=row.from_number,
        purpose=row.purpose,
        survey_case_number=row.survey_case_number,
        stream_state=row.stream_state,
        stream_error=row.stream_error,
        transcript=row.transcript,
        attempts=row.attempts,
        audio_path=Path(row.audio_path) if row.audio_path else None,
        case_number=row.case_number,
    )


def get_call(engine: Engine, call_sid: str) -> CallState | None:
    with session_scope(engine) as session:
        row = session.get(VoiceCall, call_sid)
        return _view(row) if row else None


def update_call(engine: Engine, call_sid: str, **changes: Any) -> CallState:
    """Create the call's row if needed and set the given fields (a path becomes its text)."""
    for attempt in range(2):
        try:
            with session_scope(engine) as session:
                row = session.get(VoiceCall, call_sid)
                if row is None:
                    row = VoiceCall(call_sid=call_sid)
                for name, value in changes.items():
                    setattr(row, name, str(value) if isinstance(value, Path) else value)
                row.updated_at = utcnow()
                session.add(row)
                session.flush()
                return _view(row)
        except IntegrityError:  # two webhooks created the row at once: the second updates it
            if attempt:
                raise
    raise AssertionError("unreachable")
