"""The monthly ranking in figures: how long the city's published ranking takes over a million
cases in PostgreSQL.

Why it exists: the three rates and rankings are SQL aggregations over the per-case facts kept
with every event, which carry each case's group keys (analytics/facts.py), so their cost grows
with the month's cases, not its events. Beijing's 12345 takes well over a million requests a month;
this prints how long one month's district, street and department rankings take at that size.
It never passes or fails.

What it does, all on a database of its own that it drops at the end:
1. creates `hotline_bench_<hex>` on the server (default 127.0.0.1:5432 as postgres), migrates
   it to head and seeds the units and catalog;
2. generates the cases and their timelines inside the server with `generate_series`
   (dispatch, acknowledge, respond, resolve, callback; some returns and re-dispatches, missed
   deadlines, unanswered callbacks and reopens), then ANALYZE;
3. fills the per-case facts from those events with `analytics.facts.rebuild_facts` (the SQL
   that `hotline report rebuild-facts` runs), says how long that took, then VACUUM ANALYZE;
4. times `analytics.metrics.ranking` for districts, streets and departments of the month, and
   the per-unit table, each run `--repeat` times (the first run reads from disk); with
   `--events`, the same figures computed from the events instead, for comparison.

Run from the project root:

    .venv/bin/python -m bench.analytics                      # 1,000,000 cases in one month
    .venv/bin/python -m bench.analytics --cases 100000       # a quick look
    .venv/bin/python -m bench.analytics --reuse URL --events # again, on a kept database
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date

from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.engine import Engine

from analytics.dimensions import Dimension
from analytics.facts import rebuild_facts
from analytics.metrics import Source, Weights, group_metrics, ranking
from analytics.periods import Period, PeriodKind, period_for
from bench.scratch_db import scratch_database
from core.db import make_engine
from core.settings import Settings
from models import migrate
from models.seed import seed

console = Console()
TIMEZONE = "Asia/Shanghai"

LOOKUPS_SQL = [
    """CREATE TEMP TABLE b_street AS
  SELECT (row_number() OVER (ORDER BY code)) - 1 AS i, code, parent_code
  FROM units WHERE kind = 'street'""",
    """CREATE TEMP TABLE b_dept AS
  SELECT (row_number() OVER (ORDER BY code)) - 1 AS i, code
  FROM units WHERE kind IN ('department', 'utility')""",
    """CREATE TEMP TABLE b_leaf AS
  SELECT (row_number() OVER (ORDER BY code)) - 1 AS i, code FROM categories WHERE level = 3""",
]
CASES_SQL = """
INSERT INTO cases (number, channel, language, type, description, district_code, street_code,
    category_code, urgency, status, supervised, lead_unit_code, reopen_count, created_at,
    updated_at, closed_at, extra)
SELECT 'B' || lpad(g::text, 10, '0'),
       (ARRAY['voice', 'voice', 'sms', 'chat', 'web'])[1 + g % 5],
       'zh', 'complaint', '小区暖气不热，家里很冷', s.parent_code, s.code, l.code, 'normal',
       'closed', false,
       CASE WHEN g % 4 = 0 THEN d.code ELSE s.code END,
       0,
       :start + ((g - 1)::float8 / :n) * (:end - :start),
       :start + ((g - 1)::float8 / :n) * (:end - :start),
       NULL,
       '{}'::json
FROM generate_series(1::bigint, :n) AS g
JOIN b_street s ON s.i = (g * 7919) % (SELECT count(*) FROM b_street)
JOIN b_leaf l ON l.i = (g * 104729) % (SELECT count(*) FROM b_leaf)
JOIN b_dept d ON d.i = (g * 31) % (SELECT count(*) FROM b_dept);
"""

# Each case's story, by hours after intake; `g` = case id drives which branches it takes.
EVENTS_SQL = """
INSERT INTO case_events (case_id, kind, actor, from_status, to_status, payload, created_at)
SELECT c.id, e.kind, 'bench', NULL, NULL, e.payload,
       c.created_at + e.hours::float8 * interval '1 hour'
FROM cases c
CROSS JOIN LATERAL (VALUES
  ('accepted', 0.0, '{}'::json, true),
  ('dispatched', 0.5, json_build_object('unit', c.lead_unit_code), true),
  ('returned', 1.0, json_build_object('unit', c.lead_unit_code, 'reason', 'not ours'),
     c.id % 29 = 0),
  ('dispatched', 1.5, json_build_object('unit', c.lead_unit_code), c.id % 29 = 0),
  ('sla_breach', 4.5, json_build_object('deadline', 'acknowledge', 'unit', c.lead_unit_code),
     c.id % 11 = 0),
  ('acknowledged', 2.0 + (c.id % 11 = 0)::int * 3, '{}'::json, true),
  ('responded', 6.0, '{}'::json, true),
  ('sla_breach', 170.0, json_build_object('deadline', 'resolve', 'unit', c.lead_unit_code),
     c.id % 13 = 0),
  ('resolved', 24.0 + (c.id % 97), '{}'::json, true),
  ('callback_started', 30.0 + (c.id % 97), '{}'::json, true),
  ('survey_unanswered', 60.0 + (c.id % 97), '{}'::json, c.id % 17 = 0),
  ('survey_answered', 40.0 + (c.id % 97),
     json_build_object(
       'contacted', CASE WHEN c.id % 23 = 0 THEN 'false' ELSE 'true' END,
       'resolved', CASE WHEN c.id % 7 = 0 THEN 'false' ELSE 'true' END,
       'satisfaction', CASE WHEN c.id % 7 = 0 THEN 'dissatisfied'
                            WHEN c.id % 5 = 0 THEN 'basically_satisfied'
                            ELSE 'satisfied' END),
     c.id % 17 <> 0),
  ('reopened', 40.0 + (c.id % 97), json_build_object('unit', c.lead_unit_code),
     c.id % 17 <> 0 AND c.id % 7 = 0 AND c.id % 3 = 0),
  ('closed', 41.0 + (c.id % 97), '{}'::json, c.id % 17 <> 0 AND NOT (c.id % 7 = 0 AND c.id % 3 = 0))
) AS e(kind, hours, payload, happens)
WHERE e.happens AND c.id BETWEEN :low AND :high
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--month", default="2026-10", help="the month ranked (YYYY-MM)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--keep", action="store_true", help="keep the database (and say where)")
    parser.add_argument("--facts-batch", type=int, default=250_000, help="cases per rebuild step")
    parser.add_argument(
        "--events", action="store_true", help="also time the figures computed from the events"
    )
    parser.add_argument(
        "--reuse", metavar="URL", help="time again on a database an earlier --keep left"
    )
    args = parser.parse_args()
    if args.reuse:
        engine = make_engine(args.reuse)
        try:
            with engine.connect() as connection:
                size = connection.execute(
                    text("SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM case_events)")
                ).one()
            size_text = f"{size[0]:,} cases, {size[1]:,} events"
            for source in [Source.facts, Source.events] if args.events else [Source.facts]:
                time_rankings(engine, _month(args.month), args.repeat, source, size_text)
        finally:
            engine.dispose()
        return
    with scratch_database(args.server, keep=args.keep, console=console) as url:
        engine = make_engine(url)
        try:
            run(engine, url, args)
        finally:
            engine.dispose()


def run(engine: Engine, url: str, args: argparse.Namespace) -> None:
    period = _month(args.month)
    with console.status("migrating and seeding"):
        migrate.upgrade(url)
        seed(engine=engine)
    started = time.perf_counter()
    with console.status(f"generating {args.cases:,} cases"):
        with engine.begin() as connection:
            for statement in LOOKUPS_SQL:
                connection.execute(text(statement))
            connection.execute(
                text(CASES_SQL), {"n": args.cases, "start": period.start, "end": period.end}
            )
    cases_s = time.perf_counter() - started
    started = time.perf_counter()
    step = 200_000
    for low in range(1, args.cases + 1, step):
        with console.status(f"generating timelines: cases {low:,}…{low + step - 1:,}"):
            with engine.begin() as connection:
                connection.execute(text(EVENTS_SQL), {"low": low, "high": low + step - 1})
    with console.status("ANALYZE"), engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    events_s = time.perf_counter() - started
    with engine.connect() as connection:
        n_cases = connection.execute(text("SELECT count(*) FROM cases")).scalar_one()
        n_events = connection.execute(text("SELECT count(*) FROM case_events")).scalar_one()
    console.print(
        f"generated {n_cases:,} cases in {cases_s:.1f} s and {n_events:,} events in "
        f"{events_s:.1f} s (month {period.label}, all cases in it)"
    )
    started = time.perf_counter()
    with console.status("filling the facts from the events"):
        rebuild_facts(engine=engine, batch=args.facts_batch)
    facts_s = time.perf_counter() - started
    with console.status("VACUUM ANALYZE"), engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    with engine.connect() as connection:
        n_facts = connection.execute(text("SELECT count(*) FROM case_facts")).scalar_one()
    console.print(f"filled {n_facts:,} case facts from the events in {facts_s:.1f} s")
    sources = [Source.facts, Source.events] if args.events else [Source.facts]
    for source in sources:
        size = f"{n_cases:,} cases, {n_events:,} events"
        time_rankings(engine, period, args.repeat, source, size)
    console.print(f"load average: {_load()}")


def time_rankings(engine: Engine, period: Period, repeat: int, source: Source, size: str) -> None:
    weights = Weights.from_settings(Settings(_env_file=None))  # type: ignore[call-arg]
    table = Table(title=f"monthly ranking {period.label} from the {source.value}, {size}")
    for column in ("what", "groups", "first run s", "best of rest s"):
        table.add_column(column, justify="right" if column != "what" else "left")
    total_first = 0.0
    for dimension in (Dimension.district, Dimension.street, Dimension.department, Dimension.unit):
        times: list[float] = []
        groups = 0
        for _ in range(repeat):
            started = time.perf_counter()
            figures = group_metrics if dimension is Dimension.unit else ranking
            result = figures(
                engine=engine, period=period, dimension=dimension, weights=weights, source=source
            )
            times.append(time.perf_counter() - started)
            groups = len(result)
        total_first += times[0]
        best = min(times[1:]) if len(times) > 1 else times[0]
        label = "per-unit table" if dimension is Dimension.unit else f"{dimension.value} ranking"
        table.add_row(label, f"{groups:,}", f"{times[0]:.2f}", f"{best:.2f}")
    console.print(table)
    console.print(f"all four, first run: {total_first:.1f} s (load average {_load()})")


def _month(text_: str) -> Period:
    year, month = (int(part) for part in text_.split("-"))
    return period_for(PeriodKind.monthly, date(year, month, 1), TIMEZONE)


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
