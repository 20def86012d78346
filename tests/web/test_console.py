"""The staff console over real HTTP (cookies, forms, CSRF) against a real worker and Temporal."""

from __future__ import annotations

import time

import httpx
from sqlalchemy.engine import Engine

from api.main import create_app
from core.db import session_scope
from core.settings import Settings
from models import CaseEvent
from models.enums import Channel, StaffRole
from tests.utils.cases import case_row, events
from tests.utils.factories import make_submission
from tests.utils.servers import serve
from tests.utils.staff import CHAOYANG, HAIDIAN, console_login, csrf_of, make_staff


def _new_case(api_url: str) -> str:
    created = httpx.post(f"{api_url}/api/v1/requests", json=make_submission())
    number: str = created.json()["number"]
    return number


def _act(client: httpx.Client, number: str, action: str, **fields: str) -> httpx.Response:
    token = csrf_of(client.get(f"/console/cases/{number}").text)
    return client.post(f"/console/cases/{number}/{action}", data={"csrf_token": token, **fields})


def test_login_lands_on_the_roles_view_and_a_wrong_password_does_not(
    api_url: str, engine: Engine
) -> None:
    account = make_staff(engine, StaffRole.dispatcher)
    with console_login(api_url, account) as client:
        landing = client.get("/console", follow_redirects=True)
        assert str(landing.url).endswith("/console/cases?view=queue")
        assert account.username in landing.text
    with httpx.Client(base_url=api_url) as anonymous:
        token = csrf_of(anonymous.get("/console/login").text)
        wrong = anonymous.post(
            "/console/login",
            data={"username": account.username, "password": "nope", "csrf_token": token},
        )
        assert wrong.status_code == 401
        assert "用户名或密码错误" in wrong.text
        assert anonymous.get("/console/cases").status_code == 303


def test_a_forged_or_missing_session_goes_back_to_login(api_url: str) -> None:
    with httpx.Client(base_url=api_url, cookies={"hotline_console": "forged"}) as client:
        response = client.get("/console/cases")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login"


def test_a_login_form_without_its_csrf_token_is_refused(api_url: str, engine: Engine) -> None:
    account = make_staff(engine, StaffRole.dispatcher)
    response = httpx.post(
        f"{api_url}/console/login",
        data={"username": account.username, "password": account.password},
    )
    assert response.status_code == 403


def test_an_action_without_the_csrf_token_is_refused_and_not_recorded(
    api_url: str, engine: Engine
) -> None:
    number = _new_case(api_url)
    with console_login(api_url, make_staff(engine, StaffRole.dispatcher)) as client:
        response = client.post(f"/console/cases/{number}/dispatch", data={"unit_code": CHAOYANG})
    assert response.status_code == 403
    assert [e.kind for e in events(engine, number)] == ["accepted"]


def test_dispatch_from_the_console_is_recorded_as_the_dispatcher(
    api_url: str, engine: Engine
) -> None:
    number = _new_case(api_url)
    dispatcher = make_staff(engine, StaffRole.dispatcher)
    with console_login(api_url, dispatcher) as client:
        assert number in client.get("/console/rows?view=queue").text
        response = _act(client, number, "dispatch", unit_code=CHAOYANG, assisting_unit_codes="")
        assert response.status_code == 303
        page = client.get(response.headers["location"])
    assert "已派单" in page.text
    assert [(e.kind, e.actor) for e in events(engine, number)][-1] == (
        "dispatched",
        dispatcher.username,
    )


def test_the_workflows_refusal_is_shown_on_the_case_page(api_url: str, engine: Engine) -> None:
    number = _new_case(api_url)
    with console_login(api_url, make_staff(engine, StaffRole.admin)) as client:
        response = _act(client, number, "resolve", unit_code=CHAOYANG, reply="done")
    assert response.status_code == 409
    # The workflow's English refusal, in the staff member's language (the API keeps the English).
    assert f"案件 {number} 当前状态为“已受理”，此操作要求状态为“办理中、重办”" in response.text


def test_a_unit_handler_never_sees_or_acts_on_another_units_case_in_the_console(
    api_url: str, engine: Engine
) -> None:
    number = _new_case(api_url)
    with console_login(api_url, make_staff(engine, StaffRole.dispatcher)) as dispatcher:
        _act(dispatcher, number, "dispatch", unit_code=CHAOYANG)
    with console_login(api_url, make_staff(engine, StaffRole.unit_handler, HAIDIAN)) as other:
        assert other.get(f"/console/cases/{number}").status_code == 404
        for view in ("unit", "all"):
            assert number not in other.get(f"/console/rows?view={view}").text
        token = csrf_of(other.get("/console/cases?view=unit").text)
        refused = other.post(f"/console/cases/{number}/acknowledge", data={"csrf_token": token})
        assert refused.status_code == 404
    with console_login(api_url, make_staff(engine, StaffRole.unit_handler, CHAOYANG)) as own:
        assert number in own.get("/console/rows?view=unit").text
    assert [e.kind for e in events(engine, number)] == ["accepted", "dispatched"]


def test_an_operator_records_a_phone_in_request_on_the_callers_behalf(
    api_url: str, engine: Engine
) -> None:
    operator = make_staff(engine, StaffRole.operator)
    with console_login(api_url, operator) as client:
        form = client.get("/console/intake", params={"kb": "路灯"})
        assert "路灯" in form.text
        response = client.post(
            "/console/intake",
            data={
                "csrf_token": csrf_of(form.text),
                "intake_key": "op-" + operator.username,
                "description": "来电：胡同里的路灯不亮",
                "phone": "13800138000",
                "type": "complaint",
                "urgency": "normal",
            },
        )
    assert response.status_code == 303
    number = response.headers["location"].rsplit("/", 1)[-1]
    assert case_row(engine, number).channel == Channel.voice
    assert [(e.kind, e.actor) for e in events(engine, number)][0] == (
        "accepted",
        operator.username,
    )


def test_a_supervisor_sees_the_extension_request_and_approves_it(
    api_url: str, engine: Engine
) -> None:
    number = _new_case(api_url)
    handler = make_staff(engine, StaffRole.unit_handler, CHAOYANG)
    with console_login(api_url, make_staff(engine, StaffRole.dispatcher)) as dispatcher:
        _act(dispatcher, number, "dispatch", unit_code=CHAOYANG)
    with console_login(api_url, handler) as own:
        assert _act(own, number, "acknowledge").status_code == 303
        asked = _act(own, number, "extend", working_days="3", reason="等待配件")
        assert asked.status_code == 303
    supervisor = make_staff(engine, StaffRole.supervisor)
    with console_login(api_url, supervisor) as client:
        assert str(client.get("/console", follow_redirects=True).url).endswith("supervision")
        assert number in client.get("/console/rows?view=supervision").text
        decided = _act(client, number, "decide_extension", approve="true", note="同意")
        assert decided.status_code == 303
        assert number not in client.get("/console/rows?view=supervision").text
    assert [(e.kind, e.actor) for e in events(engine, number)][-2:] == [
        ("extension_requested", handler.username),
        ("extension_approved", supervisor.username),
    ]


def test_a_unit_handler_asking_for_the_dispatch_queue_gets_their_own_list(
    api_url: str, engine: Engine
) -> None:
    number = _new_case(api_url)  # accepted: in the dispatch queue, no unit yet
    with console_login(api_url, make_staff(engine, StaffRole.unit_handler, HAIDIAN)) as client:
        for view in ("queue", "supervision"):
            assert number not in client.get(f"/console/rows?view={view}").text


def test_the_dispatch_form_preselects_the_unit_smart_dispatch_suggested(
    api_url: str, engine: Engine
) -> None:
    number = _new_case(api_url)
    suggestions = f"01.02.001 0.41 {HAIDIAN} (路灯, 小区) | 16.01.002 0.22 - (噪音)"
    with session_scope(engine) as session:
        case = case_row(engine, number)
        assert case.id is not None
        session.add(
            CaseEvent(
                case_id=case.id,
                kind="dispatch_suggested",
                actor="smart-dispatch",
                payload={"reason": "below the threshold", "suggestions": suggestions},
            )
        )
    with console_login(api_url, make_staff(engine, StaffRole.dispatcher)) as client:
        page = client.get(f"/console/cases/{number}").text
    assert f'list="unit-options" autocomplete="off" value="{HAIDIAN}"' in page
    # In words: the category and unit names, the confidence as a percentage.
    assert "<strong>园林绿化环卫</strong> · 41% · 海淀区" in page
    assert "<strong>水压低</strong> · 22% · —" in page


def test_a_console_session_expires(settings: Settings, engine: Engine) -> None:
    brief = settings.model_copy(update={"session_hours": 1 / 3600})  # one second
    account = make_staff(engine, StaffRole.dispatcher)
    with serve(create_app(brief)) as url, console_login(url, account) as client:
        assert client.get("/console/cases").status_code == 200
        time.sleep(2.1)  # signatures count whole seconds
        expired = client.get("/console/cases")
    assert expired.status_code == 303
    assert expired.headers["location"] == "/console/login"
