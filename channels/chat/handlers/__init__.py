"""One router per feature; `routers()` builds them in priority order."""

from __future__ import annotations

from aiogram import Router

from channels.chat.handlers import (
    conversation,
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
    """Commands first, then details for a case, the survey (buttons and typed answers), a text
    outside any request (details, "which case?", thanks, or a new request), then the intake
    conversation."""
    modules = (start, lang, status, mycases, withdraw, followup, survey, conversation, intake)
    return [module.build() for module in modules]
