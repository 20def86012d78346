"""The citizen form's map: where a pin is (district and street names) and open cases near it.

Both answers are public and carry no personal data: `/map/place` gives only the names of the
district and street a point falls in (the same lookup intake does, `intake/place.py`), and
`/map/nearby` gives open cases' number, category, area, status and a point rounded to a grid
of about 200 m, never the description, address, contact or the exact point.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from sqlmodel import Session, col, select

from api.deps import SessionDep, SettingsDep
from core.i18n import Domain
from core.settings import Settings
from dispatch.geo import areas_for
from dispatch.location import Confidence, LocationIndex
from models.case import Case
from models.enums import CaseStatus, Language
from models.queues import OPEN
from models.unit import Category, Unit
from web.i18n import request_language, translator

router = APIRouter(prefix="/map", include_in_schema=False)

GRID_DEGREES = 0.002  # the public point: about 220 m north-south, 170 m east-west in Beijing
NEARBY_LIMIT = 30
# Open and still being handled: a resolved case waits for its survey, nothing to follow there.
BEING_HANDLED = OPEN - {CaseStatus.resolved, CaseStatus.callback}
EARTH_KM = 6371.0


@dataclass(frozen=True)
class PinPlace:
    district_code: str | None
    district: str | None
    street: str | None


@dataclass(frozen=True)
class NearbyCase:
    number: str
    category_code: str | None
    category: str | None
    area: str | None
    status: str
    status_name: str
    latitude: float  # rounded to the grid
    longitude: float
    distance_m: int  # from the pin to the rounded point, to the nearest 50 m


def map_settings(settings: Settings) -> dict[str, Any]:
    """What the page's map script needs, as data attributes (no inline script)."""
    return {
        "tiles": settings.map_tile_url,
        "attribution": settings.map_attribution,
        "center": f"{settings.map_center_latitude},{settings.map_center_longitude}",
        "zoom": settings.map_zoom,
    }


@router.get("/place")
def place(
    request: Request, session: SessionDep, settings: SettingsDep, lat: float, lon: float
) -> dict[str, str | None]:
    """The district and street names a WGS-84 point falls in (nulls when none)."""
    _check_point(lat, lon)
    return asdict(pin_place(session, settings, lat, lon, request_language(request)))


@router.get("/nearby")
def nearby(
    request: Request, session: SessionDep, settings: SettingsDep, lat: float, lon: float
) -> dict[str, list[dict[str, Any]]]:
    """Cases being handled near a point: public fields and a rounded point only."""
    _check_point(lat, lon)
    found = nearby_cases(session, settings, lat, lon, request_language(request))
    return {"cases": [asdict(case) for case in found]}


def pin_place(
    session: Session, settings: Settings, latitude: float, longitude: float, language: Language
) -> PinPlace:
    index = LocationIndex.of(session, areas_for(settings.var_dir))
    match = index.match_point(latitude, longitude)
    if match.confidence == Confidence.none:
        return PinPlace(None, None, None)
    district = session.get(Unit, match.district_code) if match.district_code else None
    street = session.get(Unit, match.street_code) if match.street_code else None
    return PinPlace(
        match.district_code,
        _unit_name(district, language),
        _unit_name(street, language),
    )


def nearby_cases(
    session: Session, settings: Settings, latitude: float, longitude: float, language: Language
) -> list[NearbyCase]:
    radius_km = settings.nearby_radius_m / 1000
    dlat = math.degrees(radius_km / EARTH_KM)
    dlon = dlat / max(math.cos(math.radians(latitude)), 0.01)
    rows = session.exec(
        select(Case)
        .where(
            col(Case.status).in_([s.value for s in BEING_HANDLED]),
            col(Case.merged_into_id).is_(None),
            col(Case.latitude).between(latitude - dlat, latitude + dlat),
            col(Case.longitude).between(longitude - dlon, longitude + dlon),
        )
        .order_by(col(Case.created_at).desc())
        .limit(NEARBY_LIMIT * 4)
    ).all()
    statuses = translator(language, Domain.citizen)["status_name"]
    found = []
    for case in rows:
        assert case.latitude is not None and case.longitude is not None
        point = (_grid(case.latitude), _grid(case.longitude))
        metres = _km(latitude, longitude, *point) * 1000
        if _km(latitude, longitude, case.latitude, case.longitude) > radius_km:
            continue
        category = session.get(Category, case.category_code) if case.category_code else None
        places = [session.get(Unit, c) for c in (case.district_code, case.street_code) if c]
        area = " ".join(n for n in (_unit_name(u, language) for u in places) if n)
        found.append(
            NearbyCase(
                number=case.number,
                category_code=case.category_code,
                category=_category_name(category, language),
                area=area or None,
                status=case.status,
                status_name=statuses(case.status),  # type: ignore[operator]
                latitude=point[0],
                longitude=point[1],
                distance_m=int(round(metres / 50) * 50),
            )
        )
    return sorted(found, key=lambda c: c.distance_m)[:NEARBY_LIMIT]


def _check_point(latitude: float, longitude: float) -> None:
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise HTTPException(422, "latitude must be within ±90 and longitude within ±180")


def _grid(degrees: float) -> float:
    return round(round(degrees / GRID_DEGREES) * GRID_DEGREES, 4)


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(min(1.0, a)))


def _unit_name(unit: Unit | None, language: Language) -> str | None:
    if unit is None:
        return None
    return (unit.name_en or unit.name_zh) if language is Language.en else unit.name_zh


def _category_name(category: Category | None, language: Language) -> str | None:
    if category is None:
        return None
    return (category.name_en or category.name_zh) if language is Language.en else category.name_zh
