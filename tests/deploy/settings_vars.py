"""The HOTLINE_* names a deployment file may set: exactly the fields of `core.settings`."""

from __future__ import annotations

from collections.abc import Iterable

from core.settings import Settings

PREFIX = "HOTLINE_"


def known_settings() -> set[str]:
    return {PREFIX + name.upper() for name in Settings.model_fields}


def assert_known_settings(names: Iterable[str], *, where: str) -> None:
    """A misspelt variable is silently ignored by pydantic-settings, so catch it here."""
    unknown = sorted(n for n in names if n.startswith(PREFIX) and n not in known_settings())
    assert unknown == [], f"{where} sets variables no setting reads: {unknown}"
