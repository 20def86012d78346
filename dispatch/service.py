"""Smart dispatch suggestions: the likeliest categories for a request and the unit for each.

The model ranks categories from the description; the category's kind of unit and the place
the request is about choose the unit: a street category goes to the street the address names,
a district category to its district, the city to the city. A category without a kind of its
own (a level-1 area) takes the kind most of its leaves share, if they mostly agree.
Departments and utilities are left to the dispatcher (the catalog names no unit for them),
and so is anything whose place is unknown. A suggestion is `automatic` only when the top
category is at least as likely as the threshold and has a unit; everything else goes to the
dispatcher's queue with the reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from dispatch.location import LocationIndex, LocationMatch
from dispatch.model import DispatchModel
from dispatch.training import CategoryIndex
from models.enums import UnitKind
from models.unit import Unit

DEFAULT_THRESHOLD = 0.6
NEEDS_DISPATCHER = "needs the dispatcher"
# A category without a kind of unit of its own takes its leaves' kind when this share agrees.
UNIT_KIND_SHARE = 0.75


@dataclass(frozen=True)
class UnitRef:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class CategorySuggestion:
    category_code: str
    name_zh: str
    name_en: str
    probability: float
    matched_terms: tuple[str, ...]  # the reason: the request's words that point here
    unit_kind: UnitKind | None
    unit: UnitRef | None
    unit_reason: str


@dataclass(frozen=True)
class DispatchSuggestion:
    categories: tuple[CategorySuggestion, ...]  # most likely first
    automatic: bool  # dispatch without a person: confident enough and a unit found
    reason: str  # why it is automatic, or why the dispatcher must decide
    location: LocationMatch | None  # None when neither an address nor a point was given
    model_id: str
    threshold: float


def suggest(
    *,
    text: str,
    address: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    k: int = 3,
    model: DispatchModel,
    engine: Engine,
    threshold: float = DEFAULT_THRESHOLD,
    categories: CategoryIndex | None = None,
    locations: LocationIndex | None = None,
) -> DispatchSuggestion:
    """Top-`k` categories for `text` with probabilities, reasons and units.

    `categories` and `locations` are read from `engine` when not given; a caller serving many
    requests builds them once and passes them in.
    """
    predictions = model.predict(text, k)
    categories = categories or CategoryIndex.from_engine(engine)
    location = _locate(address, latitude, longitude, engine=engine, locations=locations)
    units = _units(engine)
    suggestions: list[CategorySuggestion] = []
    for prediction in predictions:
        category = categories.categories.get(prediction.category_code)
        kind, why_kind = unit_kind_of(categories, prediction.category_code)
        unit, unit_reason = _choose_unit(kind, why_kind, location, units)
        suggestions.append(
            CategorySuggestion(
                category_code=prediction.category_code,
                name_zh=category.name_zh if category else "",
                name_en=category.name_en if category else "",
                probability=prediction.probability,
                matched_terms=prediction.matched_terms,
                unit_kind=kind,
                unit=unit,
                unit_reason=unit_reason,
            )
        )
    automatic, reason = _decide(suggestions[0], threshold)
    return DispatchSuggestion(
        categories=tuple(suggestions),
        automatic=automatic,
        reason=reason,
        location=location,
        model_id=model.info.model_id,
        threshold=threshold,
    )


def unit_kind_of(categories: CategoryIndex, code: str) -> tuple[UnitKind | None, str]:
    """The kind of unit for a category and why: its own, else the kind that at least
    `UNIT_KIND_SHARE` of its active leaves have (a level-1 area has none of its own)."""
    category = categories.categories.get(code)
    if category is None:
        return None, f"{code} is not in the catalog"
    if category.unit_kind is not None:
        return UnitKind(category.unit_kind), "the catalog's kind of unit for it"
    parents = {c.parent_code for c in categories.categories.values()}
    kinds: Counter[UnitKind] = Counter(
        UnitKind(leaf.unit_kind)
        for leaf in categories.categories.values()
        if leaf.active
        and leaf.code not in parents
        and leaf.unit_kind is not None
        and categories.ancestor(leaf.code, category.level) == code
    )
    if not kinds:
        return None, "no category under it names a kind of unit"
    (kind, count), total = kinds.most_common(1)[0], sum(kinds.values())
    if count < UNIT_KIND_SHARE * total:
        return None, f"its categories go to different kinds of unit ({_shares(kinds)})"
    return kind, f"{count} of its {total} categories go to a {kind.value}"


def _locate(
    address: str | None,
    latitude: float | None,
    longitude: float | None,
    *,
    engine: Engine,
    locations: LocationIndex | None,
) -> LocationMatch | None:
    has_point = latitude is not None and longitude is not None
    if not (address and address.strip()) and not has_point:
        return None
    index = locations or LocationIndex.from_engine(engine)
    return index.resolve(address, latitude, longitude)


def _units(engine: Engine) -> dict[str, Unit]:
    """Active places that dispatch can pick on its own: the city, districts and streets."""
    kinds = [UnitKind.city.value, UnitKind.district.value, UnitKind.street.value]
    query = select(Unit).where(col(Unit.active).is_(True), col(Unit.kind).in_(kinds))
    with Session(engine) as session:
        return {unit.code: unit for unit in session.exec(query).all()}


def _choose_unit(
    kind: UnitKind | None, why_kind: str, location: LocationMatch | None, units: dict[str, Unit]
) -> tuple[UnitRef | None, str]:
    if kind is None:
        return None, f"{NEEDS_DISPATCHER}: {why_kind}"
    if kind in (UnitKind.department, UnitKind.utility):
        return None, f"{NEEDS_DISPATCHER}: {why_kind}; the catalog names no {kind.value}"
    if kind == UnitKind.city:
        cities = [unit for unit in units.values() if unit.kind == UnitKind.city]
        if len(cities) == 1:
            return _ref(cities[0]), "the city handles it"
        return None, f"{NEEDS_DISPATCHER}: no single city unit is stored"
    where = location.reason if location is not None else "no address or map point given"
    code = None
    if location is not None:
        code = location.street_code if kind == UnitKind.street else location.district_code
    unit = units.get(code) if code else None
    if unit is None:
        return None, f"{NEEDS_DISPATCHER}: {why_kind}; no {kind.value} found ({where})"
    return _ref(unit), f"{why_kind}; {where}"


def _decide(top: CategorySuggestion, threshold: float) -> tuple[bool, str]:
    if top.probability < threshold:
        return False, (
            f"top category {top.category_code} at {top.probability:.0%} is below the "
            f"threshold of {threshold:.0%}: the dispatcher decides"
        )
    if top.unit is None:
        return False, f"top category {top.category_code}: {top.unit_reason}"
    return True, (
        f"top category {top.category_code} at {top.probability:.0%} (threshold "
        f"{threshold:.0%}), unit {top.unit.code}"
    )


def _shares(kinds: Counter[UnitKind]) -> str:
    return ", ".join(f"{count} {kind.value}" for kind, count in kinds.most_common())


def _ref(unit: Unit) -> UnitRef:
    return UnitRef(code=unit.code, name_zh=unit.name_zh, name_en=unit.name_en)
