"""Staff accounts: a unit handler always belongs to a unit, enforced by the database."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from core.db import session_scope
from models import StaffUser
from models.enums import StaffRole


def _user(role: StaffRole, unit_code: str | None) -> StaffUser:
    return StaffUser(
        username=f"u-{uuid.uuid4().hex[:8]}",
        password_hash="scrypt$placeholder",
        role=role,
        unit_code=unit_code,
    )


def test_unit_handler_without_a_unit_is_refused(engine: Engine) -> None:
    with pytest.raises(IntegrityError, match="ck_unit_handler_has_unit"):
        with session_scope(engine) as session:
            session.add(_user(StaffRole.unit_handler, None))


def test_unit_handler_bound_to_a_unit_and_a_dispatcher_without_one_are_stored(
    engine: Engine,
) -> None:
    with session_scope(engine) as session:
        session.add(_user(StaffRole.unit_handler, "110105"))
        session.add(_user(StaffRole.dispatcher, None))
