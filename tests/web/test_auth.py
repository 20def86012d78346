"""Passwords, signed tokens, login throttling and the role table, without servers."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from auth.passwords import hash_password, verify_password
from auth.roles import NotPermitted, StaffAction, acting_unit, can_see, may
from auth.throttle import Limit, Throttle
from auth.tokens import (
    TokenKind,
    TokenOwner,
    issue_api_token,
    new_session,
    read_api_token,
    read_session,
    sign,
    unsign,
)
from auth.users import StaffUserInvalid, authenticate, create_staff_user, set_active
from channels.rate_limit import MemoryStore
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
    cookie, data = new_session(SECRET, "alice", 3)
    assert read_session(SECRET, cookie, max_age_s=60) == data
    assert data.owner == TokenOwner("alice", 3)
    token = issue_api_token(SECRET, "alice", 3)
    assert read_api_token(SECRET, token, max_age_s=60) == TokenOwner("alice", 3)
    assert read_api_token(SECRET, cookie, max_age_s=60) is None
    assert read_session(SECRET, token, max_age_s=60) is None
    assert read_api_token("another-secret", token, max_age_s=60) is None
    assert read_api_token(SECRET, token[:-2] + "xx", max_age_s=60) is None


def test_a_token_without_a_version_names_nobody() -> None:
    """Tokens signed before versions existed are refused: their holders log in again."""
    assert read_api_token(SECRET, sign(SECRET, TokenKind.api, {"u": "alice"}), max_age_s=60) is None


def test_tokens_expire() -> None:
    token = sign(SECRET, TokenKind.api, {"u": "alice"})
    time.sleep(1.1)  # itsdangerous counts whole seconds
    assert unsign(SECRET, TokenKind.api, token, max_age_s=0) is None
    assert unsign(SECRET, TokenKind.api, token, max_age_s=3600) == {"u": "alice"}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_login_throttle_locks_a_pair_or_an_address_until_the_window_ends() -> None:
    clock = Clock()
    throttle = Throttle(store=MemoryStore(), window_s=60, clock=clock)
    pair, address = Limit("login", "1 a", 3), Limit("login-address", "1", 5)
    for _ in range(3):
        assert throttle.retry_after(pair, address) == 0
        throttle.failed(pair, address)
    assert throttle.retry_after(pair, address) == 60
    other = Limit("login", "1 b", 3)
    assert throttle.retry_after(other, address) == 0  # another name from there: 2 tries left
    throttle.failed(other, address)
    throttle.failed(other, address)
    assert throttle.retry_after(other, address) == 60  # now the address is locked too
    assert throttle.retry_after(Limit("login", "2 a", 3), Limit("login-address", "2", 5)) == 0
    clock.now += timedelta(seconds=45)
    assert throttle.retry_after(pair, address) == 15
    clock.now += timedelta(seconds=15)
    assert throttle.retry_after(pair, address) == 0


def test_a_success_clears_the_pairs_failures_but_not_the_addresss() -> None:
    throttle = Throttle(store=MemoryStore(), window_s=60, clock=Clock())
    pair, address = Limit("login", "1 a", 2), Limit("login-address", "1", 2)
    throttle.failed(pair, address)
    throttle.succeeded(pair)
    assert throttle.retry_after(pair) == 0
    throttle.failed(pair, address)
    assert throttle.retry_after(pair) == 0
    assert throttle.retry_after(address) == 60


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
