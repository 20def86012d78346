"""撤回 by staff on the citizen's behalf (API and console) and by the proved owner on /track;
who may not, and what bad input gets."""

from __future__ import annotations

import re
import time

import httpx
from sqlalchemy.engine import Engine

from api.main import create_app
from core.settings import Settings
from models.enums import CaseStatus, StaffRole
from notices.port import NotifierRegistry
from tests.utils.cases import case_row, events, notifications
from tests.utils.factories import make_submission, unique_phone
from tests.utils.notifiers import RecordingNotifier
from tests.utils.servers import serve
from tests.utils.staff import (
    CHAOYANG,
    HAIDIAN,
    bearer,
    console_login,
    csrf_of,
    make_staff,
    staff_headers,
)
from tests.web.test_citizen_pages import _number
from tests.web.test_public import _submit
from tests.web.test_supervision import WAIT, _dispatched_case


def _withdraw(api_url: str, number: str, headers: dict[str, str], **body: str) -> httpx.Response:
    return httpx.post(
        f"{api_url}/api/v1/cases/{number}/withdraw", json=body, headers=headers, timeout=WAIT
    )


def _wait_for(engine: Engine, number: str, kind: str) -> None:
    for _ in range(600):
        if kind in [n.kind for n in notifications(engine, number)]:
            return
        time.sleep(0.05)
    raise AssertionError(f"no {kind} notice for {number}")


def test_an_operator_withdraws_by_api_with_the_reason_and_the_unit_is_told(
    api_url: str, engine: Engine
) -> None:
    number = _dispatched_case(api_url, engine)
    operator = make_staff(engine, StaffRole.operator)
    headers = bearer(api_url, operator)
    assert _withdraw(api_url, number, headers).status_code == 422  # the reason is required
    assert _withdraw(api_url, number, headers, reason="   ").status_code == 422
    assert _withdraw(api_url, number, headers, reason="a\x00b").status_code == 422
    assert case_row(engine, number).status == CaseStatus.dispatched

    done = _withdraw(api_url, number, headers, reason="市民来电：问题已自行解决")
    assert done.status_code == 200, done.text
    assert done.json() == {"number": number, "status": "withdrawn"}
    [event] = [e for e in events(engine, number) if e.kind == "withdrawn"]
    assert (event.actor, event.payload["reason"]) == (operator.username, "市民来电：问题已自行解决")
    _wait_for(engine, number, "unit_withdrawn")
    assert [n.address for n in notifications(engine, number) if n.kind == "unit_withdrawn"] == [
        CHAOYANG
    ]
    again = _withdraw(api_url, number, headers, reason="again")
    assert again.status_code == 409, again.text
    assert "can no longer be withdrawn" in again.text or "over" in again.text


def test_a_unit_handler_may_not_withdraw_and_another_units_case_is_not_found(
    api_url: str, engine: Engine
) -> None:
    number = _dispatched_case(api_url, engine)
    own = staff_headers(api_url, engine, StaffRole.unit_handler, CHAOYANG)
    other = staff_headers(api_url, engine, StaffRole.unit_handler, HAIDIAN)
    assert _withdraw(api_url, number, own, reason="x").status_code == 403
    assert _withdraw(api_url, number, other, reason="x").status_code == 404
    assert _withdraw(api_url, number, {}, reason="x").status_code == 401
    admin = staff_headers(api_url, engine, StaffRole.admin)
    assert _withdraw(api_url, "20991231-999999", admin, reason="x").status_code == 404
    assert _withdraw(api_url, "not-a-number", admin, reason="x").status_code == 404
    assert case_row(engine, number).status == CaseStatus.dispatched


def test_a_dispatcher_withdraws_from_the_console_form(api_url: str, engine: Engine) -> None:
    created = httpx.post(f"{api_url}/api/v1/requests", json=make_submission())
    number = created.json()["number"]
    dispatcher = make_staff(engine, StaffRole.dispatcher)
    with console_login(api_url, dispatcher) as client:
        page = client.get(f"/console/cases/{number}").text
        assert 'id="form-withdraw"' in page
        token = csrf_of(page)
        empty = client.post(
            f"/console/cases/{number}/withdraw", data={"csrf_token": token, "reason": ""}
        )
        assert empty.status_code == 422
        done = client.post(
            f"/console/cases/{number}/withdraw",
            data={"csrf_token": token, "reason": "市民微信留言撤回"},
        )
        assert done.status_code == 303, done.text
        after = client.get(f"/console/cases/{number}").text
    assert 'id="form-withdraw"' not in after
    assert case_row(engine, number).status == CaseStatus.withdrawn
    [event] = [e for e in events(engine, number) if e.kind == "withdrawn"]
    assert (event.actor, event.payload["reason"]) == (dispatcher.username, "市民微信留言撤回")
    with console_login(api_url, dispatcher) as client:  # the timeline says who withdrew it
        timeline = client.get(f"/console/cases/{number}").text
    assert "已代市民撤回：市民微信留言撤回" in timeline and "市民撤回诉求" not in timeline
    with console_login(api_url, make_staff(engine, StaffRole.unit_handler, CHAOYANG)) as unit:
        fresh = httpx.post(f"{api_url}/api/v1/requests", json=make_submission()).json()["number"]
        assert 'id="form-withdraw"' not in unit.get(f"/console/cases/{fresh}").text


def test_the_owner_withdraws_on_track_after_the_code_and_a_stranger_cannot(
    settings: Settings, worker_process: None, engine: Engine
) -> None:
    app = create_app(settings)
    notifier = RecordingNotifier()
    app.state.notifiers = NotifierRegistry(default=notifier)
    with serve(app) as url, httpx.Client(base_url=url, timeout=60) as owner:
        number = _number(_submit(owner, description="门口的井盖丢了", phone=unique_phone()))
        page = owner.get("/track", params={"number": number}).text
        token = csrf_of(page)
        assert 'id="form-withdraw"' not in page  # not before the code
        form = {"csrf_token": token, "confirm": "yes"}
        assert owner.post(f"/track/{number}/withdraw", data=form).status_code == 404

        owner.post(f"/track/{number}/code", data={"csrf_token": token})
        code = re.findall(r"\b\d{6}\b", notifier.sent[-1].text.replace(number, ""))[0]
        owner.post(f"/track/{number}/details", data={"csrf_token": token, "code": code})
        assert 'id="form-withdraw"' in owner.get("/track", params={"number": number}).text

        with httpx.Client(base_url=url, timeout=60) as stranger:
            stranger.cookies.set("hotline_details", "forged")
            assert stranger.post(f"/track/{number}/withdraw", data=form).status_code == 404
        stale = owner.post(f"/track/{number}/withdraw", data={"csrf_token": "x", "confirm": "yes"})
        assert stale.status_code == 403
        unticked = owner.post(f"/track/{number}/withdraw", data={"csrf_token": token})
        assert unticked.status_code == 422 and 'id="withdraw-message"' in unticked.text
        assert case_row(engine, number).status == CaseStatus.accepted

        done = owner.post(f"/track/{number}/withdraw", data={**form, "reason": "已修好"})
        assert done.status_code == 303
        assert case_row(engine, number).status == CaseStatus.withdrawn
        again = owner.post(f"/track/{number}/withdraw", data=form)
        assert again.status_code == 409
    [event] = [e for e in events(engine, number) if e.kind == "withdrawn"]
    assert (event.actor, event.payload["channel"], event.payload["reason"]) == (
        "citizen",
        "web",
        "已修好",
    )
