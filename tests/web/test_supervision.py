"""督办, 催办 and 改派 from the console and the staff API, and who may not take them."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from sqlalchemy.engine import Engine

from core.settings import Settings
from models.enums import StaffRole
from tests.utils.cases import case_row, events, notifications
from tests.utils.factories import make_submission
from tests.utils.processes import ROOT, hotline_env
from tests.utils.staff import (
    CHAOYANG,
    HAIDIAN,
    console_login,
    csrf_of,
    make_staff,
    staff_headers,
)

WAIT = 60  # seconds: the worker shares two cores with other test runs


def _dispatched_case(api_url: str, engine: Engine, unit: str = CHAOYANG) -> str:
    created = httpx.post(f"{api_url}/api/v1/requests", json=make_submission())
    number: str = created.json()["number"]
    headers = staff_headers(api_url, engine, StaffRole.dispatcher)
    sent = httpx.post(
        f"{api_url}/api/v1/cases/{number}/dispatch",
        json={"unit_code": unit},
        headers=headers,
        timeout=WAIT,
    )
    assert sent.status_code == 200, sent.text
    return number


def _act(client: httpx.Client, number: str, action: str, **fields: str) -> httpx.Response:
    token = csrf_of(client.get(f"/console/cases/{number}").text)
    return client.post(f"/console/cases/{number}/{action}", data={"csrf_token": token, **fields})


def test_a_supervisor_urges_from_the_console_and_the_unit_sees_the_flag(
    api_url: str, engine: Engine
) -> None:
    number = _dispatched_case(api_url, engine)
    supervisor = make_staff(engine, StaffRole.supervisor)
    with console_login(api_url, supervisor) as client:
        page = client.get(f"/console/cases/{number}").text
        assert 'id="form-urge"' in page and 'id="form-redispatch"' in page
        urged = _act(client, number, "urge", note="市民第三次来电，今天内联系")
        assert urged.status_code == 303
    last = events(engine, number)[-1]
    assert (last.kind, last.actor) == ("urged", supervisor.username)
    assert [n.address for n in notifications(engine, number) if n.kind == "unit_urged"] == [
        CHAOYANG
    ]
    with console_login(api_url, make_staff(engine, StaffRole.unit_handler, CHAOYANG)) as unit:
        seen = unit.get(f"/console/cases/{number}").text
    assert 'id="supervision-flag"' in seen and "市民第三次来电，今天内联系" in seen
    assert 'id="form-urge"' not in seen  # the unit is told, it does not urge itself
    assert case_row(engine, number).supervised


def test_a_supervisor_re_dispatches_from_the_console(api_url: str, engine: Engine) -> None:
    number = _dispatched_case(api_url, engine)
    supervisor = make_staff(engine, StaffRole.supervisor)
    with console_login(api_url, supervisor) as client:
        moved = _act(client, number, "redispatch", unit_code=HAIDIAN, reason="地址在海淀")
        assert moved.status_code == 303
        again = _act(client, number, "redispatch", unit_code=HAIDIAN, reason="again")
    assert again.status_code == 409 and f"already with unit {HAIDIAN}" in again.text
    assert case_row(engine, number).lead_unit_code == HAIDIAN
    assert [(e.kind, e.actor) for e in events(engine, number)][-1] == (
        "redispatched",
        supervisor.username,
    )
    with console_login(api_url, make_staff(engine, StaffRole.unit_handler, CHAOYANG)) as old:
        assert old.get(f"/console/cases/{number}").status_code == 404  # no longer theirs


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("supervise", {"note": "n"}),
        ("urge", {"note": "n"}),
        ("redispatch", {"unit_code": HAIDIAN, "reason": "r"}),
    ],
)
def test_only_supervisors_and_admins_take_supervisor_actions(
    api_url: str, engine: Engine, action: str, body: dict[str, str]
) -> None:
    number = _dispatched_case(api_url, engine)
    url = f"{api_url}/api/v1/cases/{number}/{action}"
    assert httpx.post(url, json=body, timeout=WAIT).status_code == 401
    for role, unit in (
        (StaffRole.dispatcher, None),
        (StaffRole.operator, None),
        (StaffRole.unit_handler, CHAOYANG),  # the unit holding the case
    ):
        refused = httpx.post(
            url, json=body, headers=staff_headers(api_url, engine, role, unit), timeout=WAIT
        )
        assert refused.status_code == 403, (role, refused.text)
    other_unit = staff_headers(api_url, engine, StaffRole.unit_handler, HAIDIAN)
    assert httpx.post(url, json=body, headers=other_unit, timeout=WAIT).status_code == 404
    assert [e.kind for e in events(engine, number)] == ["accepted", "dispatched"]
    admin = staff_headers(api_url, engine, StaffRole.admin)
    assert httpx.post(url, json=body, headers=admin, timeout=WAIT).status_code == 200


def test_a_dispatcher_sees_no_supervisor_forms_and_the_console_refuses_them(
    api_url: str, engine: Engine
) -> None:
    number = _dispatched_case(api_url, engine)
    with console_login(api_url, make_staff(engine, StaffRole.dispatcher)) as client:
        page = client.get(f"/console/cases/{number}").text
        assert 'id="supervisor-actions"' not in page
        refused = _act(client, number, "urge", note="n")
    assert refused.status_code == 403
    assert [e.kind for e in events(engine, number)] == ["accepted", "dispatched"]


@pytest.mark.parametrize(
    ("action", "body", "status"),
    [
        ("urge", {"note": "bad\x00note"}, 422),
        ("urge", {"note": "x" * 4001}, 422),
        ("urge", {}, 422),
        ("redispatch", {"unit_code": "../etc", "reason": "r"}, 422),
        ("redispatch", {"unit_code": "999999", "reason": "r"}, 409),
        ("redispatch", {"unit_code": HAIDIAN, "reason": "  "}, 409),
        ("supervise", {"note": ""}, 409),
    ],
)
def test_bad_supervisor_input_is_refused_and_changes_nothing(
    api_url: str, engine: Engine, action: str, body: dict[str, str], status: int
) -> None:
    number = _dispatched_case(api_url, engine)
    admin = staff_headers(api_url, engine, StaffRole.supervisor)
    answer = httpx.post(
        f"{api_url}/api/v1/cases/{number}/{action}", json=body, headers=admin, timeout=WAIT
    )
    assert answer.status_code == status, answer.text
    assert [e.kind for e in events(engine, number)] == ["accepted", "dispatched"]
    row = case_row(engine, number)
    assert (row.lead_unit_code, row.supervised) == (CHAOYANG, False)


def test_the_cli_supervises_urges_and_re_dispatches(
    api_url: str, engine: Engine, settings: Settings
) -> None:
    number = _dispatched_case(api_url, engine)
    boss = make_staff(engine, StaffRole.supervisor).username
    steps = [
        ("supervise", "--note", "三天未签收"),
        ("urge", "--note", "今天内联系市民"),
        ("redispatch", "--unit", HAIDIAN, "--reason", "地址在海淀"),
    ]
    for command, *options in steps:
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "cli.main", "case", command, number, *options, "--as", boss],
            cwd=ROOT,
            env={**hotline_env(settings), "COLUMNS": "250"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    assert [(e.kind, e.actor) for e in events(engine, number)][-3:] == [
        ("supervised", boss),
        ("urged", boss),
        ("redispatched", boss),
    ]
    assert case_row(engine, number).lead_unit_code == HAIDIAN
