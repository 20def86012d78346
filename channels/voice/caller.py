"""Who is calling: the caller's language and cases, by the `From` of a signed webhook.

Twilio signs the caller id it hands us, so the number is a proved phone (`ProvedContact`) as
for SMS: it reaches the language its citizen chose on any channel and the cases they own.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.db import session_scope
from core.settings import Settings
from intake.citizens import preferred_language, set_preferred_language
from intake.contacts import normalise_phone
from intake.errors import IntakeRejected
from intake.owners import ProvedContact, owner_filter, proved_first
from models.case import Case
from models.enums import Channel, IdentityKind, Language

LATEST_CASES = 3  # menu 3 reads this many; more is too long to listen to


def proved_caller(form: dict[str, str], settings: Settings) -> ProvedContact | None:
    """The `From` of the signed webhook as a proved phone; None when withheld or not a number."""
    try:
        phone = normalise_phone(form.get("From", ""), default_region=settings.default_phone_region)
    except IntakeRejected:
        return None
    return ProvedContact(IdentityKind.phone, phone)


def caller_language(engine: Engine, caller: ProvedContact | None) -> Language | None:
    """The language the caller's citizen chose (SMS `EN`, Telegram /lang, key 2 last time)."""
    if caller is None:
        return None
    with Session(engine) as session:
        return preferred_language(session=session, identity=(caller.kind, caller.value))


def choose_language(engine: Engine, caller: ProvedContact | None, language: Language) -> None:
    """Key 2 on the phone is a choice of the citizen, as `EN` by SMS: every channel keeps it."""
    if caller is None:
        return
    with session_scope(engine) as session:
        set_preferred_language(
            session=session,
            identity=(caller.kind, caller.value),
            proved_by=Channel.voice,
            language=language,
        )


def latest_cases(engine: Engine, caller: ProvedContact, limit: int = LATEST_CASES) -> list[Case]:
    """The caller's newest cases, the ones they proved first (`intake.owners`)."""
    kind, value = caller.kind, caller.value
    with Session(engine) as session:
        query = (
            select(Case)
            .where(owner_filter(kind, value))
            .order_by(proved_first(kind, value), col(Case.created_at).desc(), col(Case.id).desc())
            .limit(limit)
        )
        return list(session.exec(query).all())
