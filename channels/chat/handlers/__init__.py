"""One router per feature; `routers()` gives them in priority order."""

from __future__ import annotations

from aiogram import Router

from channels.chat.handlers import help, intake, lang, status, survey


def routers() -> list[Router]:
    """Commands first, then the survey (buttons and typed answers), then the conversation."""
    return [help.router, lang.router, status.router, survey.router, intake.router]
