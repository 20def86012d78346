"""The gettext catalogues: complete, compiled from their sources, and shared by the bot and
the worker."""

from __future__ import annotations

import io

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from channels.i18n import LOCALE_DIR, LOCALES, gettext_for, language_of
from models.enums import Language


def _po(locale: str):  # type: ignore[no-untyped-def]
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "hotline.po").open("rb") as handle:
        return read_po(handle)


def test_every_text_in_the_bot_has_a_chinese_translation() -> None:
    in_code = {
        message
        for *_, message, _comments, _context in extract_from_dir(str(LOCALE_DIR.parent / "chat"))
        if isinstance(message, str)
    }
    translated = {m.id: m.string for m in _po("zh_CN") if m.id}
    missing = sorted(text for text in in_code if not translated.get(text))
    assert missing == [], "run `make messages` and translate these"


def test_compiled_catalogues_match_their_sources() -> None:
    for locale in LOCALES.values():
        source = {m.id: m.string for m in _po(locale) if m.id}
        with (LOCALE_DIR / locale / "LC_MESSAGES" / "hotline.mo").open("rb") as handle:
            compiled = {m.id: m.string for m in read_mo(io.BytesIO(handle.read())) if m.id}
        assert compiled == source, f"{locale}: run `make messages` to recompile"


def test_languages_map_from_client_codes() -> None:
    assert [language_of(c) for c in ("en", "en-GB", "zh-hans", "zh_CN", "ru", None)] == [
        Language.en,
        Language.en,
        Language.zh,
        Language.zh,
        Language.zh,
        Language.zh,
    ]
    assert gettext_for(Language.zh)("Satisfied") == "满意"
    assert gettext_for(Language.en)("Satisfied") == "Satisfied"
