"""A dispatcher in real Chromium finds a citizen's case by the phone number typed the way the
caller says it, and by a word of its description, then opens it (by click and by keyboard).
Screenshots of the list are written as it goes."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
from playwright.async_api import Browser, expect
from sqlalchemy.engine import Engine

from models.enums import StaffRole
from tests.utils.browser import login, shot
from tests.utils.factories import make_submission, unique_phone
from tests.utils.staff import make_staff


async def test_a_dispatcher_finds_a_case_by_phone_and_by_word_and_opens_it(
    browser: Browser, api_url: str, engine: Engine, shots: list[Path]
) -> None:
    word = "井盖" + "".join(
        "零一二三四五六七八九"[int(d)] for d in f"{uuid.uuid4().int % 10**6:06d}"
    )
    phone = unique_phone()
    async with httpx.AsyncClient(base_url=api_url, timeout=60) as http:
        created = await http.post(
            "/api/v1/requests",
            json=make_submission(
                description=f"人行道上{word}不见了，晚上很危险。", contact={"phone": phone}
            ),
        )
        other = await http.post("/api/v1/requests", json=make_submission())
    number, other_number = created.json()["number"], other.json()["number"]
    local = phone.removeprefix("+86")
    spoken = f"+86 {local[:3]} {local[3:7]} {local[7:]}"

    desk = await login(browser, api_url, make_staff(engine, StaffRole.dispatcher))
    await desk.goto("/console/cases?view=all")
    await desk.fill("#q", spoken)
    await desk.click("#filters button[type=submit]")
    await expect(desk.locator(f'tr[data-number="{number}"]')).to_be_visible()
    await expect(desk.locator(f'tr[data-number="{other_number}"]')).to_have_count(0)
    await expect(desk.locator("#cases tbody tr")).to_have_count(1)
    await shot(desk, shots, "20-console-search-phone")

    await desk.fill("#q", word[2:])  # a part of the word, as typed from the caller's words
    await desk.press("#q", "Enter")
    await expect(desk.locator("#cases tbody tr")).to_have_count(1)
    await expect(desk.locator(f'tr[data-number="{number}"] .sla')).to_be_visible()
    await shot(desk, shots, "21-console-search-word")

    # Keyboard: j selects the first row, o opens it.
    await desk.locator("h1").click()
    await desk.keyboard.press("j")
    await expect(desk.locator(f'tr[data-number="{number}"]')).to_have_class("selected")
    await desk.keyboard.press("o")
    await desk.wait_for_url(f"**/console/cases/{number}")
    await expect(desk.locator("body")).to_contain_text(word)
    await shot(desk, shots, "22-console-case-opened")

    # The CSV link carries the same search; d goes to the selected case's dispatch form.
    await desk.goto(f"/console/cases?view=all&q={number}")
    href = await desk.locator("#export").get_attribute("href")
    assert href is not None and f"q={number}" in href
    row = desk.locator(f'tr[data-number="{number}"]')
    await expect(row).to_have_attribute("data-dispatch", f"/console/cases/{number}#form-dispatch")
    await desk.locator("h1").click()
    await desk.keyboard.press("j")
    await expect(row).to_have_class("selected")
    await desk.keyboard.press("d")
    await expect(desk).to_have_url(re.compile(rf"/console/cases/{number}#form-dispatch$"))


async def test_the_tab_title_counts_new_cases_in_the_queue(
    browser: Browser, api_url: str, engine: Engine, shots: list[Path]
) -> None:
    desk = await login(browser, api_url, make_staff(engine, StaffRole.dispatcher))
    await desk.goto("/console/cases?view=queue")
    title = await desk.title()
    await desk.wait_for_timeout(1500)  # the first poll sets the starting time
    async with httpx.AsyncClient(base_url=api_url, timeout=60) as http:
        created = await http.post("/api/v1/requests", json=make_submission())
    assert created.status_code == 201
    await expect(desk).to_have_title(re.compile(r"^\(\d+\) " + re.escape(title)), timeout=30_000)
    await shot(desk, shots, "23-console-alert-title")
