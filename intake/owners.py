"""Who may follow a case: a contact the case carries, or one its citizen proved.

The contacts on a case were chosen by whoever made it, so holding one lets a person follow that
case only (add details, answer its survey, read its reply once proved); a contact proved by its
channel (the signed sender of an SMS or Telegram update) reaches every case of that citizen.
One rule here, used by the SMS, Telegram and voice channels and the web's one-time codes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, exists, or_
from sqlmodel import Session, col, select

from models.case import Case
from models.citizen import CaseContact, CitizenIdentity
from models.enums import IdentityKind


@dataclass(frozen=True)
class ProvedContact:
    """A contact its channel vouched for: a signed webhook's phone, a signed update's chat."""

    kind: IdentityKind
    value: str  # normalised as intake stores it: E.164 phone, chat id as text


def _proved_by(kind: IdentityKind, value: str) -> ColumnElement[bool]:
    return exists().where(
        and_(
            col(CitizenIdentity.citizen_id) == col(Case.citizen_id),
            col(CitizenIdentity.kind) == kind,
            col(CitizenIdentity.value) == value,
        )
    )


def _carried_by(kind: IdentityKind, value: str) -> ColumnElement[bool]:
    return exists().where(
        and_(
            col(CaseContact.case_id) == col(Case.id),
            col(CaseContact.kind) == kind,
            col(CaseContact.value) == value,
        )
    )


def owner_filter(kind: IdentityKind, value: str) -> ColumnElement[bool]:
    """A WHERE clause on `Case`: the cases this contact may follow."""
    return or_(_proved_by(kind, value), _carried_by(kind, value))


def proved_filter(kind: IdentityKind, value: str) -> ColumnElement[bool]:
    """A WHERE clause on `Case`: the cases of the citizen who proved this contact (not those
    that merely name it: a web form may carry anyone's phone or chat)."""
    return _proved_by(kind, value)


def proved_first(kind: IdentityKind, value: str) -> ColumnElement[int]:
    """An ORDER BY key: cases the contact proved come before cases that merely name it.

    Someone may type another person's phone on a web form; that person's own texts must still
    land on their own cases first.
    """
    return case((_proved_by(kind, value), 0), else_=1)


def owns_case(session: Session, case: Case, kind: IdentityKind, value: str) -> bool:
    """True when (`kind`, `value`) may follow `case` (see `owner_filter`)."""
    query = select(col(Case.id)).where(col(Case.id) == case.id, owner_filter(kind, value))
    return session.exec(query).first() is not None


def owned_by(session: Session, case: Case, contact: ProvedContact | None) -> bool:
    """`owns_case` for a contact that may be missing (a withheld caller id): none owns nothing."""
    return contact is not None and owns_case(session, case, contact.kind, contact.value)


def case_contacts(*, session: Session, case_id: int) -> list[CaseContact]:
    """The case's contacts, the one it arrived on first, then proved ones, then given ones."""
    query = (
        select(CaseContact)
        .where(CaseContact.case_id == case_id)
        .order_by(
            col(CaseContact.arrived_on).desc(), col(CaseContact.proved).desc(), col(CaseContact.id)
        )
    )
    return list(session.exec(query).all())


def reachable_contacts(*, session: Session, case: Case) -> dict[IdentityKind, str]:
    """The case's own contacts (the one it arrived on first), then those its citizen proved.

    Never a contact that merely claims the same person: notices go where the case came from or
    where its citizen proved they can be reached; a number that said STOP is left out.
    """
    assert case.id is not None
    candidates = [
        (IdentityKind(c.kind), c.value) for c in case_contacts(session=session, case_id=case.id)
    ]
    if case.citizen_id is not None:
        proved = session.exec(
            select(CitizenIdentity)
            .where(CitizenIdentity.citizen_id == case.citizen_id)
            .order_by(col(CitizenIdentity.id))
        ).all()
        candidates += [(IdentityKind(i.kind), i.value) for i in proved]
    opted_out = {
        (IdentityKind(i.kind), i.value)
        for i in session.exec(
            select(CitizenIdentity).where(
                col(CitizenIdentity.opted_out).is_(True),
                col(CitizenIdentity.value).in_([value for _, value in candidates]),
            )
        ).all()
    }
    by_kind: dict[IdentityKind, str] = {}
    for kind, value in candidates:
        if (kind, value) not in opted_out:
            by_kind.setdefault(kind, value)
    return by_kind
