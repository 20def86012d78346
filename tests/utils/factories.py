"""Builders for test inputs, so each test states only what matters to it."""

from __future__ import annotations

import uuid
from typing import Any

from intake.schemas import Contact, Intake
from models.enums import Channel


def unique_key() -> str:
    return uuid.uuid4().hex


def unique_phone() -> str:
    """A valid, unused mainland mobile number (E.164)."""
    return f"+86138{uuid.uuid4().int % 10**8:08d}"


def unique_email() -> str:
    """An e-mail address no other test uses (the `smtp_server` fixture is shared)."""
    return f"citizen-{uuid.uuid4().hex[:10]}@example.com"


def make_intake(**overrides: Any) -> Intake:
    values: dict[str, Any] = {
        "channel": Channel.web,
        "description": "小区门口的路灯坏了一个星期，晚上很黑。",
        "intake_key": unique_key(),
        "contact": Contact(phone=unique_phone()),
    }
    values.update(overrides)
    return Intake(**values)


def make_submission(**overrides: Any) -> dict[str, Any]:
    """A JSON body for `POST /api/v1/requests`: what a citizen or an integration may send."""
    values: dict[str, Any] = {
        "description": "小区门口的路灯坏了一个星期，晚上很黑。",
        "contact": {"phone": unique_phone()},
    }
    values.update(overrides)
    return values
