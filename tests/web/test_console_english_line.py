"""英文专线 on the console's case page: the reply box says the citizen reads English, a Chinese
reply is refused in the staff member's language and records nothing, an English one resolves."""

from __future__ import annotations

import httpx
from sqlalchemy.engine import Engine

from models.enums import StaffRole
from tests.utils.cases import case_row, event_kinds
from tests.utils.factories import make_submission
from tests.utils.staff import CHAOYANG, console_login, csrf_of, make_staff, staff_headers


def _english_case_in_progress(api_url: str, engine: Engine) -> str:
    body = make_submission(
        description="The streetlight on Wangjing West Road is broken.", language="en"
    )
    created = httpx.post(f"{api_url}/api/v1/requests", json=body, timeout=60)
    assert created.status_code == 201, created.text
    number: str = created.json()["number"]
    api = f"{api_url}/api/v1/cases/{number}"
    desk = staff_headers(api_url, engine, StaffRole.dispatcher)
    unit = staff_headers(api_url, engine, StaffRole.unit_handler, CHAOYANG)
    for headers, action in ((desk, "dispatch"), (unit, "acknowledge"), (unit, "respond")):
        done = httpx.post(f"{api}/{action}", headers=headers, json={"unit_code": CHAOYANG})
        assert done.status_code == 200, done.text
    return number


def test_a_chinese_reply_to_an_english_line_case_is_refused_on_the_console(
    api_url: str, engine: Engine
) -> None:
    number = _english_case_in_progress(api_url, engine)
    refusal = (
        f"case {number} is on the English line: the citizen reads English, "
        "so write the reply in English"
    )
    with console_login(api_url, make_staff(engine, StaffRole.unit_handler, CHAOYANG)) as client:
        page = client.get(f"/console/cases/{number}").text
        assert "英文专线：市民使用英文，请用英文填写答复。" in page
        form = {"csrf_token": csrf_of(page), "reply": "路灯已修复。"}
        zh = client.post(f"/console/cases/{number}/resolve", data=form)
        en = client.post(f"/console/cases/{number}/resolve?lang=en", data=form)
        assert zh.status_code == en.status_code == 409
        assert f"未执行：案件 {number} 属于英文专线：市民使用英文，请用英文填写答复。" in zh.text
        assert f"Refused: {refusal}" in en.text
        assert "resolved" not in event_kinds(engine, number)

        form["reply"] = "The streetlight was repaired on Monday."
        done = client.post(f"/console/cases/{number}/resolve", data=form)
    assert done.status_code == 303
    assert case_row(engine, number).reply == "The streetlight was repaired on Monday."


def test_a_chinese_case_shows_no_english_line_note(api_url: str, engine: Engine) -> None:
    created = httpx.post(f"{api_url}/api/v1/requests", json=make_submission(), timeout=60)
    number = created.json()["number"]
    with console_login(api_url, make_staff(engine, StaffRole.dispatcher)) as client:
        page = client.get(f"/console/cases/{number}").text
    assert 'name="reply"' in page  # the direct answer's box
    assert "英文专线" not in page


def test_a_direct_answer_to_an_english_line_case_must_be_english_too(
    api_url: str, engine: Engine
) -> None:
    body = make_submission(description="When is the rubbish collected?", language="en")
    number = httpx.post(f"{api_url}/api/v1/requests", json=body, timeout=60).json()["number"]
    desk = staff_headers(api_url, engine, StaffRole.dispatcher)
    answer = f"{api_url}/api/v1/cases/{number}/answer"
    refused = httpx.post(answer, headers=desk, json={"reply": "每天早上七点收运。"}, timeout=60)
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        f"case {number} is on the English line: the citizen reads English, "
        "so write the reply in English"
    )
    done = httpx.post(answer, headers=desk, json={"reply": "Every day at 7 a.m."}, timeout=60)
    assert done.status_code == 200, done.text
    assert case_row(engine, number).reply == "Every day at 7 a.m."
