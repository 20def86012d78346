"""我的诉求 on /track: after the one-time code, the reader's other cases, and only theirs.

The code went to one contact the case carries; entering it proves the reader holds that
contact, so the page may list the cases that contact may follow (`intake.mycases`). The cookies
carry a keyed hash of the contact, never the contact itself: the code cookie is handed to
whoever presses "Send code", and must not tell them the citizen's phone or e-mail.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from sqlmodel import Session

from core.settings import Settings
from intake.mycases import own_cases_in
from intake.owners import ProvedContact, reachable_contacts
from models.case import Case
from models.enums import Language
from web.local_time import local_datetime


@dataclass(frozen=True)
class OtherCase:
    number: str
    status: str
    submitted: str  # local date and time, in the page's language


def contact_mark(settings: Settings, address: str) -> str:
    """A keyed hash naming the contact the code went to, for the cookies."""
    key = settings.secret_key.encode()
    return hmac.new(key, f"track-contact:{address}".encode(), hashlib.sha256).hexdigest()


def proved_contact(
    session: Session, settings: Settings, case: Case, mark: str
) -> ProvedContact | None:
    """The case's contact the entered code went to; None when it is no longer on the case."""
    if not mark:
        return None
    for kind, value in reachable_contacts(session=session, case=case).items():
        if hmac.compare_digest(contact_mark(settings, value), mark):
            return ProvedContact(kind, value)
    return None


def other_cases(
    session: Session, settings: Settings, case: Case, mark: str, language: Language
) -> list[OtherCase]:
    """The newest other cases of the contact the code proved, newest first."""
    contact = proved_contact(session, settings, case, mark)
    if contact is None:
        return []
    return [
        OtherCase(
            own.number,
            own.status.value,
            local_datetime(own.created_at, language, settings.timezone),
        )
        for own in own_cases_in(session, contact, besides=case.number)
    ]
