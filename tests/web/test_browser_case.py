"""The console's case page in real headless Chromium: a dispatcher opens a case smart dispatch
left without a suggestion, finds that no unit is preselected, searches the unit picker, picks a
unit, corrects the category and dispatches; the case row carries both. Screenshots written."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.async_api import Browser, expect
from sqlalchemy.engine import Engine

from models.enums import StaffRole
from tests.utils.browser import login, shot
from tests.utils.cases import case_row
from tests.utils.factories import make_submission
from tests.utils.staff import HAIDIAN, make_staff

WATER = "16.01.002"  # 水压低


async def test_a_dispatcher_searches_the_picker_corrects_the_category_and_dispatches(
    browser: Browser, api_url: str, engine: Engine, shots: list[Path]
) -> None:
    async with httpx.AsyncClient(base_url=api_url, timeout=60) as http:
        created = await http.post(
            "/api/v1/requests",
            json=make_submission(
                description="家里水龙头出水很小，楼上楼下都一样。", category_code="01.02.001"
            ),
        )
    number = created.json()["number"]
    desk = await login(browser, api_url, make_staff(engine, StaffRole.dispatcher))
    await desk.goto(f"/console/cases/{number}")
    picker = desk.locator("#unit-picker")
    await expect(picker).to_have_value("")  # no suggestion: nothing preselected
    await shot(desk, shots, "21-case-no-suggestion")

    # Sent without a unit: the error stands next to the picker, nothing is dispatched.
    await desk.click("#form-dispatch button[type=submit]")
    await expect(desk.locator("#unit-error")).to_be_visible()
    assert case_row(engine, number).lead_unit_code is None
    await shot(desk, shots, "22-dispatch-without-unit")

    # The picker is a datalist: typing narrows it; the dispatcher picks 海淀区 by its code.
    await picker.fill("海淀")
    options = await desk.locator("#unit-options option").evaluate_all(
        "(os) => os.map(o => o.label)"
    )
    assert "海淀区" in options
    await picker.fill(HAIDIAN)
    # The category was wrong: the dispatcher searches the catalog and picks the right leaf.
    await desk.fill("#category-search", "水压")
    hidden = await desk.locator("#category option[data-search]").evaluate_all(
        "(os) => Object.fromEntries(os.map(o => [o.value, o.hidden]))"
    )
    assert hidden[WATER] is False and hidden["01.02.001"] is True  # the list narrowed
    await desk.select_option("#category", WATER)
    await shot(desk, shots, "23-dispatch-picked")
    await desk.click("#form-dispatch button[type=submit]")
    await expect(desk.locator("#done")).to_be_visible()
    await expect(desk.locator("#lead-unit")).to_have_text(HAIDIAN)
    await expect(desk.locator("#category-name")).to_contain_text("水压低")
    await expect(desk.locator("#timeline")).to_contain_text("派单至海淀区")
    await shot(desk, shots, "24-case-dispatched")

    row = case_row(engine, number)
    assert (row.lead_unit_code, row.category_code) == (HAIDIAN, WATER)
    assert (shots[0] / "24-case-dispatched.png").exists()
