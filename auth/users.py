"""Staff accounts: create, authenticate, change passwords, deactivate (keyword-only helpers)."""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from auth.passwords import MIN_PASSWORD_LENGTH, hash_password, needs_rehash, verify_password
from models.enums import StaffRole
from models.staff import StaffUser
from models.unit import Unit

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
# Verifying against a real hash when the user does not exist keeps the answer time the same,
# so a login form does not tell which usernames exist.
_DUMMY_HASH = hash_password("no-such-user-placeholder")


class StaffUserInvalid(ValueError):
    """A staff account that cannot be saved as given; nothing was written."""


def create_staff_user(
    *,
    session: Session,
    username: str,
    password: str,
    role: StaffRole,
    unit_code: str | None = None,
    display_name: str = "",
) -> StaffUser:
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise StaffUserInvalid(
            f"'{username}' is not a valid username: 2-64 of a-z 0-9 . _ -, starting with a "
            "letter or digit"
        )
    _check_password(password)
    if role == StaffRole.unit_handler and not unit_code:
        raise StaffUserInvalid("a unit handler needs a unit (--unit CODE)")
    if unit_code is not None and session.get(Unit, unit_code) is None:
        raise StaffUserInvalid(f"unknown unit '{unit_code}'")
    if get_staff_user(session=session, username=username) is not None:
        raise StaffUserInvalid(f"a staff user named '{username}' exists already")
    user = StaffUser(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        role=role,
        unit_code=unit_code,
    )
    session.add(user)
    session.flush()
    return user


def get_staff_user(*, session: Session, username: str) -> StaffUser | None:
    return session.exec(select(StaffUser).where(StaffUser.username == username)).first()


def get_active_staff_user(*, session: Session, username: str) -> StaffUser | None:
    user = get_staff_user(session=session, username=username)
    return user if user is not None and user.active else None


def authenticate(*, session: Session, username: str, password: str) -> StaffUser | None:
    """The active user with this password, else None (no hint which part was wrong)."""
    username = username.strip().lower()
    if not USERNAME.match(username):  # also keeps NUL and the like away from the database
        verify_password(_DUMMY_HASH, password)
        return None
    user = get_active_staff_user(session=session, username=username)
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
        session.commit()
    return user


def set_password(*, session: Session, username: str, password: str) -> StaffUser:
    """A new password ends every session and token issued with the old one."""
    user = _existing(session, username)
    _check_password(password)
    user.password_hash = hash_password(password)
    user.token_version += 1
    session.add(user)
    return user


def set_active(*, session: Session, username: str, active: bool) -> StaffUser:
    """Deactivating ends every session and token; reactivating does not bring them back."""
    user = _existing(session, username)
    if user.active and not active:
        user.token_version += 1
    user.active = active
    session.add(user)
    return user


def log_out_everywhere(*, session: Session, username: str) -> StaffUser:
    """End every console session and API token of the user (they log in again)."""
    user = _existing(session, username)
    user.token_version += 1
    session.add(user)
    return user


def list_staff_users(*, session: Session) -> list[StaffUser]:
    return list(session.exec(select(StaffUser).order_by(col(StaffUser.username))).all())


def _existing(session: Session, username: str) -> StaffUser:
    user = get_staff_user(session=session, username=username)
    if user is None:
        raise StaffUserInvalid(f"no staff user named '{username}'")
    return user


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffUserInvalid(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
