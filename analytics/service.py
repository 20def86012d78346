"""What the CLI and the API ask of analytics: where reports go, making one, running the alerts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine

from analytics.periods import Period
from analytics.render import WRITE_STEPS, ReportFiles, write_report
from analytics.reports import BUILD_STEPS, Report, build_report
from analytics.spikes import Spike, SpikeRules, alert_spikes, detect_spikes
from core.settings import Settings

STEPS = BUILD_STEPS + WRITE_STEPS  # progress callbacks made by make_report


def reports_root(settings: Settings) -> Path:
    return settings.reports_dir or settings.var_dir / "reports"


def report_directory(root: Path, period: Period) -> Path:
    return root / f"{period.kind.value}-{period.label}"


def make_report(
    *,
    engine: Engine,
    settings: Settings,
    period: Period,
    out_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Report, ReportFiles]:
    """Build the report and write every format into `<out_dir>/<kind>-<label>/`.

    `progress` is called with the name of each of the `STEPS` steps as it starts.
    """
    report = build_report(engine=engine, settings=settings, period=period, progress=progress)
    directory = report_directory(out_dir or reports_root(settings), period)
    return report, write_report(report, directory, progress)


def run_spike_alerts(
    *, engine: Engine, settings: Settings, day: date, queue: str
) -> tuple[list[Spike], list[Spike]]:
    """Detect the day's spikes and queue an alert for each one not alerted before, for the
    outbox senders of task queue `queue`: (found, queued now)."""
    spikes = detect_spikes(
        engine=engine,
        day=day,
        rules=SpikeRules.from_settings(settings),
        timezone=settings.timezone,
    )
    return spikes, alert_spikes(engine=engine, spikes=spikes, queue=queue)
