"""The PDF report with very long unit names and topics: every word inside the page and its
cell, nothing cut, and a heat map shaped like a map rather than a thin band.

Checked on the PDF itself: word boxes from `pdftotext -bbox-layout`, the text in drawing
order from `pdftotext -raw`, and the embedded chart images from `pdfimages -list`.
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest

from analytics.metrics import GroupMetrics
from analytics.periods import PeriodKind
from analytics.render import ReportFiles, write_report
from analytics.reports import HeatMap, Report
from analytics.spikes import Spike
from analytics.topics import Cluster, Example, Rise

LONG_UNIT = "北京市朝阳区建外街道办事处城市管理综合执法与市容环境卫生协调服务中心第三工作组"
LONG_LATIN = "Jianwai-Subdistrict-Urban-Management-Comprehensive-Law-Enforcement-Team"
LONG_TOPIC = "小区供暖管网老化导致暖气不热并伴随楼道漏水以及物业长期拒绝维修的问题"
MARGIN = 5.0  # points: nothing closer to a page edge
CATEGORIES = [f"一级类别{i:02d}市政公用设施与城乡建设管理服务" for i in range(15)]


def _group(rank: int, name: str) -> GroupMetrics:
    return GroupMetrics(
        key=f"11010{rank:04d}",
        name=name,
        accepted=100 + rank,
        evaluated=40,
        response_rate=0.95,
        resolution_rate=0.8,
        satisfaction_rate=0.75,
        score=81.5,
        rank=rank,
    )


def _report() -> Report:
    names = [f"{LONG_UNIT}{i}" for i in range(12)] + [f"{LONG_LATIN} {i}" for i in range(6)]
    groups = [_group(i, name) for i, name in enumerate(names, start=1)]
    return Report(
        kind=PeriodKind.monthly,
        label="2026-10",
        unit=None,
        first=date(2026, 10, 1),
        last=date(2026, 10, 31),
        timezone="Asia/Shanghai",
        generated_at=datetime(2026, 11, 1, 1, 0, tzinfo=UTC),
        accepted=1800,
        accepted_previous=1700,
        overall=_group(0, "全市"),
        trend=[(date(2026, 10, d), 50 + d) for d in range(1, 32)],
        by_channel={"voice": 1200, "web": 400, "sms": 200},
        by_category=[(f"16.05.{i:03d}", f"{LONG_TOPIC}{i}", 90 - i) for i in range(20)],
        by_district=[(g.key, g.name, g.accepted) for g in groups],
        rankings={"district": groups[:16], "street": groups, "department": groups[:8]},
        units=groups,
        heat_map=HeatMap(
            rows=["朝阳区", "海淀区"],  # a unit's report: few districts, many categories
            columns=CATEGORIES,
            values=[[i + j for j in range(len(CATEGORIES))] for i in range(2)],
        ),
        rising_categories=[
            Rise(key=f"16.{i}", name=LONG_TOPIC, count=30, previous=10, change=20, ratio=3.0)
            for i in range(5)
        ],  # fmt: skip
        rising_districts=[],
        clusters=[
            Cluster(
                size=40 - i,
                terms=[LONG_TOPIC[:8], LONG_LATIN, "暖气", "漏水", "物业"],
                categories={f"16.05.{j:03d}": 10 for j in range(4)},
                examples=[
                    Example(number=f"20261001-00000{j}", description=LONG_TOPIC[:40])
                    for j in range(3)
                ],  # fmt: skip
            )
            for i in range(12)
        ],
        spikes=[
            Spike(
                day=date(2026, 10, 5),
                category_code="16.05.001",
                category_name=LONG_TOPIC,
                area_code="110105",
                area_name=LONG_UNIT,
                count=30,
                history=[3, 4, 5],
                baseline=4.0,
                ratio=7.5,
                p_value=0.0001,
                robust_z=9.0,
                unit_code="110105001",
            )  # fmt: skip
        ],
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    return write_report(_report(), tmp_path_factory.mktemp("long-names"))


def _run(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout  # noqa: S603


def _pages(pdf: Path) -> list[tuple[float, float, list[tuple[float, float, float, float, str]]]]:
    xml = _run("pdftotext", "-bbox-layout", str(pdf), "-")
    xml = re.sub(r"<!DOCTYPE[^>]*>", "", xml).replace('xmlns="http://www.w3.org/1999/xhtml"', "")
    root = ElementTree.fromstring(xml)
    pages = []
    for page in root.iter("page"):
        words = [
            (
                float(w.get("xMin", 0)),
                float(w.get("yMin", 0)),
                float(w.get("xMax", 0)),
                float(w.get("yMax", 0)),
                w.text or "",
            )
            for w in page.iter("word")
        ]
        pages.append((float(page.get("width", 0)), float(page.get("height", 0)), words))
    return pages


def test_every_word_lies_inside_the_page(files: ReportFiles) -> None:
    pages = _pages(files.pdf)
    assert len(pages) > 5
    for number, (width, height, words) in enumerate(pages, start=1):
        for x0, y0, x1, y1, text in words:
            assert x0 >= MARGIN and y0 >= MARGIN, (number, text)
            assert x1 <= width - MARGIN and y1 <= height - MARGIN, (number, text)


def test_no_cell_runs_over_its_neighbour(files: ReportFiles) -> None:
    """Text that ran past its cell would overlap the next cell's text on the same line (the
    old tables: each column 1/n of the width, a long name drawn across its neighbours)."""
    xml = _run("pdftotext", "-bbox-layout", str(files.pdf), "-")
    lines = re.findall(r"<line[^>]*>(.*?)</line>", xml, re.S)
    assert lines
    for line in lines:
        words = [
            (float(x0), float(x1), text)
            for x0, x1, text in re.findall(
                r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<',
                line,
            )
        ]
        for i, (ax0, ax1, a) in enumerate(words):
            for bx0, bx1, b in words[i + 1 :]:
                assert min(ax1, bx1) - max(ax0, bx0) <= 1.0, (a, b)


def test_long_names_and_topics_are_wrapped_whole_not_cut(files: ReportFiles) -> None:
    text = re.sub(r"\s+", "", _run("pdftotext", "-raw", str(files.pdf), "-"))
    for name in (f"{LONG_UNIT}1", f"{LONG_LATIN}1", f"{LONG_TOPIC}1", LONG_TOPIC[:40]):
        assert name in text, name
    assert "…" not in re.sub(r"\(.*?more rows.*?\)", "", text)


def test_the_heat_map_is_a_map_not_a_band(files: ReportFiles) -> None:
    listing = _run("pdfimages", "-list", str(files.pdf))
    images = {}
    for line in listing.splitlines()[2:]:
        parts = line.split()
        page, width, height = int(parts[0]), int(parts[3]), int(parts[4])
        images.setdefault(page, (width, height))
    width, height = images[3]  # cover (trend), ranking, then the heat map
    assert 0.5 <= width / height <= 2.0, (width, height)
