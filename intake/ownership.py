"""Whether a proved contact owns a case: the one rule every channel asks before it shows more
than a case's public status.

A channel proves a contact by how the message arrived: the `From` of a signed Twilio webhook
(SMS or call), the chat of a signed Telegram update. That contact owns a case when the case's
citizen carries it as an identity (a `CitizenIdentity` row). The rule is exactly as strong as
the identities: it relies on a contact being linked to a citizen only once its channel proved
it (issue 13, "proved contacts only"), so that a phone merely typed into a form or given by an
integration never makes its typist an owner.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from models.case import Case
from models.citizen import CitizenIdentity
from models.enums import IdentityKind


@dataclass(frozen=True)
class ProvedContact:
    """A contact its channel vouched for: a signed webhook's phone, a signed update's chat."""

    kind: IdentityKind
    value: str  # normalised as intake stores it: E.164 phone, chat id as text


def owns_case(session: Session, case: Case, kind: IdentityKind, value: str) -> bool:
    """True when the citizen behind `case` has the identity (`kind`, `value`)."""
    if case.citizen_id is None:
        return False  # an anonymous case has no owner to prove
    found = session.exec(
        select(CitizenIdentity.id).where(
            CitizenIdentity.citizen_id == case.citizen_id,
            CitizenIdentity.kind == kind,
            CitizenIdentity.value == value,
        )
    ).first()
    return found is not None


def owned_by(session: Session, case: Case, contact: ProvedContact | None) -> bool:
    """`owns_case` for a contact that may be missing (a withheld caller id): none owns nothing."""
    return contact is not None and owns_case(session, case, contact.kind, contact.value)
