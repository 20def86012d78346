"""Fixtures of the browser tests: one Chromium per module, and where screenshots go."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, async_playwright

from tests.utils.browser import CHROMIUM, CHROMIUM_ARGS


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
def shots(tmp_path: Path) -> list[Path]:
    """Where screenshots go: the test's tmp dir and, when set, HOTLINE_SCREENSHOTS_DIR."""
    folders = [tmp_path / "screenshots"]
    extra = os.environ.get("HOTLINE_SCREENSHOTS_DIR")
    if extra:
        folders.append(Path(extra))
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    return folders
