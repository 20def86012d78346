"""Dates and times as a citizen reads them: the city's zone, written the language's way.

"2026年11月30日 22:03" and "Nov 30, 2026, 10:03 PM", never an ISO timestamp in UTC.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from core.i18n import locale_of
from models.enums import Language


def local_datetime(moment: datetime, language: Language, zone: str) -> str:
    """Date and minute in `zone` (the settings' timezone, Asia/Shanghai by default)."""
    here = moment.astimezone(ZoneInfo(zone))
    locale = locale_of(language)
    date = format_date(here, "medium", locale=locale)
    time = format_time(here, "short", locale=locale)
    return f"{date} {time}" if language is Language.zh else f"{date}, {time}"


def local_date(moment: datetime, language: Language, zone: str) -> str:
    return format_date(moment.astimezone(ZoneInfo(zone)), "medium", locale=locale_of(language))
