"""Files attached to a case (call recordings, photos), kept on disk under their content hash."""

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from models.enums import AttachmentKind
from models.types import UTCDateTime


class Attachment(SQLModel, table=True):
    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("case_id", "sha256", name="uq_attachment_per_case"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    kind: AttachmentKind = Field(sa_type=String(16))
    content_type: str = Field(max_length=120)
    filename: str = Field(default="", max_length=255)
    size: int = Field(ge=0)
    sha256: str = Field(max_length=64, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AttachmentPublic(SQLModel):
    kind: AttachmentKind
    content_type: str
    filename: str
    size: int
    sha256: str
