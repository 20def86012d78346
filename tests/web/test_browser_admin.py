"""An admin in real Chromium (Debian's, driven by Playwright) adds a unit handler: a wrong form
is answered next to its field, the generated password is shown once, the audit log shows the
addition, and the new staff member logs in with that password. Screenshots as it goes."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.async_api import Browser, expect
from sqlalchemy.engine import Engine

from models.enums import StaffRole
from tests.utils.browser import login, shot
from tests.utils.staff import CHAOYANG, StaffAccount, make_staff


async def test_an_admin_adds_a_unit_handler_who_then_logs_in(
    browser: Browser, api_url: str, engine: Engine, shots: list[Path]
) -> None:
    admin = make_staff(engine, StaffRole.admin)
    page = await login(browser, api_url, admin)
    await page.click('a[href="/console/admin"]')
    await expect(page.locator("#users")).to_contain_text(admin.username)
    await shot(page, shots, "admin-01-staff")

    # A unit handler without a unit is refused, with the reason beside the unit field.
    username = f"wang-{uuid.uuid4().hex[:6]}"
    form = page.locator("#add-staff")
    await form.locator("input[name=username]").fill(username)
    await form.locator("input[name=display_name]").fill("王芳")
    await form.locator("select[name=role]").select_option("unit_handler")
    await form.locator("button[type=submit]").click()
    await expect(page.locator("#error-unit_code")).to_have_text("承办人员必须属于一个单位。")
    await shot(page, shots, "admin-02-add-staff-error")

    # With the unit, the account is added and its generated password shown once.
    form = page.locator("#add-staff")
    await expect(form.locator("input[name=username]")).to_have_value(username)
    await form.locator("select[name=unit_code]").select_option(CHAOYANG)
    await form.locator("button[type=submit]").click()
    await expect(page.locator("#once-password")).to_be_visible()
    password = (await page.locator("#new-password").inner_text()).strip()
    row = page.locator(f'tr[data-username="{username}"]')
    await expect(row).to_contain_text(CHAOYANG)
    await expect(row).to_contain_text("承办人员")
    await shot(page, shots, "admin-03-staff-added")

    # The audit log shows who added whom, in Beijing time and in words.
    await page.click('#admin-nav a[href="/console/admin/audit"]')
    first = page.locator("#audit tbody tr").first
    await expect(first).to_contain_text(admin.username)
    await expect(first).to_contain_text(f"工作人员 {username} · 已添加")
    await expect(first).to_contain_text(f"单位: — → {CHAOYANG}")
    assert password not in await page.content()
    await shot(page, shots, "admin-04-audit-log")

    # The other admin pages, for the record.
    await page.click('#admin-nav a[href="/console/admin/units"]')
    await page.fill("input[name=q]", "朝阳")
    await page.click("form.row button[type=submit]")
    await page.click(f'a[href="/console/admin/units/{CHAOYANG}"]')
    await expect(page.locator("#edit-unit input[name=name_zh]")).to_have_value("朝阳区")
    await shot(page, shots, "admin-05-unit")
    await page.click('#admin-nav a[href="/console/admin/catalog"]')
    await page.click('a[href="/console/admin/catalog/01.02.008"]')
    await expect(page.locator("#edit-category input[name=name_zh]")).to_have_value("冬季采暖")
    await shot(page, shots, "admin-06-category")
    await page.click('#admin-nav a[href="/console/admin/holidays"]')
    await expect(page.locator("#holidays")).to_contain_text("休息日")
    await shot(page, shots, "admin-07-holidays")

    # The new staff member logs in with the password they were handed.
    account = StaffAccount(username, password, StaffRole.unit_handler, CHAOYANG)
    inbox = await login(browser, api_url, account)
    await expect(inbox.locator("#me")).to_contain_text("王芳")
    await expect(inbox.locator('a[href="/console/admin"]')).to_have_count(0)
    await shot(inbox, shots, "admin-08-new-handler-inbox")
    assert (shots[0] / "admin-04-audit-log.png").exists()
