"""The gettext catalogues: every text a citizen or a staff member reads, in every language.

Texts are written in English in the code and translated in
`core/locale/<locale>/LC_MESSAGES/<domain>.po`, compiled to `.mo` beside them (`make messages`;
the `.mo` files are committed, so a fresh clone and the wheel work without compiling). One
domain per audience, so each catalogue is translated with its reader in mind:

- `citizen`: web pages, SMS, voice prompts, Telegram, Open311 texts, citizen notices and the
  survey;
- `staff`: the console, notices to units and supervisors, report headings.

Which domain a text belongs to is said where it is written: citizen texts through `_()`,
`pgettext()` or the marker `N_()`, staff texts through the markers `S_()` and `SP_()` (with a
context); the console's templates use `_()`, bound to the staff catalogue. `make messages`
extracts each domain by those names (`core/locale/<domain>.cfg`).

`LOCALES` is the one list of languages (web links and negotiation, the bot's buttons, the
catalogue tests read it): adding one is adding its `Language` member, its entry there and its
two catalogues (README, "Translations").
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from babel import Locale, negotiate_locale

from models.enums import Language

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# Our languages and the gettext locale directory that holds each: the one list of languages.
LOCALES: dict[Language, str] = {Language.zh: "zh_CN", Language.en: "en"}
DEFAULT_LANGUAGE = Language.zh
CONTEXT_SEPARATOR = "\x04"  # how gettext keys a message with a context: msgctxt EOT msgid


class Domain(StrEnum):
    """A catalogue per audience: `citizen.po` and `staff.po` in every locale."""

    citizen = "citizen"
    staff = "staff"


def N_(message: str) -> str:
    """Marks a citizen text for extraction where it is stored; it is translated where shown."""
    return message


def S_(message: str) -> str:
    """Marks a staff text for extraction (domain `staff`); it is translated where shown."""
    return message


def SP_(context: str, message: str) -> str:
    """Marks a staff text that needs a context (the same English word, other Chinese words);
    the mark is gettext's own key for it, "context EOT message", read by `translate`."""
    return f"{context}{CONTEXT_SEPARATOR}{message}"


def translate(language: Language, domain: Domain, message: str) -> str:
    """A marked text (`N_`, `S_` or `SP_`) in `language`."""
    context, separator, text = message.rpartition(CONTEXT_SEPARATOR)
    if separator:
        return translations(language, domain).pgettext(context, text)
    return translations(language, domain).gettext(message)


def every_language(message: str, domain: Domain = Domain.staff) -> str:
    """A marked text in all our languages, default first ("名次 rank"): the headings of
    reports, which staff of either language read from the same file."""
    return " ".join(translate(language, domain, message) for language in _default_first())


def _default_first() -> list[Language]:
    return sorted(LOCALES, key=lambda language: language is not DEFAULT_LANGUAGE)


def locale_of(language: Language) -> str:
    return LOCALES[language]


def language_of(locale: str | None) -> Language:
    """The hotline language for a locale or a client's language code ("en-GB", "zh-hans")."""
    code = (locale or "").replace("-", "_").lower()
    for language, known in LOCALES.items():
        if code.startswith(known.split("_")[0].lower()):  # "en", "en_gb", "english"
            return language
    return DEFAULT_LANGUAGE


def negotiate(accept_language: str) -> Language:
    """The best of our languages for an `Accept-Language` header (by q-value), else the default."""
    tags = {
        tag.lower(): language
        for language, locale in LOCALES.items()
        for tag in (locale.replace("_", "-"), locale.split("_")[0])
    }
    chosen = negotiate_locale(_preferred(accept_language), list(tags), sep="-")
    return tags[chosen.lower()] if chosen else DEFAULT_LANGUAGE


def _preferred(accept_language: str) -> list[str]:
    """The header's language tags, most wanted first; `*` and q=0 ones dropped."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, index, tag))
    return [tag for *_order, tag in sorted(weighted)]


@lru_cache
def translations(language: Language, domain: Domain = Domain.citizen) -> gettext.GNUTranslations:
    """The compiled catalogue; a missing one is an install error, never silently English."""
    found = gettext.translation(domain, localedir=LOCALE_DIR, languages=[locale_of(language)])
    assert isinstance(found, gettext.GNUTranslations)
    return found


def gettext_for(language: Language, domain: Domain = Domain.citizen) -> Callable[[str], str]:
    return translations(language, domain).gettext


def pgettext_for(language: Language, domain: Domain = Domain.citizen) -> Callable[[str, str], str]:
    """`pgettext(context, message)`: for the same English word said differently by context."""
    return translations(language, domain).pgettext


def language_name(language: Language) -> str:
    """The language's own name for itself ("中文", "English"), as a language switch shows it."""
    locale = Locale.parse(locale_of(language))
    return str(locale.languages[locale.language])
