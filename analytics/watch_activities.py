"""The `check_spikes` activity: detect the day's spikes and queue an alert for each new one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine
from temporalio import activity

from analytics.periods import local_today
from analytics.spikes import SpikeRules, alert_spikes, detect_spikes
from analytics.watch import SpikeCheck, SpikeCheckResult
from core.clock import utcnow
from core.settings import Settings


class SpikeActivities:
    def __init__(
        self, *, engine: Engine, settings: Settings, queued: Callable[[], None] = lambda: None
    ) -> None:
        """`queued`: told when alerts were queued (the worker's outbox sender wakes up)."""
        self.engine = engine
        self.settings = settings
        self.queued = queued

    def all(self) -> list[Callable[..., Any]]:
        return [self.check_spikes]

    @activity.defn(name="check_spikes")
    async def check_spikes(self, request: SpikeCheck) -> SpikeCheckResult:
        tz = self.settings.timezone
        day = date.fromisoformat(request.day) if request.day else local_today(utcnow(), tz)
        # The alerts go to this worker's own queue: its senders deliver them.
        queue = activity.info().task_queue
        rules = SpikeRules.from_settings(self.settings)
        spikes = await asyncio.to_thread(
            lambda: detect_spikes(engine=self.engine, day=day, rules=rules, timezone=tz)
        )
        queued = await asyncio.to_thread(
            lambda: alert_spikes(engine=self.engine, spikes=spikes, queue=queue)
        )
        if queued:
            self.queued()
        return SpikeCheckResult(
            day=day.isoformat(),
            found=len(spikes),
            alerted=[f"{s.category_code}@{s.area_code}" for s in queued],
        )
