"""The console's case list in figures: search and filtered pages over 100,000 cases in
PostgreSQL, through the real HTTP route and as bare SQL.

Why it exists: issue 16 asks that search and a filtered page answer in < 300 ms on a list of
100,000 cases. The word search leans on the bigram GIN index of migration 0016
(`hotline_bigrams`), the filters on plain B-tree indexes; this prints how long each takes, the
load average it ran under (the machine is shared: read the figures with it), and EXPLAIN
ANALYZE of each query so a lost index shows. It never passes or fails.

What it does, all on a database of its own that it drops at the end:
1. creates `hotline_bench_<hex>`, migrates it to head and seeds the units and catalog;
2. generates the cases inside the server with `generate_series` (numbers, descriptions from
   twenty complaint texts with an address and a name, a phone contact per case, statuses from
   received to closed, deadlines some of which are missed), then ANALYZE;
3. starts the API (`uvicorn api.main:create_app`) in its own process, logs a dispatcher in,
   and times each query `--repeat` times over HTTP (the whole page) and as bare SQL
   (`models.search.search_cases`: the count and the page), printing p50 and p95.

Run from the project root:

    .venv/bin/python -m bench.console                    # 100,000 cases
    .venv/bin/python -m bench.console --cases 20000 --repeat 10
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from auth.users import create_staff_user
from bench.scratch_db import scratch_database
from core.clock import utcnow
from core.db import make_engine, session_scope
from models import migrate
from models.case import Case
from models.enums import StaffRole
from models.queues import DISPATCH_QUEUE
from models.search import Scope, conditions, parse_case_query, search_cases, sort_statement
from models.seed import seed

console = Console()
ROOT = Path(__file__).resolve().parent.parent
ZONE = ZoneInfo("Asia/Shanghai")
PASSWORD = "bench password 12345"

TEXTS = [
    "小区暖气不热，家里很冷",
    "楼下饭店油烟太大，窗户都不敢开",
    "夜间施工噪音扰民，影响休息",
    "路灯坏了一个星期，晚上很黑",
    "小区门口井盖缺失，很危险",
    "共享单车乱停放堵住盲道",
    "自来水水质发黄有异味",
    "垃圾清运不及时，气味难闻",
    "物业不作为，电梯经常停运",
    "公交站台广告牌松动",
    "违章建筑占用消防通道",
    "道路积水严重，车辆无法通行",
    "商户占道经营，行人难以通过",
    "燃气表读数异常，担心漏气",
    "树木枝条遮挡交通信号灯",
    "学校周边交通拥堵，希望增加协管",
    "小区停车位被外来车辆占用",
    "供电不稳定，经常跳闸停电",
    "宠物犬不拴绳，吓到老人孩子",
    "希望增设无障碍坡道",
]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"]

LOOKUPS_SQL = [
    """CREATE TEMP TABLE b_street AS
  SELECT (row_number() OVER (ORDER BY code)) - 1 AS i, code, parent_code, name_zh
  FROM units WHERE kind = 'street'""",
    """CREATE TEMP TABLE b_leaf AS
  SELECT (row_number() OVER (ORDER BY code)) - 1 AS i, code FROM categories WHERE level = 3""",
]
# Newest first by id; g % 10 picks the state: 0 received, 1 returned, 2 dispatched,
# 3 acknowledged, 4 in progress, the rest closed. Resolve deadlines of 1..15 days, so many open
# cases are overdue.
CASES_SQL = """
INSERT INTO cases (number, channel, language, type, description, address, contact_name,
    district_code, street_code, category_code, urgency, status, supervised, lead_unit_code,
    reopen_count, acknowledge_due_at, respond_due_at, resolve_due_at, created_at, updated_at,
    extra)
SELECT to_char(t.at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-' || lpad(g::text, 6, '0'),
       (ARRAY['voice', 'voice', 'sms', 'chat', 'web'])[1 + g % 5],
       'zh', 'complaint',
       (CAST(:texts AS text[]))[1 + (g * 7) % 20] || '（第' || g || '号楼）',
       s.name_zh || (g % 300) || '号',
       (CAST(:surnames AS text[]))[1 + g % 10] || '先生',
       s.parent_code, s.code, l.code,
       CASE WHEN g % 37 = 0 THEN 'urgent' ELSE 'normal' END,
       (ARRAY['accepted', 'returned', 'dispatched', 'acknowledged', 'in_progress',
              'closed', 'closed', 'closed', 'closed', 'closed'])[1 + g % 10],
       g % 53 = 0,
       CASE WHEN g % 10 IN (0, 1) THEN NULL ELSE s.code END,
       0,
       CASE WHEN g % 10 IN (0, 1) THEN NULL ELSE t.at + interval '2 hours' END,
       CASE WHEN g % 10 IN (0, 1) THEN NULL ELSE t.at + interval '1 day' END,
       CASE WHEN g % 10 IN (0, 1) THEN NULL ELSE t.at + (1 + g % 15) * interval '1 day' END,
       t.at, t.at, '{}'::json
FROM generate_series(1::bigint, :n) AS g
CROSS JOIN LATERAL (SELECT now() - (g::float8 / :n) * interval '60 days' AS at) AS t
JOIN b_street s ON s.i = (g * 7919) % (SELECT count(*) FROM b_street)
JOIN b_leaf l ON l.i = (g * 104729) % (SELECT count(*) FROM b_leaf)
"""
CONTACTS_SQL = """
INSERT INTO case_contacts (case_id, kind, value, proved, arrived_on, created_at)
SELECT id, 'phone', '+86139' || lpad(id::text, 8, '0'), false, true, created_at FROM cases
"""


def phone_of(case_id: int) -> str:
    """The bench's phone of a case, as a caller would say it: spaced, with the country code."""
    digits = f"139{case_id:08d}"
    return f"+86 {digits[:3]} {digits[3:7]} {digits[7:]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--keep", action="store_true", help="keep the database (and say where)")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE plans")
    args = parser.parse_args()
    with scratch_database(args.server, keep=args.keep, console=console) as url:
        engine = make_engine(url)
        try:
            run(engine, url, args)
        finally:
            engine.dispose()


def generate(engine: Engine, url: str, n: int) -> None:
    with console.status("migrating and seeding"):
        migrate.upgrade(url)
        seed(engine=engine)
    started = time.perf_counter()
    with console.status(f"generating {n:,} cases"), engine.begin() as connection:
        for statement in LOOKUPS_SQL:
            connection.execute(text(statement))
        connection.execute(text(CASES_SQL), {"n": n, "texts": TEXTS, "surnames": SURNAMES})
        connection.execute(text(CONTACTS_SQL))
    with console.status("ANALYZE"), engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    console.print(f"generated {n:,} cases with contacts in {time.perf_counter() - started:.1f} s")


def queries(engine: Engine, n: int) -> list[tuple[str, dict[str, str]]]:
    """The timed lists, as the console's query strings."""
    with Session(engine) as session:
        middle = session.exec(select(Case).order_by(col(Case.id)).offset(n * 2 // 5)).first()
        district = session.execute(
            text(
                "SELECT district_code FROM cases WHERE district_code IS NOT NULL "
                "GROUP BY district_code ORDER BY count(*) DESC LIMIT 1"
            )
        ).one()[0]
    assert middle is not None and middle.id is not None
    return [
        ("search by case number", {"view": "all", "q": middle.number}),
        ("search by phone (+86 with spaces)", {"view": "all", "q": phone_of(middle.id)}),
        ("search by a word (2 characters: 噪音)", {"view": "all", "q": "噪音"}),
        ("search by a word (4 characters: 油烟太大)", {"view": "all", "q": "油烟太大"}),
        ("search by two words (路灯 晚上)", {"view": "all", "q": "路灯 晚上"}),
        (
            "filtered page: status+district+overdue, page 2",
            {
                "view": "all",
                "status": "in_progress",
                "district": district,
                "overdue": "1",
                "page": "2",
            },
        ),
        ("all cases sorted by deadline", {"view": "all", "sort": "deadline"}),
        ("dispatch queue (newest first)", {"view": "queue"}),
    ]


def run(engine: Engine, url: str, args: argparse.Namespace) -> None:
    generate(engine, url, args.cases)
    username = "bench-dispatcher"
    with session_scope(engine) as session:
        create_staff_user(
            session=session, username=username, password=PASSWORD, role=StaffRole.dispatcher
        )
    timed = queries(engine, args.cases)
    with tempfile.TemporaryDirectory(prefix="hotline-bench-console-") as tmp:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
        env.update(
            {
                "HOTLINE_DATABASE_URL": url,
                "HOTLINE_VAR_DIR": tmp,
                "HOTLINE_SECRET_KEY": secrets.token_urlsafe(48),
                "PYTHONPATH": str(ROOT),
            }
        )
        argv = [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory"]
        argv += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
        log = Path(tmp) / "api.log"
        with log.open("ab") as handle:
            api = subprocess.Popen(  # noqa: S603 (our interpreter, our arguments)
                argv, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
            )
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=60) as client:
                _wait(client, api, log)
                _login(client, username)
                report(engine, client, timed, args)
        finally:
            api.terminate()
            api.wait(timeout=20)


def report(
    engine: Engine, client: httpx.Client, timed: list[tuple[str, dict[str, str]]], args: Any
) -> None:
    load = os.getloadavg()
    table = Table(
        title=f"console list, {args.cases:,} cases, {args.repeat} runs each "
        f"(load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} CPUs)"
    )
    for column in ("list", "rows", "HTTP p50 ms", "HTTP p95 ms", "SQL p50 ms", "SQL p95 ms"):
        table.add_column(column, justify="left" if column == "list" else "right")
    plans = []
    for label, params in timed:
        total, http_ms, sql_ms, plan = measure(engine, client, params, args.repeat)
        table.add_row(
            label,
            f"{total:,}",
            f"{_pct(http_ms, 50):.0f}",
            f"{_pct(http_ms, 95):.0f}",
            f"{_pct(sql_ms, 50):.0f}",
            f"{_pct(sql_ms, 95):.0f}",
        )
        plans.append((label, plan))
    console.print(table)
    for label, plan in plans:
        if args.explain:
            console.print(f"[bold]{label}[/bold]\n{plan}")
        else:
            indexes = sorted(
                {line.split(" on ")[1].split()[0] for line in plan.splitlines() if " on " in line}
            )
            console.print(f"{label}: scans {', '.join(indexes)}")


def measure(
    engine: Engine, client: httpx.Client, params: dict[str, str], repeat: int
) -> tuple[int, list[float], list[float], str]:
    """One list: its row count, HTTP and bare-SQL times (ms) and its EXPLAIN ANALYZE."""
    query = parse_case_query(params)
    scope = Scope(statuses=DISPATCH_QUEUE) if params["view"] == "queue" else Scope()
    totals = []

    def bare() -> None:
        with Session(engine) as session:
            page = search_cases(
                session=session,
                query=query,
                visible_unit=None,
                now=utcnow(),
                zone=ZONE,
                default_region="CN",
                scope=scope,
            )
            totals.append(page.total)

    def http() -> None:
        client.get("/console/cases", params=params).raise_for_status()

    sql_ms = _times(bare, repeat)
    http_ms = _times(http, repeat)
    return totals[-1], http_ms, sql_ms, _explain(engine, query, scope)


def _explain(engine: Engine, query: Any, scope: Scope) -> str:
    with Session(engine) as session:
        matching = select(Case).where(*conditions(session, query, scope, utcnow(), ZONE, "CN"))
        page = sort_statement(matching, query.sort)
        page = page.offset((query.page - 1) * query.per_page).limit(query.per_page)
        count = select(func.count()).select_from(matching.subquery())
        plans = []
        for statement in (count, page):
            compiled = statement.compile(
                dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
            )
            rows = session.connection().exec_driver_sql(
                "EXPLAIN ANALYZE " + str(compiled), compiled.params
            )
            plans.append("\n".join(row[0] for row in rows))
    return "\n-- page:\n".join(plans)


def _times(call: Callable[[], None], repeat: int) -> list[float]:
    call()  # warm: the first run reads from disk
    found = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        found.append((time.perf_counter() - started) * 1000)
    return found


def _pct(values: list[float], pct: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(client: httpx.Client, api: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(240):
        if api.poll() is not None:
            raise SystemExit(f"the API exited during start-up:\n{log.read_text()[-2000:]}")
        try:
            if client.get("/console/login").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the API never answered:\n{log.read_text()[-2000:]}")


def _login(client: httpx.Client, username: str) -> None:
    page = client.get("/console/login").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post(
        "/console/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
    )
    if answer.status_code != 303:
        raise SystemExit(f"login failed: {answer.status_code}")


if __name__ == "__main__":
    main()
