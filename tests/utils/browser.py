"""Driving Debian's Chromium with Playwright: launch arguments, screenshots, a staff login.

Shared by the browser tests of `tests/web/` (the fixtures `browser` and `shots` live in
`tests/web/conftest.py`); never `playwright install`: the browser is the system's.
"""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, Page, expect

from tests.utils.staff import StaffAccount

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


async def save_shot(page: Page, shots: list[Path], name: str) -> None:
    """A full-page screenshot into every folder of the `shots` fixture."""
    data = await page.screenshot(full_page=True)
    for folder in shots:
        (folder / f"{name}.png").write_bytes(data)


async def console_login(
    browser: Browser, api_url: str, account: StaffAccount, locale: str = "zh-CN"
) -> Page:
    """A fresh browser context logged into the console as `account`."""
    context = await browser.new_context(base_url=api_url, locale=locale)
    page = await context.new_page()
    await page.goto("/console/login")
    await page.fill("input[name=username]", account.username)
    await page.fill("input[name=password]", account.password)
    await page.click("button[type=submit].primary")
    await expect(page.locator("#me")).to_contain_text(account.username)
    return page
