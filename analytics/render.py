"""A report on paper and screen: charts (matplotlib), one self-contained HTML page, a PDF.

Charts are drawn with matplotlib's object API (no pyplot global state, safe in the API's
threads) in a CJK font registered by file (`analytics.fonts`: HOTLINE_CJK_FONT, else Debian's
fonts-wqy-zenhei or fonts-noto-cjk), whatever matplotlib's font cache holds; without one,
Chinese shows as boxes and a warning, once per process, says what to install. The HTML embeds
the charts as PNG data URIs so the file can be mailed on its own; the PDF is drawn by
matplotlib too, so no browser is needed to make it.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from analytics.fonts import INSTALL_HINT, cjk_font_file, missing_cjk_font
from analytics.reports import Report
from analytics.tables import Table, display, report_tables, write_csv, write_xlsx
from core.i18n import S_, SP_, every_language
from core.settings import get_settings

log = logging.getLogger("hotline.analytics")

A4 = (8.27, 11.69)
PDF_ROWS_PER_PAGE = 32
PDF_MAX_PAGES = 2  # per table: the PDF is for reading; the XLSX and CSV files have every row
PDF_LEFT_OUT = {"units", "trend", "heat-map"}  # too wide to read on A4, or drawn as a chart
KIND_TITLES = {"daily": S_("daily report"), "weekly": S_("weekly report")}
KIND_TITLES["monthly"] = S_("monthly report")


@dataclass(frozen=True)
class ReportFiles:
    directory: Path
    html: Path
    pdf: Path
    xlsx: Path
    csv: list[Path]


def write_report(report: Report, directory: Path) -> ReportFiles:
    """All formats of one report into `directory` (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    tables = report_tables(report)
    charts = draw_charts(report)
    html_path = directory / "report.html"
    html_path.write_text(render_html(report, tables, charts), encoding="utf-8")
    pdf_path = directory / "report.pdf"
    render_pdf(report, tables, pdf_path, charts)
    xlsx = write_xlsx(tables, directory / "report.xlsx")
    return ReportFiles(directory, html_path, pdf_path, xlsx, write_csv(tables, directory))


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """Register the CJK font file with matplotlib and draw text in it; its family name.

    By file, because matplotlib's font cache (MPLCONFIGDIR) may predate the font's package
    and so not list it; once per process, so the warning for a missing font is said once.
    """
    from matplotlib import font_manager

    # Fonts with only one weight make it log a fallback for every bold title.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    settings = get_settings()
    path = cjk_font_file(settings)
    if path is None:
        _without_cjk_font(missing_cjk_font(settings))
        return None
    try:
        font_manager.fontManager.addfont(path)
        name = font_manager.FontProperties(fname=path).get_name()
    except (RuntimeError, OSError) as exc:  # FreeType cannot read it
        _without_cjk_font(f"{path} is not a font matplotlib can read ({exc}); {INSTALL_HINT}")
        return None
    matplotlib.rcParams["font.sans-serif"] = [name, "DejaVu Sans"]
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["axes.unicode_minus"] = False
    return name


def _without_cjk_font(problem: str) -> None:
    """Say once what is missing; matplotlib would repeat it for every Chinese character."""
    log.warning(problem)
    warnings.filterwarnings("ignore", r"Glyph \d+ .* missing from font", UserWarning)


# ---- charts ------------------------------------------------------------------------------


def draw_charts(report: Report) -> dict[str, Figure]:
    cjk_font()
    return {
        "trend": _trend(report),
        "ranking": _ranking(report),
        "heat_map": _heat_map(report),
        "channels": _channels(report),
    }


def _trend(report: Report) -> Figure:
    figure = Figure(figsize=(8, 3), layout="constrained")
    ax = figure.subplots()
    days: Any = [d for d, _n in report.trend]  # matplotlib plots dates; its stubs say floats
    first: Any = report.first
    last: Any = report.last
    ax.plot(days, [n for _d, n in report.trend], marker="o", markersize=3, color="#c0392b")
    ax.axvspan(first, last, color="#f5b7b1", alpha=0.3, label=report.label)
    ax.set_title(every_language(SP_("chart", "cases per day")))
    ax.set_ylabel(every_language(SP_("measure word", "cases")))
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    figure.autofmt_xdate()
    return figure


def _ranking(report: Report) -> Figure:
    groups = report.rankings.get("district", [])
    figure = Figure(figsize=(8, max(2.5, 0.35 * len(groups) + 1)), layout="constrained")
    ax = figure.subplots()
    names = [f"{g.rank}. {g.name}" for g in groups][::-1]
    scores = [g.score or 0.0 for g in groups][::-1]
    bars = ax.barh(names, scores, color="#2e86c1")
    ax.bar_label(bars, fmt="%.1f", padding=2, fontsize=8)
    ax.set_xlim(0, 105)
    ax.set_title(every_language(S_("district ranking (composite score)")))
    if not groups:
        ax.text(
            0.5, 0.5, every_language(S_("no evaluated cases")), ha="center", transform=ax.transAxes
        )
    return figure


def _heat_map(report: Report) -> Figure:
    heat = report.heat_map
    figure = Figure(
        figsize=(max(6, 0.6 * len(heat.columns) + 3), max(3, 0.35 * len(heat.rows) + 1.5)),
        layout="constrained",
    )
    ax = figure.subplots()
    if heat.columns:
        image = ax.imshow(heat.values, cmap="YlOrRd", aspect="auto")
        figure.colorbar(
            image, ax=ax, shrink=0.8, label=every_language(SP_("measure word", "cases"))
        )
        ax.set_xticks(range(len(heat.columns)), heat.columns, rotation=45, ha="right", fontsize=8)
        peak = max((max(row) for row in heat.values), default=0)
        for i, row in enumerate(heat.values):
            for j, value in enumerate(row):
                if value:
                    colour = "white" if value > peak / 2 else "black"
                    ax.text(j, i, str(value), ha="center", va="center", fontsize=7, color=colour)
    ax.set_yticks(range(len(heat.rows)), heat.rows, fontsize=8)
    ax.set_title(every_language(S_("cases by district and category")))
    return figure


def _channels(report: Report) -> Figure:
    figure = Figure(figsize=(4, 3), layout="constrained")
    ax = figure.subplots()
    labels = list(report.by_channel)
    bars = ax.bar(labels, list(report.by_channel.values()), color="#28b463")
    ax.bar_label(bars, fontsize=8)
    ax.set_title(every_language(S_("channels")))
    return figure


def png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def _title(report: Report) -> str:
    whose = f" {every_language(S_('unit'))} {report.unit}" if report.unit else ""
    return f"12345 {every_language(KIND_TITLES[report.kind.value])} {report.label}{whose}"


# ---- HTML --------------------------------------------------------------------------------

CSS = """
body { font-family: "WenQuanYi Zen Hei", "Noto Sans CJK SC", sans-serif; margin: 2em;
       color: #222; }
h1 { color: #922b21; } h2 { border-bottom: 2px solid #c0392b; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .5em 0 1.5em; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; } th { background: #f2f3f4; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.charts img { max-width: 100%; margin: .5em 0; }
"""


def render_html(report: Report, tables: list[Table], charts: dict[str, Figure]) -> str:
    images = {
        name: base64.b64encode(png(figure)).decode("ascii") for name, figure in charts.items()
    }
    title = _title(report)
    parts = [
        "<!doctype html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{report.first} – {report.last} ({html.escape(report.timezone)})；"
        f"{every_language(S_('generated'))} {report.generated_at:%Y-%m-%d %H:%M} UTC</p>",
        '<div class="charts">',
        *[
            f'<img id="chart-{name}" alt="{name}" src="data:image/png;base64,{data}">'
            for name, data in images.items()
        ],
        "</div>",
    ]
    for table in tables:
        parts.append(_html_table(table))
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(c.title)}</th>" for c in table.columns)
    body = []
    for r, row in enumerate(table.rows):
        cells = []
        for c, value in enumerate(row):
            kind = table.kind(r, c)
            css = ' class="n"' if kind != "text" else ""
            cells.append(f"<td{css}>{html.escape(display(value, kind))}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    if not body:
        body.append(
            f'<tr><td colspan="{len(table.columns)}">{every_language(S_("none"))}</td></tr>'
        )
    return (
        f'<h2 id="{table.name}">{html.escape(table.title)}</h2>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


# ---- PDF ---------------------------------------------------------------------------------


def render_pdf(
    report: Report, tables: list[Table], path: Path, charts: dict[str, Figure] | None = None
) -> Path:
    """A4 pages: title and summary with the trend, then each chart, then the tables."""
    charts = charts or draw_charts(report)
    title = _title(report)
    with PdfPages(path, metadata={"Title": title, "Creator": "hotline"}) as pdf:
        pdf.savefig(_cover(report, tables[0], charts["trend"], title))
        for name in ("ranking", "heat_map", "channels"):
            pdf.savefig(_chart_page(charts[name]))
        for table in tables[1:]:
            if table.name in PDF_LEFT_OUT:
                continue
            shown = min(len(table.rows), PDF_ROWS_PER_PAGE * PDF_MAX_PAGES)
            for start in range(0, max(shown, 1), PDF_ROWS_PER_PAGE):
                pdf.savefig(_table_page(table, start, shown))
    return path


def _cover(report: Report, summary: Table, trend: Figure, title: str) -> Figure:
    page = Figure(figsize=A4)
    page.text(0.5, 0.95, title, ha="center", fontsize=18, weight="bold", color="#922b21")
    page.text(
        0.5, 0.92, f"{report.first} – {report.last} ({report.timezone})", ha="center", fontsize=10
    )
    ax = page.add_axes((0.08, 0.45, 0.84, 0.44))
    _draw_table(ax, summary, 0)
    image = page.add_axes((0.05, 0.05, 0.9, 0.36))
    image.imshow(_as_image(trend))
    image.axis("off")
    return page


def _chart_page(chart: Figure) -> Figure:
    page = Figure(figsize=A4)
    ax = page.add_axes((0.04, 0.04, 0.92, 0.92))
    ax.imshow(_as_image(chart))
    ax.axis("off")
    return page


def _table_page(table: Table, start: int, shown: int) -> Figure:
    page = Figure(figsize=A4)
    suffix = f" ({start // PDF_ROWS_PER_PAGE + 1})" if shown > PDF_ROWS_PER_PAGE else ""
    page.text(0.5, 0.96, table.title + suffix, ha="center", fontsize=13, weight="bold")
    ax = page.add_axes((0.03, 0.05, 0.94, 0.88))
    _draw_table(ax, table, start, min(PDF_ROWS_PER_PAGE, shown - start))
    if start + PDF_ROWS_PER_PAGE >= shown and len(table.rows) > shown:
        more = every_language(S_("({count} more rows there)"))  # zh names the files
        left = more.format(count=len(table.rows) - shown, table=table.name)
        page.text(0.5, 0.02, left, ha="center")
    return page


def _draw_table(ax: object, table: Table, start: int, count: int = PDF_ROWS_PER_PAGE) -> None:
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    ax.axis("off")
    rows = [
        [_clip(display(value, table.kind(r, c))) for c, value in enumerate(row)]
        for r, row in enumerate(table.rows[start : start + count], start=start)
    ] or [["—"] * len(table.columns)]
    drawn = ax.table(
        cellText=rows,
        colLabels=[_clip(c.title.replace(" ", "\n", 1)) for c in table.columns],
        loc="upper center",
        cellLoc="center",
    )
    drawn.auto_set_font_size(False)
    drawn.set_fontsize(7 if len(table.columns) > 8 else 8)
    drawn.scale(1, 1.3)
    for (row, _col), cell in drawn.get_celld().items():
        if row == 0:
            cell.set_facecolor("#f2f3f4")
            cell.set_height(cell.get_height() * 1.8)


def _clip(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _as_image(figure: Figure) -> Any:
    from matplotlib.image import imread

    return imread(io.BytesIO(png(figure)), format="png")
