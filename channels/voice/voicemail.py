"""The case number by SMS for a caller who did not hear it: a voicemail, a call cut short.

The IVR says the number digit by digit only when the caller confirms the read-back. A caller
who left a recording was promised the number by text; one who hung up mid-speech never heard
it. Both get one SMS in the call's language, to the caller's own number (the signed `From`,
as the case carries it), through the app's notifier for the voice channel (which texts, and
skips a number that sent STOP). The `notifications` outbox makes it once per call: its row is
keyed by the CallSid, written before sending and marked sent after.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from twilio.base.exceptions import TwilioException

from core.db import session_scope
from core.i18n import N_, gettext_for
from intake.owners import reachable_contacts
from models import Notification
from models.enums import Channel, IdentityKind, Language
from models.notification import mark_sent
from models.service import get_case
from notices.port import NotifierRegistry, OutboundMessage

log = logging.getLogger("hotline.voice")

KIND = "voicemail_accepted"
CASE_NUMBER_TEXT = N_(
    "We have received your phone message. Your case number is {number}. "
    "Keep it to follow your request."
)


def dedupe_key(call_sid: str) -> str:
    return f"voice:{call_sid}:case-number"


async def text_case_number(
    *, engine: Engine, notifiers: NotifierRegistry, call_sid: str, number: str
) -> bool:
    """Send the call's case number once; False when already sent, nobody to text, or Twilio
    failed (logged: the case is filed whatever happens to the text)."""
    prepared = await asyncio.to_thread(_prepare, engine, call_sid, number)
    if prepared is None:
        return False
    notification_id, message = prepared
    try:
        provider_id = await notifiers.for_channel(message.channel).send(message)
    except (TwilioException, OSError) as exc:
        # The row stays pending: the call's next webhook (the status callback) tries again.
        log.error("call %s: case %s not texted: %s", call_sid, number, exc)
        return False
    await asyncio.to_thread(
        lambda: mark_sent(engine=engine, notification_id=notification_id, provider_id=provider_id)
    )
    return True


def _prepare(engine: Engine, call_sid: str, number: str) -> tuple[int, OutboundMessage] | None:
    key = dedupe_key(call_sid)
    try:
        with session_scope(engine) as session:
            row = session.exec(select(Notification).where(Notification.dedupe_key == key)).first()
            if row is not None and row.status == "sent":
                return None
            case = get_case(session=session, number=number)
            contacts = reachable_contacts(session=session, case=case) if case else {}
            phone = contacts.get(IdentityKind.phone)
            if case is None or case.id is None or phone is None:
                log.info("call %s: no caller number to text case %s to", call_sid, number)
                return None
            language = Language(case.language)
            text = gettext_for(language)(CASE_NUMBER_TEXT).format(number=case.number)
            if row is None:
                row = Notification(
                    case_id=case.id,
                    dedupe_key=key,
                    audience="citizen",
                    channel=Channel.voice.value,
                    address=phone,
                    kind=KIND,
                    body=text,
                )
                session.add(row)
                session.flush()
            assert row.id is not None
            message = OutboundMessage(
                case_number=case.number,
                channel=Channel.voice,
                address=row.address,
                language=language,
                kind=KIND,
                text=row.body,
            )
            return row.id, message
    except IntegrityError:
        return None  # the same call's other webhook wrote the row first and sends it


def notifiers_of(state: object) -> NotifierRegistry:
    """The app's notifiers (`app.state.notifiers`, set at start-up), else the log."""
    registry = getattr(state, "notifiers", None)
    return registry if isinstance(registry, NotifierRegistry) else NotifierRegistry()
