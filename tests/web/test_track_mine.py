"""我的诉求 on /track: after the one-time code, the page lists the other cases of the contact the
code went to (newest first), never another citizen's; before the code, or with a forged
cookie, nothing; the cookies never carry the contact itself."""

from __future__ import annotations

import re

import httpx
from sqlalchemy.engine import Engine

from api.main import create_app
from auth.tokens import TokenKind, unsign
from core.settings import Settings
from intake.schemas import Contact
from intake.service import accept_intake
from models.enums import Channel, IdentityKind, Language
from notices.port import NotifierRegistry
from tests.utils.cases import case_row
from tests.utils.factories import make_intake, unique_phone
from tests.utils.notifiers import RecordingNotifier
from tests.utils.servers import serve
from tests.utils.staff import csrf_of
from tests.web.test_citizen_pages import _number
from tests.web.test_public import _submit
from web.local_time import local_datetime
from web.public import CODE_COOKIE, DETAILS_COOKIE


def _by_sms(engine: Engine, settings: Settings, phone: str) -> str:
    intake = make_intake(channel=Channel.sms, contact=Contact(phone=phone))
    accepted = accept_intake(
        engine=engine, intake=intake, settings=settings, proved=IdentityKind.phone
    )
    return accepted.case.number


def _other_cases(page: str) -> str:
    found = re.search(r'<ul id="other-cases">(.*?)</ul>', page, re.DOTALL)
    return found.group(1) if found else ""


def test_after_the_code_track_lists_the_contacts_other_cases_only(
    settings: Settings, worker_process: None, engine: Engine
) -> None:
    app = create_app(settings)
    notifier = RecordingNotifier()
    app.state.notifiers = NotifierRegistry(default=notifier)
    phone = unique_phone()
    with serve(app) as url, httpx.Client(base_url=url, timeout=60) as owner:
        number = _number(_submit(owner, description="门口的井盖丢了", phone=phone))
        by_sms = _by_sms(engine, settings, phone)
        later = _number(_submit(owner, description="路灯不亮", phone=phone))
        theirs = _number(_submit(owner, description="噪音扰民", phone=unique_phone()))
        page = owner.get("/track", params={"number": number}).text
        assert 'id="other-cases"' not in page  # not before the code
        token = csrf_of(page)

        owner.post(f"/track/{number}/code", data={"csrf_token": token})
        issued = unsign(
            settings.secret_key, TokenKind.details, owner.cookies[CODE_COOKIE], max_age_s=600
        )
        assert issued is not None and phone not in str(issued) and phone[3:] not in str(issued)
        code = re.findall(r"\b\d{6}\b", notifier.sent[-1].text.replace(number, ""))[0]
        owner.post(f"/track/{number}/details", data={"csrf_token": token, "code": code})
        assert phone[3:] not in owner.cookies[DETAILS_COOKIE]
        unlocked = owner.get("/track", params={"number": number}).text
        english = owner.get("/track", params={"number": number, "lang": "en"}).text

        with httpx.Client(base_url=url, timeout=60) as stranger:
            stranger.cookies.set(DETAILS_COOKIE, owner.cookies[DETAILS_COOKIE])
            stolen_for_another = stranger.get("/track", params={"number": theirs}).text

    def line(other: str, status: str, language: str) -> str:
        when = local_datetime(
            case_row(engine, other).created_at, Language(language), "Asia/Shanghai"
        )
        return f'<a href="/track?number={other}">{other}</a> {status} · {when}</li>'

    listed = _other_cases(unlocked)
    assert listed.index(line(later, "已受理", "zh")) < listed.index(line(by_sms, "已受理", "zh"))
    assert "您的其他诉求" in unlocked
    assert number not in listed and theirs not in listed
    assert line(later, "Received", "en") in _other_cases(english)
    assert "Your other requests" in english
    # The details cookie of one case unlocks nothing of another.
    assert 'id="other-cases"' not in stolen_for_another
