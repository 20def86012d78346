"""Where the request is: the district and street of its address text, map point or both.

Every channel's case gets its place here, at intake, so `/track`, `/feed`, the console, Open311
and the district and street rankings see it from the first minute. Codes the request carried
(an Open311 `address_id`, a form's district) are kept as given; the text and the point only
fill in what is missing. A point picked on a Chinese map (GCJ-02, BD-09) is converted to
WGS-84 first, and stored converted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from dispatch.geo import areas_for, to_wgs84
from dispatch.location import Confidence, LocationIndex, LocationMatch
from intake.schemas import Intake
from models.case import Case
from models.enums import PlaceMethod, UnitKind
from models.unit import Unit


@dataclass(frozen=True)
class FoundPlace:
    district_code: str | None
    street_code: str | None
    latitude: float | None  # WGS-84
    longitude: float | None
    method: PlaceMethod | None
    confidence: str | None
    approximate: bool


def find_place(*, session: Session, intake: Intake, var_dir: Path) -> FoundPlace:
    """The request's place; nothing found leaves district and street empty."""
    latitude, longitude = intake.latitude, intake.longitude
    if latitude is not None and longitude is not None:
        latitude, longitude = to_wgs84(latitude, longitude, intake.coordinate_system)
    district, street = intake.district_code, intake.street_code
    if street is not None and district is None:
        parent = session.get(Unit, street)
        district = parent.parent_code if parent is not None else None
    has_text = bool(intake.address and intake.address.strip())
    if street is not None or not (has_text or latitude is not None):
        method = PlaceMethod.given if district or street else None
        return FoundPlace(
            district,
            street,
            latitude,
            longitude,
            method,
            Confidence.exact.value if method else None,
            False,
        )
    match = _index(session, var_dir).resolve(intake.address, latitude, longitude)
    if district is not None:
        return _within_given(district, match, latitude, longitude)
    if match.confidence == Confidence.none or match.method is None:
        return FoundPlace(None, None, latitude, longitude, None, None, False)
    return FoundPlace(
        match.district_code,
        match.street_code,
        latitude,
        longitude,
        match.method,
        match.confidence.value,
        match.approximate,
    )


def _within_given(
    district: str, match: LocationMatch, latitude: float | None, longitude: float | None
) -> FoundPlace:
    """A given district keeps its word; a street found inside it is added."""
    if match.district_code == district and match.street_code is not None:
        return FoundPlace(
            district,
            match.street_code,
            latitude,
            longitude,
            PlaceMethod.given,
            match.confidence.value,
            match.approximate,
        )
    return FoundPlace(
        district, None, latitude, longitude, PlaceMethod.given, Confidence.exact.value, False
    )


def _index(session: Session, var_dir: Path) -> LocationIndex:
    return LocationIndex.of(session, areas_for(var_dir))


def dispatcher_place(case: Case, unit: Unit) -> FoundPlace | None:
    """The place a dispatcher's choice of lead unit says the case is at, when it differs.

    A dispatcher who sends a case to a street or district has read the request and decided
    where it is; the stored place follows, so the case counts where it is handled. A
    department or utility says nothing about the place (None), and neither does a unit the
    case already is at: a district unit keeps a street of that district.
    """
    kind = UnitKind(unit.kind)
    if kind == UnitKind.street and case.street_code != unit.code:
        district, street = unit.parent_code, unit.code
    elif kind == UnitKind.district and case.district_code != unit.code:
        district, street = unit.code, None
    else:
        return None
    return FoundPlace(
        district,
        street,
        case.latitude,
        case.longitude,
        PlaceMethod.dispatcher,
        Confidence.exact.value,
        False,
    )
