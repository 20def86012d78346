"""Connecting to Temporal with a bounded wait, so a missing server is an error, not a hang;
and the SDK runtime that exports the worker's Temporal metrics to Prometheus."""

from __future__ import annotations

import asyncio

from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from core.settings import Settings


class TemporalUnavailable(ConnectionError):
    def __init__(self, address: str, reason: str) -> None:
        super().__init__(address, reason)
        self.address = address
        self.reason = reason

    def __str__(self) -> str:
        return f"Temporal at {self.address} is not reachable: {self.reason}"


class TemporalMetricsUnavailable(RuntimeError):
    """HOTLINE_TEMPORAL_METRICS_ADDRESS cannot be served: taken, or not a host:port."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(address, reason)
        self.address = address
        self.reason = reason

    def __str__(self) -> str:
        return (
            f"cannot serve Temporal metrics on HOTLINE_TEMPORAL_METRICS_ADDRESS={self.address!r}: "
            f"{self.reason}; choose a free host:port (one per worker process) or set it empty"
        )


def metrics_runtime(address: str) -> Runtime | None:
    """A Temporal SDK runtime whose Prometheus exporter listens on `address` (the SDK's own
    metrics: workflow and activity task latencies, free slots, polls), or None when empty.
    The exporter binds at once, so a taken port fails here, before the worker starts."""
    if not address:
        return None
    try:
        return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address)))
    except ValueError as exc:  # the SDK's words: "Address already in use", "invalid ... syntax"
        raise TemporalMetricsUnavailable(address, str(exc)) from exc


async def connect_temporal(settings: Settings, *, runtime: Runtime | None = None) -> Client:
    """A client of HOTLINE_TEMPORAL_ADDRESS; `runtime` carries the metrics exporter, if any."""
    try:
        return await asyncio.wait_for(
            Client.connect(
                settings.temporal_address,
                namespace=settings.temporal_namespace,
                runtime=runtime,
            ),
            timeout=settings.temporal_connect_timeout_s,
        )
    except (TimeoutError, RuntimeError, OSError) as exc:
        reason = str(exc) or type(exc).__name__
        raise TemporalUnavailable(settings.temporal_address, reason) from exc
