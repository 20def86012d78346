"""我的诉求: the cases a proved contact may follow, newest first, for every channel's "my cases".

The same rule as following one case (`intake.owners.owner_filter`): the cases whose citizen
proved this contact, and those that carry it; never a case of anyone else. A channel asks
with the contact its own signature proved (an SMS `From`, a Telegram chat, a `/track` code),
never with one the asker typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.owners import ProvedContact, owner_filter
from models.case import Case
from models.enums import CaseStatus

SHOWN = 5  # a text message or a chat bubble, not a report


@dataclass(frozen=True)
class OwnCase:
    number: str
    status: CaseStatus
    created_at: datetime  # UTC; each channel shows it in local time


def own_cases(
    engine: Engine, contact: ProvedContact, *, limit: int = SHOWN, besides: str | None = None
) -> list[OwnCase]:
    """The newest `limit` cases `contact` may follow; `besides`: leave out the case shown."""
    with Session(engine) as session:
        return own_cases_in(session, contact, limit=limit, besides=besides)


def own_cases_in(
    session: Session, contact: ProvedContact, *, limit: int = SHOWN, besides: str | None = None
) -> list[OwnCase]:
    query = (
        select(Case)
        .where(owner_filter(contact.kind, contact.value))
        .order_by(col(Case.created_at).desc(), col(Case.id).desc())
        .limit(limit)
    )
    if besides is not None:
        query = query.where(col(Case.number) != besides)
    return [
        OwnCase(case.number, CaseStatus(case.status), case.created_at)
        for case in session.exec(query).all()
    ]
