"""`hotline case ...` acts as a real staff user under the API's role and unit rules, or as
`system:cli` only when the operator says so; a refused actor sends nothing to the workflow."""

from __future__ import annotations

import subprocess
import sys

import httpx
from sqlalchemy.engine import Engine

from core.settings import Settings
from models.enums import StaffRole
from tests.utils.cases import events
from tests.utils.factories import make_submission
from tests.utils.processes import ROOT, hotline_env
from tests.utils.staff import CHAOYANG, HAIDIAN, make_staff


def _case(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "cli.main", "case", *args],
        cwd=ROOT,
        env={**hotline_env(settings), "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _new_case(api_url: str) -> str:
    created = httpx.post(f"{api_url}/api/v1/requests", json=make_submission(), timeout=60)
    assert created.status_code == 201, created.text
    number: str = created.json()["number"]
    return number


def _said(done: subprocess.CompletedProcess[str]) -> str:
    return " ".join(done.stdout.split())


def test_an_unknown_or_inactive_user_is_refused_and_nothing_is_sent(
    api_url: str, engine: Engine, settings: Settings
) -> None:
    number = _new_case(api_url)
    done = _case(settings, "dispatch", number, "--unit", CHAOYANG, "--as", "nobody-at-all")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "refused: 'nobody-at-all' is not an active staff user" in _said(done)
    nobody = _case(settings, "dispatch", number, "--unit", CHAOYANG)
    assert nobody.returncode == 2
    assert "say who acts: --as USER (a staff user) or --as-system" in _said(nobody)
    assert [e.kind for e in events(engine, number)] == ["accepted"]


def test_a_role_the_action_is_not_for_is_refused(
    api_url: str, engine: Engine, settings: Settings
) -> None:
    number = _new_case(api_url)
    operator = make_staff(engine, StaffRole.operator).username
    done = _case(settings, "dispatch", number, "--unit", CHAOYANG, "--as", operator)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "refused: the operator role may not dispatch cases" in _said(done)
    assert [e.kind for e in events(engine, number)] == ["accepted"]


def test_a_handler_of_another_unit_is_refused_and_the_right_one_acts(
    api_url: str, engine: Engine, settings: Settings
) -> None:
    number = _new_case(api_url)
    dispatcher = make_staff(engine, StaffRole.dispatcher).username
    sent = _case(settings, "dispatch", number, "--unit", CHAOYANG, "--as", dispatcher)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    haidian = make_staff(engine, StaffRole.unit_handler, HAIDIAN).username
    other = _case(settings, "acknowledge", number, "--unit", CHAOYANG, "--as", haidian)
    assert other.returncode == 2, other.stdout + other.stderr
    assert f"refused: {haidian} cannot act on case {number}" in _said(other)
    chaoyang = make_staff(engine, StaffRole.unit_handler, CHAOYANG).username
    done = _case(settings, "acknowledge", number, "--as", chaoyang)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"case {number} is now acknowledged (by {chaoyang})" in _said(done)
    assert [(e.kind, e.actor) for e in events(engine, number)] == [
        ("accepted", "citizen"),
        ("dispatched", dispatcher),
        ("acknowledged", chaoyang),
    ]


def test_as_system_acts_and_says_so(api_url: str, engine: Engine, settings: Settings) -> None:
    number = _new_case(api_url)
    both = _case(settings, "dispatch", number, "--unit", CHAOYANG, "--as", "x", "--as-system")
    assert both.returncode == 2
    assert "give either --as USER or --as-system, not both" in _said(both)
    done = _case(settings, "dispatch", number, "--unit", CHAOYANG, "--as-system")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"case {number} is now dispatched (by system:cli)" in _said(done)
    assert events(engine, number)[-1].actor == "system:cli"


def test_bad_input_is_refused_before_the_workflow(
    api_url: str, engine: Engine, settings: Settings
) -> None:
    number = _new_case(api_url)
    admin = make_staff(engine, StaffRole.admin).username
    done = _case(settings, "dispatch", number, "--unit", "no such unit!", "--as", admin)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "refused: unit_code" in _said(done)
    assert [e.kind for e in events(engine, number)] == ["accepted"]
