"""The staff API over real HTTP, a real worker process and real Temporal: tokens, roles, the
one-unit rule for unit handlers, and workflow refusals as 409 with the workflow's message."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.engine import Engine

from api.main import create_app
from auth.users import set_active
from core.db import session_scope
from core.settings import Settings
from models.enums import StaffRole
from tests.utils.cases import events
from tests.utils.factories import make_submission
from tests.utils.servers import serve
from tests.utils.staff import CHAOYANG, HAIDIAN, bearer, make_staff, staff_headers


def _new_case(api_url: str) -> str:
    created = httpx.post(f"{api_url}/api/v1/requests", json=make_submission())
    assert created.status_code == 201, created.text
    number: str = created.json()["number"]
    return number


def _post(
    api_url: str, path: str, headers: dict[str, str], body: dict[str, object]
) -> httpx.Response:
    return httpx.post(f"{api_url}/api/v1{path}", headers=headers, json=body, timeout=60)


def test_reading_cases_needs_a_staff_token(api_url: str) -> None:
    number = _new_case(api_url)
    for path in ("/api/v1/cases", f"/api/v1/cases/{number}", "/api/v1/me"):
        response = httpx.get(f"{api_url}{path}")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    forged = httpx.get(f"{api_url}/api/v1/cases", headers={"Authorization": "Bearer forged.token"})
    assert forged.status_code == 401
    assert forged.json() == {"detail": "the token is invalid or has expired: log in again"}


def test_a_wrong_password_gets_no_token(api_url: str, engine: Engine) -> None:
    account = make_staff(engine, StaffRole.dispatcher)
    response = httpx.post(
        f"{api_url}/api/v1/auth/token", data={"username": account.username, "password": "nope"}
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "wrong username or password"}


def test_repeated_failed_logins_are_throttled_even_with_the_right_password(
    settings: Settings, engine: Engine
) -> None:
    account = make_staff(engine, StaffRole.dispatcher)
    # One window (they are fixed, at multiples of their length) holds all of this test's tries.
    strict = settings.model_copy(update={"login_max_failures": 3, "login_window_s": 10**9})
    with serve(create_app(strict)) as url:
        for _ in range(3):
            wrong = {"username": account.username, "password": "nope"}
            assert httpx.post(f"{url}/api/v1/auth/token", data=wrong).status_code == 401
        right = {"username": account.username, "password": account.password}
        locked = httpx.post(f"{url}/api/v1/auth/token", data=right)
    assert locked.status_code == 429
    assert locked.json()["detail"].startswith("too many failed logins: try again in ")
    assert int(locked.headers["retry-after"]) > 0


def test_a_deactivated_users_token_stops_working(api_url: str, engine: Engine) -> None:
    account = make_staff(engine, StaffRole.supervisor)
    headers = bearer(api_url, account)
    assert httpx.get(f"{api_url}/api/v1/me", headers=headers).json()["role"] == "supervisor"
    with session_scope(engine) as session:
        set_active(session=session, username=account.username, active=False)
    assert httpx.get(f"{api_url}/api/v1/me", headers=headers).status_code == 401


def test_staff_actions_through_the_api_are_recorded_with_the_staff_username(
    api_url: str, engine: Engine
) -> None:
    number = _new_case(api_url)
    dispatcher = make_staff(engine, StaffRole.dispatcher)
    handler = make_staff(engine, StaffRole.unit_handler, CHAOYANG)
    as_dispatcher, as_handler = bearer(api_url, dispatcher), bearer(api_url, handler)
    steps = [
        (as_dispatcher, "dispatch", {"unit_code": CHAOYANG}, "dispatched"),
        (as_handler, "acknowledge", {}, "acknowledged"),
        (as_handler, "respond", {"note": "called the citizen"}, "in_progress"),
        (as_handler, "resolve", {"reply": "路灯已修复"}, "resolved"),
    ]
    for headers, action, body, status in steps:
        response = _post(api_url, f"/cases/{number}/{action}", headers, body)
        assert response.status_code == 200, response.text
        assert response.json() == {"number": number, "status": status}
    actors = {event.kind: event.actor for event in events(engine, number)}
    assert actors["dispatched"] == dispatcher.username
    assert actors["acknowledged"] == handler.username
    assert actors["responded"] == handler.username
    assert actors["resolved"] == handler.username
    detail = httpx.get(f"{api_url}/api/v1/cases/{number}", headers=as_handler).json()
    assert [e["actor"] for e in detail["timeline"] if e["kind"] == "resolved"] == [handler.username]


def test_a_unit_handler_can_neither_see_nor_act_on_another_units_case(
    api_url: str, engine: Engine
) -> None:
    number = _new_case(api_url)
    as_dispatcher = staff_headers(api_url, engine, StaffRole.dispatcher)
    assert _post(api_url, f"/cases/{number}/dispatch", as_dispatcher, {"unit_code": CHAOYANG})
    other = staff_headers(api_url, engine, StaffRole.unit_handler, HAIDIAN)
    detail = httpx.get(f"{api_url}/api/v1/cases/{number}", headers=other)
    assert detail.status_code == 404
    assert detail.json() == {"detail": f"no case numbered '{number}'"}
    listed = httpx.get(f"{api_url}/api/v1/cases", headers=other, params={"limit": 500}).json()
    assert number not in [case["number"] for case in listed["data"]]
    assert all(case["lead_unit_code"] == HAIDIAN for case in listed["data"])
    asked = httpx.get(f"{api_url}/api/v1/cases", headers=other, params={"unit": CHAOYANG})
    assert asked.status_code == 403
    for action, body in (("acknowledge", {}), ("return", {"reason": "not ours"})):
        refused = _post(api_url, f"/cases/{number}/{action}", other, body)
        assert refused.status_code == 404
    spoofed = _post(
        api_url,
        f"/cases/{number}/acknowledge",
        staff_headers(api_url, engine, StaffRole.unit_handler, HAIDIAN),
        {"unit_code": CHAOYANG},
    )
    assert spoofed.status_code == 404
    own = staff_headers(api_url, engine, StaffRole.unit_handler, CHAOYANG)
    spoof_own = _post(api_url, f"/cases/{number}/acknowledge", own, {"unit_code": HAIDIAN})
    assert spoof_own.status_code == 403
    assert spoof_own.json() == {"detail": f"you act for unit {CHAOYANG} only, not {HAIDIAN}"}
    assert [e.kind for e in events(engine, number)] == ["accepted", "dispatched"]


def test_a_role_without_the_action_gets_403_and_nothing_is_recorded(
    api_url: str, engine: Engine
) -> None:
    number = _new_case(api_url)
    operator = staff_headers(api_url, engine, StaffRole.operator)
    response = _post(api_url, f"/cases/{number}/dispatch", operator, {"unit_code": CHAOYANG})
    assert response.status_code == 403
    assert response.json() == {"detail": "the operator role may not dispatch cases"}
    assert [e.kind for e in events(engine, number)] == ["accepted"]


@pytest.mark.parametrize(
    ("action", "body", "message"),
    [
        ("acknowledge", {}, "case {number} is accepted; this needs it to be dispatched"),
        ("answer", {"reply": "  "}, "a direct answer needs a reply text for the citizen"),
        ("decide_extension", {"approve": True}, "there is no extension request to decide"),
    ],
)
def test_workflow_refusals_come_back_as_409_with_the_workflows_message(
    api_url: str, engine: Engine, action: str, body: dict[str, object], message: str
) -> None:
    number = _new_case(api_url)
    headers = staff_headers(api_url, engine, StaffRole.admin)
    path = {"decide_extension": "extension/decision"}.get(action, action)
    if action == "acknowledge":
        body = {"unit_code": CHAOYANG}
    response = _post(api_url, f"/cases/{number}/{path}", headers, body)
    assert response.status_code == 409
    assert response.json() == {"detail": message.format(number=number)}
    assert [e.kind for e in events(engine, number)] == ["accepted"]


def test_malformed_action_bodies_are_422(api_url: str, engine: Engine) -> None:
    number = _new_case(api_url)
    headers = staff_headers(api_url, engine, StaffRole.unit_handler, CHAOYANG)
    response = _post(api_url, f"/cases/{number}/extension", headers, {"working_days": 0})
    assert response.status_code == 422
    assert {tuple(e["loc"]) for e in response.json()["detail"]} == {
        ("body", "working_days"),
        ("body", "reason"),
    }


def test_an_action_sent_twice_with_one_idempotency_key_acts_once(
    api_url: str, engine: Engine
) -> None:
    number = _new_case(api_url)
    headers = {**staff_headers(api_url, engine, StaffRole.dispatcher), "Idempotency-Key": "a-1"}
    body = {"unit_code": CHAOYANG}
    first = _post(api_url, f"/cases/{number}/dispatch", headers, body)
    again = _post(api_url, f"/cases/{number}/dispatch", headers, body)
    assert first.status_code == again.status_code == 200, again.text
    assert again.json() == first.json() == {"number": number, "status": "dispatched"}
    assert [e.kind for e in events(engine, number)].count("dispatched") == 1
    # A new request (another key) is a second dispatch, which the workflow refuses.
    other = _post(api_url, f"/cases/{number}/dispatch", {**headers, "Idempotency-Key": "a-2"}, body)
    assert other.status_code == 409


def test_a_malformed_idempotency_key_is_422_and_nothing_is_sent(
    api_url: str, engine: Engine
) -> None:
    number = _new_case(api_url)
    headers = {**staff_headers(api_url, engine, StaffRole.dispatcher), "Idempotency-Key": "a b/c"}
    response = _post(api_url, f"/cases/{number}/dispatch", headers, {"unit_code": CHAOYANG})
    assert response.status_code == 422
    assert [tuple(e["loc"]) for e in response.json()["detail"]] == [("header", "Idempotency-Key")]
    assert [e.kind for e in events(engine, number)] == ["accepted"]


def test_supervisor_lists_overdue_and_pending_extensions_and_approves(
    api_url: str, engine: Engine
) -> None:
    number = _new_case(api_url)
    as_dispatcher = staff_headers(api_url, engine, StaffRole.dispatcher)
    as_handler = staff_headers(api_url, engine, StaffRole.unit_handler, CHAOYANG)
    as_supervisor = staff_headers(api_url, engine, StaffRole.supervisor)
    _post(api_url, f"/cases/{number}/dispatch", as_dispatcher, {"unit_code": CHAOYANG})
    _post(api_url, f"/cases/{number}/acknowledge", as_handler, {})
    asked = _post(
        api_url, f"/cases/{number}/extension", as_handler, {"working_days": 3, "reason": "parts"}
    )
    assert asked.status_code == 200, asked.text
    pending = httpx.get(
        f"{api_url}/api/v1/cases", headers=as_supervisor, params={"pending_extension": True}
    ).json()
    assert number in [case["number"] for case in pending["data"]]
    decided = _post(
        api_url, f"/cases/{number}/extension/decision", as_supervisor, {"approve": True}
    )
    assert decided.status_code == 200, decided.text
    pending = httpx.get(
        f"{api_url}/api/v1/cases", headers=as_supervisor, params={"pending_extension": True}
    ).json()
    assert number not in [case["number"] for case in pending["data"]]
    kinds = [(e.kind, e.actor) for e in events(engine, number)]
    assert ("extension_approved", kinds[-1][1]) == kinds[-1]
    assert kinds[-1][1].startswith("supervisor-")


def test_the_staff_api_is_in_the_openapi_schema_with_bearer_security(api_url: str) -> None:
    schema = httpx.get(f"{api_url}/openapi.json").json()
    assert "/api/v1/cases/{number}/resolve" in schema["paths"]
    assert "/api/v1/auth/token" in schema["paths"]
    assert "OAuth2PasswordBearer" in schema["components"]["securitySchemes"]
    assert not any(path.startswith("/console") for path in schema["paths"])


def test_nul_characters_and_malformed_codes_are_refused_before_the_database(
    api_url: str, engine: Engine
) -> None:
    login = httpx.post(
        f"{api_url}/api/v1/auth/token", data={"username": "a\x00b", "password": "x\x00"}
    )
    assert login.status_code == 401
    headers = staff_headers(api_url, engine, StaffRole.admin)
    listed = httpx.get(f"{api_url}/api/v1/cases", headers=headers, params={"unit": "1\x00"})
    assert listed.status_code == 422
    assert httpx.get(f"{api_url}/api/v1/cases/%00", headers=headers).status_code == 404
    number = _new_case(api_url)
    for path, body in (
        ("dispatch", {"unit_code": CHAOYANG, "note": "a\x00b"}),
        ("dispatch", {"unit_code": "1\x00"}),
        ("merge", {"master_number": "x\x00"}),
    ):
        assert _post(api_url, f"/cases/{number}/{path}", headers, body).status_code == 422
    assert [e.kind for e in events(engine, number)] == ["accepted"]
