"""`hotline report`: daily, weekly and monthly reports, rankings, spike alerts and the
rankings' facts."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path

import typer
from rich.console import Console

from analytics.dimensions import RANKED, Dimension
from analytics.periods import Period, PeriodError, PeriodKind, local_today, resolve_period
from core.clock import utcnow

app = typer.Typer(
    help="Governance analytics: reports, rankings, spike alerts.", no_args_is_help=True
)
console = Console()

DATE_HELP = "A day in the period (YYYY-MM-DD); default: the last complete period."
OUT_HELP = "Where to write (default: HOTLINE_REPORTS_DIR or var/reports)."


@app.command()
def daily(
    day: str | None = typer.Option(None, "--date", help=DATE_HELP),
    out: Path | None = typer.Option(None, "--out", help=OUT_HELP, file_okay=False),
) -> None:
    """日报: one day's report as HTML, PDF, XLSX and CSV."""
    _report(PeriodKind.daily, day, out)


@app.command()
def weekly(
    day: str | None = typer.Option(None, "--date", help=DATE_HELP),
    out: Path | None = typer.Option(None, "--out", help=OUT_HELP, file_okay=False),
) -> None:
    """周报: one week's (Monday to Sunday) report as HTML, PDF, XLSX and CSV."""
    _report(PeriodKind.weekly, day, out)


@app.command()
def monthly(
    day: str | None = typer.Option(None, "--date", help=DATE_HELP),
    out: Path | None = typer.Option(None, "--out", help=OUT_HELP, file_okay=False),
) -> None:
    """月报: one calendar month's report as HTML, PDF, XLSX and CSV."""
    _report(PeriodKind.monthly, day, out)


@app.command("ranking")
def ranking_(
    dimension: Dimension = typer.Argument(Dimension.district, help="district, street, department"),
    period: PeriodKind = typer.Option(PeriodKind.monthly, help="daily, weekly or monthly"),
    day: str | None = typer.Option(None, "--date", help=DATE_HELP),
) -> None:
    """排名: units by composite score for a period, printed."""
    from rich.table import Table

    from analytics.metrics import Weights, ranking
    from core.db import get_engine
    from core.settings import get_settings

    if dimension not in RANKED:
        console.print(f"[red]rankings are by {', '.join(d.value for d in RANKED)}[/]")
        raise typer.Exit(2)
    settings = get_settings()
    chosen = _period(period, day)
    groups = ranking(
        engine=get_engine(settings.database_url),
        period=chosen,
        dimension=dimension,
        weights=Weights.from_settings(settings),
    )
    table = Table(title=f"{dimension.value} ranking {chosen.label}")
    for column in ("#", "code", "name", "evaluated", "response", "resolution", "satisfied"):
        table.add_column(column)
    table.add_column("score", justify="right")
    for g in groups:
        table.add_row(
            str(g.rank),
            g.key,
            g.name,
            str(g.evaluated),
            _pct(g.response_rate),
            _pct(g.resolution_rate),
            _pct(g.satisfaction_rate),
            f"{g.score:.2f}" if g.score is not None else "—",
        )
    console.print(table)


@app.command()
def spikes(
    day: str | None = typer.Option(None, "--date", help="The day to check (default: today)."),
    notify: bool = typer.Option(False, help="Alert each new spike's unit (once per spike)."),
) -> None:
    """未诉先办: today's (or a day's) spikes by category and district; --notify alerts units."""
    from analytics.service import run_spike_alerts
    from analytics.spikes import SpikeRules, detect_spikes
    from core.db import get_engine
    from core.settings import get_settings

    settings = get_settings()
    engine = get_engine(settings.database_url)
    checked = _parse_date(day) if day else local_today(utcnow(), settings.timezone)
    if notify:  # queued in the outbox: the case workers' senders deliver them to the inboxes
        found, sent = run_spike_alerts(
            engine=engine, settings=settings, day=checked, queue=settings.temporal_task_queue
        )
    else:
        rules = SpikeRules.from_settings(settings)
        found = detect_spikes(engine=engine, day=checked, rules=rules, timezone=settings.timezone)
        sent = []
    if not found:
        console.print(f"no spikes on {checked}")
        return
    alerted = {(s.category_code, s.area_code) for s in sent}
    for s in found:
        mark = " [green](alerted)[/]" if (s.category_code, s.area_code) in alerted else ""
        console.print(
            f"{s.day} {s.area_name} {s.category_name}: {s.count} cases, usual {s.baseline:g} "
            f"(×{s.ratio:.1f}, p={s.p_value:.1e}) → {s.unit_code}{mark}"
        )


@app.command()
def watch(
    every: int | None = typer.Option(
        None,
        min=5,
        help="Minutes between two spike checks (default: HOTLINE_SPIKE_WATCH_EVERY_MIN).",
    ),
    off: bool = typer.Option(False, "--off", help="Remove the schedule."),
) -> None:
    """Schedule the spike check on Temporal: the workers alert new spikes every N minutes.

    Workers create the schedule themselves at start (HOTLINE_SPIKE_WATCH, on by default);
    --off removes it until the next worker start (set HOTLINE_SPIKE_WATCH=false to keep it off).
    """
    from datetime import timedelta

    from analytics.watch import SCHEDULE_ID, schedule_spike_watch, unschedule_spike_watch
    from core.settings import get_settings
    from core.temporal import TemporalUnavailable, connect_temporal

    settings = get_settings()
    minutes = every or settings.spike_watch_every_min

    async def _schedule() -> bool:
        client = await connect_temporal(settings)
        if off:
            return await unschedule_spike_watch(client)
        await schedule_spike_watch(
            client, task_queue=settings.temporal_task_queue, every=timedelta(minutes=minutes)
        )
        return True

    try:
        done = asyncio.run(_schedule())
    except TemporalUnavailable as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    if not off:
        console.print(
            f"schedule {SCHEDULE_ID}: spike check every {minutes} min on the case workers"
        )
    elif not done:
        console.print(f"no schedule {SCHEDULE_ID} to remove: the spike watch was already off")
    else:
        console.print(f"schedule {SCHEDULE_ID} removed: no more spike checks")
        if settings.spike_watch:
            console.print(
                "the case workers create it again when they start: set HOTLINE_SPIKE_WATCH=false "
                "to keep it off"
            )


@app.command("rebuild-facts")
def rebuild_facts_(
    since: str | None = typer.Option(
        None, help="Only cases with an event since this local day (YYYY-MM-DD); default: all."
    ),
    batch: int = typer.Option(10_000, help="Cases recomputed per transaction."),
) -> None:
    """Recompute the rankings' per-case facts from the events; run once after upgrading."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from analytics.facts import count_cases, rebuild_facts
    from core.db import get_engine
    from core.settings import get_settings

    if batch < 1:
        console.print(f"[red]--batch must be at least 1, not {batch}[/]")
        raise typer.Exit(2)
    settings = get_settings()
    start = _local_midnight(_parse_date(since, "--since"), settings.timezone) if since else None
    engine = get_engine(settings.database_url)
    total = count_cases(engine)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} cases"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("rebuilding facts", total=total)
        done = rebuild_facts(
            engine=engine,
            since=start,
            batch=batch,
            progress=lambda n: progress.update(task, advance=n),
        )
    scope = f"with an event since {since}" if since else "all"
    console.print(f"facts rebuilt: {done:,} cases looked at ({scope})")


def _local_midnight(day: date, timezone: str) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(timezone))


def _report(kind: PeriodKind, day: str | None, out: Path | None) -> None:
    # Charts, clustering and spreadsheets load only when a report is made.
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from analytics.service import STEPS, make_report
    from core.db import get_engine
    from core.settings import get_settings

    settings = get_settings()
    period = _period(kind, day)
    engine = get_engine(settings.database_url)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"{kind.value} {period.label}", total=STEPS + 1)

        def step(name: str) -> None:
            progress.update(task, advance=1, description=f"{period.label}: {name}")

        report, files = make_report(
            engine=engine, settings=settings, period=period, out_dir=out, progress=step
        )
        progress.update(task, completed=STEPS + 1)
    o = report.overall
    console.print(
        f"{kind.value} report {period.label}: {report.accepted:,} cases accepted, "
        f"{o.evaluated:,} evaluated; response {_pct(o.response_rate)}, resolution "
        f"{_pct(o.resolution_rate)}, satisfaction {_pct(o.satisfaction_rate)}"
    )
    console.print(f"written to {files.directory}:")
    for path in (files.html, files.pdf, files.xlsx, *files.csv):
        console.print(f"  {path.name}", highlight=False)


def _period(kind: PeriodKind, day: str | None) -> Period:
    from core.settings import get_settings

    settings = get_settings()
    try:
        return resolve_period(kind, _parse_date(day) if day else None, settings.timezone)
    except PeriodError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc


def _parse_date(text: str, option: str = "--date") -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError as exc:
        console.print(f"[red]{option} must be YYYY-MM-DD, not {text!r}[/]")
        raise typer.Exit(2) from exc


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"
