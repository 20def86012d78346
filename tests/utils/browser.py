"""Driving Debian's Chromium with Playwright: launch arguments, screenshots, a console login,
a context that fetches nothing but our local servers, and a pin dropped on the citizen map.

The fixtures that use these (`browser`, `shots`) are in tests/web/conftest.py."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Page, Route, expect

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


async def shot(page: Page, shots: list[Path], name: str) -> None:
    """A full-page screenshot into every screenshot folder of the test."""
    data = await page.screenshot(full_page=True)
    for folder in shots:
        (folder / f"{name}.png").write_bytes(data)


async def login(
    browser: Browser, api_url: str, account: StaffAccount, locale: str = "zh-CN"
) -> Page:
    """A new browser context logged in to the console as `account`."""
    context = await browser.new_context(base_url=api_url, locale=locale)
    page = await context.new_page()
    await page.goto("/console/login")
    await page.fill("input[name=username]", account.username)
    await page.fill("input[name=password]", account.password)
    await page.click("button[type=submit].primary")
    await expect(page.locator("#me")).to_be_visible()
    return page


async def case_action(page: Page, action: str) -> None:
    """Submit the case page's form for `action` and wait for the confirmation."""
    await page.click(f"#form-{action} button[type=submit]")
    await expect(page.locator("#done")).to_be_visible()


async def local_only(
    browser: Browser, base_url: str, lang: str, **options: object
) -> tuple[BrowserContext, list[str]]:
    """A context in `lang`'s browser locale that refuses (and records) every request to
    anything but 127.0.0.1: the map's tiles and scripts must all come from local servers."""
    context = await browser.new_context(
        base_url=base_url,
        locale="zh-CN" if lang == "zh" else "en-US",
        **options,  # type: ignore[arg-type]
    )
    outside: list[str] = []

    async def guard(route: Route) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1:", "data:", "blob:")):
            await route.continue_()
        else:
            outside.append(url)
            await route.abort()

    await context.route("**/*", guard)
    return context, outside


async def drop_pin(page: Page) -> None:
    """Click the middle of the citizen form's map (the settings' centre) once its tiles show."""
    await expect(page.locator("#map .leaflet-tile-loaded").first).to_be_visible()
    await page.locator("#map").click()
    await expect(page.locator("#pin-place")).to_be_visible()
