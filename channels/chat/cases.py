"""Which cases a chat may touch: those whose citizen carries this chat's Telegram identity."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.case import Case
from models.citizen import CitizenIdentity
from models.enums import IdentityKind


def chat_case(engine: Engine, chat_id: int, number: str) -> Case | None:
    """The case numbered `number` if this chat's citizen opened it; None for anyone else's.

    A case number is short and guessable; a chat must not add to, or answer the survey of,
    another citizen's case by typing its number.
    """
    with Session(engine) as session:
        return session.exec(
            select(Case)
            .join(CitizenIdentity, col(CitizenIdentity.citizen_id) == col(Case.citizen_id))
            .where(
                Case.number == number,
                CitizenIdentity.kind == IdentityKind.telegram,
                CitizenIdentity.value == str(chat_id),
            )
        ).first()
