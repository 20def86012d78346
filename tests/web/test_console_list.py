"""The console's case list over real HTTP: search by number, phone (any format), name and words,
filters, pages, saved views, CSV export and alerts, and that a unit handler's list never holds
another unit's case whatever the query says."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.clock import utcnow
from core.db import session_scope
from core.settings import Settings
from intake.schemas import Contact
from intake.service import accept_intake
from models.case import Case
from models.enums import CaseStatus, StaffRole
from models.search import BadQuery, CaseQuery, parse_case_query, search_cases
from tests.utils.factories import make_intake, unique_phone
from tests.utils.staff import CHAOYANG, HAIDIAN, console_login, csrf_of, make_staff
from web.console_list import safe_cell


def _case(
    engine: Engine,
    settings: Settings,
    *,
    description: str,
    phone: str | None = None,
    unit: str | None = None,
    name: str | None = None,
) -> str:
    accepted = accept_intake(
        engine=engine,
        intake=make_intake(
            description=description, contact=Contact(phone=phone or unique_phone(), name=name)
        ),
        settings=settings,
    )
    number = accepted.case.number
    if unit is not None:  # as if dispatched: the unit's acknowledge deadline runs
        with session_scope(engine) as session:
            case = session.exec(select(Case).where(Case.number == number)).one()
            case.status = CaseStatus.dispatched
            case.lead_unit_code = unit
            case.acknowledge_due_at = utcnow() - timedelta(hours=1)
            case.respond_due_at = utcnow() + timedelta(hours=3, minutes=5)
            case.resolve_due_at = utcnow() + timedelta(days=2, hours=1)
    return number


def _word() -> str:
    """A word no other test's case has (Chinese, to test the trigram match on it)."""
    digits = uuid.uuid4().int % 10**6
    return "井盖" + "".join("零一二三四五六七八九"[int(d)] for d in f"{digits:06d}")


def _numbers(html: str, numbers: list[str]) -> set[str]:
    return {n for n in numbers if f'data-number="{n}"' in html}


def test_search_finds_a_case_by_number_phone_name_and_word(
    api_url: str, engine: Engine, settings: Settings
) -> None:
    word = _word()
    phone = unique_phone()
    name = f"张{uuid.uuid4().hex[:6]}"
    number = _case(engine, settings, description=f"路口{word}缺失，很危险", phone=phone, name=name)
    other = _case(engine, settings, description="别的事情")
    local = phone.removeprefix("+86")
    spaced = f"+86 {local[:3]} {local[3:7]} {local[7:]}"
    with console_login(api_url, make_staff(engine, StaffRole.dispatcher)) as client:
        for q in (number, spaced, f"0086-{local}", local, word, word[2:], name):
            page = client.get("/console/cases", params={"view": "all", "q": q})
            assert page.status_code == 200, q
            assert _numbers(page.text, [number, other]) == {number}, q
        day = client.get("/console/cases", params={"view": "all", "q": number[:9]})
        assert number in day.text and other in day.text  # a prefix: the day's cases


def test_the_word_index_follows_an_updated_description(engine: Engine, settings: Settings) -> None:
    old, new = _word(), _word()
    number = _case(engine, settings, description=f"原来的{old}")
    with session_scope(engine) as session:
        case = session.exec(select(Case).where(Case.number == number)).one()
        case.description = f"补充后的{new}"

    def found(q: str) -> list[str]:
        with Session(engine) as session:
            page = search_cases(
                session=session,
                query=CaseQuery(q=q),
                visible_unit=None,
                now=utcnow(),
                zone=ZoneInfo(settings.timezone),
                default_region="CN",
            )
        return [c.number for c in page.cases]

    assert found(new) == [number]
    assert found(old) == []


def test_filters_sort_and_pages(api_url: str, engine: Engine, settings: Settings) -> None:
    word = _word()
    numbers = [
        _case(engine, settings, description=f"{word} 第{i}件", unit=CHAOYANG) for i in range(3)
    ]
    with console_login(api_url, make_staff(engine, StaffRole.supervisor)) as client:
        first = client.get(
            "/console/cases",
            params={
                "view": "all",
                "q": word,
                "status": "dispatched",
                "overdue": "1",
                "per_page": "2",
                "sort": "number",
            },
        )
        second = client.get(
            "/console/cases",
            params={
                "view": "all",
                "q": word,
                "status": "dispatched",
                "overdue": "1",
                "per_page": "2",
                "sort": "number",
                "page": "2",
            },
        )
        assert _numbers(first.text, numbers) == set(sorted(numbers)[1:])
        assert _numbers(second.text, numbers) == {min(numbers)}
        assert 'rel="next"' in first.text and 'rel="prev"' in second.text
        none = client.get("/console/cases", params={"view": "all", "q": word, "channel": "sms"})
        assert _numbers(none.text, numbers) == set()
        # SLA badges in words, local times only as hints, no ISO timestamps
        assert "签收" in first.text and "超时" in first.text and "剩余" in first.text
        assert "+00:00" not in first.text
        assert '<td class="status"></td>' not in first.text  # every row names its status


@pytest.mark.parametrize(
    "params",
    [
        {"status": "nonsense"},
        {"page": "0"},
        {"sort": "drop table"},
        {"from": "30/11/2026"},
        {"unit": "a b"},
        {"per_page": "100000"},
    ],
)
def test_bad_list_parameters_are_refused_clearly(params: dict[str, str]) -> None:
    with pytest.raises(BadQuery, match=next(iter(params))):
        parse_case_query(params)


def test_a_unit_handler_never_sees_another_units_case(
    api_url: str, engine: Engine, settings: Settings
) -> None:
    word = _word()
    phone = unique_phone()
    mine = _case(engine, settings, description=f"{word} 朝阳", unit=CHAOYANG)
    theirs = _case(engine, settings, description=f"{word} 海淀", unit=HAIDIAN, phone=phone)
    handler = make_staff(engine, StaffRole.unit_handler, CHAOYANG)
    with console_login(api_url, handler) as client:
        for params in (
            {"q": word},
            {"q": word, "view": "all"},
            {"q": word, "view": "queue", "unit": HAIDIAN},
            {"q": theirs},
            {"q": phone},
        ):
            page = client.get("/console/cases", params=params)
            assert f'data-number="{theirs}"' not in page.text, params
            rows = client.get("/console/rows", params=params)
            assert f'data-number="{theirs}"' not in rows.text, params
            export = client.get("/console/cases.csv", params=params)
            assert export.status_code == 200
            assert theirs not in export.text, params
        assert f'data-number="{mine}"' in client.get("/console/cases", params={"q": word}).text
        alerts = client.get("/console/alerts.json").json()
        assert alerts["new"] == 0 and alerts["waiting"] >= 1


def test_the_csv_export_has_every_matching_case_and_no_formulas(
    api_url: str, engine: Engine, settings: Settings
) -> None:
    word = _word()
    number = _case(engine, settings, description=f'=HYPERLINK("http://x") {word}')
    with console_login(api_url, make_staff(engine, StaffRole.dispatcher)) as client:
        export = client.get("/console/cases.csv", params={"view": "all", "q": word})
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert rows[0][0] == "受理编号" or rows[0][0]
    assert [row[0] for row in rows[1:]] == [number]
    assert rows[1][-1].startswith("'=")
    assert rows[1][2] == "已受理" and rows[1][3] == "网站"  # status and channel in words
    assert safe_cell("+1") == "'+1" and safe_cell("@a") == "'@a" and safe_cell("-") == "'-"
    assert safe_cell("路灯") == "路灯"


def test_saved_views_are_their_owners_and_re_scoped(
    api_url: str, engine: Engine, settings: Settings
) -> None:
    owner = make_staff(engine, StaffRole.dispatcher)
    with console_login(api_url, owner) as client:
        token = csrf_of(client.get("/console/cases").text)
        saved = client.post(
            "/console/views",
            data={"csrf_token": token, "name": "逾期", "query": "view=all&overdue=1&page=3"},
        )
        assert saved.status_code == 303
        assert saved.headers["location"] == "/console/cases?view=all&overdue=1"
        page = client.get("/console/cases").text
        assert "逾期" in page
        bad = client.post(
            "/console/views", data={"csrf_token": token, "name": "x", "query": "status=bogus"}
        )
        assert bad.status_code == 422
        forged = client.post("/console/views", data={"name": "y", "query": ""})
        assert forged.status_code == 403
    view_id = page.split('action="/console/views/')[1].split("/")[0]
    with console_login(api_url, make_staff(engine, StaffRole.dispatcher)) as stranger:
        token = csrf_of(stranger.get("/console/cases").text)
        taken = stranger.post(f"/console/views/{view_id}/delete", data={"csrf_token": token})
        assert taken.status_code == 404
        assert "逾期" not in stranger.get("/console/cases").text


def test_alerts_count_new_cases_in_the_dispatch_queue(
    api_url: str, engine: Engine, settings: Settings
) -> None:
    with console_login(api_url, make_staff(engine, StaffRole.dispatcher)) as client:
        first = client.get("/console/alerts.json").json()
        _case(engine, settings, description="新来的案件")
        later = client.get("/console/alerts.json", params={"since": first["since"]}).json()
        assert later["new"] >= 1
        assert client.get("/console/alerts.json", params={"since": "yesterday"}).status_code == 422


def test_a_stranger_gets_the_login_page_not_the_list(api_url: str) -> None:
    for path in (
        "/console/cases?q=1",
        "/console/cases.csv",
        "/console/alerts.json",
        "/console/rows",
    ):
        answer = httpx.get(f"{api_url}{path}", follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/console/login"
