"""Smart dispatch suggestions: the likeliest categories for a request and the unit for each.

The model ranks catalog leaves from the description; the leaf and the place the request is
about choose the unit. A street leaf goes to the street the address names, a district leaf to
its district, the city to the city; a department or utility leaf names its unit (`unit_code`),
and the branch serving the place's street or district is chosen when there is one (the
Chaoyang power supply company), else the unit itself. A category without a kind of its own (a
level-1 area of an older model) takes the kind and unit most of its leaves share.

A suggestion is `automatic` when the top leaf is at least as likely as the threshold and has a
unit, or else when the leaves that go to one and the same unit are together at least that
likely (no single heating leaf is sure, but heating is): a wrong 派单 costs a 退单 and a day,
so the default threshold is chosen for precision. Everything else goes to the dispatcher's
queue with the reason.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.db import read_only
from dispatch.location import LocationIndex, LocationMatch
from dispatch.model import DispatchModel
from dispatch.training import CategoryIndex
from models.enums import UnitKind
from models.unit import Unit

DEFAULT_THRESHOLD = 0.95
NEEDS_DISPATCHER = "needs the dispatcher"
# A category without a kind of unit of its own takes its leaves' kind when this share agrees.
UNIT_KIND_SHARE = 0.75
# Leaves less likely than this are counted in a unit's total but not named in the reason.
NAMED_SHARE = 0.01
_NAMED_KINDS = (UnitKind.department, UnitKind.utility)


@dataclass(frozen=True)
class UnitRef:
    code: str
    name_zh: str
    name_en: str
    kind: UnitKind


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
    unit: UnitRef | None = None  # the unit to dispatch to when automatic
    unit_probability: float = 0.0  # how likely the request is that unit's: its leaves summed
    category_code: str | None = None  # the category it is filed under when it has none


@dataclass(frozen=True)
class ResolvedUnit:
    """The unit a category goes to for a place, or None and why a person must choose."""

    kind: UnitKind | None
    unit: UnitRef | None
    reason: str


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
    units: ActiveUnits | None = None,
) -> DispatchSuggestion:
    """Top-`k` categories for `text` with probabilities, reasons and units, and whether the
    request can be dispatched without a person.

    `categories`, `locations` and `units` are read from `engine` when not given; a caller
    serving many requests builds them once (units: `UnitCache`) and passes them in.
    """
    predictions = model.predict(text, k)
    probabilities = dict(zip(model.labels, model.predict_proba([text])[0].tolist(), strict=True))
    categories = categories or CategoryIndex.from_engine(engine)
    location = _locate(address, latitude, longitude, engine=engine, locations=locations)
    units = units if units is not None else active_units(engine)
    resolved: dict[str, ResolvedUnit] = {}

    def resolve(code: str) -> ResolvedUnit:
        if code not in resolved:
            resolved[code] = resolve_unit(categories, code, location, units)
        return resolved[code]

    suggestions: list[CategorySuggestion] = []
    for prediction in predictions:
        category = categories.categories.get(prediction.category_code)
        found = resolve(prediction.category_code)
        suggestions.append(
            CategorySuggestion(
                category_code=prediction.category_code,
                name_zh=category.name_zh if category else "",
                name_en=category.name_en if category else "",
                probability=prediction.probability,
                matched_terms=prediction.matched_terms,
                unit_kind=found.kind,
                unit=found.unit,
                unit_reason=found.reason,
            )
        )
    by_unit = {code: resolve(code).unit for code in probabilities}
    decision = _decide(suggestions[0], probabilities, by_unit, categories, threshold)
    return DispatchSuggestion(
        categories=tuple(suggestions),
        automatic=decision.unit is not None,
        reason=decision.reason,
        location=location,
        model_id=model.info.model_id,
        threshold=threshold,
        unit=decision.unit,
        unit_probability=decision.probability,
        category_code=decision.category_code,
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


def unit_code_of(categories: CategoryIndex, code: str, kind: UnitKind) -> str | None:
    """The department or utility a category names, else the one at least `UNIT_KIND_SHARE` of
    its active leaves of that kind name (a level-1 area names none of its own)."""
    category = categories.categories.get(code)
    if category is None:
        return None
    if category.unit_code is not None:
        return category.unit_code
    parents = {c.parent_code for c in categories.categories.values()}
    named: Counter[str] = Counter(
        leaf.unit_code
        for leaf in categories.categories.values()
        if leaf.active
        and leaf.code not in parents
        and leaf.unit_kind == kind
        and leaf.unit_code is not None
        and categories.ancestor(leaf.code, category.level) == code
    )
    if not named:
        return None
    unit_code, count = named.most_common(1)[0]
    return unit_code if count >= UNIT_KIND_SHARE * sum(named.values()) else None


class ActiveUnits(dict[str, Unit]):
    """The active units by code, with the branches of each unit and the city indexed once.

    Why: a suggestion resolves a unit for every category the model knows, and a department's
    branch used to be found by scanning every unit for each of them: a third of a worker's CPU
    per case went there (bench.lifecycle under py-spy).
    """

    def __init__(self, units: Iterable[Unit]) -> None:
        super().__init__((unit.code, unit) for unit in units)
        branches: dict[str, list[Unit]] = {}
        for unit in self.values():
            if unit.parent_code is not None and unit.service_areas:
                branches.setdefault(unit.parent_code, []).append(unit)
        self.branches: dict[str, tuple[Unit, ...]] = {
            parent: tuple(sorted(found, key=lambda unit: unit.code))
            for parent, found in branches.items()
        }
        self.cities = tuple(unit for unit in self.values() if unit.kind == UnitKind.city)


def active_units(engine: Engine) -> ActiveUnits:
    """The active units: places, departments, utilities and their branches."""
    with Session(engine) as session:
        return ActiveUnits(session.exec(select(Unit).where(col(Unit.active).is_(True))))


class UnitCache:
    """The active units for a worker that suggests many dispatches, read through the ORM again
    only when a row of the units table changed.

    Why: building 500 units through the ORM for every case was a sixth of a worker's CPU per
    case, yet a unit an admin retires or gives a new branch must count from the next case on.
    The table's plain rows, compared with the last read, tell that for a fraction of the cost.
    """

    _rows_query = sa_select(Unit.__table__).order_by(col(Unit.code))  # type: ignore[attr-defined]

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._rows: list[Any] | None = None
        self._units: ActiveUnits | None = None

    def current(self) -> ActiveUnits:
        with read_only(self.engine) as connection:
            rows = [tuple(row) for row in connection.execute(self._rows_query)]
        with self._lock:
            if self._units is None or rows != self._rows:
                self._units, self._rows = active_units(self.engine), rows
            return self._units


def resolve_unit(
    categories: CategoryIndex,
    code: str,
    location: LocationMatch | None,
    units: ActiveUnits,
) -> ResolvedUnit:
    """The unit category `code` goes to at `location`: the place's street, district or city,
    or the department or utility the catalog names (its branch serving the place)."""
    kind, why_kind = unit_kind_of(categories, code)
    if kind is None:
        return ResolvedUnit(None, None, f"{NEEDS_DISPATCHER}: {why_kind}")
    if kind in _NAMED_KINDS:
        named = unit_code_of(categories, code, kind)
        unit = units.get(named) if named else None
        if unit is None:
            what = f"{named} is not an active unit" if named else f"the catalog names no {kind}"
            return ResolvedUnit(kind, None, f"{NEEDS_DISPATCHER}: {why_kind}; {what}")
        branch, where = _branch(unit, location, units)
        return ResolvedUnit(kind, _ref(branch), f"the catalog names {unit.name_zh}; {where}")
    if kind == UnitKind.city:
        if len(units.cities) == 1:
            return ResolvedUnit(kind, _ref(units.cities[0]), "the city handles it")
        return ResolvedUnit(kind, None, f"{NEEDS_DISPATCHER}: no single city unit is stored")
    where = location.reason if location is not None else "no address or map point given"
    place = None
    if location is not None:
        place = location.street_code if kind == UnitKind.street else location.district_code
    unit = units.get(place) if place else None
    if unit is None:
        reason = f"{NEEDS_DISPATCHER}: {why_kind}; no {kind.value} found ({where})"
        return ResolvedUnit(kind, None, reason)
    return ResolvedUnit(kind, _ref(unit), f"{why_kind}; {where}")


def _branch(unit: Unit, location: LocationMatch | None, units: ActiveUnits) -> tuple[Unit, str]:
    """The branch of `unit` serving the place's street, else its district, else `unit`."""
    branches = units.branches.get(unit.code, ())
    if not branches:
        return unit, "it has no branches"
    if location is None:
        return unit, "no place given: the city-level unit"
    for place in (location.street_code, location.district_code):
        # `branches` is in code order: the first serving one is the one chosen.
        serving = next((b for b in branches if place and place in b.service_areas), None)
        if serving is not None:
            return serving, f"its branch for {place} ({location.reason})"
    return unit, f"no branch serves the place ({location.reason}): the city-level unit"


@dataclass(frozen=True)
class _Decision:
    unit: UnitRef | None
    probability: float
    category_code: str | None
    reason: str


def _decide(
    top: CategorySuggestion,
    probabilities: Mapping[str, float],
    by_unit: Mapping[str, UnitRef | None],
    categories: CategoryIndex,
    threshold: float,
) -> _Decision:
    """The top leaf when it is sure enough and has a unit; else the unit its likeliest leaves
    share when they are together sure enough, and likelier than the categories that have no
    unit for want of a place; else the dispatcher."""
    if top.probability >= threshold and top.unit is not None:
        reason = (
            f"top category {top.category_code} at {top.probability:.1%} (threshold "
            f"{threshold:.0%}), unit {top.unit.code}"
        )
        return _Decision(top.unit, top.probability, top.category_code, reason)
    totals: dict[str, float] = {}
    unplaced = 0.0  # the likelihood of categories that have no unit (yet: no place given)
    for code, probability in probabilities.items():
        unit = by_unit.get(code)
        if unit is not None:
            totals[unit.code] = totals.get(unit.code, 0.0) + probability
        else:
            unplaced += probability
    if totals:
        best = max(totals, key=lambda code: (totals[code], code))
        if totals[best] >= threshold and totals[best] > unplaced:
            return _shared(best, totals[best], probabilities, by_unit, categories, threshold)
    if top.probability < threshold:
        shared = ""
        if totals:
            best = max(totals, key=lambda code: (totals[code], code))
            shared = f"; the likeliest unit, {best}, only {totals[best]:.1%} together"
        reason = (
            f"top category {top.category_code} at {top.probability:.1%} is below the "
            f"threshold of {threshold:.0%}{shared}: the dispatcher decides"
        )
        return _Decision(None, 0.0, None, reason)
    return _Decision(None, 0.0, None, f"top category {top.category_code}: {top.unit_reason}")


def _shared(
    unit_code: str,
    total: float,
    probabilities: Mapping[str, float],
    by_unit: Mapping[str, UnitRef | None],
    categories: CategoryIndex,
    threshold: float,
) -> _Decision:
    members = sorted(
        (code for code, unit in by_unit.items() if unit is not None and unit.code == unit_code),
        key=lambda code: -probabilities[code],
    )
    named = [code for code in members if probabilities[code] >= NAMED_SHARE] or members[:1]
    unit = by_unit[members[0]]
    assert unit is not None
    parent = _common_ancestor(categories, named)
    under = f" (all under {parent})" if parent and len(named) > 1 else ""
    reason = (
        f"{len(named)} categories sharing {unit.code} {unit.name_zh}{under} together "
        f"{total:.1%} (threshold {threshold:.0%}): {', '.join(named[:5])}"
    )
    return _Decision(unit, total, parent or (named[0] if len(named) == 1 else None), reason)


def _common_ancestor(categories: CategoryIndex, codes: Sequence[str]) -> str | None:
    """The deepest category that all `codes` are (or are under); None across level-1 areas."""
    for level in (3, 2, 1):
        found = {categories.ancestor(code, level) for code in codes}
        if len(found) == 1 and None not in found:
            return found.pop()
    return None


def _shares(kinds: Counter[UnitKind]) -> str:
    return ", ".join(f"{count} {kind.value}" for kind, count in kinds.most_common())


def _ref(unit: Unit) -> UnitRef:
    return UnitRef(
        code=unit.code, name_zh=unit.name_zh, name_en=unit.name_en, kind=UnitKind(unit.kind)
    )
