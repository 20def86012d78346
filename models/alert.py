"""未诉先办 alerts: one row per detected spike, so the same spike never alerts twice."""

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from models.types import UTCDateTime


class SpikeAlert(SQLModel, table=True):
    __tablename__ = "spike_alerts"
    __table_args__ = (UniqueConstraint("day", "category_code", "area_code", name="uq_spike_alert"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True)  # the local (Asia/Shanghai) day that spiked
    category_code: str = Field(foreign_key="categories.code", max_length=32)
    area_code: str = Field(foreign_key="units.code", max_length=32)  # the district
    count: int
    baseline: float  # the expected count for that weekday (median of the weeks before)
    p_value: float
    unit_code: str = Field(foreign_key="units.code", max_length=32)  # who was told
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    notified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
