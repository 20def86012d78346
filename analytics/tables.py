"""A report as plain tables: the one shape the HTML, PDF, CSV and XLSX writers all read."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analytics.metrics import DEADLINES, GroupMetrics
from analytics.reports import Report

TEXT, INT, RATE, NUMBER = "text", "int", "rate", "number"


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = TEXT


@dataclass(frozen=True)
class Table:
    name: str  # file and sheet name
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    row_kinds: list[str] | None = None  # per row, the kind of its last cell (the summary)

    def kind(self, row: int, column: int) -> str:
        if self.row_kinds is not None and column == len(self.columns) - 1:
            return self.row_kinds[row]
        return self.columns[column].kind


RANK_COLUMNS = [
    Column("名次 rank", INT),
    Column("代码 code"),
    Column("名称 name"),
    Column("参评 evaluated", INT),
    Column("响应率 response", RATE),
    Column("解决率 resolution", RATE),
    Column("满意率 satisfaction", RATE),
    Column("综合得分 score", NUMBER),
    Column("受理 accepted", INT),
]
DEADLINE_NAMES = {"acknowledge": "签收", "respond": "响应", "resolve": "办结"}


def report_tables(report: Report) -> list[Table]:
    tables = [_summary(report)]
    titles = {"district": "区排名", "street": "街道（乡镇）排名", "department": "部门排名"}
    for dimension, groups in report.rankings.items():
        tables.append(
            Table(
                f"ranking-{dimension}",
                f"{titles.get(dimension, dimension)} {dimension} ranking",
                RANK_COLUMNS,
                [_rank_row(g) for g in groups],
            )
        )
    tables.append(_units(report.units))
    tables.append(
        Table(
            "volume-channel",
            "渠道受理量 cases by channel",
            [Column("渠道 channel"), Column("受理 cases", INT)],
            [[k, n] for k, n in report.by_channel.items()],
        )
    )
    for name, title, rows in (
        ("volume-category", "类别受理量 cases by category", report.by_category),
        ("volume-district", "区受理量 cases by district", report.by_district),
    ):
        tables.append(
            Table(
                name,
                title,
                [Column("代码 code"), Column("名称 name"), Column("受理 cases", INT)],
                [list(row) for row in rows],
            )
        )
    tables.append(
        Table(
            "trend",
            "每日受理 cases per day",
            [Column("日期 day"), Column("受理 cases", INT)],
            [[d.isoformat(), n] for d, n in report.trend],
        )
    )
    tables.append(
        Table(
            "heat-map",
            "区 × 类别 district × category",
            [Column("区 district"), *[Column(c, INT) for c in report.heat_map.columns]],
            [[r, *v] for r, v in zip(report.heat_map.rows, report.heat_map.values, strict=True)],
        )
    )
    rise_columns = [
        Column("代码 code"),
        Column("名称 name"),
        Column("本期 now", INT),
        Column("上期 before", INT),
        Column("增加 change", INT),
        Column("倍数 ratio", NUMBER),
    ]
    for name, title, rises in (
        ("rising-categories", "上升最快的类别 rising categories", report.rising_categories),
        ("rising-districts", "上升最快的区 rising districts", report.rising_districts),
    ):
        tables.append(
            Table(
                name,
                title,
                rise_columns,
                [[r.key, r.name, r.count, r.previous, r.change, r.ratio] for r in rises],
            )
        )
    tables.append(
        Table(
            "topics",
            "相似诉求聚类（每月一题候选） clusters of similar requests",
            [
                Column("件数 cases", INT),
                Column("关键词 terms"),
                Column("类别 categories"),
                Column("示例 examples"),
            ],
            [
                [
                    c.size,
                    " ".join(c.terms),
                    " ".join(f"{k}×{n}" for k, n in c.categories.items()),
                    " | ".join(f"{e.number} {e.description[:40]}" for e in c.examples),
                ]
                for c in report.clusters
            ],
        )
    )
    tables.append(
        Table(
            "spikes",
            "未诉先办预警 spikes",
            [
                Column("日期 day"),
                Column("类别 category"),
                Column("区 district"),
                Column("件数 cases", INT),
                Column("基线 baseline", NUMBER),
                Column("倍数 ratio", NUMBER),
                Column("p", NUMBER),
                Column("通知单位 unit"),
            ],
            [
                [
                    s.day.isoformat(),
                    f"{s.category_code} {s.category_name}",
                    f"{s.area_code} {s.area_name}",
                    s.count,
                    s.baseline,
                    s.ratio,
                    s.p_value,
                    s.unit_code,
                ]
                for s in report.spikes
            ],
        )
    )
    return tables


def _summary(report: Report) -> Table:
    o = report.overall
    rows: list[list[Any]] = [
        ["受理量 cases accepted", report.accepted, INT],
        ["上期受理量 previous period", report.accepted_previous, INT],
        ["参评件数 evaluated in callbacks", o.evaluated, INT],
        ["未回访到 not reached", o.unreached, INT],
        ["响应率 response rate", o.response_rate, RATE],
        ["解决率 resolution rate", o.resolution_rate, RATE],
        ["满意率 satisfaction rate", o.satisfaction_rate, RATE],
        ["综合得分 composite score", o.score, NUMBER],
        *[
            [f"按时{DEADLINE_NAMES[d]}率 on time: {d}", o.on_time_rate.get(d), RATE]
            for d in DEADLINES
        ],
        ["退单 returns", o.returns, INT],
        ["重派 re-dispatches", o.redispatches, INT],
        ["重办率 reopen rate", o.reopen_rate, RATE],
        ["平均办理时长（小时） average hours to resolve", o.avg_handling_hours, NUMBER],
    ]
    return Table(
        "summary",
        "概况 summary",
        [Column("指标 figure"), Column("值 value", NUMBER)],
        [[label, value] for label, value, _kind in rows],
        row_kinds=[kind for _label, _value, kind in rows],
    )


def _rank_row(g: GroupMetrics) -> list[Any]:
    return [
        g.rank,
        g.key,
        g.name,
        g.evaluated,
        g.response_rate,
        g.resolution_rate,
        g.satisfaction_rate,
        g.score,
        g.accepted,
    ]


def _units(units: list[GroupMetrics]) -> Table:
    columns = [
        Column("代码 code"),
        Column("名称 name"),
        Column("受理 accepted", INT),
        Column("派单 dispatched", INT),
        Column("退单 returns", INT),
        Column("重派 re-dispatches", INT),
        *[Column(f"按时{DEADLINE_NAMES[d]} on time {d}", RATE) for d in DEADLINES],
        Column("办结 resolved", INT),
        Column("重办率 reopen rate", RATE),
        Column("平均时长 avg hours", NUMBER),
        Column("参评 evaluated", INT),
        Column("未回访到 unreached", INT),
        Column("响应率 response", RATE),
        Column("解决率 resolution", RATE),
        Column("满意率 satisfaction", RATE),
        Column("综合得分 score", NUMBER),
    ]
    rows = [
        [
            g.key,
            g.name,
            g.accepted,
            g.dispatched,
            g.returns,
            g.redispatches,
            *[g.on_time_rate.get(d) for d in DEADLINES],
            g.resolved,
            g.reopen_rate,
            g.avg_handling_hours,
            g.evaluated,
            g.unreached,
            g.response_rate,
            g.resolution_rate,
            g.satisfaction_rate,
            g.score,
        ]
        for g in units
    ]
    return Table("units", "承办单位 units", columns, rows)


def display(value: Any, kind: str) -> str:
    """How a cell reads in HTML and PDF (CSV and XLSX keep the raw value)."""
    if value is None:
        return "—"
    if kind == RATE:
        return f"{100 * value:.1f}%"
    if kind == NUMBER and isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 0.01 and value else f"{value:,.2f}"
    if kind == INT:
        return f"{value:,}"
    return str(value)


def write_csv(tables: list[Table], directory: Path) -> list[Path]:
    """One UTF-8 CSV per table (with a BOM, so spreadsheet programs read the Chinese)."""
    paths = []
    for table in tables:
        path = directory / f"{table.name}.csv"
        with path.open("w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow([c.title for c in table.columns])
            writer.writerows([["" if v is None else v for v in row] for row in table.rows])
        paths.append(path)
    return paths


def write_xlsx(tables: list[Table], path: Path) -> Path:
    """One sheet per table; rates as percentages, numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for table in tables:
        sheet = book.create_sheet(table.name[:31])
        sheet.append([c.title for c in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(row)
        for index, column in enumerate(table.columns, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[letter].width = max(10, min(40, len(column.title) + 4))
            if column.kind == RATE:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = "0.0%"
        sheet.freeze_panes = "A2"
    book.save(path)
    return path
