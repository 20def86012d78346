"""Timezone-aware time for code outside workflows (workflows use `workflow.now()`).

Services take a `Clock` argument so tests can pin the date a case number is allocated on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)
