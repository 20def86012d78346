"""One router per feature; `routers()` builds them in priority order."""

from __future__ import annotations

from aiogram import Router

from channels.chat.handlers import (
    followup,
    intake,
    lang,
    mycases,
    start,
    status,
    survey,
    withdraw,
)


def routers() -> list[Router]:
    """Commands first, then details for a case, the survey (buttons and typed answers), then
    the intake conversation."""
    return [
        module.build()
        for module in (start, lang, status, mycases, withdraw, followup, survey, intake)
    ]
