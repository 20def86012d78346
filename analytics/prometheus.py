"""Operations metrics for Prometheus: the metric objects other parts observe into, and the
figures read from the database at scrape time.

Import the objects from here (one definition per process); the ones light parts observe
(HTTP requests, speech latency) live in `core.metrics`:

    from analytics.prometheus import REPORT_BUILDS
    REPORT_BUILDS.labels(kind="monthly").inc()

Intake, queue depth and breaches are not counted in memory: every API replica would count
only its own requests and forget them on restart. `DatabaseCollector` reads them from the
cases and the case events when Prometheus scrapes (cached a few seconds), so every replica
answers the same and `rate(hotline_cases_accepted_total[5m])` is the intake rate.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from analytics.sql import columns
from models import Case, CaseEvent
from workflows.types import TERMINAL

REPORT_BUILDS = Counter(
    "hotline_report_builds",
    "Reports built from the database (not served from the report cache), per period kind.",
    ["kind"],
)

cases = columns(Case)
events = columns(CaseEvent)

CACHE_SECONDS = 5.0


class DatabaseCollector(Collector):
    """Case figures from the database, at most one set of queries per `CACHE_SECONDS`."""

    def __init__(self, engine: Engine, cache_seconds: float = CACHE_SECONDS) -> None:
        self.engine = engine
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Metric]] | None = None

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] > self.cache_seconds:
                self._cached = (now, self._read())
            return iter(self._cached[1])

    def _read(self) -> list[Metric]:
        accepted = CounterMetricFamily(
            "hotline_cases_accepted", "Cases accepted, per channel.", labels=["channel"]
        )
        queue = GaugeMetricFamily(
            "hotline_cases_open", "Open cases (the queues), per status.", labels=["status"]
        )
        supervised = GaugeMetricFamily(
            "hotline_cases_supervised_open", "Open cases flagged 督办 after a missed deadline."
        )
        breaches = CounterMetricFamily(
            "hotline_deadline_breaches", "Missed deadlines, per deadline.", labels=["deadline"]
        )
        deadline = events.payload["deadline"].as_string()
        open_ = cases.status.not_in([s.value for s in TERMINAL])
        with self.engine.connect() as connection:
            for channel, n in connection.execute(
                select(cases.channel, func.count()).group_by(cases.channel)
            ):
                accepted.add_metric([str(channel)], n)
            for status, n in connection.execute(
                select(cases.status, func.count()).where(open_).group_by(cases.status)
            ):
                queue.add_metric([str(status)], n)
            supervised.add_metric(
                [],
                connection.execute(
                    select(func.count()).where(open_, cases.supervised.is_(True))
                ).scalar_one(),
            )
            for name, n in connection.execute(
                select(deadline, func.count()).where(events.kind == "sla_breach").group_by(deadline)
            ):
                breaches.add_metric([str(name)], n)
        return [accepted, queue, supervised, breaches]


def database_registry(engine: Engine) -> CollectorRegistry:
    """A registry of its own for the database figures, beside the process-wide default one."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(engine))
    return registry
