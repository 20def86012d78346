"""Build a known history straight through the models: cases and their timelines, no workflow.

Times are given in Beijing local time, as a citizen and the city's reports read them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from analytics.facts import record_facts, refresh_case_keys
from core.db import session_scope
from models import Case, CaseEvent
from models.enums import Channel

BEIJING = ZoneInfo("Asia/Shanghai")
_numbers = itertools.count(1)


def local(text: str) -> datetime:
    """'2026-10-05 09:00' in Beijing, as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING)


@dataclass
class Step:
    kind: str
    hours: float  # after the case was accepted
    payload: dict[str, str] = field(default_factory=dict)
    # Case columns the transition writes before its event, as the activity's `_apply` does
    # (a re-dispatch's lead unit and place, a corrected category).
    changes: dict[str, str | None] = field(default_factory=dict)


def answered(hours: float, contacted: bool, resolved: bool, satisfaction: str) -> Step:
    return Step(
        "survey_answered",
        hours,
        {
            "contacted": str(contacted).lower(),
            "resolved": str(resolved).lower(),
            "satisfaction": satisfaction,
        },
    )


def handled(unit: str, resolved_after: float) -> list[Step]:
    """Dispatched, acknowledged, responded and resolved by `unit`."""
    return [
        Step("dispatched", 1, {"unit": unit}),
        Step("acknowledged", 2),
        Step("responded", 3),
        Step("resolved", resolved_after),
    ]


def add_case(
    engine: Engine,
    *,
    at: datetime,
    steps: list[Step] | None = None,
    channel: Channel = Channel.voice,
    district: str | None = None,
    street: str | None = None,
    unit: str | None = None,
    category: str | None = None,
    description: str = "诉求",
    **extra: Any,
) -> str:
    number = f"{at:%Y%m%d}-{next(_numbers):06d}"
    with session_scope(engine) as session:
        case = Case(
            number=number,
            channel=channel,
            description=description,
            district_code=district,
            street_code=street,
            lead_unit_code=unit,
            category_code=category,
            created_at=at,
            updated_at=at,
            **extra,
        )
        session.add(case)
        session.flush()
        assert case.id is not None
        refresh_case_keys(session, case)  # as intake does, before any event
        for step in [Step("accepted", 0), *(steps or [])]:
            for name, value in step.changes.items():
                setattr(case, name, value)
            session.add(case)
            event = CaseEvent(
                case_id=case.id,
                kind=step.kind,
                actor="test",
                payload=step.payload,
                created_at=at + timedelta(hours=step.hours),
            )
            session.add(event)
            session.flush()  # one id after another, in the order given
            record_facts(session, case=case, event=event)  # as the activity does
    return number
