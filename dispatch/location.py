"""Where a request is: the district and street named in an address, or nearest to a map point.

Dispatch sends most cases to the street (街道/乡镇) where the problem is, so the address a
citizen gives is matched against the names of the districts and streets in the database, in
Chinese (朝阳区望京街道, or the short 朝阳 / 望京) or pinyin ("Wangjing, Chaoyang"). Several
streets share a name (八里庄街道 is in 朝阳区 and in 海淀区), so a street counts as certain only
together with its district; a name that could be several places resolves to none of them, and
the reason says why.

A map point is placed in the district whose boundary contains it, then in the street whose area
contains it (or, between areas, the street with the nearest representative point in that
district); the shipped street areas are approximations, so such a street is `approximate`.
Without areas a point falls back to the nearest centroid: a guess, never "exact".
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

import sqlalchemy
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.settings import get_settings
from dispatch.geo import Area, PlaceAreas, areas_for, shipped_areas
from dispatch.text import normalize
from models.enums import PlaceMethod, UnitKind
from models.unit import Unit

# Beijing's extent (south, north, west, east) in degrees; points outside are not ours.
BEIJING_BOUNDS = (39.44, 41.06, 115.42, 117.51)
EARTH_RADIUS_KM = 6371.0
_PLACE_KINDS = (UnitKind.city, UnitKind.district, UnitKind.street)
_ETHNIC = "(?:回|满|蒙古|朝鲜|壮|苗|彝|藏|维吾尔|土家|瑶|白|哈尼|傣|黎|畲|侗|布依)族"
_ZH_SUFFIX = re.compile(rf"^(?P<short>.+?)(?:(?:{_ETHNIC})+乡|街道|地区|镇|乡|区|市)$")
_EN_SUFFIX = re.compile(
    r"^(?P<short>.+?) (?:(?:[a-z]+ )*?ethnic township|subdistrict|town|township|area|district)$"
)
_LATIN = re.compile(r"^[a-z0-9 ]+$")


class Confidence(StrEnum):
    exact = "exact"  # a street named together with its district
    partial = "partial"  # a district only, a street without its district, or a map point
    none = "none"  # nothing, or nothing unambiguous


@dataclass(frozen=True)
class LocationMatch:
    district_code: str | None
    street_code: str | None
    confidence: Confidence
    matched: str  # the (normalised) text or the point that matched
    reason: str  # why, in words staff can check
    approximate: bool = False  # the street comes from an approximate area or a nearest point
    method: PlaceMethod | None = None  # what found it; None when nothing was found


@dataclass(frozen=True)
class Place:
    code: str
    kind: UnitKind
    district_code: str | None
    name_zh: str
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class _Hit:
    start: int
    text: str
    places: tuple[Place, ...]
    full: bool  # the whole name, not the short form without 街道/区/Subdistrict

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def kind(self) -> UnitKind:
        return self.places[0].kind


class LocationIndex:
    """District and street names (Chinese and pinyin, full and short), areas and centroids."""

    def __init__(self, units: Iterable[Unit], areas: PlaceAreas | None = None) -> None:
        chosen = [unit for unit in units if unit.active and unit.kind in _PLACE_KINDS]
        districts = {unit.code for unit in chosen if unit.kind == UnitKind.district}
        self._places = [_place(unit, districts) for unit in chosen]
        self._names = {p.code: p.name_zh for p in self._places}
        self._aliases: dict[str, list[tuple[Place, bool]]] = {}
        for unit, place in zip(chosen, self._places, strict=True):
            for alias, full in _aliases(unit):
                self._aliases.setdefault(alias, []).append((place, full))
        by_length = sorted(self._aliases, key=len, reverse=True)
        self._cjk = _finder([a for a in by_length if not _LATIN.match(a)], words=False)
        self._latin = _finder([a for a in by_length if _LATIN.match(a)], words=True)
        shapes = (areas or shipped_areas()).areas
        codes = {p.code: p for p in self._places}
        self._areas = [(codes[c], a) for c, a in sorted(shapes.items()) if c in codes]

    @classmethod
    def of(cls, session: Session, areas: PlaceAreas) -> LocationIndex:
        """The index of the stored places and these areas, built once per version of them:
        intake asks for it on every request, and building it (aliases, finders) costs a
        hundred times more than one lookup; the columns it reads are the version."""
        columns = ("code", "kind", "parent_code", "name_zh", "name_en", "latitude", "longitude")
        query = sqlalchemy.select(*(col(getattr(Unit, name)) for name in columns)).where(
            col(Unit.active), col(Unit.kind).in_([k.value for k in _PLACE_KINDS])
        )
        rows = tuple(
            (code, UnitKind(kind), parent, name_zh, name_en, latitude, longitude)
            for code, kind, parent, name_zh, name_en, latitude, longitude in session.execute(
                query.order_by(col(Unit.code))
            ).all()
        )
        return _index_of(rows, areas)

    @classmethod
    def from_engine(cls, engine: Engine, areas: PlaceAreas | None = None) -> LocationIndex:
        """An index of the active city, districts and streets stored in the database, with
        `areas` for map points (when not given: those `hotline units load-areas` installed,
        else the shipped ones)."""
        with Session(engine) as session:
            query = select(Unit).where(col(Unit.kind).in_([k.value for k in _PLACE_KINDS]))
            return cls(session.exec(query).all(), areas or areas_for(get_settings().var_dir))

    def resolve(
        self,
        address: str | None,
        latitude: float | None = None,
        longitude: float | None = None,
    ) -> LocationMatch:
        """The text first (what the citizen said beats where the phone is), then the point;
        the point fills in the street of a district the text named alone."""
        by_text = self.match_text(address) if address and address.strip() else None
        if latitude is None or longitude is None:
            return by_text or _nothing("", "no address and no coordinates given")
        by_point = self.match_point(latitude, longitude)
        if by_text is None or by_text.confidence == Confidence.none:
            if by_text is None or by_point.confidence == Confidence.none:
                return by_point
            return replace(by_point, reason=f"{by_point.reason}; the address: {by_text.reason}")
        return _combine(by_text, by_point)

    def match_text(self, address: str) -> LocationMatch:
        """Match district and street names in an address, Chinese or pinyin."""
        hits = self._hits(normalize(address))
        districts = [hit for hit in hits if hit.kind == UnitKind.district]
        streets = [hit for hit in hits if hit.kind == UnitKind.street]
        if not districts and not streets:
            matched = " ".join(hit.text for hit in hits)
            reason = "only the city is named" if hits else "no district or street name found"
            return _nothing(matched, reason)
        return replace(self._interpret(districts, streets), method=PlaceMethod.address)

    def match_point(self, latitude: float, longitude: float) -> LocationMatch:
        """The district whose boundary contains the point, then its street by area."""
        matched = f"{latitude:.5f},{longitude:.5f}"
        districts = [(p, a) for p, a in self._areas if p.kind == UnitKind.district]
        if not districts:
            return self._nearest_centroid(latitude, longitude, matched)
        inside = [p for p, a in districts if a.contains(latitude, longitude)]
        if not inside:
            return _nothing(matched, "the point is inside no district boundary")
        district = inside[0]
        streets = [
            (p, a)
            for p, a in self._areas
            if p.kind == UnitKind.street and p.district_code == district.code
        ]
        street, approximate, how = _street_at(streets, latitude, longitude)
        where = f"inside the boundary of {district.name_zh}"
        if street is None:
            return LocationMatch(
                district.code,
                None,
                Confidence.partial,
                matched,
                f"{where}; no street area known there",
                method=PlaceMethod.point,
            )
        return LocationMatch(
            district.code,
            street.code,
            Confidence.partial if approximate else Confidence.exact,
            matched,
            f"{where}; {how} {street.name_zh}" + (" (approximate)" if approximate else ""),
            approximate=approximate,
            method=PlaceMethod.point,
        )

    def _nearest_centroid(self, latitude: float, longitude: float, matched: str) -> LocationMatch:
        """Without boundaries: the nearest street centroid, or district centroid."""
        south, north, west, east = BEIJING_BOUNDS
        if not (south <= latitude <= north and west <= longitude <= east):
            return _nothing(matched, "the point is outside Beijing")
        for kind in (UnitKind.street, UnitKind.district):
            centred = [p for p in self._places if p.kind == kind and p.latitude is not None]
            if centred:
                nearest = min(centred, key=lambda p: _km(p, latitude, longitude))
                reason = (
                    f"nearest {kind.value} centroid: {nearest.name_zh} "
                    f"({_km(nearest, latitude, longitude):.1f} km)"
                )
                if kind == UnitKind.district:
                    reason += "; no street has a centroid"
                street = nearest.code if kind == UnitKind.street else None
                return LocationMatch(
                    nearest.district_code,
                    street,
                    Confidence.partial,
                    matched,
                    reason,
                    approximate=street is not None,
                    method=PlaceMethod.point,
                )
        return _nothing(matched, "no district or street has a centroid")

    def _hits(self, text: str) -> list[_Hit]:
        """Every name in the text, longest first, none overlapping a longer one."""
        found: list[_Hit] = []
        for finder in (self._cjk, self._latin):
            if finder is None:
                continue
            for match in finder.finditer(text):
                found.append(self._hit(match.start(), match.group(1)))
        chosen: list[_Hit] = []
        for hit in sorted(found, key=lambda h: (-len(h.text), h.start)):
            if all(hit.end <= other.start or other.end <= hit.start for other in chosen):
                chosen.append(hit)
        return sorted(chosen, key=lambda h: h.start)

    def _hit(self, start: int, alias: str) -> _Hit:
        """The places an alias names: the higher level wins (海淀 is the district before the
        streets 海淀街道 and 海淀镇), then full names over short forms."""
        entries = self._aliases[alias]
        level = min(_PLACE_KINDS.index(place.kind) for place, _ in entries)
        entries = [(p, full) for p, full in entries if _PLACE_KINDS.index(p.kind) == level]
        if any(full for _, full in entries):
            entries = [(p, full) for p, full in entries if full]
        places = tuple(dict.fromkeys(place for place, _ in entries))
        return _Hit(start, alias, places, entries[0][1])

    def _interpret(self, districts: list[_Hit], streets: list[_Hit]) -> LocationMatch:
        named = {place.code for hit in districts for place in hit.places}
        notes: list[str] = []
        confirmed: dict[Place, _Hit] = {}
        alone: dict[Place, _Hit] = {}
        for hit in streets:
            inside = [p for p in hit.places if p.district_code in named]
            if len(inside) == 1:
                confirmed[inside[0]] = hit
            elif inside or (not named and len(hit.places) > 1):
                notes.append(f"{hit.text} is in several districts ({self._where(hit.places)})")
            elif named:
                notes.append(f"{hit.text} is in {self._where(hit.places)}, not a named district")
            else:
                alone[hit.places[0]] = hit
        if confirmed:
            return self._pick(confirmed, districts, Confidence.exact, notes)
        if len(named) == 1:
            district = next(iter(named))
            reason = "; ".join([f"district {self._names[district]}, no street", *notes])
            return LocationMatch(district, None, Confidence.partial, _text(districts), reason)
        if named:
            reason = f"several districts named ({self._where_codes(named)})"
            return _nothing(_text(districts + streets), "; ".join([reason, *notes]))
        full = {place: hit for place, hit in alone.items() if hit.full}
        if alone:
            return self._pick(full or alone, [], Confidence.partial, notes)
        return _nothing(_text(streets), "; ".join(notes))

    def _pick(
        self,
        streets: dict[Place, _Hit],
        districts: list[_Hit],
        confidence: Confidence,
        notes: list[str],
    ) -> LocationMatch:
        """One street if exactly one was found, else the district they share, else nothing."""
        if len(streets) == 1:
            ((place, hit),) = streets.items()
            with_district = "with its district" if confidence == Confidence.exact else "alone"
            reason = f"street {place.name_zh} named {with_district}, in " + self._where([place])
            used = [d for d in districts if any(p.code == place.district_code for p in d.places)]
            return LocationMatch(
                place.district_code,
                place.code,
                confidence,
                _text([*used, hit]),
                "; ".join([reason, *notes]),
            )
        shared = {place.district_code for place in streets}
        names = "、".join(place.name_zh for place in streets)
        matched = _text([*districts, *streets.values()])
        if len(shared) == 1 and (district := next(iter(shared))) is not None:
            reason = (
                f"several streets named ({names}), all in {self._names.get(district, district)}"
            )
            return LocationMatch(district, None, Confidence.partial, matched, reason)
        return _nothing(matched, "; ".join([f"streets in different districts ({names})", *notes]))

    def _where(self, places: Iterable[Place]) -> str:
        return self._where_codes(p.district_code for p in places if p.district_code)

    def _where_codes(self, codes: Iterable[str]) -> str:
        return "、".join(sorted(f"{self._names.get(code, code)}" for code in set(codes)))


def _street_at(
    streets: list[tuple[Place, Area]], latitude: float, longitude: float
) -> tuple[Place | None, bool, str]:
    """The street whose area contains the point, else the one with the nearest point."""
    for place, area in streets:
        if area.contains(latitude, longitude):
            return place, area.approximate, "inside the street area of"
    pointed = [(place, area.point) for place, area in streets if area.point is not None]
    if not pointed:
        return None, True, ""
    place, point = min(pointed, key=lambda pair: _km_between(pair[1], latitude, longitude))
    distance = _km_between(point, latitude, longitude)
    return place, True, f"between street areas; nearest ({distance:.1f} km):"


def _combine(by_text: LocationMatch, by_point: LocationMatch) -> LocationMatch:
    """The address and the point together: agreement is `both`, the address wins otherwise."""
    if by_point.confidence == Confidence.none or by_point.district_code != by_text.district_code:
        note = f"; the point: {by_point.reason}" if by_point.confidence != Confidence.none else ""
        return replace(by_text, reason=by_text.reason + note)
    if by_text.street_code is not None:
        if by_point.street_code != by_text.street_code:
            return replace(by_text, reason=f"{by_text.reason}; the point: {by_point.reason}")
        return replace(
            by_text, method=PlaceMethod.both, reason=f"{by_text.reason}; the point agrees"
        )
    return replace(
        by_point,
        matched=f"{by_text.matched} {by_point.matched}",
        reason=f"the address: {by_text.reason}; the point: {by_point.reason}",
        method=PlaceMethod.both,
    )


_UnitRow = tuple[str, UnitKind, str | None, str, str, float | None, float | None]


# A few versions at most (units or areas reloaded); areas are keyed by identity: the same file
# version is always the same object (dispatch.geo caches its reading).
_INDEXES: dict[tuple[tuple[_UnitRow, ...], int], tuple[PlaceAreas, LocationIndex]] = {}
_INDEXES_KEPT = 4
_INDEXES_LOCK = threading.Lock()  # intake asks from the API's thread pool


def _index_of(rows: tuple[_UnitRow, ...], areas: PlaceAreas) -> LocationIndex:
    key = (rows, id(areas))
    with _INDEXES_LOCK:
        found = _INDEXES.get(key)
    if found is not None and found[0] is areas:
        return found[1]
    units = [
        Unit(
            code=code,
            kind=kind,
            parent_code=parent,
            name_zh=name_zh,
            name_en=name_en,
            latitude=latitude,
            longitude=longitude,
        )
        for code, kind, parent, name_zh, name_en, latitude, longitude in rows
    ]
    index = LocationIndex(units, areas)
    with _INDEXES_LOCK:
        if len(_INDEXES) >= _INDEXES_KEPT:
            _INDEXES.pop(next(iter(_INDEXES)))
        _INDEXES[key] = (areas, index)
    return index


def _place(unit: Unit, districts: set[str]) -> Place:
    if unit.kind == UnitKind.district:
        district: str | None = unit.code
    elif unit.kind == UnitKind.street and unit.parent_code in districts:
        district = unit.parent_code
    else:
        district = None
    return Place(
        unit.code, UnitKind(unit.kind), district, unit.name_zh, unit.latitude, unit.longitude
    )


def _aliases(unit: Unit) -> list[tuple[str, bool]]:
    """(name, is full) pairs: 望京街道 and 望京; Wangjing Subdistrict and Wangjing; for a
    township or town also 来广营地区, the way Beijing names the area around it."""
    aliases: list[tuple[str, bool]] = []
    for name, suffix in ((unit.name_zh, _ZH_SUFFIX), (unit.name_en, _EN_SUFFIX)):
        full = normalize(name)
        if not full:
            continue
        aliases.append((full, True))
        short = suffix.match(full)
        if short and len(short["short"]) >= 2:
            aliases.append((short["short"], False))
            if unit.kind == UnitKind.street and suffix is _ZH_SUFFIX and full[-1] in "乡镇":
                aliases.append((f"{short['short']}地区", True))
    return aliases


def _finder(aliases: list[str], *, words: bool) -> re.Pattern[str] | None:
    """A pattern finding, at every position, the longest alias that starts there."""
    if not aliases:
        return None
    alternatives = "|".join(map(re.escape, aliases))
    return re.compile(rf"(?=\b({alternatives})\b)" if words else rf"(?=({alternatives}))")


def _km(place: Place, latitude: float, longitude: float) -> float:
    assert place.latitude is not None and place.longitude is not None
    return _km_between((place.latitude, place.longitude), latitude, longitude)


def _km_between(point: tuple[float, float], latitude: float, longitude: float) -> float:
    lat1, lat2 = math.radians(point[0]), math.radians(latitude)
    dlat, dlon = lat2 - lat1, math.radians(longitude - point[1])
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def _text(hits: Iterable[_Hit]) -> str:
    return " ".join(hit.text for hit in sorted(hits, key=lambda h: h.start))


def _nothing(matched: str, reason: str) -> LocationMatch:
    return LocationMatch(None, None, Confidence.none, matched, reason)
