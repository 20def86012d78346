"""One router per feature; `routers()` builds them in priority order."""

from __future__ import annotations

from aiogram import Router

from channels.chat.handlers import intake, lang, start, status, survey


def routers() -> list[Router]:
    """Commands first, then the survey (buttons and typed answers), then the conversation."""
    return [module.build() for module in (start, lang, status, survey, intake)]
