"""The acceptance flow in real headless Chromium (Debian's, driven by Playwright): a citizen
submits and tracks a request, a dispatcher dispatches it, the unit handler resolves it, and the
public tracker shows it resolved (the reply itself only after the one-time code: see
tests/security/test_privacy.py). Screenshots of the main pages are saved as it goes."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.async_api import Browser, expect
from sqlalchemy.engine import Engine

from models.enums import StaffRole
from tests.utils.browser import case_action, login, shot
from tests.utils.cases import case_row, events
from tests.utils.factories import make_submission
from tests.utils.staff import CHAOYANG, make_staff

REPLY = "路灯已于今日修复，感谢您的反映。"


async def test_citizen_submits_dispatcher_dispatches_handler_resolves_tracker_shows_it(
    browser: Browser, api_url: str, engine: Engine, shots: list[Path]
) -> None:
    # A citizen on a phone-sized screen submits a request and gets the case number.
    citizen = await browser.new_context(
        base_url=api_url, locale="zh-CN", viewport={"width": 390, "height": 844}
    )
    page = await citizen.new_page()
    await page.goto("/submit")
    await page.fill("#category-search", "路灯")  # the script narrows the list as one types
    await page.select_option("#category", "01.02.001")
    await page.fill(
        "textarea[name=description]", "望京街道某小区门口的路灯坏了一个星期，晚上很黑。"
    )
    await page.fill("input[name=address]", "朝阳区望京街道")
    await page.fill("input[name=phone]", "13800138000")
    await shot(page, shots, "01-submit")
    await page.click("#send")
    number = (await page.locator("#case-number").inner_text()).strip()
    assert case_row(engine, number).description.startswith("望京街道")
    await shot(page, shots, "02-submitted")

    # ... and tracks it by number.
    await page.click("a.button")
    await expect(page.locator("#status")).to_have_text("已受理")
    await shot(page, shots, "03-track-accepted")

    # The dispatcher finds it in the queue and dispatches it to the unit.
    dispatcher = make_staff(engine, StaffRole.dispatcher)
    desk = await login(browser, api_url, dispatcher)
    await expect(desk.locator(f'tr[data-number="{number}"]')).to_be_visible()
    await shot(desk, shots, "04-dispatch-queue")
    await desk.click(f'a[href="/console/cases/{number}"]')
    await desk.fill("#unit-picker", CHAOYANG)
    await shot(desk, shots, "05-case-before-dispatch")
    await case_action(desk, "dispatch")
    await expect(desk.locator("#lead-unit")).to_have_text(CHAOYANG)

    # The unit handler acknowledges, contacts the citizen and resolves with a reply.
    handler = make_staff(engine, StaffRole.unit_handler, CHAOYANG)
    inbox = await login(browser, api_url, handler)
    await expect(inbox.locator(f'tr[data-number="{number}"]')).to_be_visible()
    await shot(inbox, shots, "06-unit-inbox")
    await inbox.click(f'a[href="/console/cases/{number}"]')
    await case_action(inbox, "acknowledge")
    await case_action(inbox, "respond")
    await inbox.fill("#form-resolve textarea[name=reply]", REPLY)
    await case_action(inbox, "resolve")
    await shot(inbox, shots, "07-case-resolved")

    # The public tracker shows the case resolved; the reply waits for the one-time code.
    await page.goto(f"/track?number={number}")
    await expect(page.locator("#timeline")).to_contain_text("已办结")
    await expect(page.locator("#reply")).to_have_count(0)
    assert REPLY not in await page.content()
    await shot(page, shots, "08-track-resolved")

    actors = {(e.kind, e.actor) for e in events(engine, number)}
    assert {("dispatched", dispatcher.username), ("resolved", handler.username)} <= actors
    assert all((shots[0] / f"0{i}-{name}.png").exists() for i, name in [(1, "submit")])


async def test_the_dispatch_queue_updates_without_a_reload(
    browser: Browser, api_url: str, engine: Engine, shots: list[Path]
) -> None:
    desk = await login(browser, api_url, make_staff(engine, StaffRole.dispatcher))
    marker = await desk.evaluate("() => { window.notReloaded = true; return true; }")
    assert marker
    async with httpx.AsyncClient(base_url=api_url, timeout=60) as http:
        created = await http.post("/api/v1/requests", json=make_submission())
    number = created.json()["number"]
    await expect(desk.locator(f'tr[data-number="{number}"]')).to_be_visible(timeout=30_000)
    assert await desk.evaluate("() => window.notReloaded === true")
    await shot(desk, shots, "09-queue-live")


async def test_the_public_pages_in_english(
    browser: Browser, api_url: str, shots: list[Path]
) -> None:
    context = await browser.new_context(base_url=api_url, locale="en-US")
    page = await context.new_page()
    await page.goto("/submit")
    await expect(page.locator("h1")).to_have_text("Submit a request")
    await page.goto("/feed")
    await expect(page.locator("h1")).to_have_text("Recent requests")
    await shot(page, shots, "10-feed-en")
