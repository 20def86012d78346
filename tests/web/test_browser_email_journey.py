"""The citizen's whole web journey with only an e-mail, in Chinese and in English, on a phone in
real headless Chromium: a report with a pin and a photo, the one-time code read from the e-mail
(a local SMTP server) to see the description and the photo, staff resolving the case, and the
survey link from the e-mail answered in the browser, closing the case as answered. Every page
and every e-mail is in the citizen's language; nothing is fetched from outside 127.0.0.1."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, FilePayload, Page, expect
from sqlalchemy.engine import Engine

from models.enums import CaseStatus, Satisfaction, StaffRole
from tests.utils.browser import drop_pin, local_only, shot
from tests.utils.cases import case_row, event_kinds, wait_for_status
from tests.utils.factories import unique_email
from tests.utils.smtp_server import RecordingSmtp, code_of, html_of, survey_link_of, text_of
from tests.utils.staff import staff_headers
from tests.utils.tiles import grid_png

PHONE = {"width": 390, "height": 844}
LEAF = "01.02.001"
PHOTO = grid_png(160)  # big enough to see on the screenshots
DONGCHENG = "110101"  # the district of the map's centre, where the pin lands
HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Sees:
    """What the citizen reads, exactly, in one language ({number}, {contact}, {code} filled in)."""

    html_lang: str
    submit_link: str
    received: str
    track: str
    send_code: str
    code_sent: str
    other_language: str
    own_language: str
    verify: str
    code_subject: str
    code_text: str
    notice_subject: str
    survey_subject: str
    survey_intro: str
    questions: tuple[str, str, str]
    resolved: str  # the timeline's entry for the unit's 办结
    yes: str
    satisfied: str
    send: str
    thanks: str
    description: str  # what the citizen writes and the unit replies, in the same language
    reply: str


SEES = {
    "zh": Sees(
        html_lang="zh-CN",
        submit_link="提交诉求",
        received="诉求已受理",
        track="查询进度",
        send_code="发送验证码",
        code_sent="验证码已发送至 {contact}。",
        other_language="English",
        own_language="中文",
        verify="验证",
        code_subject="诉求 {number} 的验证码",
        code_text="查看诉求 {number} 的验证码：{code}，几分钟内有效。",
        notice_subject="12345 市民服务热线：诉求 {number}",
        survey_subject="诉求 {number} 办理情况回访",
        survey_intro="诉求 {number} 回访：请回答以下三个简短问题。",
        questions=(
            "1/3 承办单位是否联系了您？",
            "2/3 问题是否已解决？",
            "3/3 您对办理结果是否满意？",
        ),
        resolved="已办结",
        yes="是",
        satisfied="满意",
        send="提交",
        thanks="感谢您对案件 {number} 的评价。",
        description="胡同口的路灯坏了一个星期，晚上很黑。",
        reply="路灯已于周一更换。",
    ),
    "en": Sees(
        html_lang="en",
        submit_link="Submit a request",
        received="Request received",
        track="Track a request",
        send_code="Send code",
        code_sent="The code has been sent to {contact}.",
        other_language="中文",
        own_language="English",
        verify="Verify",
        code_subject="Your code for case {number}",
        code_text="Your code to see case {number}: {code}. It expires in a few minutes.",
        notice_subject="12345 citizen hotline: case {number}",
        survey_subject="How was case {number} handled?",
        survey_intro="Follow-up on case {number}: please answer three short questions.",
        questions=(
            "1/3 Did the unit responsible contact you?",
            "2/3 Is the problem solved?",
            "3/3 How satisfied are you with the handling?",
        ),
        resolved="Resolved",
        yes="Yes",
        satisfied="Satisfied",
        send="Send",
        thanks="Thank you for rating case {number}.",
        description="The street lamp at the alley entrance has been out for a week.",
        reply="The lamp was replaced on Monday.",
    ),
}


def in_language(message: EmailMessage, lang: str) -> None:
    """The whole e-mail speaks `lang`: Chinese text has no English words (beyond the link and
    the sender's name), English text no Chinese characters; the HTML part says its language."""
    words = re.sub(r"https?://\S+", "", f"{message['Subject']}\n{text_of(message)}")
    if lang == "zh":
        assert HAN.search(words), words
        assert not re.search(r"[A-Za-z]{3,}", words), words
        assert '<html lang="zh-CN">' in html_of(message)
    else:
        assert not HAN.search(words), words
        assert '<html lang="en">' in html_of(message)


async def switch_language_and_back(page: Page, sees: Sees) -> None:
    """The header's language links keep the citizen on the page (after a form's POST: the
    page it shows, here `/track?number=...`, not a 405 of the POST's URL)."""
    await page.click(f"header nav a:text-is('{sees.other_language}')")
    await expect(page.locator("html")).not_to_have_attribute("lang", sees.html_lang)
    await page.click(f"header nav a:text-is('{sees.own_language}')")
    await expect(page.locator("html")).to_have_attribute("lang", sees.html_lang)


async def phone_shot(page: Page, shots: list[Path], name: str) -> None:
    """A screenshot of a page that must fit the phone's width in either language."""
    width = await page.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: {width} px wide on a {PHONE['width']} px phone"
    await shot(page, shots, name)


async def staff_resolve(base_url: str, engine: Engine, number: str, reply: str) -> None:
    """派单, 签收, 响应, 办结 through the staff API, as a dispatcher and the unit's handler.

    Async HTTP: the e-mail worker runs on this test's event loop and must run meanwhile."""
    dispatcher = staff_headers(base_url, engine, StaffRole.dispatcher)
    handler = staff_headers(base_url, engine, StaffRole.unit_handler, DONGCHENG)
    steps: tuple[tuple[str, dict[str, str], dict[str, str]], ...] = (
        ("dispatch", dispatcher, {"unit_code": DONGCHENG}),
        ("acknowledge", handler, {}),
        ("respond", handler, {}),
        ("resolve", handler, {"reply": reply}),
    )
    async with httpx.AsyncClient(base_url=f"{base_url}/api/v1", timeout=60) as http:
        for action, headers, body in steps:
            done = await http.post(f"/cases/{number}/{action}", headers=headers, json=body)
            assert done.status_code == 200, (action, done.text)


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_citizen_reports_on_a_phone_and_answers_the_survey_from_the_email(
    browser: Browser,
    email_url: str,
    smtp_server: RecordingSmtp,
    engine: Engine,
    shots: list[Path],
    lang: str,
) -> None:
    sees = SEES[lang]
    email = unique_email()
    context, outside = await local_only(browser, email_url, lang, viewport=PHONE)
    page = await context.new_page()

    # The home page speaks the browser's language; the citizen reports with a pin and a photo.
    await page.goto("/")
    await expect(page.locator("html")).to_have_attribute("lang", sees.html_lang)
    await page.click(f"header nav a:text-is('{sees.submit_link}')")
    await page.select_option("#category", LEAF)
    await page.fill("textarea[name=description]", sees.description)
    await drop_pin(page)
    await page.set_input_files(
        "input[name=photo]", files=FilePayload(name="lamp.png", mimeType="image/png", buffer=PHOTO)
    )
    await page.fill("#email", email)
    await phone_shot(page, shots, f"journey-{lang}-01-submit")
    await page.click("#send")
    await expect(page.locator("h1")).to_have_text(sees.received)
    number = (await page.locator("#case-number").inner_text()).strip()
    await phone_shot(page, shots, f"journey-{lang}-02-submitted")
    case = case_row(engine, number)
    assert (case.language, case.district_code, case.category_code) == (lang, DONGCHENG, LEAF)

    # Tracking: the code comes by e-mail; switching language meanwhile keeps the case.
    await page.click(f"a.button:text-is('{sees.track}')")
    await page.click(f"button:text-is('{sees.send_code}')")
    masked = f"{email[0]}***@example.com"
    notice = page.locator("p.notice[role=status]")
    await expect(notice).to_have_text(sees.code_sent.format(contact=masked))
    assert email not in await page.content()
    await phone_shot(page, shots, f"journey-{lang}-03-code-sent")
    [code_mail] = await smtp_server.wait_for(email)
    code = code_of(code_mail)
    assert code_mail["Subject"] == sees.code_subject.format(number=number)
    assert text_of(code_mail).strip() == sees.code_text.format(number=number, code=code)
    in_language(code_mail, lang)
    await switch_language_and_back(page, sees)
    assert page.url.endswith(f"/track?number={number}&lang={lang}")
    await expect(page.locator("section.case h2")).to_have_text(number)
    await page.fill("input[name=code]", code)
    await page.click(f"button:text-is('{sees.verify}')")
    await expect(page.locator("#details")).to_contain_text(sees.description)
    photo = page.locator("#photos img")
    await expect(photo).to_have_count(1)
    await expect(photo).to_be_visible()
    assert await photo.evaluate("img => img.complete && img.naturalWidth") == 160
    await phone_shot(page, shots, f"journey-{lang}-04-details")

    # Staff resolve it; the unit's reply and then the survey link arrive by e-mail.
    await staff_resolve(email_url, engine, number, sees.reply)
    survey_subject = sees.survey_subject.format(number=number)
    mails = await smtp_server.wait_for(email, 4)
    [survey_mail] = [m for m in mails if m["Subject"] == survey_subject]
    notices = [m for m in mails if m not in (code_mail, survey_mail)]
    notice_subject = sees.notice_subject.format(number=number)
    assert [m["Subject"] for m in notices] == [notice_subject] * len(notices)
    assert any(sees.reply in text_of(m) for m in notices)
    for mail in mails:
        in_language(mail, lang)
    await page.reload()  # the details stay open for this browser: now with the reply
    await expect(page.locator("#reply")).to_have_text(sees.reply)
    await expect(page.locator("#timeline")).to_contain_text(sees.resolved)
    await phone_shot(page, shots, f"journey-{lang}-05-resolved")
    link = survey_link_of(survey_mail)

    # The citizen follows the link and answers the three questions in their language.
    await page.goto(link)
    await expect(page.locator("html")).to_have_attribute("lang", sees.html_lang)
    await expect(page.locator("main p").first).to_have_text(sees.survey_intro.format(number=number))
    contacted, solved, satisfaction = (
        page.locator("fieldset", has=page.locator(f"legend:text-is('{question}')"))
        for question in sees.questions
    )
    await contacted.get_by_label(sees.yes, exact=True).check()
    await solved.get_by_label(sees.yes, exact=True).check()
    await satisfaction.get_by_label(sees.satisfied, exact=True).check()
    await phone_shot(page, shots, f"journey-{lang}-06-survey")
    await page.click(f"#survey button:text-is('{sees.send}')")
    await expect(page.locator("#survey-thanks")).to_have_text(sees.thanks.format(number=number))
    await phone_shot(page, shots, f"journey-{lang}-07-thanks")

    await wait_for_status(engine, number, CaseStatus.closed)
    row = case_row(engine, number)
    assert (row.survey_contacted, row.survey_resolved) == (True, True)
    assert row.satisfaction == Satisfaction.satisfied
    assert row.closed_at is not None
    assert event_kinds(engine, number).count("survey_answered") == 1
    assert outside == []
    await context.close()
