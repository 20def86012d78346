"""Find the citizen behind a set of identities, or register a new one.

Any identity already known means a known citizen: the others are linked to them, so calling
first and messaging later builds one history. An identity owned by a different citizen stays
where it is (merging two people is a staff decision, not something intake guesses).
"""

from __future__ import annotations

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from models.citizen import Citizen, CitizenIdentity
from models.enums import IdentityKind, Language


def find_citizen(*, session: Session, identities: list[tuple[IdentityKind, str]]) -> Citizen | None:
    known = _identities_matching(session=session, identities=identities)
    if not known:
        return None
    return session.get(Citizen, min(identity.citizen_id for identity in known))


def find_or_create_citizen(
    *,
    session: Session,
    identities: list[tuple[IdentityKind, str]],
    name: str | None,
    language: Language,
) -> Citizen | None:
    """The citizen these identities belong to; None for an anonymous request."""
    if not identities:
        return None
    known = _identities_matching(session=session, identities=identities)
    citizen = session.get(Citizen, min(i.citizen_id for i in known)) if known else None
    if citizen is None:
        citizen = Citizen(name=name, language=language)
        session.add(citizen)
        session.flush()
    elif name and not citizen.name:
        citizen.name = name
    assert citizen.id is not None
    taken = {(identity.kind, identity.value) for identity in known}
    for kind, value in identities:
        if (kind, value) not in taken:
            session.add(CitizenIdentity(citizen_id=citizen.id, kind=kind, value=value))
    session.flush()
    return citizen


def _identities_matching(
    *, session: Session, identities: list[tuple[IdentityKind, str]]
) -> list[CitizenIdentity]:
    if not identities:
        return []
    wanted = or_(
        *(
            and_(col(CitizenIdentity.kind) == kind, col(CitizenIdentity.value) == value)
            for kind, value in identities
        )
    )
    return list(session.exec(select(CitizenIdentity).where(wanted)).all())
