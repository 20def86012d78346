"""A report as plain tables: the one shape the HTML, PDF, CSV and XLSX writers all read.

Headings come from the `staff` catalogue in every language, Chinese first ("名次 rank"): one
file serves staff of either language.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analytics.metrics import DEADLINES, GroupMetrics
from analytics.reports import Report
from core.i18n import S_, SP_, every_language

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
    note: str = ""  # said under the title (HTML, PDF) or below the rows (XLSX, CSV)

    def kind(self, row: int, column: int) -> str:
        if self.row_kinds is not None and column == len(self.columns) - 1:
            return self.row_kinds[row]
        return self.columns[column].kind


def _rank_columns() -> list[Column]:
    return [
        Column(every_language(S_("rank")), INT),
        Column(every_language(S_("code"))),
        Column(every_language(S_("name"))),
        Column(every_language(S_("evaluated")), INT),
        Column(every_language(S_("response")), RATE),
        Column(every_language(S_("resolution")), RATE),
        Column(every_language(S_("satisfaction")), RATE),
        Column(every_language(S_("score")), NUMBER),
        Column(every_language(S_("accepted")), INT),
    ]


# Per deadline: the summary's rate of it met on time, and the units table's column.
ON_TIME_RATE = {
    "acknowledge": S_("on time: acknowledge"),
    "respond": S_("on time: respond"),
    "resolve": S_("on time: resolve"),
}
ON_TIME = {
    "acknowledge": S_("on time acknowledge"),
    "respond": S_("on time respond"),
    "resolve": S_("on time resolve"),
}
RANKING_TITLES = {
    "district": S_("district ranking"),
    "street": S_("street ranking"),
    "department": S_("department ranking"),
}


def report_tables(report: Report) -> list[Table]:
    tables = [_summary(report)]
    for dimension, groups in report.rankings.items():
        title = RANKING_TITLES.get(dimension)
        tables.append(
            Table(
                f"ranking-{dimension}",
                every_language(title) if title else f"{dimension} {dimension} ranking",
                _rank_columns(),
                [_rank_row(g) for g in groups],
            )
        )
    tables.append(_units(report.units))
    tables.append(
        Table(
            "volume-channel",
            every_language(S_("cases by channel")),
            [Column(every_language(S_("channel"))), Column(every_language(S_("cases")), INT)],
            [[k, n] for k, n in report.by_channel.items()],
        )
    )
    for name, title, rows in (
        ("volume-category", every_language(S_("cases by category")), report.by_category),
        ("volume-district", every_language(S_("cases by district")), report.by_district),
    ):
        tables.append(
            Table(
                name,
                title,
                [
                    Column(every_language(S_("code"))),
                    Column(every_language(S_("name"))),
                    Column(every_language(S_("cases")), INT),
                ],
                [list(row) for row in rows],
            )
        )
    tables.append(
        Table(
            "trend",
            every_language(S_("cases per day")),
            [Column(every_language(S_("day"))), Column(every_language(S_("cases")), INT)],
            [[d.isoformat(), n] for d, n in report.trend],
        )
    )
    tables.append(
        Table(
            "heat-map",
            every_language(S_("district × category")),
            [
                Column(every_language(S_("district"))),
                *[Column(c, INT) for c in report.heat_map.columns],
            ],
            [[r, *v] for r, v in zip(report.heat_map.rows, report.heat_map.values, strict=True)],
        )
    )
    rise_columns = [
        Column(every_language(S_("code"))),
        Column(every_language(S_("name"))),
        Column(every_language(S_("now")), INT),
        Column(every_language(S_("before")), INT),
        Column(every_language(S_("change")), INT),
        Column(every_language(S_("ratio")), NUMBER),
    ]
    for name, title, rises in (
        ("rising-categories", every_language(S_("rising categories")), report.rising_categories),
        ("rising-districts", every_language(S_("rising districts")), report.rising_districts),
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
            every_language(S_("clusters of similar requests")),
            [
                Column(every_language(SP_("number of", "cases")), INT),
                Column(every_language(S_("terms"))),
                Column(every_language(S_("categories"))),
                Column(every_language(S_("examples"))),
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
            note=_topic_note(report),
        )
    )
    tables.append(
        Table(
            "spikes",
            every_language(S_("spikes")),
            [
                Column(every_language(S_("day"))),
                Column(every_language(S_("category"))),
                Column(every_language(S_("district"))),
                Column(every_language(SP_("number of", "cases")), INT),
                Column(every_language(S_("baseline")), NUMBER),
                Column(every_language(S_("ratio")), NUMBER),
                Column("p", NUMBER),
                Column(every_language(SP_("unit notified", "unit"))),
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


def _topic_note(report: Report) -> str:
    texts = report.topic_texts
    note = every_language(
        S_(
            "Clusters found in a sample of {clustered} texts; {read} of the period's "
            "{total} texts read, each counted in the cluster closest to it if close enough."
        )
    )
    return note.format(
        clustered=f"{texts.clustered:,}", read=f"{texts.read:,}", total=f"{texts.total:,}"
    )


def _summary(report: Report) -> Table:
    o = report.overall
    rows: list[list[Any]] = [
        [every_language(S_("cases accepted")), report.accepted, INT],
        [every_language(S_("previous period")), report.accepted_previous, INT],
        [every_language(S_("evaluated in callbacks")), o.evaluated, INT],
        [every_language(S_("not reached")), o.unreached, INT],
        [every_language(S_("response rate")), o.response_rate, RATE],
        [every_language(S_("resolution rate")), o.resolution_rate, RATE],
        [every_language(S_("satisfaction rate")), o.satisfaction_rate, RATE],
        [every_language(S_("composite score")), o.score, NUMBER],
        *[[every_language(ON_TIME_RATE[d]), o.on_time_rate.get(d), RATE] for d in DEADLINES],
        [every_language(S_("returns")), o.returns, INT],
        [every_language(S_("re-dispatches")), o.redispatches, INT],
        [every_language(S_("reopen rate")), o.reopen_rate, RATE],
        [every_language(S_("average hours to resolve")), o.avg_handling_hours, NUMBER],
    ]
    return Table(
        "summary",
        every_language(S_("summary")),
        [Column(every_language(S_("figure"))), Column(every_language(S_("value")), NUMBER)],
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
        Column(every_language(S_("code"))),
        Column(every_language(S_("name"))),
        Column(every_language(S_("accepted")), INT),
        Column(every_language(S_("dispatched")), INT),
        Column(every_language(S_("returns")), INT),
        Column(every_language(S_("re-dispatches")), INT),
        *[Column(every_language(ON_TIME[d]), RATE) for d in DEADLINES],
        Column(every_language(S_("resolved")), INT),
        Column(every_language(S_("reopen rate")), RATE),
        Column(every_language(S_("avg hours")), NUMBER),
        Column(every_language(S_("evaluated")), INT),
        Column(every_language(S_("unreached")), INT),
        Column(every_language(S_("response")), RATE),
        Column(every_language(S_("resolution")), RATE),
        Column(every_language(S_("satisfaction")), RATE),
        Column(every_language(S_("score")), NUMBER),
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
    return Table("units", every_language(S_("units")), columns, rows)


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
            if table.note:
                writer.writerows([[], [table.note]])
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
        if table.note:
            sheet.append([])
            sheet.append([table.note])
        for index, column in enumerate(table.columns, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[letter].width = max(10, min(40, len(column.title) + 4))
            if column.kind == RATE:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = "0.0%"
        sheet.freeze_panes = "A2"
    book.save(path)
    return path
