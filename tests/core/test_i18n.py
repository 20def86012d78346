"""The gettext catalogues: every text in the code is in its domain's catalogue, translated in
every language, compiled from its source; and a page's language is negotiated from the
browser's."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from core.i18n import (
    LOCALE_DIR,
    LOCALES,
    Domain,
    gettext_for,
    language_name,
    language_of,
    negotiate,
    pgettext_for,
)
from models.enums import Language

ROOT = Path(__file__).resolve().parents[2]
NOT_SHIPPED = {"tests", "bench", "var", "build", "dist"}  # as `make messages` skips them
Key = tuple[str | None, str]  # (msgctxt, msgid)


def _po(locale: str, domain: Domain) -> Catalog:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / f"{domain}.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def _in_code(domain: Domain) -> set[Key]:
    """What `make messages` extracts for the domain, read with the same mapping file."""
    with (LOCALE_DIR / f"{domain}.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)

    def shipped(dirname: str) -> bool:
        name = os.path.basename(dirname)
        return not name.startswith((".", "_")) and name not in NOT_SHIPPED

    found = extract_from_dir(
        str(ROOT), method_map, options_map, keywords={}, directory_filter=shipped
    )
    return {(context, message) for *_, message, _comments, context in found}


@pytest.mark.parametrize("domain", list(Domain))
def test_every_text_in_the_code_is_in_its_catalogue_and_nothing_else(domain: Domain) -> None:
    in_code = _in_code(domain)
    assert all(isinstance(message, str) for _context, message in in_code), "no plurals yet"
    for locale in LOCALES.values():
        in_catalogue = {(m.context, m.id) for m in _po(locale, domain) if m.id}
        assert sorted(in_code - in_catalogue, key=str) == [], f"{locale}: run `make messages`"
        assert sorted(in_catalogue - in_code, key=str) == [], f"{locale}: run `make messages`"


@pytest.mark.parametrize("domain", list(Domain))
def test_every_message_is_translated_in_every_language(domain: Domain) -> None:
    for locale in LOCALES.values():
        untranslated = [m.id for m in _po(locale, domain) if m.id and not m.string]
        fuzzy = [m.id for m in _po(locale, domain) if m.id and m.fuzzy]
        assert untranslated == [], f"translate these in {locale}/{domain}.po"
        assert fuzzy == [], f"check these in {locale}/{domain}.po and drop the fuzzy flag"


@pytest.mark.parametrize("domain", list(Domain))
def test_compiled_catalogues_match_their_sources(domain: Domain) -> None:
    for locale in LOCALES.values():
        source = {(m.context, m.id): m.string for m in _po(locale, domain) if m.id}
        with (LOCALE_DIR / locale / "LC_MESSAGES" / f"{domain}.mo").open("rb") as handle:
            compiled = {
                (m.context, m.id): m.string for m in read_mo(io.BytesIO(handle.read())) if m.id
            }
        assert compiled == source, f"{locale}/{domain}: run `make messages` to recompile"


def test_the_same_english_word_says_what_its_context_means() -> None:
    pgettext = pgettext_for(Language.zh)
    assert pgettext("sms status", "resolved") == "已办结"
    assert pgettext("voice status", "resolved") == "已办结，待回访"
    assert gettext_for(Language.zh, Domain.staff)("Received") == "受理时间"
    assert pgettext("status", "Received") == "已受理"


def test_languages_map_from_client_codes() -> None:
    assert [language_of(c) for c in ("en", "en-GB", "english", "zh-hans", "zh_CN", "ru", None)] == [
        Language.en,
        Language.en,
        Language.en,
        Language.zh,
        Language.zh,
        Language.zh,
        Language.zh,
    ]
    assert gettext_for(Language.zh)("Satisfied") == "满意"
    assert gettext_for(Language.en)("Satisfied") == "Satisfied"
    assert [language_name(language) for language in LOCALES] == ["中文", "English"]


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("en-GB,en;q=0.9", Language.en),
        ("fr-FR,fr;q=0.9,en;q=0.5", Language.en),  # the first one we speak, not the first one
        ("zh-TW,en;q=0.8", Language.zh),
        ("en;q=0.2,zh-CN", Language.zh),  # by quality, not by order
        ("en;q=0,de", Language.zh),  # q=0 means "not this"; nothing left: the default
        ("", Language.zh),
        ("*", Language.zh),
    ],
)
def test_the_browsers_language_is_negotiated(header: str, language: Language) -> None:
    assert negotiate(header) == language
