"""Staff accounts and their roles; a unit handler is always bound to one unit."""

from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from models.enums import StaffRole
from models.types import UTCDateTime


class StaffUser(SQLModel, table=True):
    __tablename__ = "staff_users"
    __table_args__ = (
        CheckConstraint(
            "role <> 'unit_handler' OR unit_code IS NOT NULL", name="ck_unit_handler_has_unit"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=64)
    display_name: str = Field(default="", max_length=120)
    password_hash: str = Field(max_length=255)
    role: StaffRole = Field(sa_type=String(16))
    unit_code: str | None = Field(default=None, foreign_key="units.code", max_length=32)
    active: bool = True
    # Part of every session cookie and API token; bumped to end them all (logout, new
    # password, deactivation): a token of another version is refused.
    token_version: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StaffUserPublic(SQLModel):
    username: str
    display_name: str
    role: StaffRole
    unit_code: str | None
    active: bool
