"""No page a citizen or staff member reads shows a code instead of words.

A case goes through a full history (smart dispatch's advice, return, re-dispatch, extension,
resolve, a dissatisfied survey, reopening, a second resolve, a satisfied survey), then every
public page and every console page each role reaches is fetched in Chinese and English. The
page's text must hold no message id of our catalogues left untranslated (an English msgid in
a Chinese page, a Chinese translation in an English one), no raw event kind or other
snake_case token (`acknowledge_due`), and no ISO timestamp.
"""

from __future__ import annotations

import asyncio
import html
import re
import uuid
from dataclasses import dataclass

import httpx
from babel.messages.pofile import read_po
from sqlalchemy.engine import Engine
from temporalio.client import Client

from core.clock import utcnow
from core.db import session_scope
from core.i18n import LOCALE_DIR
from models import CaseEvent
from models.enums import (
    CaseStatus,
    Channel,
    EventKind,
    PlaceMethod,
    RequestType,
    Satisfaction,
    StaffRole,
    UnitKind,
    Urgency,
)
from tests.utils.cases import case_row, wait_for_notification
from tests.utils.factories import make_submission, unique_email
from tests.utils.smtp_server import RecordingSmtp, code_of, survey_link_of
from tests.utils.staff import (
    CHAOYANG,
    HAIDIAN,
    PASSWORD,
    StaffAccount,
    console_login,
    csrf_of,
    make_staff,
)
from workflows.case import CaseWorkflow
from workflows.types import Dispatch, Resolve, SurveyAnswer, UnitAction

STREET = "110101003"  # 交道口街道: saved unchanged, so the audit log has a unit line
LEAF = "01.02.008"  # 冬季采暖, a utility leaf

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:")
SNAKE = re.compile(r"(?<![\w./:-])[a-z]+(?:_[a-z0-9]+)+(?![\w./-])")
REPRS = re.compile(r"(?<![\w-])None(?![\w-])|\{'|\[\]")
# Visible attribute texts count as page text (an <option label="…"> too).
VISIBLE_ATTRIBUTES = re.compile(r'\s(?:title|placeholder|alt|aria-label|label)="([^"]*)"')
# Codes of the closed vocabularies a person might be shown instead of words: on a Chinese page
# any of them, as a whole word, is a leftover (on an English page only the snake_case ones are,
# since `closed` or `street` are also English words).
# Names every page shows in their own language: the language switch offers "English".
SHOWN_AS_IS = frozenset({"English"})
CODES: frozenset[str] = frozenset(
    value.value
    for enum in (
        EventKind,
        StaffRole,
        UnitKind,
        CaseStatus,
        Channel,
        PlaceMethod,
        Urgency,
        Satisfaction,
        RequestType,
    )
    for value in enum
)


def _catalogue(locale: str, domain: str) -> list[tuple[str, str]]:
    path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return [(str(m.id), str(m.string)) for m in catalog if m.id and isinstance(m.id, str)]


def _untranslatable_ids() -> tuple[set[str], set[str]]:
    """English msgids that a Chinese page must not show (whole texts, or the longest literal
    part of one with placeholders), and Chinese texts an English page must not show."""
    english: set[str] = set()
    chinese: set[str] = set()
    entries = [e for domain in ("citizen", "staff") for e in _catalogue("zh_CN", domain)]
    kept_as_is = {msgid for msgid, msgstr in entries if msgstr == msgid}  # `Open311`, `SMS`
    for msgid, msgstr in entries:
        if not msgstr or msgid in kept_as_is or msgid in SHOWN_AS_IS:
            continue
        if "{" in msgid:
            part = max(re.split(r"\{[^}]*\}", msgid), key=len).strip(" :;,.()")
            if len(part) >= 15 and " " in part:
                english.add(part)
            continue
        if re.search(r"[A-Za-z]{2}", msgid):
            english.add(msgid)
        if len(msgstr) >= 5:
            chinese.add(msgstr)
    return english, chinese


ENGLISH_IDS, CHINESE_TEXTS = _untranslatable_ids()
# One pattern of them all, longest first, matched as whole words, case-sensitive.
ENGLISH_ID = re.compile(
    r"(?<![A-Za-z0-9_-])("
    + "|".join(re.escape(m) for m in sorted(ENGLISH_IDS, key=len, reverse=True))
    + r")(?![A-Za-z0-9_-])"
)
# Data shown in its own words, marked as such: a unit's English name beside its Chinese one,
# a holiday's bilingual name from the calendar file.
NOT_TRANSLATED = re.compile(r"<(\w+)[^>]*\stranslate=\"no\"[^>]*>.*?</\1>", re.S)
CODE = re.compile(
    r"(?<![\w./:@-])(" + "|".join(sorted(CODES, key=len, reverse=True)) + r")(?![\w/@-])"
)


def page_text(markup: str) -> str:
    """What a reader sees: the text between tags and the visible attributes."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S | re.I)
    body = re.sub(r"<!--.*?-->", " ", body, flags=re.S)
    shown = VISIBLE_ATTRIBUTES.findall(body)
    text = re.sub(r"<[^>]+>", " ", body)
    return html.unescape(" ".join([text, *shown]))


def _around(text: str, match: re.Match[str]) -> str:
    """The finding with a little of the text around it, to find it on the page."""
    before = " ".join(text[max(0, match.start() - 30) : match.start()].split())
    after = " ".join(text[match.end() : match.end() + 30].split())
    return f"{match.group(0)!r} in '…{before}[{match.group(0)}]{after}…'"


def answer_problems(answer: httpx.Response) -> list[str]:
    """A page a person reads is an HTML page, in words even when it refuses (a JSON error
    body or a server error is raw text too)."""
    found = []
    if answer.status_code >= 500:
        found.append(f"status {answer.status_code}")
    kind = answer.headers.get("content-type", "")
    if not kind.startswith("text/html"):
        found.append(f"not an HTML page ({kind}): {answer.text[:200]!r}")
    return found


def problems(markup: str, language: str, allowed: set[str]) -> list[str]:
    text = page_text(markup)
    for word in allowed:  # the staff member's own user name (`unit-handler-1a2b`)
        text = text.replace(word, " ")
    found = [f"ISO timestamp {_around(text, m)}" for m in ISO.finditer(text)]
    found += [f"Python repr {_around(text, m)}" for m in REPRS.finditer(text)]
    found += [f"snake_case token {_around(text, m)}" for m in SNAKE.finditer(text)]
    if language == "zh":
        text = page_text(NOT_TRANSLATED.sub(" ", markup))
        for word in allowed:
            text = text.replace(word, " ")
        found += [
            f"raw code {_around(text, m)}" for m in CODE.finditer(text) if "_" not in m.group(0)
        ]
        found += [
            f"English msgid {_around(text, m)}"
            for m in ENGLISH_ID.finditer(text)
            if m.group(0) not in CODES
        ]
    else:
        found += [f"Chinese text {t!r}" for t in sorted(CHINESE_TEXTS) if t in text]
    return found


@dataclass(frozen=True)
class Story:
    number: str
    accounts: dict[str, StaffAccount]


def _act(client: httpx.Client, number: str, action: str, **fields: str) -> None:
    token = csrf_of(client.get(f"/console/cases/{number}").text)
    answer = client.post(f"/console/cases/{number}/{action}", data={"csrf_token": token, **fields})
    assert answer.status_code == 303, (action, answer.status_code, answer.text[-2000:])


async def _full_history(api_url: str, engine: Engine, client: Client) -> Story:
    created = httpx.post(
        f"{api_url}/api/v1/requests", json=make_submission(category_code="01.02.001")
    )
    number: str = created.json()["number"]
    httpx.post(f"{api_url}/api/v1/requests", json=make_submission())  # some other case
    accounts = {
        "dispatcher": make_staff(engine, StaffRole.dispatcher),
        "handler": make_staff(engine, StaffRole.unit_handler, CHAOYANG),
        "other_handler": make_staff(engine, StaffRole.unit_handler, HAIDIAN),
        "supervisor": make_staff(engine, StaffRole.supervisor),
        "operator": make_staff(engine, StaffRole.operator),
        "admin": make_staff(engine, StaffRole.admin),
    }
    case = case_row(engine, number)
    assert case.id is not None
    with session_scope(engine) as session:  # events other channels and smart dispatch write
        for kind, actor, payload in [
            (
                EventKind.dispatch_suggested,
                "smart-dispatch",
                {
                    "reason": "top category 01.02.001 at 41.0% is below the threshold of 60%: "
                    "the dispatcher decides",
                    "suggestions": f"01.02.001 0.41 {CHAOYANG} (the catalog names 朝阳区; it "
                    "has no branches) | 16.01.002 0.22 - (needs the dispatcher: no street found "
                    "(no address or map point given))",
                },
            ),
            (EventKind.citizen_details, "citizen", {"text": "还是没修", "channel": "sms"}),
            (
                EventKind.sms_delivery,
                "twilio",
                {"sid": "SM1", "status": "delivered", "notice": "accepted"},
            ),
            (EventKind.sla_breach, "system", {"deadline": "acknowledge", "unit": CHAOYANG}),
            (EventKind.dispatch_suggestion_failed, "smart-dispatch", {"error": "no model"}),
            (EventKind.duplicate_merged, "system", {"duplicate": "20261130-000009"}),
            (
                EventKind.merged_survey_answered,
                "citizen",
                {
                    "duplicate": "20261130-000009",
                    "contacted": "true",
                    "resolved": "false",
                    "satisfaction": "basically_satisfied",
                },
            ),
        ]:
            session.add(CaseEvent(case_id=case.id, kind=kind.value, actor=actor, payload=payload))
    handle = client.get_workflow_handle(number)
    with (
        console_login(api_url, accounts["dispatcher"]) as desk,
        console_login(api_url, accounts["handler"]) as unit,
        console_login(api_url, accounts["supervisor"]) as boss,
    ):
        _act(desk, number, "dispatch", unit_code=CHAOYANG, note="请尽快处理")
        _act(unit, number, "return", reason="不属于本单位")
        _act(desk, number, "dispatch", unit_code=CHAOYANG, category_code="01.02.002")
        _act(unit, number, "acknowledge")
        _act(unit, number, "respond", note="已电话联系")
        _act(unit, number, "extend", working_days="2", reason="需要采购配件")
        _act(boss, number, "decide_extension", approve="true")
        _act(unit, number, "resolve", reply="路灯已修复。")
        await wait_for_notification(engine, number, "survey")
        unhappy = SurveyAnswer(
            "s1", contacted=True, resolved=False, satisfaction=Satisfaction.dissatisfied
        )
        await handle.signal(CaseWorkflow.survey_answer, unhappy)
        for _ in range(300):
            if case_row(engine, number).status == "reopened":
                break
            await asyncio.sleep(0.1)
        _act(unit, number, "resolve", reply="路灯已更换新灯具，复查正常。")
        await wait_for_notification(engine, number, "survey", count=2)
        happy = SurveyAnswer(
            "s2", contacted=True, resolved=True, satisfaction=Satisfaction.satisfied
        )
        await handle.signal(CaseWorkflow.survey_answer, happy)
        for _ in range(300):
            if case_row(engine, number).status == "closed":
                break
            await asyncio.sleep(0.1)
    assert case_row(engine, number).status == "closed"
    return Story(number, accounts)


async def _supervised_case(api_url: str, engine: Engine, story: Story) -> str:
    """A case a supervisor flagged (督办), urged (催办) and re-dispatched (改派) to another unit."""
    created = httpx.post(f"{api_url}/api/v1/requests", json=make_submission())
    number: str = created.json()["number"]
    with (
        console_login(api_url, story.accounts["dispatcher"]) as desk,
        console_login(api_url, story.accounts["supervisor"]) as boss,
    ):
        _act(desk, number, "dispatch", unit_code=CHAOYANG)
        _act(boss, number, "supervise", note="市民多次来电")
        _act(boss, number, "urge", note="今天内联系市民")
        _act(boss, number, "redispatch", unit_code=HAIDIAN, reason="地址在海淀")
    return number


def _admin_edits(api_url: str, account: StaffAccount) -> None:
    """A few changes so the audit log has lines of each kind: staff, unit, holiday."""
    with console_login(api_url, account) as client:
        token = csrf_of(client.get("/console/admin").text)
        name = f"raw-{uuid.uuid4().hex[:8]}"
        for path, fields in [
            (
                "/console/admin/staff",
                {
                    "username": name,
                    "role": "unit_handler",
                    "unit_code": CHAOYANG,
                    "password": PASSWORD,
                },
            ),
            (f"/console/admin/staff/{name}/active", {"active": "no"}),
            (
                f"/console/admin/units/{STREET}",
                {
                    "name_zh": "交道口街道",
                    "name_en": "Jiaodaokou Subdistrict",
                    "kind": "street",
                    "parent_code": "110101",
                    "service_areas": "",
                    "active": "yes",
                },
            ),
            ("/console/admin/holidays", {"day": "2031-01-02", "kind": "holiday", "name": "测试"}),
            ("/console/admin/holidays/2031-01-02/delete", {}),
        ]:
            answer = client.post(path, data={"csrf_token": token, **fields})
            assert answer.status_code == 303, (path, answer.status_code, answer.text[-2000:])


def _admin_refusals(client: httpx.Client, language: str) -> list[tuple[str, httpx.Response]]:
    """Admin forms sent back with their errors (each changes nothing), in `language`."""
    leaf = f"/console/admin/catalog/{LEAF}"
    unit = f"/console/admin/units/{STREET}"
    token = csrf_of(client.get("/console/admin", params={"lang": language}).text)
    leaf_form = {
        "name_zh": "冬季采暖",
        "name_en": "Winter heating",
        "acknowledge_hours": "soon",
        "respond_hours": "-3",
        "resolve_working_days": "1.5",
        "active": "yes",
    }
    unit_form = {"name_zh": "", "kind": "castle", "parent_code": "nowhere", "active": "yes"}
    sent = [
        (f"{leaf} wrong unit", leaf, {**leaf_form, "unit_code": CHAOYANG}),
        (f"{leaf} no unit", leaf, {**leaf_form, "unit_code": ""}),
        (f"{unit} wrong", unit, unit_form),
        ("holidays wrong", "/console/admin/holidays", {"day": "someday", "kind": "x"}),
        ("staff wrong", "/console/admin/staff", {"username": "", "role": "king"}),
    ]
    answers = []
    for what, path, fields in sent:
        answer = client.post(path, data={"csrf_token": token, **fields})
        assert answer.status_code == 422, (what, answer.status_code)
        answers.append((what, answer))
    return answers


def _save_view(client: httpx.Client, view: str) -> None:
    token = csrf_of(client.get("/console/cases").text)
    query = f"view={view}&status=dispatched,closed&overdue=1&sort=deadline"
    saved = client.post(
        "/console/views", data={"csrf_token": token, "name": "我的视图", "query": query}
    )
    assert saved.status_code == 303, saved.text[-2000:]


def _console_pages(story: Story, supervised: str, role: str) -> list[str]:
    number = story.number
    views = (
        ["unit", "all"]
        if role == "handler" or role == "other_handler"
        else ["queue", "supervision", "all"]
    )
    pages = ["/console", "/console/cases"]
    if role != "operator":  # the inbox is for units, dispatchers and supervisors
        pages.append("/console/inbox")
    for view in views:
        pages += [
            f"/console/cases?view={view}",
            f"/console/rows?view={view}",
            f"/console/cases?view={view}&q=路灯&sort=status&per_page=1&page=2",
            f"/console/cases?view={view}&status=closed&channel=web&urgency=urgent&overdue=1"
            f"&from=2020-01-01&to=2099-12-31&sort=oldest",
            f"/console/cases?view={view}&unit={CHAOYANG}&category=01.02.002&sort=number",
            f"/console/cases?view={view}&q={number}",
            f"/console/cases?view={view}&q=nothing-matches-this",
        ]
    pages += [
        f"/console/cases/{number}",
        f"/console/cases/{supervised}",
        "/console/cases/20990101-000001",  # not found
        "/console/cases?sort=sideways",  # a hand-edited address, refused in words
        "/console/rows?status=lost",
    ]
    if role != "operator":
        pages += [
            "/console/reports",
            f"/console/reports?month={utcnow():%Y-%m}",
            "/console/reports?month=2020-13",
        ]
    if role in ("operator", "dispatcher", "admin"):
        pages += ["/console/intake", "/console/transcribe"]
    if role == "admin":
        pages += [
            "/console/admin",
            "/console/admin?page=2",
            "/console/admin/units",
            f"/console/admin/units/{STREET}",
            f"/console/admin/units/{CHAOYANG}",
            "/console/admin/catalog",
            f"/console/admin/catalog/{LEAF}",
            "/console/admin/holidays",
            "/console/admin/audit",
        ]
    return pages


async def _citizen_journey(
    email_url: str, smtp_server: RecordingSmtp, client: Client, language: str
) -> list[tuple[str, httpx.Response]]:
    """A web citizen with an e-mail: the pages of their journey as (what, answer), from the
    form to the answered survey; the survey link is the one really sent by e-mail."""
    seen: list[tuple[str, httpx.Response]] = []
    email = unique_email()
    with httpx.Client(base_url=email_url, timeout=60) as citizen:
        form = citizen.get("/submit", params={"lang": language})
        data = {
            "csrf_token": csrf_of(form.text),
            "intake_key": uuid.uuid4().hex,
            "description": "小区门口路灯坏了一个星期",
            "email": email,
            "address": "北京市东城区交道口南大街1号",
            "lang": language,
        }
        created = citizen.post("/submit", data=data)
        assert created.status_code == 303, created.text[-2000:]
        submitted = created.headers["location"]
        number = submitted.split("/")[-1].split("?")[0]
        seen.append(("/submitted", citizen.get(submitted)))
        track = citizen.get("/track", params={"number": number})
        seen.append(("/track before the code", track))
        sent = citizen.post(f"/track/{number}/code", data={"csrf_token": csrf_of(track.text)})
        seen.append(("/track code sent", sent))
        [code_mail] = await smtp_server.wait_for(email)
        wrong = citizen.post(
            f"/track/{number}/details", data={"csrf_token": csrf_of(sent.text), "code": "000000"}
        )
        seen.append(("/track wrong code", wrong))
        checked = citizen.post(
            f"/track/{number}/details",
            data={"csrf_token": csrf_of(sent.text), "code": code_of(code_mail)},
        )
        assert checked.status_code == 303, checked.text[-2000:]
        handle = client.get_workflow_handle(number)
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch("dispatcher-1", CHAOYANG))
        await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("handler-1", CHAOYANG))
        await handle.execute_update(CaseWorkflow.respond, UnitAction("handler-1", CHAOYANG))
        await handle.execute_update(
            CaseWorkflow.resolve, Resolve("handler-1", CHAOYANG, "路灯已修复。")
        )
        seen.append(("/track after the code", citizen.get("/track", params={"number": number})))
        *_, survey_mail = await smtp_server.wait_for(email, 4)
        link = survey_link_of(survey_mail)
        survey = citizen.get(link)
        seen.append(("/survey", survey))
        incomplete = citizen.post(link, data={"csrf_token": csrf_of(survey.text)})
        seen.append(("/survey incomplete", incomplete))
        answer = {"csrf_token": csrf_of(survey.text), "contacted": "1", "resolved": "1"}
        answered = citizen.post(link, data={**answer, "satisfaction": "1"})
        assert answered.status_code == 200, answered.text[-2000:]
        seen.append(("/survey answered", answered))
        seen.append(("/survey bad token", citizen.get("/survey/not-a-token")))
        seen.append(("/track closed", citizen.get("/track", params={"number": number})))
    return seen


async def test_no_page_shows_message_ids_event_kinds_or_iso_timestamps(
    api_url: str,
    email_url: str,
    smtp_server: RecordingSmtp,
    engine: Engine,
    temporal_client: Client,
) -> None:
    story = await _full_history(api_url, engine, temporal_client)
    supervised = await _supervised_case(api_url, engine, story)
    _admin_edits(api_url, story.accounts["admin"])
    number = story.number
    failures: dict[str, list[str]] = {}
    for language in ("zh", "en"):
        for what, answer in await _citizen_journey(
            email_url, smtp_server, temporal_client, language
        ):
            found = answer_problems(answer) + problems(answer.text, language, set())
            if found:
                failures[f"{language} citizen {what}"] = found
        with httpx.Client(base_url=api_url, timeout=60) as citizen:
            for path in [
                "/",
                "/submit",
                "/feed",
                "/feed?status=closed&category=01.02",
                "/track",
                f"/track?number={number}",
                "/track?number=20990101-000001",
                f"/submitted/{number}",
                "/console/login",
            ]:
                answer = citizen.get(path, params={"lang": language})
                found = answer_problems(answer) + problems(answer.text, language, set())
                if found:
                    failures[f"{language} {path}"] = found
        for role, account in story.accounts.items():
            with console_login(api_url, account) as client:
                if language == "zh":
                    _save_view(client, "unit" if "handler" in role else "queue")
                if role == "admin":
                    for what, answer in _admin_refusals(client, language):
                        found = answer_problems(answer)
                        found += problems(answer.text, language, {account.username})
                        if found:
                            failures[f"{language} admin {what}"] = found
                for path in _console_pages(story, supervised, role):
                    sep = "&" if "?" in path else "?"
                    answer = client.get(f"{path}{sep}lang={language}", follow_redirects=True)
                    found = answer_problems(answer)
                    found += problems(answer.text, language, {account.username})
                    if found:
                        failures[f"{language} {role} {path}"] = found
    assert not failures, "\n".join(f"{page}: {found}" for page, found in failures.items())


def test_the_checker_sees_each_kind_of_raw_text() -> None:
    assert problems("<p>2026-11-30T17:24:04.921946+00:00</p>", "zh", set())
    assert problems("<td>acknowledge_due</td>", "en", set())
    assert problems("<td>dispatched</td>", "zh", set())
    assert problems("<p>Log out everywhere</p>", "zh", set())
    assert (
        problems("<p>在所有设备上退出</p>", "en", set()) or "在所有设备上退出" not in CHINESE_TEXTS
    )
    assert not problems('<p data-kind="sla_breach">派单至朝阳区 2026-11-30 17:24</p>', "zh", set())
    assert problems("<td>unit_handler</td>", "en", set())
    assert problems("<td>district</td>", "zh", set())
    assert not problems("<td>district</td>", "en", set())
    assert problems('<input placeholder="Search cases">', "zh", set()) or (
        "Search cases" not in ENGLISH_IDS
    )
    assert problems("<td>None</td>", "en", set())
    assert problems("<td>{'reason': 'x'}</td>", "zh", set())
    assert problems('<abbr title="2026-11-30T17:24:04">今天</abbr>', "zh", set())
    assert not problems(
        '<option value="unit_handler">单位办理人员</option><a href="/x?view=queue">队列</a>',
        "zh",
        set(),
    )
    assert not problems("<p>dispatcher-1a2b3c4d 已登录</p>", "zh", {"dispatcher-1a2b3c4d"})
    assert not problems("<p>unit-handler-1a2b 签收</p>", "zh", set())  # someone else's name
    assert not problems(
        '<td>朝阳区 · <span translate="no">Chaoyang District</span></td>', "zh", set()
    )
