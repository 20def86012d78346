"""Which cases a chat may touch: those it opened or was named on (`intake.owners`)."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from intake.owners import owned_by
from models.case import Case
from models.enums import IdentityKind


def chat_case(engine: Engine, chat_id: int, number: str) -> Case | None:
    """The case numbered `number` if this chat's citizen opened it; None for anyone else's.

    A case number is short and guessable; a chat must not add to, or answer the survey of,
    another citizen's case by typing its number.
    """
    with Session(engine) as session:
        return session.exec(
            select(Case).where(Case.number == number, owned_by(IdentityKind.telegram, str(chat_id)))
        ).first()
