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
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from analytics import pdf_tables
from analytics.fonts import INSTALL_HINT, cjk_font_file, missing_cjk_font
from analytics.reports import Report
from analytics.tables import Table, display, report_tables, write_csv, write_xlsx
from core.i18n import S_, SP_, every_language
from core.settings import get_settings

log = logging.getLogger("hotline.analytics")

A4 = (8.27, 11.69)
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


WRITE_STEPS = 5  # progress callbacks made by write_report


def write_report(
    report: Report, directory: Path, progress: Callable[[str], None] | None = None
) -> ReportFiles:
    """All formats of one report into `directory` (created if needed)."""
    step = progress or (lambda _name: None)
    directory.mkdir(parents=True, exist_ok=True)
    step("charts")
    tables = report_tables(report)
    charts = draw_charts(report)
    step("HTML")
    html_path = directory / "report.html"
    html_path.write_text(render_html(report, tables, charts), encoding="utf-8")
    step("PDF")
    pdf_path = directory / "report.pdf"
    render_pdf(report, tables, pdf_path, charts)
    step("XLSX")
    xlsx = write_xlsx(tables, directory / "report.xlsx")
    step("CSV")
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


def draw_charts(report: Report) -> dict[str, bytes]:
    """Each chart as PNG, drawn once for both the HTML page and the PDF's pages."""
    cjk_font()
    return {
        "trend": png(_trend(report)),
        "ranking": png(_ranking(report)),
        "heat_map": png(_heat_map(report)),
        "channels": png(_channels(report)),
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
    names = [f"{g.rank}. {_label(g.name, 16)}" for g in groups][::-1]
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
    """Categories down the side (their names are long and read level), districts across.

    The figure is as wide as the PDF page and as tall as its categories need, so on the page
    (and in the HTML) it is a map of cells, not a band squeezed to the page's width.
    """
    heat = report.heat_map
    categories = heat.columns
    districts = heat.rows
    height = min(10.5, max(4.0, 0.32 * len(categories) + 2.8))
    figure = Figure(figsize=(7.5, height), layout="constrained")
    ax = figure.subplots()
    if categories and districts:
        values = [[row[j] for row in heat.values] for j in range(len(categories))]
        image = ax.imshow(values, cmap="YlOrRd", aspect="auto")
        figure.colorbar(
            image, ax=ax, shrink=0.8, label=every_language(SP_("measure word", "cases"))
        )
        peak = max((max(row) for row in values), default=0)
        for i, row in enumerate(values):
            for j, value in enumerate(row):
                if value:
                    colour = "white" if value > peak / 2 else "black"
                    ax.text(j, i, str(value), ha="center", va="center", fontsize=7, color=colour)
    ax.set_xticks(
        range(len(districts)),
        [_label(d, 8) for d in districts],
        rotation=90 if len(districts) > 6 else 0,  # a unit's report: a few districts, level
        fontsize=8,
    )
    ax.set_yticks(range(len(categories)), [_label(c, 12) for c in categories], fontsize=8)
    ax.set_title(every_language(S_("cases by district and category")))
    return figure


def _label(name: str, per_line: int) -> str:
    """A tick label in at most two lines of `per_line` characters (the tables name it whole)."""
    if len(name) <= per_line:
        return name
    if len(name) <= 2 * per_line:
        return f"{name[:per_line]}\n{name[per_line:]}"
    return f"{name[:per_line]}\n{name[per_line : 2 * per_line - 1]}…"


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
p.note { color: #555; font-size: 13px; margin: .3em 0; }
.charts img { max-width: 100%; margin: .5em 0; }
"""


def render_html(report: Report, tables: list[Table], charts: dict[str, bytes]) -> str:
    images = {name: base64.b64encode(data).decode("ascii") for name, data in charts.items()}
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
    note = f'<p class="note">{html.escape(table.note)}</p>' if table.note else ""
    return (
        f'<h2 id="{table.name}">{html.escape(table.title)}</h2>{note}'
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


# ---- PDF ---------------------------------------------------------------------------------


def render_pdf(
    report: Report, tables: list[Table], path: Path, charts: dict[str, bytes] | None = None
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
            for page in _table_pages(table):
                pdf.savefig(page)
    return path


def _cover(report: Report, summary: Table, trend: bytes, title: str) -> Figure:
    page = Figure(figsize=A4)
    heading = pdf_tables.wrap(title, (A4[0] - 1) * pdf_tables.POINTS_PER_INCH, 18, max_lines=2)
    page.text(0.5, 0.95, "\n".join(heading), ha="center", va="top", fontsize=18, color="#922b21")
    page.text(
        0.5, 0.89, f"{report.first} – {report.last} ({report.timezone})", ha="center", fontsize=10
    )
    box = pdf_tables.Box(left=0.12, right=0.88, top=0.87, bottom=0.45)
    width = (box.right - box.left) * A4[0] * pdf_tables.POINTS_PER_INCH
    drawn = pdf_tables.layout(summary, width, 8)
    pdf_tables.draw(page, drawn, pdf_tables.pages_of_rows(drawn, box, A4[1])[0], box)
    image = page.add_axes((0.05, 0.05, 0.9, 0.36))
    image.imshow(_as_image(trend))
    image.axis("off")
    return page


def _chart_page(chart: bytes) -> Figure:
    page = Figure(figsize=A4)
    ax = page.add_axes((0.04, 0.04, 0.92, 0.92))
    ax.imshow(_as_image(chart))
    ax.axis("off")
    return page


TABLE_BOX = pdf_tables.Box(left=0.05, right=0.95, top=0.93, bottom=0.05)
NOTED_BOX = pdf_tables.Box(left=0.05, right=0.95, top=0.895, bottom=0.05)  # 3 lines of note


def _table_pages(table: Table) -> list[Figure]:
    """The table over as many pages as its wrapped rows need, at most PDF_MAX_PAGES."""
    size = 7 if len(table.columns) > 8 else 8
    box = NOTED_BOX if table.note else TABLE_BOX
    width = (box.right - box.left) * A4[0] * pdf_tables.POINTS_PER_INCH
    drawn = pdf_tables.layout(table, width, size)
    chunks = pdf_tables.pages_of_rows(drawn, box, A4[1])
    shown = chunks[:PDF_MAX_PAGES]
    note = "\n".join(pdf_tables.wrap(table.note, width, 8, max_lines=3)) if table.note else ""
    pages = []
    for number, rows in enumerate(shown, start=1):
        page = Figure(figsize=A4)
        suffix = f" ({number})" if len(chunks) > 1 else ""
        page.text(0.5, 0.96, table.title + suffix, ha="center", fontsize=13, weight="bold")
        if note:
            page.text(box.left, 0.945, note, ha="left", va="top", fontsize=8, color="#555555")
        pdf_tables.draw(page, drawn, rows, box)
        pages.append(page)
    left_out = len(table.rows) - (shown[-1].stop if shown else 0)
    if left_out > 0:
        more = every_language(S_("({count} more rows there)"))  # zh names the files
        pages[-1].text(0.5, 0.02, more.format(count=left_out, table=table.name), ha="center")
    return pages


def _as_image(data: bytes) -> Any:
    from matplotlib.image import imread

    return imread(io.BytesIO(data), format="png")
