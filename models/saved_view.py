"""A staff member's saved case list: a name and the list's query string, theirs alone."""

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from models.types import UTCDateTime


class SavedView(SQLModel, table=True):
    __tablename__ = "staff_saved_views"
    __table_args__ = (UniqueConstraint("staff_user_id", "name", name="uq_staff_saved_view"),)
    id: int | None = Field(default=None, primary_key=True)
    staff_user_id: int = Field(foreign_key="staff_users.id", index=True)
    name: str = Field(max_length=80)
    # Only the list's own parameters, re-parsed and re-scoped each time it is opened: a saved
    # view never widens what its owner may see.
    query: str = Field(max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
