"""The admin audit log: one row per change an admin makes (staff, units, catalog, holidays).

A row is written in the same transaction as the change it records, so the log never claims a
change that was rolled back nor misses one that was committed. It holds what changed, before
and after, as JSON of the changed fields only; secrets (passwords and their hashes) are never
written: a password reset is recorded as the fact that it happened.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, String
from sqlmodel import Field, Session, SQLModel, col, func, select

from core.clock import utcnow
from models.types import UTCDateTime

# Never written to the log, whatever a caller passes.
SECRET_FIELDS = frozenset({"password", "password_hash", "token_version"})


class AdminEntity(StrEnum):
    staff = "staff"
    unit = "unit"
    category = "category"
    holiday = "holiday"


class AdminAction(StrEnum):
    added = "added"
    updated = "updated"
    disabled = "disabled"
    enabled = "enabled"
    password_reset = "password_reset"
    deleted = "deleted"


class AdminChange(SQLModel, table=True):
    __tablename__ = "admin_changes"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=64)  # the admin's username, or "cli:hotline" (`hotline staff`)
    entity: str = Field(sa_type=String(16), index=True)  # an AdminEntity
    key: str = Field(max_length=64)  # username, unit code, category code or date
    action: str = Field(sa_type=String(24))  # an AdminAction
    before: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    after: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


def _plain(value: Any) -> Any:
    """A JSON-safe copy of a field's value (dates as ISO text, enums as their value)."""
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def changed_fields(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields whose value differs, secrets left out (an added entity: all of after)."""
    keys = [k for k in {**before, **after} if k not in SECRET_FIELDS]
    differ = [k for k in keys if _plain(before.get(k)) != _plain(after.get(k))]
    return (
        {k: _plain(before[k]) for k in differ if k in before},
        {k: _plain(after[k]) for k in differ if k in after},
    )


def record_change(
    *,
    session: Session,
    actor: str,
    entity: AdminEntity,
    key: str,
    action: AdminAction,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AdminChange:
    """Add the row to the caller's session (committed, or rolled back, with the change)."""
    old, new = changed_fields(before or {}, after or {})
    change = AdminChange(
        actor=actor,
        entity=entity.value,
        key=key,
        action=action.value,
        before=old,
        after=new,
        at=utcnow(),
    )
    session.add(change)
    return change


def list_changes(*, session: Session, offset: int, limit: int) -> tuple[list[AdminChange], int]:
    """A page of the log, newest first, and how many rows it has in all."""
    total = session.exec(select(func.count()).select_from(AdminChange)).one()
    rows = session.exec(
        select(AdminChange)
        .order_by(col(AdminChange.at).desc(), col(AdminChange.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), int(total)
