"""Areas for map points: district and street polygons, point in polygon, map datum conversion.

The shipped areas (`models/seed_data/geo/`, WGS-84, see its README) are Beijing's 16 district
boundaries, accurate to tens of metres, and approximate street areas built from community
points. `hotline units load-areas FILE.geojson` replaces them with a city's own boundaries,
kept in `var/geo/areas.geojson`. Points picked on Chinese maps are converted to WGS-84 first:
AMap and Tencent show GCJ-02, Baidu BD-09 (the published formulas, no network).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.enums import CoordinateSystem, UnitKind
from models.unit import Unit

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "models" / "seed_data" / "geo"
SHIPPED_FILES = ("beijing_districts.geojson", "beijing_streets.geojson")
LOADED_NAME = Path("geo") / "areas.geojson"  # under the settings' var_dir

Ring = tuple[tuple[float, float], ...]  # (lon, lat) positions, closed or not
Polygon = tuple[Ring, ...]  # the outer ring, then holes


class AreasFileError(Exception):
    """An areas file that cannot be used; `problems` says each reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Area:
    code: str  # the unit code of a district or street
    polygons: tuple[Polygon, ...]
    bbox: tuple[float, float, float, float]  # west, south, east, north
    approximate: bool  # built from points, not a surveyed boundary
    point: tuple[float, float] | None  # a representative (lat, lon) inside it

    def contains(self, latitude: float, longitude: float) -> bool:
        west, south, east, north = self.bbox
        if not (west <= longitude <= east and south <= latitude <= north):
            return False
        return any(_in_polygon(polygon, longitude, latitude) for polygon in self.polygons)


@dataclass(frozen=True)
class PlaceAreas:
    areas: dict[str, Area]
    source: str  # the file(s) they came from, for reasons and the CLI


def shipped_areas() -> PlaceAreas:
    """The areas in the repository's seed data."""
    return _read_cached(tuple(str(SHIPPED_DIR / name) for name in SHIPPED_FILES), 0.0)


def areas_for(var_dir: Path) -> PlaceAreas:
    """The areas loaded with `hotline units load-areas`, else the shipped ones."""
    loaded = var_dir / LOADED_NAME
    try:
        mtime = os.stat(loaded).st_mtime
    except FileNotFoundError:
        return shipped_areas()
    return _read_cached((str(loaded),), mtime)


def read_areas(path: Path) -> PlaceAreas:
    """Every area of a GeoJSON FeatureCollection; AreasFileError lists all that is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AreasFileError([f"not a readable GeoJSON file: {exc}"]) from exc
    areas, problems = parse_areas(data)
    if problems:
        raise AreasFileError(problems)
    return PlaceAreas({area.code: area for area in areas}, str(path))


def parse_areas(data: object) -> tuple[list[Area], list[str]]:
    """Areas from a FeatureCollection whose features carry a `code` property; problems found."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        return [], ['the file must be a GeoJSON object with "type": "FeatureCollection"']
    features = data.get("features")
    if not isinstance(features, list) or not features:
        return [], ["the FeatureCollection has no features"]
    areas: list[Area] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, feature in enumerate(features, start=1):
        try:
            area = _area(feature)
        except ValueError as exc:
            problems.append(f"feature {number}: {exc}")
            continue
        if area.code in seen:
            problems.append(f"feature {number}: code {area.code} appears twice")
        seen.add(area.code)
        areas.append(area)
    return areas, problems


def to_wgs84(latitude: float, longitude: float, system: CoordinateSystem) -> tuple[float, float]:
    """(lat, lon) in WGS-84 for a point given in `system`."""
    if system is CoordinateSystem.bd09:
        latitude, longitude = bd09_to_gcj02(latitude, longitude)
        system = CoordinateSystem.gcj02
    if system is CoordinateSystem.gcj02:
        return gcj02_to_wgs84(latitude, longitude)
    return latitude, longitude


# ---- GCJ-02 and BD-09 (the published formulas) ---------------------------------------------

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as GCJ-02 uses it
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0


def wgs84_to_gcj02(latitude: float, longitude: float) -> tuple[float, float]:
    if _outside_china(latitude, longitude):
        return latitude, longitude
    x, y = longitude - 105.0, latitude - 35.0
    rad = latitude / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (_shift_lat(x, y) * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (_shift_lon(x, y) * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return latitude + dlat, longitude + dlon


def gcj02_to_wgs84(latitude: float, longitude: float) -> tuple[float, float]:
    """The inverse by iteration: well under a millimetre after a few steps."""
    lat, lon = latitude, longitude
    for _ in range(10):
        glat, glon = wgs84_to_gcj02(lat, lon)
        dlat, dlon = glat - latitude, glon - longitude
        lat, lon = lat - dlat, lon - dlon
        if abs(dlat) < 1e-10 and abs(dlon) < 1e-10:
            break
    return lat, lon


def gcj02_to_bd09(latitude: float, longitude: float) -> tuple[float, float]:
    z = math.hypot(longitude, latitude) + 0.00002 * math.sin(latitude * _X_PI)
    theta = math.atan2(latitude, longitude) + 0.000003 * math.cos(longitude * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def bd09_to_gcj02(latitude: float, longitude: float) -> tuple[float, float]:
    x, y = longitude - 0.0065, latitude - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.sin(theta), z * math.cos(theta)


def _shift_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _shift_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _outside_china(latitude: float, longitude: float) -> bool:
    return not (72.004 <= longitude <= 137.8347 and 0.8293 <= latitude <= 55.8271)


# ---- reading ---------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _read_cached(paths: tuple[str, ...], mtime: float) -> PlaceAreas:
    """Parsed once per file version (`mtime` is part of the key)."""
    areas: dict[str, Area] = {}
    for path in paths:
        areas.update(read_areas(Path(path)).areas)
    return PlaceAreas(areas, ", ".join(Path(path).name for path in paths))


def _area(feature: object) -> Area:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ValueError('not a GeoJSON Feature ("type": "Feature")')
    properties = feature.get("properties") or {}
    code = properties.get("code") if isinstance(properties, dict) else None
    if not isinstance(code, str) or not code.strip():
        raise ValueError('no "code" property (the unit code of a district or street)')
    polygons = _polygons(feature.get("geometry"))
    lons = [lon for polygon in polygons for lon, _ in polygon[0]]
    lats = [lat for polygon in polygons for _, lat in polygon[0]]
    rep_lat, rep_lon = properties.get("rep_lat"), properties.get("rep_lon")
    point = (
        (float(rep_lat), float(rep_lon))
        if isinstance(rep_lat, int | float) and isinstance(rep_lon, int | float)
        else None
    )
    quality = str(properties.get("quality") or "")
    approximate = bool(properties.get("approximate")) or quality.startswith("approx")
    return Area(
        code.strip(), polygons, (min(lons), min(lats), max(lons), max(lats)), approximate, point
    )


def _polygons(geometry: object) -> tuple[Polygon, ...]:
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValueError("the geometry must be a Polygon or a MultiPolygon")
    coordinates = geometry.get("coordinates")
    raw = [coordinates] if geometry["type"] == "Polygon" else coordinates
    if not isinstance(raw, list) or not raw:
        raise ValueError("the geometry has no coordinates")
    return tuple(tuple(_ring(ring) for ring in _list(polygon)) for polygon in raw)


def _list(value: object) -> list[object]:
    if not isinstance(value, list) or not value:
        raise ValueError("a polygon must be a list of rings")
    return value


def _ring(ring: object) -> Ring:
    if not isinstance(ring, list) or len(ring) < 4:
        raise ValueError("a ring needs at least 4 positions")
    positions: list[tuple[float, float]] = []
    for position in ring:
        if (
            not isinstance(position, list)
            or len(position) < 2
            or not all(isinstance(v, int | float) for v in position[:2])
        ):
            raise ValueError(f"{position!r} is not a [longitude, latitude] position")
        lon, lat = float(position[0]), float(position[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError(f"[{lon}, {lat}] is not a WGS-84 [longitude, latitude]")
        positions.append((lon, lat))
    return tuple(positions)


def _in_polygon(polygon: Polygon, x: float, y: float) -> bool:
    outer, *holes = polygon
    return _in_ring(outer, x, y) and not any(_in_ring(hole, x, y) for hole in holes)


def _in_ring(ring: Ring, x: float, y: float) -> bool:
    """Ray casting: an odd number of edges crossed to the east means inside."""
    inside = False
    x1, y1 = ring[-1]
    for x2, y2 in ring:
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
        x1, y1 = x2, y2
    return inside


# ---- replacing the areas ---------------------------------------------------------------------


@dataclass(frozen=True)
class AreasReport:
    districts: int
    streets: int
    approximate: int
    path: Path


def install_areas(*, engine: Engine, path: Path, var_dir: Path) -> AreasReport:
    """Check `path` against the stored districts and streets, then make it the areas map
    points are located in; AreasFileError (and nothing changed) when anything is wrong."""
    areas = read_areas(path).areas
    with Session(engine) as session:
        kinds = {
            unit.code: UnitKind(unit.kind)
            for unit in session.exec(
                select(Unit).where(
                    col(Unit.kind).in_([UnitKind.district.value, UnitKind.street.value])
                )
            ).all()
        }
    problems = [
        f"code {code} is not a district or street in the units (load the units first)"
        for code in sorted(areas)
        if code not in kinds
    ]
    districts = [code for code in areas if kinds.get(code) is UnitKind.district]
    if not districts and not problems:
        problems.append("no district boundary: a point is placed in a district first")
    if problems:
        raise AreasFileError(problems)
    target = var_dir / LOADED_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_bytes(path.read_bytes())
    partial.replace(target)  # atomic: readers see the old file or the new one
    return AreasReport(
        districts=len(districts),
        streets=len(areas) - len(districts),
        approximate=sum(area.approximate for area in areas.values()),
        path=target,
    )
