"""Find the citizen behind a proved contact, or register one; keep each case's own contacts.

A citizen is made of contacts their channels proved. A contact given on a form or by an
integration is only a claim: it is kept on its case (`CaseContact`, unproved) so the case can be
answered there, and it never links to, or pulls in, anybody else's identity or cases.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, insert
from sqlmodel import Session, col, select

from models.case import Case
from models.citizen import CaseContact, Citizen, CitizenIdentity
from models.enums import Channel, IdentityKind, Language
from workflows.types import TERMINAL

_CONTACTS: Table = CaseContact.__table__  # type: ignore[attr-defined]
_INSERT_CONTACTS = insert(_CONTACTS)


def find_or_create_citizen(
    *,
    session: Session,
    identity: tuple[IdentityKind, str],
    proved_by: Channel | str,
    name: str | None,
    language: Language,
) -> Citizen:
    """The citizen who owns this proved contact; a new citizen when nobody does yet."""
    kind, value = identity
    known = session.exec(
        select(CitizenIdentity).where(CitizenIdentity.kind == kind, CitizenIdentity.value == value)
    ).first()
    citizen = session.get(Citizen, known.citizen_id) if known is not None else None
    if citizen is None:
        citizen = Citizen(name=name, language=language)
        session.add(citizen)
        session.flush()
        assert citizen.id is not None
        proof = proved_by.value if isinstance(proved_by, Channel) else proved_by
        session.add(CitizenIdentity(citizen_id=citizen.id, kind=kind, value=value, proved_by=proof))
    elif name and not citizen.name:
        citizen.name = name
        session.add(citizen)
    session.flush()
    return citizen


def preferred_language(*, session: Session, identity: tuple[IdentityKind, str]) -> Language | None:
    """The language of the citizen behind this proved contact, whichever channel chose it
    (SMS `EN`, Telegram /lang, the phone's key 2); None for a contact nobody has proved yet."""
    kind, value = identity
    citizen = session.exec(
        select(Citizen)
        .join(CitizenIdentity, col(CitizenIdentity.citizen_id) == col(Citizen.id))
        .where(CitizenIdentity.kind == kind, CitizenIdentity.value == value)
    ).first()
    return Language(citizen.language) if citizen is not None else None


def set_preferred_language(
    *,
    session: Session,
    identity: tuple[IdentityKind, str],
    proved_by: Channel,
    language: Language,
) -> Citizen:
    """Choose the citizen's language on one channel for all of them: replies, greetings and
    the notices of their open cases from now on."""
    citizen = find_or_create_citizen(
        session=session, identity=identity, proved_by=proved_by, name=None, language=language
    )
    citizen.language = language
    session.add(citizen)
    open_cases = session.exec(
        select(Case).where(Case.citizen_id == citizen.id, col(Case.status).not_in(list(TERMINAL)))
    ).all()
    for case in open_cases:
        case.language = language
        session.add(case)
    session.flush()
    return citizen


def record_case_contacts(
    *,
    session: Session,
    case_id: int,
    identities: list[tuple[IdentityKind, str]],
    proof: tuple[IdentityKind, str] | None,
    now: datetime,
) -> None:
    """Keep the contacts a request carried on its case: the proved one it arrived on first.
    One Core INSERT (intake's hot path), not an ORM object per contact."""
    rows: list[dict[str, object]] = []
    seen: set[tuple[IdentityKind, str]] = set()
    if proof is not None:
        rows.append(_contact(case_id, proof, proved=True, now=now))
        seen.add(proof)
    for identity in identities:
        if identity not in seen:
            rows.append(_contact(case_id, identity, proved=False, now=now))
            seen.add(identity)
    if rows:
        session.connection().execute(_INSERT_CONTACTS, rows)


def _contact(
    case_id: int, identity: tuple[IdentityKind, str], *, proved: bool, now: datetime
) -> dict[str, object]:
    kind, value = identity
    return {
        "case_id": case_id,
        "kind": kind,
        "value": value,
        "proved": proved,
        "arrived_on": proved,
        "created_at": now,
    }
