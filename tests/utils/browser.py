"""Helpers for the Playwright tests (the fixtures are in tests/web/conftest.py)."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page


async def shot(page: Page, shots: list[Path], name: str) -> None:
    """A full-page screenshot `name`.png in every screenshot folder."""
    data = await page.screenshot(full_page=True)
    for folder in shots:
        (folder / f"{name}.png").write_bytes(data)
