"""The monthly report in figures: how long `hotline report monthly` takes over a million cases.

Why it exists: the monthly report (月通报) gathers every ranking, the units table, the heat
map, the hot topics and the spikes of a month, and writes it as HTML, PDF, XLSX and CSV.
Beijing's line takes well over a million requests a month; this prints how long each step
takes at that size, with the load average (the machine is shared). It never passes or fails.

What it does, all on a database of its own that it drops at the end:
1. creates `hotline_bench_<hex>`, migrates it to head and seeds the units and catalog;
2. generates the month's cases and timelines with `bench.analytics`'s SQL (generate_series
   inside the server), then gives each case a citizen's text: a real message from the
   labelled complaint sets in /work/shared/data/dispatch (Teddy Cup 2020 in Chinese; 1 in 20
   from the English FixMyStreet and SeeClickFix sets), cut to 120 characters and ended with a
   house number, so no two texts are the same (`--data` names another folder; without the
   files, templated sentences);
   The case search index (`ix_cases_search_bigrams`) is dropped first: the report never
   uses it, and keeping it up to date multiplies the time to load the texts;
3. builds and writes the monthly report exactly as the CLI does (`analytics.service.make_report`)
   with a progress bar, `--repeat` times, and prints each step's time.

Run from the project root:

    .venv/bin/python -m bench.report                    # 1,000,000 cases in one month
    .venv/bin/python -m bench.report --cases 200000     # a quicker look
    .venv/bin/python -m bench.report --database URL     # again, on a database kept by --keep
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from analytics.facts import rebuild_facts
from analytics.periods import Period, PeriodKind, period_for
from analytics.service import STEPS, make_report
from bench.analytics import CASES_SQL, EVENTS_SQL, LOOKUPS_SQL
from bench.scratch_db import scratch_database
from core.db import make_engine
from core.settings import Settings
from models import migrate
from models.seed import seed

console = Console()
TIMEZONE = "Asia/Shanghai"
DATA = Path("/work/shared/data/dispatch")
TEXT_CHARS = 120
SEARCH_INDEX = "ix_cases_search_bigrams"
ENGLISH_EVERY = 20  # one case in 20 on the English line
TEMPLATES = [
    "{place}的暖气不热，家里只有十五度，老人孩子都冻得受不了",
    "{place}楼下广场舞音响声音太大，每天晚上吵到十点，噪音扰民",
    "{place}门口消防通道被违停车辆堵住，救护车进不来",
    "{place}路灯坏了好几天，晚上路过很黑，存在安全隐患",
    "{place}小区垃圾清运不及时，垃圾桶满了也没人管，味道很大",
    "{place}施工工地夜间施工噪音很大，影响休息",
    "{place}自来水水压太低，高层住户用不上水",
    "{place}有商户占道经营，人行道走不了人",
]
ENGLISH_TEMPLATES = [
    "The street light outside {place} has been out for a week",
    "Cars parked on the fire lane block the gate of {place}",
    "Rubbish has not been collected at {place} for days",
]

UPDATE_TEXTS_SQL = """
UPDATE cases c SET description = t.body || ' ' || (c.id % 997 + 1)::text || '号',
       language = CASE WHEN t.english THEN 'en' ELSE 'zh' END
FROM b_text t
WHERE t.english = (c.id % :every = 0)
  AND t.i = c.id::bigint * 7907 % CASE WHEN c.id % :every = 0 THEN :n_en ELSE :n_zh END
  AND c.id BETWEEN :low AND :high
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--month", default="2026-10", help="the month reported (YYYY-MM)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--data", type=Path, default=DATA, help="folder of the complaint CSVs")
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--keep", action="store_true", help="keep the database (and say where)")
    parser.add_argument(
        "--database", help="time the report on a database kept by an earlier --keep run"
    )
    args = parser.parse_args()
    year, month = (int(part) for part in args.month.split("-"))
    period = period_for(PeriodKind.monthly, date(year, month, 1), TIMEZONE)
    if args.database:
        time_reports(args.database, period, args.repeat)
        return
    with scratch_database(args.server, keep=args.keep, console=console) as url:
        engine = make_engine(url)
        try:
            generate(engine, url, period, args.cases, args.data)
        finally:
            engine.dispose()
        time_reports(url, period, args.repeat)


def time_reports(url: str, period: Period, repeat: int) -> None:
    engine = make_engine(url)
    try:
        for run in range(1, repeat + 1):
            time_report(engine, url, period, run)
    finally:
        engine.dispose()


def generate(engine: Engine, url: str, period: Period, n: int, data: Path) -> None:
    with console.status("migrating and seeding"):
        migrate.upgrade(url)
        seed(engine=engine)
    started = time.perf_counter()
    with console.status(f"generating {n:,} cases"), engine.begin() as connection:
        # The full-text search index costs a bigram cut per text written and is no part of
        # the report: without it, a million texts load in minutes, not an hour.
        connection.execute(text(f"DROP INDEX IF EXISTS {SEARCH_INDEX}"))
        for statement in LOOKUPS_SQL:
            connection.execute(text(statement))
        connection.execute(text(CASES_SQL), {"n": n, "start": period.start, "end": period.end})
        n_zh, n_en = load_texts(connection, data)
    chunk = 200_000
    for low in range(1, n + 1, chunk):
        bounds = {"low": low, "high": low + chunk - 1}
        with console.status(f"texts and timelines: cases {low:,}…{low + chunk - 1:,}"):
            with engine.begin() as connection:
                connection.execute(
                    text(UPDATE_TEXTS_SQL),
                    {**bounds, "every": ENGLISH_EVERY, "n_zh": n_zh, "n_en": n_en},
                )
                connection.execute(text(EVENTS_SQL), bounds)
    # The rankings read the per-case facts, which a live system keeps with every event; the
    # generated events come straight from SQL, so fill the facts as `rebuild-facts` would.
    facts_started = time.perf_counter()
    with console.status("filling the per-case facts from the events"):
        rebuild_facts(engine=engine, batch=250_000)
    console.print(f"filled the facts in {time.perf_counter() - facts_started:.1f} s")
    with console.status("VACUUM ANALYZE"), engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    with engine.connect() as connection:
        n_cases = connection.execute(text("SELECT count(*) FROM cases")).scalar_one()
        n_events = connection.execute(text("SELECT count(*) FROM case_events")).scalar_one()
        n_texts = connection.execute(
            text("SELECT count(DISTINCT description) FROM cases")
        ).scalar_one()
    console.print(
        f"generated {n_cases:,} cases ({n_texts:,} distinct texts) and {n_events:,} events in "
        f"{time.perf_counter() - started:.1f} s (month {period.label}, all cases in it)"
    )


def load_texts(connection: Connection, data: Path) -> tuple[int, int]:
    """The citizens' texts into a temporary table `b_text(i, english, body)`; how many."""
    chinese = _messages(data / "teddy2020_train.csv") + _messages(data / "teddy2020_validation.csv")
    english = [
        body
        for name in ("lewisham_fms", "newhaven_scf")
        for part in ("train", "validation")
        for body in _messages(data / f"{name}_{part}.csv")
    ]
    if not chinese:
        chinese = [t.format(place=f"{n}号院") for t in TEMPLATES for n in range(1, 41)]
    if not english:
        english = [t.format(place=f"block {n}") for t in ENGLISH_TEMPLATES for n in range(1, 41)]
    execute = connection.execute
    execute(text("CREATE TEMP TABLE b_text (i int, english boolean, body text)"))
    rows = [{"i": i, "english": False, "body": body} for i, body in enumerate(chinese)]
    rows += [{"i": i, "english": True, "body": body} for i, body in enumerate(english)]
    execute(text("INSERT INTO b_text VALUES (:i, :english, :body)"), rows)
    execute(text("ALTER TABLE b_text ADD PRIMARY KEY (english, i)"))
    execute(text("ANALYZE b_text"))  # else the update is planned as a loop over the texts
    console.print(f"texts: {len(chinese):,} Chinese and {len(english):,} English messages")
    return len(chinese), len(english)


def _messages(path: Path) -> list[str]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [
            " ".join(row["text"].split())[:TEXT_CHARS]
            for row in csv.DictReader(handle)
            if row.get("text", "").strip()
        ]


@dataclass
class Steps:
    """Wall and CPU time (this process) per progress step: each call ends the step before it."""

    names: list[str] = field(default_factory=list)
    times: list[tuple[float, float]] = field(default_factory=list)
    last: tuple[float, float] = field(default_factory=lambda: _now())

    def __call__(self, name: str) -> None:
        now = _now()
        if self.names:
            self.times.append((now[0] - self.last[0], now[1] - self.last[1]))
        self.names.append(name)
        self.last = now

    def finish(self) -> list[tuple[str, tuple[float, float]]]:
        self("")
        return list(zip(self.names[:-1], self.times, strict=True))


def _now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def time_report(engine: Engine, url: str, period: Period, run: int) -> None:
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    load_before = os.getloadavg()
    steps = Steps()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as out, Progress(*columns, console=console) as progress:
        task = progress.add_task(f"monthly {period.label}", total=STEPS + 1)

        def step(name: str) -> None:
            steps(name)
            progress.update(task, advance=1, description=f"{period.label}: {name}")

        report, files = make_report(
            engine=engine, settings=settings, period=period, out_dir=Path(out), progress=step
        )
        progress.update(task, completed=STEPS + 1)
        total = time.perf_counter() - started
        sizes = {p.name: p.stat().st_size for p in (files.html, files.pdf, files.xlsx)}
    load_after = os.getloadavg()
    table = Table(title=f"monthly report {period.label}, run {run}: {report.accepted:,} cases")
    table.add_column("step")
    table.add_column("s", justify="right")
    table.add_column("CPU s", justify="right")  # this process only: not the database's
    done = steps.finish()
    for name, (seconds, cpu) in done:
        table.add_row(name, f"{seconds:.2f}", f"{cpu:.2f}")
    cpu_total = sum(cpu for _name, (_s, cpu) in done)
    table.add_row("[b]total[/]", f"[b]{total:.2f}[/]", f"{cpu_total:.2f}")
    console.print(table)
    texts = report.topic_texts
    console.print(
        f"topics: {len(report.clusters)} clusters from a sample of {texts.clustered:,} texts; "
        f"{texts.read:,} of {texts.total:,} texts read and assigned"
    )
    console.print(", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in sizes.items()))
    console.print(
        "load average (1, 5, 15 min) before "
        + " ".join(f"{x:.2f}" for x in load_before)
        + ", after "
        + " ".join(f"{x:.2f}" for x in load_after)
    )


if __name__ == "__main__":
    main()
