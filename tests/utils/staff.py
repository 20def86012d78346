"""Staff users for tests: a fresh account per test, and its bearer token or console session."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from sqlalchemy.engine import Engine

from auth.users import create_staff_user
from core.db import session_scope
from models.enums import StaffRole

PASSWORD = "correct horse battery"
CHAOYANG = "110105"
HAIDIAN = "110108"


@dataclass(frozen=True)
class StaffAccount:
    username: str
    password: str
    role: StaffRole
    unit_code: str | None


def make_staff(engine: Engine, role: StaffRole, unit_code: str | None = None) -> StaffAccount:
    username = f"{role.value.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
    with session_scope(engine) as session:
        create_staff_user(
            session=session, username=username, password=PASSWORD, role=role, unit_code=unit_code
        )
    return StaffAccount(username, PASSWORD, role, unit_code)


def bearer(api_url: str, account: StaffAccount) -> dict[str, str]:
    response = httpx.post(
        f"{api_url}/api/v1/auth/token",
        data={"username": account.username, "password": account.password},
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def staff_headers(
    api_url: str, engine: Engine, role: StaffRole, unit_code: str | None = None
) -> dict[str, str]:
    return bearer(api_url, make_staff(engine, role, unit_code))


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


@contextmanager
def console_login(api_url: str, account: StaffAccount) -> Iterator[httpx.Client]:
    """An HTTP client holding a logged-in console session (cookies), as a browser would."""
    with httpx.Client(base_url=api_url, timeout=60) as client:
        token = csrf_of(client.get("/console/login").text)
        response = client.post(
            "/console/login",
            data={"username": account.username, "password": account.password, "csrf_token": token},
        )
        assert response.status_code == 303, response.text
        yield client
