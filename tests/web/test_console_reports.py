"""The console's reports page: the same figures as `hotline report monthly`, scoped by role.

February 2025 in a database of this module's own: three heating cases of a Chaoyang street,
answered satisfied twice and dissatisfied once; three noise cases of a Haidian street.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy.engine import Engine

from analytics.periods import PeriodKind, period_for
from analytics.reports import build_report
from analytics.scope import CITY, unit_scope
from api.main import create_app
from core.db import make_engine
from core.settings import Environment, Settings
from models import migrate
from models.enums import StaffRole
from models.seed import seed
from tests.analytics.history import add_case, answered, handled, local
from tests.utils.databases import fresh_database
from tests.utils.servers import serve
from tests.utils.staff import console_login, make_staff

CHAOYANG_STREET, HAIDIAN_STREET = "110105001", "110108001"
HEATING = ["暖气不热，家里很冷", "家里暖气不热，老人冷", "暖气一直不热，家里冷得很"]
NOISE = ["广场舞噪音太大，晚上吵", "晚上广场舞噪音太大", "广场舞噪音太大吵得睡不着"]
SATISFACTION = ["satisfied", "satisfied", "dissatisfied"]
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Settings]]:
    with fresh_database(tmp_path_factory.mktemp("console-reports")) as url:
        migrate.upgrade(url)
        engine = make_engine(url)
        seed(engine=engine)
        answers = zip(HEATING, SATISFACTION, strict=True)
        for day, (text, satisfaction) in enumerate(answers, start=3):
            add_case(
                engine,
                at=local(f"2025-02-{day:02d} 09:00"),
                description=text,
                steps=[
                    *handled(CHAOYANG_STREET, 10),
                    answered(30, True, satisfaction == "satisfied", satisfaction),
                ],
                district="110105",
                street=CHAOYANG_STREET,
                unit=CHAOYANG_STREET,
                category="16.05.001",
            )
        for day, text in enumerate(NOISE, start=10):
            add_case(
                engine,
                at=local(f"2025-02-{day:02d} 09:00"),
                description=text,
                steps=handled(HAIDIAN_STREET, 10),
                district="110108",
                street=HAIDIAN_STREET,
                unit=HAIDIAN_STREET,
                category="04.02.003",
            )
        settings = Settings(
            environment=Environment.test,
            database_url=url,
            var_dir=tmp_path_factory.mktemp("var"),
            _env_file=None,  # type: ignore[call-arg]
        )
        yield engine, settings
        engine.dispose()


@pytest.fixture(scope="module")
def api(history: tuple[Engine, Settings]) -> Iterator[str]:
    with serve(create_app(history[1])) as url:
        yield url


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _text_of(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">(.*?)</', html, re.S)
    assert found, element_id
    return found.group(1).strip()


def test_a_supervisor_reads_the_citys_month_with_the_clis_figures(
    api: str, history: tuple[Engine, Settings]
) -> None:
    engine, settings = history
    with console_login(api, make_staff(engine, StaffRole.supervisor)) as client:
        page = client.get("/console/reports?month=2025-02")
    assert page.status_code == 200
    period = period_for(PeriodKind.monthly, date(2025, 2, 1), settings.timezone)
    expected = build_report(engine=engine, settings=settings, period=period, scope=CITY)
    assert _text_of(page.text, "rate-response") == _percent(expected.overall.response_rate)
    assert _text_of(page.text, "rate-resolution") == _percent(expected.overall.resolution_rate)
    assert _text_of(page.text, "rate-satisfaction") == _percent(expected.overall.satisfaction_rate)
    assert expected.overall.satisfaction_rate is not None  # the month has evaluations
    assert _text_of(page.text, "rate-accepted").startswith("6 ")
    for group in expected.rankings["street"]:
        assert group.name in page.text and f"{group.score:.2f}" in page.text
    assert "暖气" in page.text and "噪音" in page.text  # hot topics of both streets
    assert "暖气不热 ×3" in page.text  # categories by name
    assert "16.05.001" not in page.text and not ISO_TIME.search(page.text)


def test_a_unit_handler_reads_their_own_unit_only(
    api: str, history: tuple[Engine, Settings]
) -> None:
    engine, settings = history
    handler = make_staff(engine, StaffRole.unit_handler, CHAOYANG_STREET)
    with console_login(api, handler) as client:
        page = client.get("/console/reports?month=2025-02")
        units = client.get("/console/reports/files/units.csv?month=2025-02")
        pdf = client.get("/console/reports/files/report.pdf?month=2025-02")
    assert page.status_code == 200
    assert _text_of(page.text, "rate-accepted").startswith("3 ")
    assert "噪音" not in page.text and 'id="report-scope"' in page.text
    period = period_for(PeriodKind.monthly, date(2025, 2, 1), settings.timezone)
    scope = unit_scope(engine=engine, unit_code=CHAOYANG_STREET)
    own = build_report(engine=engine, settings=settings, period=period, scope=scope)
    assert _text_of(page.text, "rate-satisfaction") == _percent(own.overall.satisfaction_rate)
    assert units.status_code == 200 and HAIDIAN_STREET not in units.text
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_an_operator_reads_no_reports_in_the_console(
    api: str, history: tuple[Engine, Settings]
) -> None:
    with console_login(api, make_staff(history[0], StaffRole.operator)) as client:
        assert 'id="nav-reports"' not in client.get("/console/intake").text
        assert client.get("/console/reports").status_code == 403
        assert client.get("/console/reports/files/report.pdf").status_code == 403


@pytest.mark.parametrize("month", ["2025-13", "abc", "2025-2", "2999-01", "0001-01"])
def test_a_bad_month_gets_a_clear_error(
    api: str, history: tuple[Engine, Settings], month: str
) -> None:
    with console_login(api, make_staff(history[0], StaffRole.dispatcher)) as client:
        page = client.get("/console/reports", params={"month": month})
        file = client.get("/console/reports/files/report.pdf", params={"month": month})
    assert page.status_code == 422 and 'id="report-error"' in page.text
    assert file.status_code == 422


def test_only_the_reports_own_files_download(api: str, history: tuple[Engine, Settings]) -> None:
    with console_login(api, make_staff(history[0], StaffRole.admin)) as client:
        for name in ("../report.json", "report.json", "nope.csv"):
            answer = client.get(f"/console/reports/files/{name}?month=2025-02")
            assert answer.status_code == 404, name
