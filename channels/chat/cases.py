"""Which cases a chat may touch: those it opened or was named on (`intake.owners`)."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from intake.owners import ProvedContact, owns_case
from models.case import Case
from models.enums import IdentityKind
from models.service import get_case


def chat_contact(chat_id: int) -> ProvedContact:
    """The chat of a signed Telegram update, as the contact it proves."""
    return ProvedContact(IdentityKind.telegram, str(chat_id))


def chat_case(engine: Engine, chat_id: int, number: str) -> Case | None:
    """The case numbered `number` if this chat's citizen opened it; None for anyone else's.

    A case number is short and guessable; a chat must not add to, or answer the survey of,
    another citizen's case by typing its number.
    """
    contact = chat_contact(chat_id)
    with Session(engine) as session:
        case = get_case(session=session, number=number)
        if case is None or not owns_case(session, case, contact.kind, contact.value):
            return None
        return case
