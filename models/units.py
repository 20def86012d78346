"""Load responsible units from a CSV or YAML file: validate everything, then upsert in one go.

A unit file is edited by hand (a new street, a renamed bureau), so every row is checked before
anything is written and every problem is reported with its row: a half-loaded hierarchy would
leave cases dispatched to units whose parents do not exist. Parents may come after their
children in the file; they are written first.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.db import session_scope
from models.enums import UnitKind
from models.unit import Unit

FIELDS = (
    "code",
    "parent_code",
    "kind",
    "name_zh",
    "name_en",
    "latitude",
    "longitude",
    "service_areas",
)
REQUIRED_FIELDS = ("code", "kind", "name_zh")
MAX_LENGTHS = {"code": 32, "parent_code": 32, "name_zh": 120, "name_en": 160}
YAML_SUFFIXES = (".yaml", ".yml")
AREA_SEPARATOR = "|"  # service areas in a CSV cell: "110101 | 110102"


@dataclass(frozen=True)
class RowProblem:
    row: int | None  # 1-based data row; None for the file as a whole
    message: str
    line: int | None = None  # the CSV line, for the editor

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        where = f"row {self.row}" + (f" (line {self.line})" if self.line else "")
        return f"{where}: {self.message}"


class UnitsFileError(ValueError):
    """A unit file that cannot be loaded; nothing of it was written."""

    def __init__(self, path: Path, problems: list[RowProblem]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(f"{self.path}: {problem}" for problem in self.problems)


@dataclass(frozen=True)
class UnitRow:
    """One validated row. Empty `name_en` and coordinates mean "not given", not "clear"."""

    row: int
    line: int | None
    code: str
    parent_code: str | None
    kind: UnitKind
    name_zh: str
    name_en: str
    latitude: float | None
    longitude: float | None
    service_areas: list[str]

    def to_unit(self) -> Unit:
        return Unit(
            code=self.code,
            parent_code=self.parent_code,
            kind=self.kind,
            name_zh=self.name_zh,
            name_en=self.name_en,
            latitude=self.latitude,
            longitude=self.longitude,
            service_areas=list(self.service_areas),
        )


@dataclass(frozen=True)
class UnitsReport:
    added: int
    updated: int
    unchanged: int


def load_units_file(*, engine: Engine, path: Path) -> UnitsReport:
    """Upsert the units of a CSV or YAML file: insert new codes, update the existing ones.

    Kind, names and parent are always taken from the file; `name_en`, the coordinates and the
    service areas only when given, so a file without centroids never erases them. One
    transaction: on any problem a `UnitsFileError` names every bad row (the rows' own problems
    first; parents are checked once every row is sound) and the database is unchanged.
    """
    rows = read_unit_rows(path)
    with session_scope(engine) as session:
        existing = {unit.code: unit for unit in session.exec(select(Unit)).all()}
        ordered = parents_first(
            rows, path=path, existing={code: u.parent_code for code, u in existing.items()}
        )
        added = updated = 0
        for row in ordered:
            unit = existing.get(row.code)
            if unit is None:
                session.add(row.to_unit())
                session.flush()  # the parent row exists before its children reference it
                added += 1
            elif _update(unit, row):
                session.add(unit)
                session.flush()
                updated += 1
    return UnitsReport(added=added, updated=updated, unchanged=len(rows) - added - updated)


def list_units(
    *, session: Session, kind: UnitKind | None = None, parent_code: str | None = None
) -> list[Unit]:
    """Units ordered by code, optionally of one kind and/or under one parent."""
    query = select(Unit).order_by(col(Unit.code))
    if kind is not None:
        query = query.where(Unit.kind == kind)
    if parent_code is not None:
        query = query.where(Unit.parent_code == parent_code)
    return list(session.exec(query).all())


def read_unit_rows(path: Path) -> list[UnitRow]:
    """Parse and validate every row of a CSV or YAML unit file (parents are checked later)."""
    records = _read_yaml(path) if path.suffix.lower() in YAML_SUFFIXES else _read_csv(path)
    problems: list[RowProblem] = []
    rows: list[UnitRow] = []
    first_row: dict[str, int] = {}
    for index, (line, record) in enumerate(records, start=1):
        row_problems: list[str] = []
        row = _validate(index, line, record, row_problems)
        problems += [RowProblem(index, message, line) for message in row_problems]
        if row is None:
            continue
        if row.code in first_row:
            message = f"duplicate code {row.code!r} (first in row {first_row[row.code]})"
            problems.append(RowProblem(index, message, line))
            continue
        first_row[row.code] = index
        rows.append(row)
    if problems:
        raise UnitsFileError(path, problems)
    return rows


def parents_first(
    rows: list[UnitRow], *, path: Path, existing: Mapping[str, str | None]
) -> list[UnitRow]:
    """Order rows so every parent is written before its children; refuse unknown parents and
    cycles, and service areas that are no unit. `existing` maps the codes already stored to
    their parent codes."""
    parents: dict[str, str | None] = {**existing, **{row.code: row.parent_code for row in rows}}
    problems: list[RowProblem] = []
    depth: dict[str, int] = {}
    for row in rows:
        unknown = [code for code in row.service_areas if code not in parents]
        if unknown:
            message = f"service areas {unknown} of {row.code!r} are neither in the file nor stored"
            problems.append(RowProblem(row.row, message, row.line))
        if row.parent_code is not None and row.parent_code not in parents:
            message = (
                f"parent {row.parent_code!r} of {row.code!r} is neither in the file nor stored"
            )
            problems.append(RowProblem(row.row, message, row.line))
            continue
        level = _depth(row.code, parents)
        if level is None:
            message = f"{row.code!r} is its own ancestor (a cycle of parent codes)"
            problems.append(RowProblem(row.row, message, row.line))
        else:
            depth[row.code] = level
    if problems:
        raise UnitsFileError(path, problems)
    return sorted(rows, key=lambda row: depth[row.code])


def _depth(code: str, parents: Mapping[str, str | None]) -> int | None:
    """How many ancestors `code` has, or None on a cycle (a missing ancestor ends the walk)."""
    seen = {code}
    current = parents.get(code)
    level = 0
    while current is not None:
        if current in seen:
            return None
        seen.add(current)
        level += 1
        current = parents.get(current)
    return level


def _update(unit: Unit, row: UnitRow) -> bool:
    values: dict[str, Any] = {
        "kind": row.kind,
        "name_zh": row.name_zh,
        "parent_code": row.parent_code,
    }
    if row.service_areas:
        values["service_areas"] = list(row.service_areas)
    if row.name_en:
        values["name_en"] = row.name_en
    if row.latitude is not None:
        values["latitude"] = row.latitude
        values["longitude"] = row.longitude
    changed = {key: value for key, value in values.items() if getattr(unit, key) != value}
    for key, value in changed.items():
        setattr(unit, key, value)
    return bool(changed)


def _read_csv(path: Path) -> list[tuple[int | None, Mapping[str, Any]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        _check_fields(path, header)
        records: list[tuple[int | None, Mapping[str, Any]]] = []
        for record in reader:
            if None in record:  # more cells than header columns
                record = {key: value for key, value in record.items() if key is not None}
                record["__extra__"] = "yes"
            records.append((reader.line_num, record))
        return records


def _read_yaml(path: Path) -> list[tuple[int | None, Mapping[str, Any]]]:
    import yaml  # only YAML files need PyYAML

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise UnitsFileError(path, [RowProblem(None, f"not valid YAML: {exc}")]) from exc
    if isinstance(data, dict) and set(data) == {"units"}:
        data = data["units"]
    if not isinstance(data, list):
        message = "expected a list of units (or a mapping with one key, `units`)"
        raise UnitsFileError(path, [RowProblem(None, message)])
    records: list[tuple[int | None, Mapping[str, Any]]] = []
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise UnitsFileError(path, [RowProblem(index, "expected a mapping of fields")])
        unknown = set(item) - set(FIELDS)
        if unknown:
            message = f"unknown fields {sorted(map(str, unknown))}; known: {', '.join(FIELDS)}"
            raise UnitsFileError(path, [RowProblem(index, message)])
        records.append((None, item))
    return records


def _check_fields(path: Path, header: Iterable[str]) -> None:
    header = list(header)
    missing = [name for name in REQUIRED_FIELDS if name not in header]
    unknown = [name for name in header if name not in FIELDS]
    if missing or unknown:
        message = f"header must use the columns {', '.join(FIELDS)} and include "
        message += f"{', '.join(REQUIRED_FIELDS)}; missing {missing}, unknown {unknown}"
        raise UnitsFileError(path, [RowProblem(None, message)])


def _validate(
    index: int, line: int | None, record: Mapping[str, Any], problems: list[str]
) -> UnitRow | None:
    if record.get("__extra__"):
        problems.append("more cells than header columns")
        return None
    text = {name: _text(record.get(name), name, problems) for name in MAX_LENGTHS}
    for name in REQUIRED_FIELDS:
        if name != "kind" and not text.get(name):
            problems.append(f"{name} is missing")
    kind = _kind(record.get("kind"), problems)
    code, parent_code = text["code"], text["parent_code"] or None
    if code and parent_code == code:
        problems.append(f"{code!r} cannot be its own parent")
    latitude, longitude = _coordinates(record, problems)
    service_areas = _areas(record.get("service_areas"), problems)
    if problems or kind is None:
        return None
    return UnitRow(
        row=index,
        line=line,
        code=code,
        parent_code=parent_code,
        kind=kind,
        name_zh=text["name_zh"],
        name_en=text["name_en"],
        latitude=latitude,
        longitude=longitude,
        service_areas=service_areas,
    )


def _areas(value: Any, problems: list[str]) -> list[str]:
    """Codes of the places a branch serves: a YAML list, or a CSV cell split on `|`."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(AREA_SEPARATOR)
    if not isinstance(value, list):
        problems.append(f"service_areas must be a list of unit codes, not {value!r}")
        return []
    codes = [str(code).strip() for code in value if str(code).strip()]
    return [code for i, code in enumerate(codes) if code not in codes[:i]]


def _text(value: Any, name: str, problems: list[str]) -> str:
    """A stripped string; YAML integers are accepted for codes (110105 unquoted)."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool) and name.endswith("code"):
        value = str(value)
    if not isinstance(value, str):
        problems.append(f"{name} must be text, not {value!r}")
        return ""
    value = value.strip()
    if len(value) > MAX_LENGTHS[name]:
        problems.append(f"{name} is longer than {MAX_LENGTHS[name]} characters")
    return value


def _kind(value: Any, problems: list[str]) -> UnitKind | None:
    text = value.strip() if isinstance(value, str) else value
    if not text:
        problems.append("kind is missing")
        return None
    try:
        return UnitKind(text)
    except ValueError:
        known = ", ".join(kind.value for kind in UnitKind)
        problems.append(f"unknown kind {text!r} (expected one of {known})")
        return None


def _coordinates(
    record: Mapping[str, Any], problems: list[str]
) -> tuple[float | None, float | None]:
    before = len(problems)
    latitude = _number(record.get("latitude"), "latitude", 90, problems)
    longitude = _number(record.get("longitude"), "longitude", 180, problems)
    if len(problems) > before:
        return None, None
    if (latitude is None) != (longitude is None):
        problems.append("latitude and longitude must be given together")
        return None, None
    return latitude, longitude


def _number(value: Any, name: str, limit: float, problems: list[str]) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        problems.append(f"{name} must be a number, not {value!r}")
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        problems.append(f"{name} must be a number, not {value!r}")
        return None
    if not -limit <= number <= limit:  # also refuses nan
        problems.append(f"{name} {number} is outside -{limit}..{limit}")
        return None
    return number


def check_unit_record(
    record: Mapping[str, Any], *, existing: Mapping[str, str | None]
) -> tuple[UnitRow | None, list[str]]:
    """One unit as a form gives it, checked as a file row is (`hotline units load`): the
    row's own problems, then its parent and service areas against `existing` (code → parent)."""
    problems: list[str] = []
    row = _validate(1, None, record, problems)
    if row is None:
        return None, problems
    try:
        parents_first([row], path=Path("form"), existing=existing)
    except UnitsFileError as exc:
        return None, [problem.message for problem in exc.problems]
    return row, []
