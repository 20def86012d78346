"""Citizens, the contacts they proved, and the contacts each case was given.

A contact belongs to a citizen (`CitizenIdentity`) only when its channel proved it: the `From`
of a signed Twilio webhook, the chat of a signed Telegram update, a code answered. What a web
form or an integration merely claims stays on that one case (`CaseContact`, unproved) and never
joins anyone's identity, so knowing a victim's phone number gives an attacker nothing of theirs.
"""

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
    """A phone (E.164), Telegram chat id or email that its channel proved belongs to one citizen."""

    __tablename__ = "citizen_identities"
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_citizen_identity"),)
    id: int | None = Field(default=None, primary_key=True)
    citizen_id: int = Field(foreign_key="citizens.id", index=True)
    kind: IdentityKind = Field(sa_type=String(16))
    value: str = Field(max_length=254)
    opted_out: bool = False  # STOP by SMS: never message this identity again
    # What proved it: the channel of a signed webhook (sms, voice, chat) or "code".
    proved_by: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CaseContact(SQLModel, table=True):
    """A way to reach the citizen of one case: the one it arrived on, or one given with it.

    `proved` is true when the channel proved it (then it is also the citizen's identity);
    `arrived_on` marks the contact the request came through. Notices for the case go to these
    contacts, and whoever holds one of them may follow the case: they were chosen by the person
    who made the case, so they can reach only that case.
    """

    __tablename__ = "case_contacts"
    __table_args__ = (UniqueConstraint("case_id", "kind", "value", name="uq_case_contact"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    kind: IdentityKind = Field(sa_type=String(16))
    value: str = Field(max_length=254, index=True)
    proved: bool = False
    arrived_on: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CitizenIdentityPublic(SQLModel):
    kind: IdentityKind
    value: str
