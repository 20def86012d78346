"""Turn what a call yielded (transcript, audio) into a case, through the intake service, once.

The CallSid is the intake key, so the confirm webhook, a dropped stream and the recording
callback of the same call all land on one case, whichever comes first or twice.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from sqlalchemy.engine import Engine
from temporalio.client import Client

from channels.voice.store import update_call
from channels.voice.texts import AWAITING_TRANSCRIPTION
from core.db import session_scope
from core.i18n import gettext_for
from core.redaction import mask_phone
from core.settings import Settings
from core.temporal import TemporalUnavailable
from intake.attachments import store_attachment
from intake.errors import IntakeRejected
from intake.flows import start_case_workflow
from intake.schemas import Contact, Intake
from intake.service import accept_intake
from models.case import Case
from models.enums import AttachmentKind, Channel, IdentityKind, Language

log = logging.getLogger("hotline.voice")


def _accept(
    engine: Engine,
    settings: Settings,
    *,
    call_sid: str,
    language: Language,
    from_number: str | None,
    transcript: str,
    audio: bytes | None,
) -> Case:
    transcript = transcript[: settings.max_description_chars]
    description = transcript or gettext_for(language)(AWAITING_TRANSCRIPTION)
    intake = Intake(
        channel=Channel.voice,
        description=description,
        transcript=transcript or None,
        awaiting_transcript=not transcript,
        language=language,
        contact=Contact(phone=from_number),
        intake_key=call_sid,
    )
    try:
        proved = IdentityKind.phone if from_number else None  # the signed webhook's caller id
        case = accept_intake(engine=engine, intake=intake, settings=settings, proved=proved).case
    except IntakeRejected as exc:
        if exc.field == "description" or not from_number:
            raise
        # A withheld or foreign caller id ("anonymous", "+266696687") must not lose the call.
        log.warning(
            "call %s: caller id %s refused (%s); filed anonymously",
            call_sid,
            mask_phone(from_number),
            exc.field,
        )
        intake = intake.model_copy(update={"contact": Contact()})
        case = accept_intake(engine=engine, intake=intake, settings=settings).case
    if audio:
        assert case.id is not None
        with session_scope(engine) as session:
            store_attachment(
                session=session,
                root=settings.attachments_path,
                case_id=case.id,
                data=audio,
                kind=AttachmentKind.audio,
                content_type="audio/wav",
                filename=f"{call_sid}.wav",
                max_bytes=settings.max_attachment_bytes,
            )
    update_call(engine, call_sid, case_number=case.number)
    return case


async def file_case(
    *,
    engine: Engine,
    settings: Settings,
    temporal: Client | None,
    call_sid: str,
    language: Language,
    from_number: str | None,
    transcript: str,
    audio_path: Path | None,
) -> str:
    """Record the call's case (idempotent on the CallSid) and start its workflow."""
    audio = audio_path.read_bytes() if audio_path and audio_path.is_file() else None
    case = await asyncio.to_thread(
        _accept,
        engine,
        settings,
        call_sid=call_sid,
        language=language,
        from_number=from_number,
        transcript=transcript,
        audio=audio,
    )
    if temporal is not None:
        try:
            await start_case_workflow(client=temporal, settings=settings, case=case)
        except TemporalUnavailable:
            # The case is recorded; the caller still gets the number. Starting is idempotent,
            # so a later intake of the same key (or an operator) starts the workflow.
            log.exception("case %s recorded but its workflow did not start", case.number)
    return case.number
