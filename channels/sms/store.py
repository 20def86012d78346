"""The SMS channel's memory: messages seen and sent, and what a phone number asked of us.

A sender's language and opt-out live on the citizen behind the number (`Citizen.language`,
`CitizenIdentity.opted_out`), so the notifier and every other channel honour them too; a number
never seen before gets a citizen record when it first asks for one of these.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from analytics.facts import record_facts
from core.clock import utcnow
from core.db import session_scope
from intake.citizens import find_or_create_citizen, set_preferred_language
from intake.owners import owns_case
from models.case import Case
from models.channels import SmsMessage
from models.citizen import Citizen, CitizenIdentity
from models.enums import Channel, IdentityKind, Language
from models.event import CaseEvent
from models.service import get_case

INBOUND = "inbound"
OUTBOUND = "outbound"
# Twilio's message statuses in the order they happen; a late callback never moves one back.
STATUS_ORDER = [
    "accepted",
    "scheduled",
    "queued",
    "sending",
    "sent",
    "receiving",
    "received",
    "delivered",
    "undelivered",
    "failed",
    "read",
    "canceled",
]
FINAL_STATUSES = frozenset({"delivered", "undelivered", "failed", "canceled"})


@dataclass(frozen=True)
class Profile:
    language: Language | None  # None: the number is unknown, so no preference yet
    opted_out: bool


@dataclass(frozen=True)
class Outbound:
    sid: str
    phone: str
    case_number: str
    kind: str
    body: str
    segments: int
    encoding: str
    status: str


def profile(engine: Engine, phone: str) -> Profile:
    with Session(engine) as session:
        identity = _identity(session, phone)
        if identity is None:
            return Profile(language=None, opted_out=False)
        citizen = session.get(Citizen, identity.citizen_id)
        language = Language(citizen.language) if citizen else None
        return Profile(language=language, opted_out=identity.opted_out)


def set_language(engine: Engine, phone: str, language: Language) -> None:
    """The sender's language from now on, for every channel (`intake.citizens`)."""
    with session_scope(engine) as session:
        set_preferred_language(
            session=session,
            identity=(IdentityKind.phone, phone),
            proved_by=Channel.sms,
            language=language,
        )


def set_opted_out(engine: Engine, phone: str, opted_out: bool) -> None:
    with session_scope(engine) as session:
        _citizen(session, phone, Language.zh)
        identity = _identity(session, phone)
        assert identity is not None
        identity.opted_out = opted_out
        session.add(identity)


def is_opted_out(engine: Engine, phone: str) -> bool:
    with Session(engine) as session:
        identity = _identity(session, phone)
        return bool(identity and identity.opted_out)


def owned_case(engine: Engine, phone: str, number: str) -> Case | None:
    """The case with this number if it belongs to the sender; others' cases stay private."""
    with Session(engine) as session:
        case = get_case(session=session, number=number)
        if case is None or not owns_case(session, case, IdentityKind.phone, phone):
            return None
        return case


def case_from_message(engine: Engine, sid: str) -> Case | None:
    """The case this very message opened, if it did (a duplicate delivery finds it here)."""
    with Session(engine) as session:
        return session.exec(
            select(Case).where(Case.channel == Channel.sms, Case.intake_key == sid)
        ).first()


def seen(engine: Engine, sid: str) -> SmsMessage | None:
    with Session(engine) as session:
        return session.exec(select(SmsMessage).where(SmsMessage.sid == sid)).first()


def clarified(engine: Engine, case_id: int) -> bool:
    """Whether the sender was already asked once to restate a survey answer for this case."""
    with Session(engine) as session:
        asked = session.exec(
            select(SmsMessage.id).where(
                SmsMessage.case_id == case_id, SmsMessage.kind == "survey_clarify"
            )
        ).first()
        return asked is not None


PENDING = "pending"  # an inbound row's kind while its first delivery is being handled


def claim_inbound(engine: Engine, *, sid: str, phone: str) -> SmsMessage | None:
    """Take the message for handling: None when this delivery got it, else the row of the
    delivery that did (Twilio may deliver one text twice at the same moment; handling it twice
    could file a survey answer and then, the case being closed, open a case with it)."""
    try:
        with session_scope(engine) as session:
            session.add(
                SmsMessage(sid=sid, direction=INBOUND, phone=phone, kind=PENDING, status="received")
            )
        return None
    except IntegrityError:
        return seen(engine, sid)


def release_inbound(engine: Engine, sid: str) -> None:
    """Handling failed: let Twilio's retry handle the message afresh."""
    with session_scope(engine) as session:
        row = session.exec(
            select(SmsMessage).where(SmsMessage.sid == sid, SmsMessage.kind == PENDING)
        ).first()
        if row is not None:
            session.delete(row)


def record_inbound(
    engine: Engine, *, sid: str, phone: str, kind: str, reply: str, case_id: int | None
) -> None:
    """Remember a handled message and our reply on its claimed row (or a new one)."""
    try:
        with session_scope(engine) as session:
            row = session.exec(select(SmsMessage).where(SmsMessage.sid == sid)).first()
            if row is None:
                row = SmsMessage(
                    sid=sid, direction=INBOUND, phone=phone, status="received", kind=""
                )
            elif row.kind != PENDING:
                return  # a delivery that took over a stale claim finished first
            row.kind, row.body, row.case_id, row.updated_at = kind, reply, case_id, utcnow()
            session.add(row)
    except IntegrityError:
        pass


def record_outbound(engine: Engine, message: Outbound) -> None:
    """The message Twilio accepted; a status callback that came first keeps its later status."""
    for attempt in range(3):  # the status callback may insert the same row at the same moment
        try:
            _record_outbound(engine, message)
            return
        except IntegrityError:
            if attempt == 2:
                raise


def _record_outbound(engine: Engine, message: Outbound) -> None:
    with session_scope(engine) as session:
        case = get_case(session=session, number=message.case_number)
        row = session.exec(select(SmsMessage).where(SmsMessage.sid == message.sid)).first()
        if row is None:
            row = SmsMessage(sid=message.sid, direction=OUTBOUND, phone=message.phone, kind="")
        row.case_id = case.id if case else None
        row.kind = message.kind
        row.body = message.body
        row.segments = message.segments
        row.encoding = message.encoding
        row.status = _later(row.status, message.status)
        row.updated_at = utcnow()
        session.add(row)


def record_status(
    engine: Engine,
    *,
    sid: str,
    status: str,
    error_code: str | None,
    phone: str,
    case_number: str | None,
    kind: str | None,
) -> None:
    """A delivery report: kept on the message; a final one also goes on the case's timeline."""
    for _ in range(2):  # the notifier may insert the same row at the same moment
        try:
            with session_scope(engine) as session:
                _record_status_in(session, sid, status, error_code, phone, case_number, kind)
            return
        except IntegrityError:
            continue


def _record_status_in(
    session: Session,
    sid: str,
    status: str,
    error_code: str | None,
    phone: str,
    case_number: str | None,
    kind: str | None,
) -> None:
    case = get_case(session=session, number=case_number) if case_number else None
    row = session.exec(select(SmsMessage).where(SmsMessage.sid == sid)).first()
    if row is None:
        row = SmsMessage(sid=sid, direction=OUTBOUND, phone=phone, kind=kind or "")
        row.case_id = case.id if case else None
    row.status = _later(row.status, status)
    row.error_code = error_code or row.error_code
    row.updated_at = utcnow()
    session.add(row)
    if case is None or case.id is None or status not in FINAL_STATUSES:
        return
    key = f"sms:{sid}:{status}"
    if session.exec(select(CaseEvent.id).where(CaseEvent.dedupe_key == key)).first() is None:
        payload = {"sid": sid, "status": status, "notice": kind or row.kind}
        if error_code:
            payload["error_code"] = error_code
        event = CaseEvent(
            case_id=case.id, kind="sms_delivery", actor="twilio", payload=payload, dedupe_key=key
        )
        session.add(event)
        record_facts(session, case=case, event=event)


def _later(current: str, reported: str) -> str:
    if current not in STATUS_ORDER:
        return reported
    if reported not in STATUS_ORDER:
        return current
    return max(current, reported, key=STATUS_ORDER.index)


def _identity(session: Session, phone: str) -> CitizenIdentity | None:
    return session.exec(
        select(CitizenIdentity).where(
            CitizenIdentity.kind == IdentityKind.phone, CitizenIdentity.value == phone
        )
    ).first()


def _citizen(session: Session, phone: str, language: Language) -> Citizen:
    """The sender of a signed Twilio webhook: their number is proved by the channel."""
    return find_or_create_citizen(
        session=session,
        identity=(IdentityKind.phone, phone),
        proved_by=Channel.sms,
        name=None,
        language=language,
    )
