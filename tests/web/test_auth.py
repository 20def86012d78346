"""Passwords, signed tokens, login throttling and the role table, without servers."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from auth.passwords import hash_password, verify_password
from auth.roles import NotPermitted, StaffAction, acting_unit, can_see, may
from auth.throttle import LoginThrottle
from auth.tokens import (
    TokenKind,
    issue_api_token,
    new_session,
    read_api_token,
    read_session,
    sign,
    unsign,
)
from auth.users import StaffUserInvalid, authenticate, create_staff_user, set_active
from core.db import session_scope
from models import Case, StaffUser
from models.enums import Channel, StaffRole
from tests.utils.staff import CHAOYANG, HAIDIAN, PASSWORD, make_staff

SECRET = "test-secret-key"


def test_passwords_are_stored_as_argon2id_hashes_and_verified() -> None:
    stored = hash_password("s3cret-pass")
    assert stored.startswith("$argon2id$")
    assert "s3cret-pass" not in stored
    assert verify_password(stored, "s3cret-pass")
    assert not verify_password(stored, "s3cret-Pass")
    assert not verify_password("not-a-hash", "s3cret-pass")


def test_authenticate_accepts_the_right_password_only_and_never_a_deactivated_user(
    engine: Engine,
) -> None:
    account = make_staff(engine, StaffRole.dispatcher)
    with Session(engine) as session:
        assert authenticate(session=session, username=account.username, password=PASSWORD)
        assert authenticate(session=session, username=account.username, password="wrong") is None
        assert authenticate(session=session, username="nobody-here", password=PASSWORD) is None
    with session_scope(engine) as session:
        set_active(session=session, username=account.username, active=False)
    with Session(engine) as session:
        assert authenticate(session=session, username=account.username, password=PASSWORD) is None


@pytest.mark.parametrize(
    ("username", "password", "role", "unit", "message"),
    [
        ("Bad Name!", PASSWORD, StaffRole.operator, None, "is not a valid username"),
        ("short-pass", "1234567", StaffRole.operator, None, "at least 8 characters"),
        ("no-unit", PASSWORD, StaffRole.unit_handler, None, "a unit handler needs a unit"),
        ("ghost-unit", PASSWORD, StaffRole.unit_handler, "999999", "unknown unit '999999'"),
    ],
)
def test_invalid_staff_accounts_are_refused_with_the_reason(
    engine: Engine, username: str, password: str, role: StaffRole, unit: str | None, message: str
) -> None:
    with pytest.raises(StaffUserInvalid, match=message):
        with session_scope(engine) as session:
            create_staff_user(
                session=session, username=username, password=password, role=role, unit_code=unit
            )


def test_a_username_is_taken_once(engine: Engine) -> None:
    account = make_staff(engine, StaffRole.operator)
    with pytest.raises(StaffUserInvalid, match="exists already"):
        with session_scope(engine) as session:
            create_staff_user(
                session=session, username=account.username, password=PASSWORD, role=account.role
            )


def test_session_and_api_tokens_round_trip_and_cannot_stand_in_for_each_other() -> None:
    cookie, data = new_session(SECRET, "alice")
    assert read_session(SECRET, cookie, max_age_s=60) == data
    token = issue_api_token(SECRET, "alice")
    assert read_api_token(SECRET, token, max_age_s=60) == "alice"
    assert read_api_token(SECRET, cookie, max_age_s=60) is None
    assert read_session(SECRET, token, max_age_s=60) is None
    assert read_api_token("another-secret", token, max_age_s=60) is None
    assert read_api_token(SECRET, token[:-2] + "xx", max_age_s=60) is None


def test_tokens_expire() -> None:
    token = sign(SECRET, TokenKind.api, {"u": "alice"})
    time.sleep(1.1)  # itsdangerous counts whole seconds
    assert unsign(SECRET, TokenKind.api, token, max_age_s=0) is None
    assert unsign(SECRET, TokenKind.api, token, max_age_s=3600) == {"u": "alice"}


def test_login_throttle_locks_after_the_limit_and_opens_after_the_window() -> None:
    now = [1000.0]
    throttle = LoginThrottle(max_failures=3, window_s=60, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.retry_after("user:a", "addr:1") == 0
        throttle.failed("user:a", "addr:1")
    assert throttle.retry_after("user:a") == 61
    assert throttle.retry_after("user:b", "addr:1") == 61  # the address is locked too
    assert throttle.retry_after("user:b", "addr:2") == 0
    now[0] += 61
    assert throttle.retry_after("user:a", "addr:1") == 0


def test_a_success_clears_the_failures() -> None:
    throttle = LoginThrottle(max_failures=2, window_s=60)
    throttle.failed("user:a")
    throttle.succeeded("user:a")
    throttle.failed("user:a")
    assert throttle.retry_after("user:a") == 0


def _user(role: StaffRole, unit: str | None = None) -> StaffUser:
    return StaffUser(username="x", password_hash="-", role=role, unit_code=unit)


def test_each_role_may_take_its_own_actions_only() -> None:
    assert may(_user(StaffRole.dispatcher), StaffAction.dispatch)
    assert not may(_user(StaffRole.dispatcher), StaffAction.resolve)
    assert may(_user(StaffRole.unit_handler, CHAOYANG), StaffAction.resolve)
    assert not may(_user(StaffRole.unit_handler, CHAOYANG), StaffAction.dispatch)
    assert may(_user(StaffRole.supervisor), StaffAction.decide_extension)
    assert not may(_user(StaffRole.operator), StaffAction.decide_extension)
    assert all(may(_user(StaffRole.admin), action) for action in StaffAction)


def test_a_unit_handler_sees_and_acts_for_their_own_unit_only() -> None:
    handler = _user(StaffRole.unit_handler, CHAOYANG)
    theirs = Case(number="1", channel=Channel.web, description="x", lead_unit_code=CHAOYANG)
    other = Case(number="2", channel=Channel.web, description="x", lead_unit_code=HAIDIAN)
    assert can_see(handler, theirs)
    assert not can_see(handler, other)
    assert can_see(_user(StaffRole.supervisor), other)
    assert acting_unit(handler, theirs, None) == CHAOYANG
    with pytest.raises(NotPermitted, match=f"you act for unit {CHAOYANG} only, not {HAIDIAN}"):
        acting_unit(handler, theirs, HAIDIAN)
    assert acting_unit(_user(StaffRole.admin), other, None) == HAIDIAN
