"""SLA badges: how long is left (or how late it is) for each deadline a case is running against,
in words in the staff member's language, with the local due time as a hint; never a timestamp.

Which deadlines run follows the case's state: the unit must acknowledge a dispatched case
(签收), contact the citizen before it works on it (响应: dispatched or acknowledged), and
resolve it while it handles it (办结: every unit-handling state).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.i18n import S_, Domain
from models.case import Case
from models.enums import CaseStatus, Language
from web.i18n import text
from workflows.types import UNIT_HANDLING

SOON = timedelta(hours=2)
_RUNNING: tuple[tuple[str, str, frozenset[CaseStatus]], ...] = (
    (S_("Acknowledge"), "acknowledge_due_at", frozenset({CaseStatus.dispatched})),
    (
        S_("Respond"),
        "respond_due_at",
        frozenset({CaseStatus.dispatched, CaseStatus.acknowledged}),
    ),
    (S_("Resolve"), "resolve_due_at", UNIT_HANDLING),
)


@dataclass(frozen=True)
class Badge:
    label: str  # "Acknowledge"
    words: str  # "2 h 5 min left" / "overdue by 1 d 3 h"
    due: str  # the local due time, "11-30 18:00"
    state: str  # ok | soon | late (the badge's colour)


def sla_badges(case: Case, now: datetime, zone: ZoneInfo, language: Language) -> list[Badge]:
    badges = []
    for label, attribute, states in _RUNNING:
        due: datetime | None = getattr(case, attribute)
        if due is None or CaseStatus(case.status) not in states:
            continue
        left = due - now
        if left < timedelta(0):
            words = text(
                language,
                Domain.staff,
                S_("overdue by {time}"),
                time=duration_words(-left, language),
            )
            state = "late"
        else:
            words = text(
                language, Domain.staff, S_("{time} left"), time=duration_words(left, language)
            )
            state = "soon" if left < SOON else "ok"
        badges.append(
            Badge(
                label=text(language, Domain.staff, label),
                words=words,
                due=due.astimezone(zone).strftime("%m-%d %H:%M"),
                state=state,
            )
        )
    return badges


def duration_words(span: timedelta, language: Language) -> str:
    """Two units at most ("3 d 4 h", "4 h 10 min", "10 min"): enough to act on."""
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return text(language, Domain.staff, S_("{days} d {hours} h"), days=days, hours=hours)
    if hours:
        return text(
            language, Domain.staff, S_("{hours} h {minutes} min"), hours=hours, minutes=minutes
        )
    return text(language, Domain.staff, S_("{minutes} min"), minutes=minutes)
