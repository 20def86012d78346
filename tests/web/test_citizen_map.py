"""A citizen on a phone reports with a pin dropped on the map and a photo, in Chinese and in
English, in real headless Chromium; the map's tiles come from a local server and nothing is
fetched from anywhere else. Also: possible duplicates near the pin, and no public page is
wider than a 360 px or 390 px phone screen in either language."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, FilePayload, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models import Attachment
from tests.utils.browser import drop_pin, local_only, shot
from tests.utils.cases import case_row
from tests.utils.factories import make_submission
from tests.web.test_public import PNG

PHONE = {"width": 390, "height": 844}
CENTRE = (39.9042, 116.4074)  # the settings' map centre: a click in the middle lands there
LEAF = "01.02.001"
SAYS = {"zh": "您标记的位置", "en": "Your pin is in"}


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_citizen_on_a_phone_reports_with_a_pin_and_a_photo(
    browser: Browser, api_url: str, engine: Engine, shots: list[Path], lang: str
) -> None:
    context, outside = await local_only(browser, api_url, lang, viewport=PHONE)
    page = await context.new_page()
    await page.goto(f"/submit?lang={lang}")
    await expect(page.locator("#point-boxes")).to_be_hidden()  # the map replaces the boxes
    await drop_pin(page)
    await expect(page.locator("#pin-place")).to_contain_text(SAYS[lang])
    assert await page.input_value("#latitude") and await page.input_value("#longitude")
    await page.select_option("#category", LEAF)
    await page.fill("textarea[name=description]", f"人行道上的井盖丢了 ({lang})")
    await page.set_input_files(
        "input[name=photo]", files=FilePayload(name="manhole.png", mimeType="image/png", buffer=PNG)
    )
    await page.fill("#email", f"citizen-{lang}@example.org")  # where the e-mail part hooks in
    await shot(page, shots, f"citizen-{lang}-01-submit-pin")
    await page.click("#send")
    number = (await page.locator("#case-number").inner_text()).strip()
    await shot(page, shots, f"citizen-{lang}-02-submitted")

    case = case_row(engine, number)
    assert case.latitude == pytest.approx(CENTRE[0], abs=0.01)
    assert case.longitude == pytest.approx(CENTRE[1], abs=0.01)
    assert case.district_code == "110101" and case.street_code is not None
    assert case.category_code == LEAF
    with Session(engine) as session:
        photos = session.exec(select(Attachment).where(Attachment.case_id == case.id)).all()
    assert [(p.filename, p.size) for p in photos] == [("manhole.png", len(PNG))]

    await page.click("a.button")
    await expect(page.locator("#status")).to_be_visible()
    await shot(page, shots, f"citizen-{lang}-03-track")
    assert outside == []
    await context.close()


async def test_open_cases_near_the_pin_are_offered_as_possible_duplicates(
    browser: Browser, api_url: str, shots: list[Path]
) -> None:
    secret = "楼下的井盖被人偷走了，私密描述"
    async with httpx.AsyncClient(base_url=api_url, timeout=60) as http:
        created = await http.post(
            "/api/v1/requests",
            json=make_submission(
                description=secret,
                category_code=LEAF,
                latitude=CENTRE[0] + 0.0004,
                longitude=CENTRE[1] - 0.0003,
                address="东城区某胡同12号",
            ),
        )
        assert created.status_code == 201, created.text
        number = created.json()["number"]
        nearby = await http.get("/map/nearby", params={"lat": CENTRE[0], "lon": CENTRE[1]})
    listed = [c for c in nearby.json()["cases"] if c["number"] == number]
    assert listed and secret not in nearby.text and "胡同" not in nearby.text
    assert listed[0]["latitude"] != CENTRE[0] + 0.0004  # only a rounded point is public

    context, outside = await local_only(browser, api_url, "zh", viewport=PHONE)
    page = await context.new_page()
    await page.goto("/submit")
    await page.select_option("#category", LEAF)
    await drop_pin(page)
    duplicate = page.locator("#duplicate-list li", has_text=number)
    await expect(duplicate).to_be_visible()
    await expect(duplicate.locator("a")).to_have_attribute("href", f"/track?number={number}")
    await shot(page, shots, "citizen-zh-04-duplicates")
    assert outside == []
    await context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", [(360, 740), (390, 844)])
async def test_no_public_page_is_wider_than_a_phone(
    browser: Browser, api_url: str, shots: list[Path], lang: str, size: tuple[int, int]
) -> None:
    context, outside = await local_only(
        browser, api_url, lang, viewport={"width": size[0], "height": size[1]}
    )
    page = await context.new_page()
    await page.goto(f"/submit?lang={lang}")
    await page.fill("textarea[name=description]", "路灯不亮了 street light out")
    await page.click("#send")
    number = (await page.locator("#case-number").inner_text()).strip()
    for path in ("/", "/submit", f"/track?number={number}", "/feed", f"/submitted/{number}"):
        await page.goto(path)
        width = await page.evaluate("() => document.scrollingElement.scrollWidth")
        assert width <= size[0], f"{path} in {lang} is {width} px wide on a {size[0]} px screen"
        name = path.strip("/").split("?")[0].split("/")[0] or "home"
        await shot(page, shots, f"phone-{size[0]}-{lang}-{name}")
    assert outside == []
    await context.close()
