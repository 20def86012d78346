"""`hotline staff`: accounts made from a terminal can log in; bad accounts are refused."""

from __future__ import annotations

import subprocess
import sys
import uuid

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from auth.users import authenticate, get_staff_user
from core.settings import Settings
from models.admin_audit import AdminChange
from models.enums import StaffRole
from tests.utils.processes import ROOT, hotline_env
from tests.utils.staff import CHAOYANG


def _staff(settings: Settings, *args: str, password: str = "") -> subprocess.CompletedProcess[str]:
    env = hotline_env(settings)
    if password:
        env["HOTLINE_STAFF_PASSWORD"] = password
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "cli.main", "staff", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_staff_add_creates_a_user_who_can_log_in(settings: Settings, engine: Engine) -> None:
    username = f"handler-{uuid.uuid4().hex[:6]}"
    done = _staff(
        settings,
        "add",
        username,
        "--role",
        "unit_handler",
        "--unit",
        CHAOYANG,
        password="a long secret",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"added staff user {username} (unit_handler, unit {CHAOYANG})" in done.stdout
    with Session(engine) as session:
        user = authenticate(session=session, username=username, password="a long secret")
        assert user is not None and user.role == StaffRole.unit_handler
    assert _staff(settings, "deactivate", username).returncode == 0
    with Session(engine) as session:
        stored = get_staff_user(session=session, username=username)
        assert stored is not None and not stored.active
        logged = session.exec(select(AdminChange).where(AdminChange.key == username)).all()
    # The CLI and the console share one path: the same checks, the same audit rows.
    assert [(c.actor, c.action) for c in logged] == [
        ("cli:hotline", "added"),
        ("cli:hotline", "disabled"),
    ]
    assert "a long secret" not in str([c.after for c in logged])


def test_staff_add_refuses_a_unit_handler_without_a_unit(settings: Settings) -> None:
    done = _staff(settings, "add", "lonely", "--role", "unit_handler", password="a long secret")
    assert done.returncode == 1
    assert "a unit handler needs a unit" in done.stdout.lower()
