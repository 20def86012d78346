"""Citizens and their contact identities: one person, however many ways they reach us."""

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from models.enums import IdentityKind, Language
from models.types import UTCDateTime


class Citizen(SQLModel, table=True):
    __tablename__ = "citizens"
    id: int | None = Field(default=None, primary_key=True)
    name: str | None = Field(default=None, max_length=120)
    language: Language = Field(default=Language.zh, sa_type=String(8))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CitizenIdentity(SQLModel, table=True):
    """A phone (E.164), Telegram chat id or email that belongs to exactly one citizen."""

    __tablename__ = "citizen_identities"
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_citizen_identity"),)
    id: int | None = Field(default=None, primary_key=True)
    citizen_id: int = Field(foreign_key="citizens.id", index=True)
    kind: IdentityKind = Field(sa_type=String(16))
    value: str = Field(max_length=254)
    opted_out: bool = False  # STOP by SMS: never message this identity again
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CitizenIdentityPublic(SQLModel):
    kind: IdentityKind
    value: str
