"""Moments as staff and citizens read them: local time of the hotline's city, to the minute.

The database and the workflow keep UTC; pages and notices show "2026-11-30 17:24" in
`Settings.timezone` (Asia/Shanghai), never an ISO timestamp with its offset and microseconds.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"
FORMAT = "%Y-%m-%d %H:%M"


def local_time(moment: datetime | None, zone: str | ZoneInfo = DEFAULT_ZONE) -> str:
    """`moment` in the local zone as "YYYY-MM-DD HH:MM"; "" for none."""
    if moment is None:
        return ""
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    return moment.astimezone(tz).strftime(FORMAT)


def local_time_text(value: str, zone: str | ZoneInfo = DEFAULT_ZONE) -> str:
    """An ISO timestamp passed around as text (a notice's parameter) in local time; any other
    text is returned as it is."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        return value
    return local_time(moment, zone)
