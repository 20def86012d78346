"""The gettext catalogues every channel shares: zh-CN and en, loaded once per process.

Texts are written in English in the code (`_("...")`), translated in
`channels/locale/<locale>/LC_MESSAGES/hotline.po` and compiled to `.mo` (`make messages`).
The chat bot reads the same files through aiogram's `I18n`; code outside the bot (the
notifiers in the worker) asks `gettext_for(language)` here, so both say the same words.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from models.enums import Language

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "hotline"
# Our languages and the gettext locale directory that holds each.
LOCALES: dict[Language, str] = {Language.zh: "zh_CN", Language.en: "en"}
DEFAULT_LANGUAGE = Language.zh


def locale_of(language: Language) -> str:
    return LOCALES[language]


def language_of(locale: str | None) -> Language:
    """The hotline language for a locale or a client's language code ("en-GB", "zh-hans")."""
    code = (locale or "").replace("-", "_").lower()
    if code.startswith("en"):
        return Language.en
    if code.startswith("zh"):
        return Language.zh
    return DEFAULT_LANGUAGE


@lru_cache
def translations(language: Language) -> gettext.NullTranslations:
    """The compiled catalogue; a missing one is an install error, never silently English."""
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[locale_of(language)])


def gettext_for(language: Language) -> Callable[[str], str]:
    return translations(language).gettext
