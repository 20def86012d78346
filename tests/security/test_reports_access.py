"""Defect 3 of issue 13: `/api/v1/reports/*` answered anyone, with raw case descriptions.

The attacks as they were sent, over HTTP to the real app: anonymous GETs of every report
format, a unit handler reaching for the city's or another unit's figures, and the phone, e-mail
and ID number a citizen wrote that came back in a report's examples; and a report that was
built again for every request. Each test was seen failing against the code before the fix
(every route answered 200 to anyone, the examples were the raw descriptions, and no request
was ever served from a cache).

February 2025 in a database of this module's own: three heating cases of a Chaoyang street
whose texts carry a phone, an e-mail address and an ID number, three noise cases of a Haidian
street.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest
from openpyxl import load_workbook
from prometheus_client import REGISTRY
from sqlalchemy.engine import Engine

from api.main import create_app
from core.db import make_engine
from core.settings import Environment, Settings
from models import migrate
from models.enums import StaffRole
from models.seed import seed
from tests.analytics.history import add_case, handled, local
from tests.utils.databases import fresh_database
from tests.utils.servers import serve
from tests.utils.staff import CHAOYANG, bearer, make_staff

CHAOYANG_STREET, HAIDIAN_STREET = "110105001", "110108001"
PHONE, EMAIL, ID_NUMBER = "13812345678", "li.wei@example.com", "110105199001011234"
HEATING = [
    f"暖气不热，家里很冷，请打电话{PHONE}",
    f"家里暖气不热，老人冷，邮箱{EMAIL}",
    f"暖气一直不热，家里冷得很，身份证{ID_NUMBER}",
]
NOISE = ["广场舞噪音太大，晚上吵", "晚上广场舞噪音太大", "广场舞噪音太大吵得睡不着"]
MONTH = {"date": "2025-02-10"}
FORMATS = ["report.html", "report.pdf", "report.xlsx", "units.csv", "topics.csv"]
PATHS = [
    "/api/v1/reports/monthly",
    "/api/v1/reports/monthly/rankings/district",
    "/api/v1/reports/spikes",
    "/api/v1/reports/alerts?since=2025-02-01",
    *[f"/api/v1/reports/monthly/files/{name}" for name in FORMATS],
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with fresh_database(tmp_path_factory.mktemp("reports-access")) as url:
        migrate.upgrade(url)
        engine = make_engine(url)
        seed(engine=engine)
        for day, text in enumerate(HEATING, start=3):
            _street_case(engine, day, text, CHAOYANG, CHAOYANG_STREET, "16.05.001")
        for day, text in enumerate(NOISE, start=10):
            _street_case(engine, day, text, "110108", HAIDIAN_STREET, "04.02.003")
        yield engine
        engine.dispose()


@pytest.fixture(scope="module")
def api(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(
        environment=Environment.test,
        database_url=engine.url.render_as_string(hide_password=False),
        var_dir=tmp_path_factory.mktemp("var"),
        _env_file=None,  # type: ignore[call-arg]
    )
    with serve(create_app(settings)) as url:
        yield url


def _street_case(
    engine: Engine, day: int, text: str, district: str, street: str, category: str
) -> None:
    add_case(
        engine,
        at=local(f"2025-02-{day:02d} 09:00"),
        description=text,
        steps=handled(street, 10),
        district=district,
        street=street,
        unit=street,
        category=category,
    )


def _as(api: str, engine: Engine, role: StaffRole, unit: str | None = None) -> dict[str, str]:
    return bearer(api, make_staff(engine, role, unit))


def _get(
    api: str, path: str, headers: dict[str, str] | None = None, **params: str
) -> httpx.Response:
    return httpx.get(f"{api}{path}", params={**MONTH, **params}, headers=headers, timeout=300)


def test_anonymous_callers_get_401_from_every_report_route_and_format(api: str) -> None:
    for path in PATHS:
        response = _get(api, path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json() == {
            "detail": "log in: this needs a staff bearer token (POST /api/v1/auth/token)"
        }
    forged = _get(api, PATHS[0], {"Authorization": "Bearer forged.token"})
    assert forged.status_code == 401


def test_an_operator_gets_403_with_a_message_saying_who_may(api: str, engine: Engine) -> None:
    operator = _as(api, engine, StaffRole.operator)
    for path in PATHS:
        response = _get(api, path, operator)
        assert response.status_code == 403, path
        assert response.json() == {
            "detail": "the operator role may not read reports: they are for dispatchers, "
            "supervisors, admins and unit handlers"
        }


@pytest.mark.parametrize("role", [StaffRole.dispatcher, StaffRole.supervisor, StaffRole.admin])
def test_the_centres_roles_read_the_citys_figures(
    api: str, engine: Engine, role: StaffRole
) -> None:
    report = _get(api, "/api/v1/reports/monthly", _as(api, engine, role))
    assert report.status_code == 200
    assert (report.json()["unit"], report.json()["accepted"]) == (None, 6)


def test_a_unit_handler_reads_only_their_own_units_figures_and_texts(
    api: str, engine: Engine
) -> None:
    handler = _as(api, engine, StaffRole.unit_handler, CHAOYANG_STREET)
    response = _get(api, "/api/v1/reports/monthly", handler)
    assert response.status_code == 200
    report = response.json()
    assert (report["unit"], report["accepted"]) == (CHAOYANG_STREET, 3)
    assert [u["key"] for u in report["units"]] == [CHAOYANG_STREET]
    assert [d[0] for d in report["by_district"]] == [CHAOYANG]
    assert "广场舞" not in response.text and HAIDIAN_STREET not in response.text
    assert [c["size"] for c in report["clusters"]] == [3]
    units_csv = _get(api, "/api/v1/reports/monthly/files/units.csv", handler)
    assert units_csv.status_code == 200 and HAIDIAN_STREET not in units_csv.text
    page = _get(api, "/api/v1/reports/monthly/files/report.html", handler)
    assert page.status_code == 200 and "广场舞" not in page.text
    ranking = _get(api, "/api/v1/reports/monthly/rankings/street", handler).json()
    assert [g["key"] for g in ranking] == []  # nothing evaluated: no ranks, and no one else's


def test_a_unit_handler_asking_for_another_unit_or_the_city_gets_403(
    api: str, engine: Engine
) -> None:
    handler = _as(api, engine, StaffRole.unit_handler, CHAOYANG_STREET)
    for unit in (HAIDIAN_STREET, CHAOYANG, "110000"):
        for path in PATHS:
            response = _get(api, path, handler, unit=unit)
            assert response.status_code == 403, (unit, path)
            assert response.json() == {
                "detail": f"you read the reports of unit {CHAOYANG_STREET} and the units "
                f"under it, not of {unit}"
            }


def test_a_district_handler_reads_its_streets_and_a_supervisor_any_unit(
    api: str, engine: Engine
) -> None:
    district = _as(api, engine, StaffRole.unit_handler, CHAOYANG)
    own = _get(api, "/api/v1/reports/monthly", district).json()
    assert (own["unit"], own["accepted"]) == (CHAOYANG, 3)
    street = _get(api, "/api/v1/reports/monthly", district, unit=CHAOYANG_STREET).json()
    assert (street["unit"], street["accepted"]) == (CHAOYANG_STREET, 3)
    supervisor = _as(api, engine, StaffRole.supervisor)
    haidian = _get(api, "/api/v1/reports/monthly", supervisor, unit=HAIDIAN_STREET).json()
    assert (haidian["unit"], haidian["accepted"]) == (HAIDIAN_STREET, 3)
    unknown = _get(api, "/api/v1/reports/monthly", supervisor, unit="NOPE")
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "no unit with the code 'NOPE'"}


def test_report_examples_carry_no_phone_email_or_id_number_in_any_format(
    api: str, engine: Engine
) -> None:
    supervisor = _as(api, engine, StaffRole.supervisor)
    response = _get(api, "/api/v1/reports/monthly", supervisor)
    examples = [e for c in response.json()["clusters"] for e in c["examples"]]
    heating = sorted(e["description"] for e in examples if "暖气" in e["description"])
    assert len(heating) == 3
    assert any("[phone]" in text for text in heating)
    assert any("[email]" in text for text in heating)
    assert any("[id]" in text for text in heating)
    workbook = _get(api, "/api/v1/reports/monthly/files/report.xlsx", supervisor)
    cells = [
        str(cell)
        for sheet in load_workbook(io.BytesIO(workbook.content)).worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
    ]
    texts = {
        "json": response.text,
        "html": _get(api, "/api/v1/reports/monthly/files/report.html", supervisor).text,
        "csv": _get(api, "/api/v1/reports/monthly/files/topics.csv", supervisor).text,
        "xlsx": "\n".join(cells),
    }
    for name, text in texts.items():
        assert "暖气" in text, name
        for secret in (PHONE, EMAIL, ID_NUMBER):
            assert secret not in text, (name, secret)


def test_a_closed_periods_report_is_built_once_for_every_format(api: str, engine: Engine) -> None:
    supervisor = _as(api, engine, StaffRole.supervisor)
    week = {"date": "2025-02-04"}

    def builds() -> float:
        return REGISTRY.get_sample_value("hotline_report_builds_total", {"kind": "weekly"}) or 0.0

    before = builds()
    first = _get(api, "/api/v1/reports/weekly", supervisor, **week)
    second = _get(api, "/api/v1/reports/weekly", supervisor, **week)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    for name in ("report.pdf", "report.pdf", "report.html", "units.csv"):
        assert _get(api, f"/api/v1/reports/weekly/files/{name}", supervisor, **week).is_success
    assert builds() - before == 1
    handler = _as(api, engine, StaffRole.unit_handler, CHAOYANG_STREET)
    own = _get(api, "/api/v1/reports/weekly", handler, **week)
    assert own.json()["unit"] == CHAOYANG_STREET  # a scope of its own, not the city's copy
    assert builds() - before == 2
