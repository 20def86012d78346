"""Reports of a known month: the figures, and files that really render (PDF to PNG with
pdftoppm, HTML in headless Chromium), by the CLI and over the API (as a supervisor: who may
read which report is tests/security/test_reports_access.py); the Prometheus endpoint.

October 2026: four heating cases in Chaoyang handled by its street (one not solved, one only
basically satisfied, one late to be acknowledged), two noise cases in Haidian handled by the
city administration (both satisfied, one still open and supervised).
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import numpy as np
import pytest
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from numpy.lib.stride_tricks import sliding_window_view
from openpyxl import load_workbook
from PIL import Image, ImageDraw, ImageFont
from playwright.async_api import async_playwright
from sqlalchemy.engine import Engine
from typer.testing import CliRunner, Result

from analytics.fonts import cjk_font_file
from analytics.periods import PeriodKind, period_for
from analytics.render import ReportFiles
from analytics.reports import Report
from analytics.service import STEPS, make_report
from analytics.topics import TopicTexts
from api.main import create_app
from cli.main import app as cli_app
from core.metrics import STT_LATENCY_SECONDS
from core.settings import Environment, Settings, get_settings
from models.enums import CaseStatus, Channel, StaffRole
from tests.analytics.history import Step, add_case, answered, handled, local
from tests.utils.processes import ROOT
from tests.utils.servers import serve
from tests.utils.staff import bearer, make_staff

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
OCTOBER = period_for(PeriodKind.monthly, date(2026, 10, 15), "Asia/Shanghai")
STREET_1, CGW = "110105001", "D-CGW"
HEATING = [
    "暖气不热，家里很冷",
    "家里暖气不热，老人冷",
    "暖气一直不热，家里冷得很",
    "暖气不热家里冷",
]


@pytest.fixture(scope="module")
def settings(history_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    e = history_engine
    answers = [(True, True, "satisfied"), (True, True, "satisfied"),
               (True, True, "basically_satisfied"), (True, False, "dissatisfied")]  # fmt: skip
    for day, (text, outcome) in enumerate(zip(HEATING, answers, strict=True), start=1):
        steps = [*handled(STREET_1, 10), answered(12, *outcome)]
        if day == 1:
            steps.insert(1, Step("sla_breach", 5, {"deadline": "acknowledge", "unit": STREET_1}))
        add_case(e, at=local(f"2026-10-{day:02d} 09:00"), description=text, steps=steps,
                 district="110105", street=STREET_1, unit=STREET_1, category="16.05.001",
                 status=CaseStatus.closed)  # fmt: skip
    for day, status in ((10, CaseStatus.closed), (11, CaseStatus.in_progress)):
        add_case(e, at=local(f"2026-10-{day:02d} 09:00"), description="广场舞噪音太大",
                 steps=[*handled(CGW, 5), answered(6, True, True, "satisfied")],
                 district="110108", street="110108001", unit=CGW, category="04.02.003",
                 channel=Channel.web, status=status,
                 supervised=status is CaseStatus.in_progress)  # fmt: skip
    return Settings(
        environment=Environment.test,
        database_url=e.url.render_as_string(hide_password=False),
        var_dir=tmp_path_factory.mktemp("var"),
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture(scope="module")
def made(
    settings: Settings, history_engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Report, ReportFiles]:
    steps: list[str] = []
    report, files = make_report(
        engine=history_engine,
        settings=settings,
        period=OCTOBER,
        out_dir=tmp_path_factory.mktemp("reports"),
        progress=steps.append,
    )
    assert len(steps) == STEPS and steps[-1] == "CSV"  # the progress bar's every step
    return report, files


@pytest.fixture(scope="module")
def api_server(settings: Settings) -> Iterator[str]:
    with serve(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="module")
def api(api_server: str, history_engine: Engine) -> Iterator[httpx.Client]:
    """The API as a supervisor reads it."""
    headers = bearer(api_server, make_staff(history_engine, StaffRole.supervisor))
    with httpx.Client(base_url=api_server, headers=headers, timeout=60) as client:
        yield client


def test_report_figures(made: tuple[Report, ReportFiles]) -> None:
    report, _files = made
    assert (report.label, report.accepted, report.accepted_previous) == ("2026-10", 6, 0)
    overall = report.overall
    assert (overall.evaluated, overall.contacted, overall.solved) == (6, 6, 5)
    assert (overall.response_rate, overall.resolution_rate, overall.satisfaction_rate) == (
        1.0,
        0.833333,
        0.833333,
    )
    assert overall.score == 85.0
    assert overall.breaches == {"acknowledge": 1, "respond": 0, "resolve": 0}
    assert [(g.key, g.rank, g.score) for g in report.rankings["district"]] == [
        ("110108", 1, 100.0),
        ("110105", 2, 77.5),
    ]
    assert [g.key for g in report.rankings["department"]] == [CGW]
    assert report.by_channel == {"voice": 4, "web": 2}
    heat = report.heat_map
    assert heat.columns == ["环境保护", "公用事业"]
    assert heat.values[heat.rows.index("朝阳区")] == [0, 4]
    assert heat.values[heat.rows.index("海淀区")] == [2, 0]
    assert len(heat.rows) == 16
    assert len(report.trend) == 31 and report.trend[0] == (date(2026, 10, 1), 1)
    assert [c.size for c in report.clusters] == [4]


def test_pdf_first_page_is_not_blank(made: tuple[Report, ReportFiles], tmp_path: Path) -> None:
    _report, files = made
    assert files.pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", "-singlefile", str(files.pdf),
         str(tmp_path / "page")],
        check=True,
    )  # fmt: skip
    pixels = np.asarray(Image.open(tmp_path / "page.png").convert("L"), dtype=float)
    assert pixels.shape[0] > 300  # an A4 page at 40 dpi
    assert pixels.std() > 10  # not a blank page
    assert (pixels < 128).mean() > 0.005  # some dark ink: text, table lines, the trend


# ---- the CJK font, whatever state matplotlib's font cache is in ------------------------------

STALE_FONT_CACHE = """
import json, sys
from pathlib import Path
import matplotlib
from matplotlib import font_manager  # builds the cache in MPLCONFIGDIR
from matplotlib.ft2font import FT2Font

def hanzi(fname):  # matplotlib's own Last Resort font maps every character to a box
    if fname.startswith(matplotlib.get_data_path()):
        return False
    try:
        return FT2Font(fname).get_char_index(ord("月")) != 0
    except (RuntimeError, OSError):
        return False

[cache] = Path(sys.argv[1]).glob("fontlist-*.json")
data = json.loads(cache.read_text())
data["ttflist"] = [f for f in data["ttflist"] if not hanzi(f["fname"])]
cache.write_text(json.dumps(data))
"""
FONTS_WITH_HANZI = """
import matplotlib
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font
fonts = [f for f in font_manager.fontManager.ttflist if "mpl-data" not in f.fname]
print(sum(FT2Font(f.fname).get_char_index(ord("月")) != 0 for f in fonts))
"""
DPI = 100


def _python(code: str, *args: str, config: Path) -> str:
    env = {**os.environ, "MPLCONFIGDIR": str(config)}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.fixture(scope="module")
def stale_font_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A matplotlib config dir whose font cache lists no Chinese font: as on a machine where
    matplotlib was first imported before fonts-wqy-zenhei was installed."""
    config = tmp_path_factory.mktemp("mplconfig")
    _python(STALE_FONT_CACHE, str(config), config=config)
    assert _python(FONTS_WITH_HANZI, config=config).strip() == "0"
    return config


def _report_process(settings: Settings, out: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`hotline report monthly` in a process of its own (matplotlib's fonts are per process)."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "report", "monthly", "--date", "2026-10-15",
         "--out", str(out)],
        cwd=ROOT,
        env={**inherited, "HOTLINE_DATABASE_URL": settings.database_url,
             "HOTLINE_VAR_DIR": str(settings.var_dir), **env},
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip


def _first_page(pdf: Path, into: Path) -> np.ndarray:
    subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf),
         str(into / "page")],
        check=True,
    )  # fmt: skip
    return np.asarray(Image.open(into / "page.png").convert("L"), dtype=float)


def _glyphs(text: str, font: Path, points: float) -> np.ndarray:
    """`text` drawn by FreeType (Pillow) in `font` at the size `points` has on the page."""
    face = ImageFont.truetype(str(font), size=round(points * DPI / 72))
    image = Image.new("L", (40 * len(text) + 40, 80), 255)
    ImageDraw.Draw(image).text((10, 10), text, font=face, fill=0)
    pixels = np.asarray(image, dtype=float)
    ys, xs = np.nonzero(pixels < 200)
    return pixels[ys.min() - 1 : ys.max() + 2, xs.min() - 1 : xs.max() + 2]


def _best_match(page: np.ndarray, glyphs: np.ndarray) -> float:
    """Highest normalised cross-correlation of `glyphs` anywhere in the page's top eighth:
    about 1 where those glyphs are printed, far lower over boxes or other characters."""
    windows = sliding_window_view(page[: page.shape[0] // 8], glyphs.shape)
    mean = windows.mean(axis=(2, 3), keepdims=True)
    spread = windows.std(axis=(2, 3), keepdims=True) + 1e-6
    template = (glyphs - glyphs.mean()) / glyphs.std()
    return float((((windows - mean) / spread) * template).mean(axis=(2, 3)).max())


def test_pdf_shows_chinese_with_a_font_cache_built_before_the_font(
    settings: Settings, stale_font_cache: Path, tmp_path: Path
) -> None:
    font = cjk_font_file(settings)
    assert font is not None, "no CJK font: install runtime-packages.txt (make runtime-deps)"
    done = _report_process(settings, tmp_path, MPLCONFIGDIR=str(stale_font_cache))
    assert done.returncode == 0, done.stderr
    assert "missing from font" not in done.stderr + done.stdout
    assert "no CJK font" not in done.stderr + done.stdout
    pdf = tmp_path / "monthly-2026-10" / "report.pdf"
    # The font the renderer registered by file is embedded (matplotlib embeds Type 3 glyphs).
    family = str(ImageFont.truetype(str(font)).getname()[0]).replace(" ", "")
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    assert any(family in line and " yes " in line for line in fonts.stdout.splitlines())
    # The heading's Chinese (from the PDF's title) is printed as the font draws it.
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    [heading] = re.findall(r"[\u4e00-\u9fff]+", info.stdout)
    page = _first_page(pdf, tmp_path)
    assert _best_match(page, _glyphs(heading, font, 18)) > 0.8


def test_the_glyph_check_fails_on_boxes(settings: Settings, tmp_path: Path) -> None:
    # The same heading drawn by a font without Chinese: what every report looked like.
    font = cjk_font_file(settings)
    assert font is not None
    page = Figure(figsize=(8.27, 11.69))
    dejavu = FontProperties(family="DejaVu Sans", size=18)
    page.text(0.5, 0.95, "12345 月报 monthly report", ha="center", fontproperties=dejavu)
    with (
        pytest.warns(UserWarning, match="missing from font"),
        PdfPages(tmp_path / "boxes.pdf") as pdf,
    ):
        pdf.savefig(page)
    boxes = _first_page(tmp_path / "boxes.pdf", tmp_path)
    assert _best_match(boxes, _glyphs("月报", font, 18)) < 0.6


def test_without_a_cjk_font_the_report_says_so_once_and_still_renders(
    settings: Settings, tmp_path: Path
) -> None:
    done = _report_process(settings, tmp_path, HOTLINE_CJK_FONT=str(tmp_path / "none.ttc"))
    assert done.returncode == 0, done.stderr
    said = done.stderr + done.stdout
    assert said.count("no CJK font for reports") == 1, said
    assert "install fonts-wqy-zenhei" in said
    assert "missing from font" not in said
    assert (tmp_path / "monthly-2026-10" / "report.pdf").read_bytes().startswith(b"%PDF")


async def test_html_report_renders_in_chromium(made: tuple[Report, ReportFiles]) -> None:
    _report, files = made
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page()
            await page.goto(files.html.as_uri())
            assert await page.title() == "12345 月报 monthly report 2026-10"
            widths = await page.eval_on_selector_all(
                ".charts img", "images => images.map(i => i.complete ? i.naturalWidth : 0)"
            )
            assert len(widths) == 4 and min(widths) > 300
            rows = page.locator("#ranking-district + table tbody tr")
            assert await rows.count() == 2
            assert (await rows.first.inner_text()).split("\t")[:3] == ["1", "110108", "海淀区"]
        finally:
            await browser.close()


def test_tables_as_xlsx_and_csv(made: tuple[Report, ReportFiles]) -> None:
    _report, files = made
    book = load_workbook(files.xlsx, read_only=True)
    assert {"summary", "ranking-district", "units", "heat-map", "spikes"} <= set(book.sheetnames)
    ranking = list(book["ranking-district"].iter_rows(values_only=True))
    assert ranking[1][:3] == (1, "110108", "海淀区") and ranking[2][7] == 77.5
    csv_text = (files.directory / "ranking-district.csv").read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[0].startswith("名次 rank,代码 code,名称 name")
    assert {p.name for p in files.csv} >= {"units.csv", "topics.csv", "trend.csv"}


def test_topic_section_says_how_many_texts_it_read(made: tuple[Report, ReportFiles]) -> None:
    report, files = made
    assert report.topic_texts == TopicTexts(total=6, read=6, clustered=6)
    said = ("本期 6 条中读取 6 条", "6 of the period's 6 texts read")
    page = files.html.read_text(encoding="utf-8")
    topics = page[page.index('<h2 id="topics">') :]
    assert all(s in topics[: topics.index("<table>")] for s in (*said[:1], html.escape(said[1])))
    csv_rows = (files.directory / "topics.csv").read_text(encoding="utf-8-sig").splitlines()
    assert all(s in csv_rows[-1] for s in said)
    sheet = list(load_workbook(files.xlsx, read_only=True)["topics"].iter_rows(values_only=True))
    assert all(s in str(sheet[-1][0]) for s in said)
    pdf = subprocess.run(
        ["pdftotext", "-layout", str(files.pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "本期6条中读取6条" in "".join(pdf.split())


def _cli(settings: Settings, *args: str) -> Result:
    """`hotline report …`, run by its typer app in this process."""
    env = {"HOTLINE_DATABASE_URL": settings.database_url, "HOTLINE_VAR_DIR": str(settings.var_dir)}
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli_app, ["report", *args], env=env)
    finally:
        get_settings.cache_clear()


def test_cli_writes_a_monthly_report(settings: Settings, tmp_path: Path) -> None:
    done = _cli(settings, "monthly", "--date", "2026-10-15", "--out", str(tmp_path))
    assert done.exit_code == 0, done.stdout
    assert "monthly report 2026-10: 6 cases accepted" in done.stdout
    written = tmp_path / "monthly-2026-10"
    assert {"report.html", "report.pdf", "report.xlsx", "summary.csv"} <= {
        p.name for p in written.iterdir()
    }


def test_cli_refuses_bad_dates(settings: Settings) -> None:
    bad = _cli(settings, "daily", "--date", "2026-13-01")
    assert bad.exit_code == 2 and "--date must be YYYY-MM-DD" in bad.stdout
    future = _cli(settings, "weekly", "--date", "2999-01-01")
    assert future.exit_code == 2 and "has not begun" in future.stdout


def test_cli_prints_a_ranking(settings: Settings) -> None:
    done = _cli(settings, "ranking", "district", "--date", "2026-10-01")
    assert done.exit_code == 0, done.stdout
    assert "海淀区" in done.stdout and "77.50" in done.stdout


def test_api_serves_figures_and_files(api: httpx.Client) -> None:
    report = api.get("/api/v1/reports/monthly", params={"date": "2026-10-20"}, timeout=300)
    assert report.status_code == 200
    assert report.json()["overall"]["satisfaction_rate"] == 0.833333
    ranking = api.get("/api/v1/reports/monthly/rankings/district?date=2026-10-01")
    assert [g["key"] for g in ranking.json()] == ["110108", "110105"]
    pdf = api.get("/api/v1/reports/monthly/files/report.pdf?date=2026-10-01", timeout=600)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert "hotline-monthly-2026-10-report.pdf" in pdf.headers["content-disposition"]
    daily = api.get("/api/v1/reports/daily?date=2026-10-01", timeout=300).json()
    assert (daily["label"], daily["accepted"], daily["spikes"]) == ("2026-10-01", 1, [])
    weekly = api.get("/api/v1/reports/weekly?date=2026-10-01", timeout=300).json()
    assert (weekly["label"], weekly["first"], weekly["accepted"]) == ("2026-W40", "2026-09-28", 4)
    table = api.get("/api/v1/reports/monthly/files/units.csv?date=2026-10-01")
    assert table.status_code == 200 and STREET_1 in table.text


def test_api_refuses_bad_requests(api: httpx.Client) -> None:
    assert api.get("/api/v1/reports/yearly").status_code == 422
    future = api.get("/api/v1/reports/daily?date=2999-01-01")
    assert future.status_code == 422
    assert future.json()["detail"] == "daily report for 2999-01-01: that period has not begun"
    channel = api.get("/api/v1/reports/monthly/rankings/channel?date=2026-10-01")
    assert channel.status_code == 422
    assert channel.json()["detail"] == "rankings are by district, street, department"
    missing = api.get("/api/v1/reports/monthly/files/nothing.csv?date=2026-10-01")
    assert missing.status_code == 404 and "tables:" in missing.json()["detail"]
    assert api.get("/api/v1/reports/monthly/files/..%2Fx.pdf").status_code == 404


def test_api_spikes_and_alerts(api: httpx.Client) -> None:
    spikes = api.get("/api/v1/reports/spikes", params={"date": "2026-10-01"})
    assert spikes.status_code == 200 and spikes.json() == []
    alerts = api.get("/api/v1/reports/alerts", params={"since": "2026-10-01"})
    assert alerts.status_code == 200 and alerts.json() == []


def test_prometheus_metrics(api_server: str) -> None:
    STT_LATENCY_SECONDS.labels(language="zh").observe(0.3)
    body = httpx.get(f"{api_server}/metrics").text
    assert 'hotline_cases_accepted_total{channel="voice"} 4.0' in body
    assert 'hotline_cases_accepted_total{channel="web"} 2.0' in body
    assert 'hotline_cases_open{status="in_progress"} 1.0' in body
    assert "hotline_cases_supervised_open 1.0" in body
    assert 'hotline_deadline_breaches_total{deadline="acknowledge"} 1.0' in body
    assert 'hotline_stt_latency_seconds_bucket{language="zh",le="0.5"}' in body
