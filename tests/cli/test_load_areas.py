"""`hotline units load-areas`: a city's own boundaries replace the shipped areas, all or nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.units import app
from core.settings import get_settings
from dispatch.geo import LOADED_NAME, areas_for, shipped_areas
from dispatch.location import LocationIndex

runner = CliRunner()
WANGJING_POINT = (39.9935, 116.4555)
# A square around Wangjing as a surveyed boundary, inside a square "Chaoyang"
SQUARE = [[116.44, 39.98], [116.47, 39.98], [116.47, 40.01], [116.44, 40.01], [116.44, 39.98]]
BIG = [[116.3, 39.8], [116.7, 39.8], [116.7, 40.1], [116.3, 40.1], [116.3, 39.8]]


def _feature(code: str, ring: list[list[float]]) -> dict[str, object]:
    return {
        "type": "Feature",
        "properties": {"code": code},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


@pytest.fixture
def city_var(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", database_url)
    monkeypatch.setenv("HOTLINE_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield tmp_path / "var"
    get_settings.cache_clear()


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_citys_boundaries_replace_the_shipped_areas(
    city_var: Path, tmp_path: Path, engine: Engine
) -> None:
    features = [_feature("110105", BIG), _feature("110105026", SQUARE)]
    path = _write(tmp_path, {"type": "FeatureCollection", "features": features})
    result = runner.invoke(app, ["load-areas", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 district and 1 street areas loaded (0 approximate)" in result.output
    index = LocationIndex.from_engine(engine, areas_for(city_var))
    match = index.match_point(*WANGJING_POINT)
    assert (match.street_code, match.approximate, match.confidence.value) == (
        "110105026",
        False,
        "exact",
    )


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("not json", "not a readable GeoJSON file"),
        ({"type": "Feature"}, 'the file must be a GeoJSON object with "type": "FeatureCollection"'),
        (
            {"type": "FeatureCollection", "features": [_feature("999999", BIG)]},
            "code 999999 is not a district or street in the units (load the units first)",
        ),
        (
            {"type": "FeatureCollection", "features": [_feature("110105", BIG[:2])]},
            "feature 1: a ring needs at least 4 positions",
        ),
        (
            {"type": "FeatureCollection", "features": [_feature("110105026", SQUARE)]},
            "no district boundary: a point is placed in a district first",
        ),
    ],
)
def test_a_bad_file_gives_a_clear_error_and_changes_nothing(
    city_var: Path, tmp_path: Path, data: object, problem: str
) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    result = runner.invoke(app, ["load-areas", str(path)])
    assert result.exit_code == 1
    assert "nothing loaded" in result.output
    assert problem in " ".join(result.output.split())
    assert not (city_var / LOADED_NAME).exists()
    assert areas_for(city_var) is shipped_areas()
