"""One citizen from two proved contacts: a Telegram chat that shared its own phone number.

Telegram vouches for a shared contact only when it is the sender's own (`contact.user_id` is
the sender's id: the phone of their account, which Telegram verified); the channel checks that
before calling here. Both contacts are then proved by the same person, so they become one
citizen: the chat sees the phone's cases (filed by SMS or voice) and the phone the chat's. Two
citizens already made are merged into the phone's: its identities and cases move over.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.db import session_scope
from intake.owners import ProvedContact
from models.case import Case
from models.citizen import Citizen, CitizenIdentity
from models.enums import IdentityKind, Language

PROVED_BY_CONTACT = "chat-contact"  # a phone proved by the Telegram account that owns it


def link_contacts(
    engine: Engine, *, holder: ProvedContact, proved: ProvedContact, language: Language
) -> int:
    """Make `holder` (the asking chat) and `proved` (its own phone) one citizen; its id.

    `language` is for a citizen made here, when neither contact had one yet.
    """
    with session_scope(engine) as session:
        held = _identity(session, holder)
        owned = _identity(session, proved)
        if owned is None and held is None:
            citizen = Citizen(language=language)
            session.add(citizen)
            session.flush()
            assert citizen.id is not None
            _add(session, citizen.id, holder, "chat")
            _add(session, citizen.id, proved, PROVED_BY_CONTACT)
            return citizen.id
        if owned is None:
            assert held is not None
            _add(session, held.citizen_id, proved, PROVED_BY_CONTACT)
            return held.citizen_id
        if held is None:
            _add(session, owned.citizen_id, holder, "chat")
        elif held.citizen_id != owned.citizen_id:
            _merge(session, source=held.citizen_id, target=owned.citizen_id)
        return owned.citizen_id


def _identity(session: Session, contact: ProvedContact) -> CitizenIdentity | None:
    return session.exec(
        select(CitizenIdentity).where(
            CitizenIdentity.kind == contact.kind, CitizenIdentity.value == contact.value
        )
    ).first()


def _add(session: Session, citizen_id: int, contact: ProvedContact, proved_by: str) -> None:
    session.add(
        CitizenIdentity(
            citizen_id=citizen_id, kind=contact.kind, value=contact.value, proved_by=proved_by
        )
    )
    session.flush()


def _merge(session: Session, *, source: int, target: int) -> None:
    """Everything of citizen `source` becomes `target`'s; `source` is deleted."""
    session.exec(
        update(CitizenIdentity)
        .where(col(CitizenIdentity.citizen_id) == source)
        .values(citizen_id=target)
    )
    session.exec(update(Case).where(col(Case.citizen_id) == source).values(citizen_id=target))
    moved, kept = session.get(Citizen, source), session.get(Citizen, target)
    if moved is not None:
        if kept is not None and not kept.name and moved.name:
            kept.name = moved.name
            session.add(kept)
        session.flush()
        session.delete(moved)
    session.flush()


def has_proved(engine: Engine, holder: ProvedContact, kind: IdentityKind) -> bool:
    """Whether the citizen behind `holder` has proved a contact of `kind` (a phone, say)."""
    with Session(engine) as session:
        held = _identity(session, holder)
        if held is None:
            return False
        query = select(col(CitizenIdentity.id)).where(
            CitizenIdentity.citizen_id == held.citizen_id, CitizenIdentity.kind == kind
        )
        return session.exec(query).first() is not None
