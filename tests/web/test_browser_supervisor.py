"""A supervisor in Chromium: urges a dispatched case (the unit's notice is recorded), then
re-dispatches it to another unit; the case row shows the new unit and the timeline both
actions. And the reports page as a supervisor reads it. Screenshots of each page."""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from playwright.async_api import Browser, expect
from sqlalchemy.engine import Engine

from core.clock import utcnow
from models.enums import StaffRole
from tests.utils.browser import case_action, login, shot
from tests.utils.cases import case_row, events, notifications
from tests.utils.factories import make_submission
from tests.utils.staff import CHAOYANG, HAIDIAN, make_staff, staff_headers

URGE_NOTE = "市民已第三次来电，请今天内联系"
REASON = "地址在海淀区，不属朝阳"


def _dispatched_case(api_url: str, engine: Engine) -> str:
    created = httpx.post(f"{api_url}/api/v1/requests", json=make_submission(), timeout=60)
    number: str = created.json()["number"]
    sent = httpx.post(
        f"{api_url}/api/v1/cases/{number}/dispatch",
        json={"unit_code": CHAOYANG},
        headers=staff_headers(api_url, engine, StaffRole.dispatcher),
        timeout=60,
    )
    assert sent.status_code == 200, sent.text
    return number


async def test_a_supervisor_urges_then_re_dispatches_a_case(
    browser: Browser, api_url: str, engine: Engine, shots: list[Path]
) -> None:
    number = _dispatched_case(api_url, engine)
    supervisor = make_staff(engine, StaffRole.supervisor)
    page = await login(browser, api_url, supervisor)
    await page.goto(f"/console/cases/{number}")
    await expect(page.locator("#supervisor-actions")).to_be_visible()
    await shot(page, shots, "supervisor-01-case")

    await page.fill("#form-urge input[name=note]", URGE_NOTE)
    await case_action(page, "urge")
    await expect(page.locator("#supervision-note")).to_have_text(URGE_NOTE)
    await shot(page, shots, "supervisor-02-urged")
    urged = [n for n in notifications(engine, number) if n.kind == "unit_urged"]
    assert [(n.audience, n.address) for n in urged] == [("unit", CHAOYANG)]
    assert URGE_NOTE in urged[0].body

    await page.select_option("#form-redispatch select[name=unit_code]", HAIDIAN)
    await page.fill("#form-redispatch input[name=reason]", REASON)
    await case_action(page, "redispatch")
    await expect(page.locator("#lead-unit")).to_contain_text(re.compile(f"{HAIDIAN}|海淀"))
    timeline = page.locator("#timeline")
    await expect(timeline).to_contain_text(URGE_NOTE)
    await expect(timeline).to_contain_text(REASON)
    await shot(page, shots, "supervisor-03-redispatched")

    await page.goto("/console/cases?view=all")
    row = page.locator(f'tr[data-number="{number}"]')
    await expect(row).to_contain_text(re.compile(f"{HAIDIAN}|海淀"))
    await shot(page, shots, "supervisor-04-list")
    assert [(e.kind, e.actor) for e in events(engine, number)][-2:] == [
        ("urged", supervisor.username),
        ("redispatched", supervisor.username),
    ]
    assert case_row(engine, number).lead_unit_code == HAIDIAN


async def test_the_reports_page_for_a_supervisor(
    browser: Browser, api_url: str, engine: Engine, shots: list[Path]
) -> None:
    _dispatched_case(api_url, engine)
    page = await login(browser, api_url, make_staff(engine, StaffRole.supervisor))
    await page.click("#nav-reports")
    await expect(page.locator("#rates")).to_be_visible()
    month = utcnow().astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    await page.fill("input[name=month]", month)
    await page.click("#month-form button[type=submit]")
    await expect(page.locator("#rate-accepted")).not_to_have_text(re.compile(r"^0 "))
    await expect(page.locator("#downloads a")).to_have_count(5)
    await shot(page, shots, "supervisor-05-reports")
