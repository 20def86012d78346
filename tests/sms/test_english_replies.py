"""英文专线: a case whose citizen reads English is answered in English. A Chinese reply is refused
with the same words by the staff API and the CLI (nothing is recorded; the console:
tests/web/test_console_english_line.py); the English reply is what the citizen's phone receives."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys

import httpx
from sqlalchemy.engine import Engine

from core.settings import Settings
from models.enums import StaffRole
from tests.sms.phone import Phone, wait_for_sms
from tests.utils.cases import event_kinds
from tests.utils.processes import ROOT, hotline_env
from tests.utils.staff import CHAOYANG, bearer, make_staff
from tests.utils.twilio_api import FakeTwilio

NUMBER = re.compile(r"\d{8}-\d{6,}")


def _refusal(number: str) -> str:
    return (
        f"case {number} is on the English line: the citizen reads English, "
        "so write the reply in English"
    )


def _cli_resolve(settings: Settings, number: str, user: str, reply: str) -> str:
    done = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "cli.main",
            "case",
            "resolve",
            number,
            "--reply",
            reply,
            "--as",
            user,
        ],
        cwd=ROOT,
        env={**hotline_env(settings), "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    return " ".join(done.stdout.split())


async def test_an_english_case_needs_an_english_reply_and_the_citizen_receives_it(
    sms_url: str, sms_settings: Settings, twilio: FakeTwilio, engine: Engine
) -> None:
    phone = Phone(sms_url)
    opened = await phone.text("EN The streetlight on Wangjing West Road is broken.")
    assert opened is not None
    found = NUMBER.search(opened)
    assert found is not None
    number = found.group(0)
    dispatcher = make_staff(engine, StaffRole.dispatcher)
    handler = make_staff(engine, StaffRole.unit_handler, CHAOYANG)
    as_dispatcher, as_handler = bearer(sms_url, dispatcher), bearer(sms_url, handler)
    api = f"{sms_url}/api/v1/cases/{number}"
    # Async: the case worker runs on this test's event loop.
    async with httpx.AsyncClient(timeout=60) as http:
        for headers, action in ((as_dispatcher, "dispatch"), (as_handler, "acknowledge")):
            done = await http.post(f"{api}/{action}", headers=headers, json={"unit_code": CHAOYANG})
            assert done.status_code == 200, done.text
        assert (await http.post(f"{api}/respond", headers=as_handler, json={})).status_code == 200

        # The API: a Chinese reply, or Chinese with an English word in it, is refused.
        for chinese in ("路灯已修复。", "已处理 OK"):
            refused = await http.post(f"{api}/resolve", headers=as_handler, json={"reply": chinese})
            assert refused.status_code == 409
            assert refused.json() == {"detail": _refusal(number)}

    # The CLI, as a real handler of the unit.
    said = await asyncio.to_thread(
        _cli_resolve, sms_settings, number, handler.username, "路灯已修复。"
    )
    assert f"refused: {_refusal(number)}" in said
    assert "resolved" not in event_kinds(engine, number)

    # In English (a Chinese name in it is fine): resolved, and that is what the phone receives.
    reply = "The streetlight was repaired on Monday by 朝阳区 staff."
    async with httpx.AsyncClient(timeout=60) as http:
        done = await http.post(f"{api}/resolve", headers=as_handler, json={"reply": reply})
    assert done.status_code == 200, done.text
    await wait_for_sms(twilio, phone.number, 2)
    bodies = [m["Body"] for m in twilio.messages_to(phone.number)]
    assert f"Case {number} has been resolved. Reply: {reply}" in bodies
    assert not any("路灯" in body for body in bodies)
