"""Load the 3-level category catalog from a CSV file, browse it as a tree and search it.

A catalog file is edited by hand (a new leaf, a renamed group, tighter deadlines), so every row
is checked before anything is written, each problem is reported with its file and line, and the
whole load is one transaction. Categories are never deleted: cases reference them, so a
replacing load marks the categories missing from the file inactive instead.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.db import session_scope
from models.enums import UnitKind
from models.unit import Category, Unit

FIELDS = (
    "code",
    "parent_code",
    "level",
    "name_zh",
    "name_en",
    "unit_kind",
    "unit_code",
    "acknowledge_hours",
    "respond_hours",
    "resolve_working_days",
    "examples",
)
REQUIRED_FIELDS = ("code", "parent_code", "level", "name_zh", "name_en", "unit_kind")
MAX_LENGTHS = {"code": 32, "parent_code": 32, "name_zh": 120, "name_en": 160, "unit_code": 32}
# Kinds of unit a leaf names by code; the others are the place's street, district or city.
NAMED_KINDS = (UnitKind.department, UnitKind.utility)
EXAMPLE_SEPARATOR = "|"  # written as " | "; blanks around each phrasing are dropped
LEAF_LEVEL = 3


@dataclass(frozen=True)
class CatalogProblem:
    line: int | None  # the CSV line; None for the file as a whole
    message: str

    def __str__(self) -> str:
        return self.message if self.line is None else f"line {self.line}: {self.message}"


class CatalogFileError(ValueError):
    """A catalog file that cannot be loaded; nothing of it was written."""

    def __init__(self, path: Path, problems: list[CatalogProblem]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(f"{self.path}: {problem}" for problem in self.problems)


@dataclass(frozen=True)
class CatalogRow:
    """One validated row; `given` names the optional columns the file has."""

    line: int
    code: str
    parent_code: str | None
    level: int
    name_zh: str
    name_en: str
    unit_kind: UnitKind | None
    unit_code: str | None
    acknowledge_hours: float | None
    respond_hours: float | None
    resolve_working_days: int | None
    examples: list[str]
    given: frozenset[str]

    def values(self) -> dict[str, Any]:
        """The category's fields as the file sets them (columns it lacks are left out)."""
        optional = (name for name in FIELDS if name not in REQUIRED_FIELDS)
        values = {name: getattr(self, name) for name in optional if name in self.given}
        required = {name: getattr(self, name) for name in REQUIRED_FIELDS if name != "code"}
        return {**required, **values}

    def to_category(self) -> Category:
        return Category(code=self.code, **self.values())


@dataclass(frozen=True)
class CatalogReport:
    added: int
    updated: int
    unchanged: int
    deactivated: int


@dataclass
class CategoryNode:
    category: Category
    children: list[CategoryNode] = field(default_factory=list)


def load_catalog_file(*, engine: Engine, path: Path, replace: bool = False) -> CatalogReport:
    """Upsert the categories of a CSV file; with `replace`, deactivate every category not in it.

    Columns present in the file are taken as they are (an empty deadline means the default
    one); columns the file lacks leave stored values alone. A category in the file is active.
    On any problem a `CatalogFileError` names every bad line and the database is unchanged.
    """
    rows, problems, broken = _parse(path)
    with session_scope(engine) as session:
        stored = {category.code: category for category in session.exec(select(Category)).all()}
        problems += _tree_problems(rows, stored=stored, replace=replace, broken=broken)
        units = {unit.code: UnitKind(unit.kind) for unit in session.exec(select(Unit)).all()}
        problems += unit_problems(rows, units=units)
        if problems:
            raise CatalogFileError(path, sorted(problems, key=lambda problem: problem.line or 0))
        added = updated = 0
        for row in sorted(rows, key=lambda row: row.level):  # parents before their children
            category = stored.get(row.code)
            if category is None:
                session.add(row.to_category())
                added += 1
            elif _update(category, {**row.values(), "active": True}):
                session.add(category)
                updated += 1
            session.flush()
        in_file = {row.code for row in rows}
        deactivated = 0
        if replace:
            for category in stored.values():
                if category.code not in in_file and category.active:
                    category.active = False
                    session.add(category)
                    deactivated += 1
    return CatalogReport(
        added=added,
        updated=updated,
        unchanged=len(rows) - added - updated,
        deactivated=deactivated,
    )


def read_catalog_rows(path: Path) -> list[CatalogRow]:
    """Parse and check every row of a catalog CSV on its own (the tree is checked later)."""
    rows, problems, _ = _parse(path)
    if problems:
        raise CatalogFileError(path, problems)
    return rows


def check_tree(
    rows: list[CatalogRow],
    *,
    path: Path,
    stored: Mapping[str, Category],
    replace: bool = False,
) -> None:
    """Refuse unknown or inactive parents, parents of the wrong level and level changes of
    stored codes. A replacing load keeps only what the file holds: there every parent must be
    in the file."""
    problems = _tree_problems(rows, stored=stored, replace=replace)
    if problems:
        raise CatalogFileError(path, problems)


def unit_problems(rows: list[CatalogRow], *, units: Mapping[str, UnitKind]) -> list[CatalogProblem]:
    """A leaf's `unit_code` must be a stored unit of the leaf's kind."""
    problems: list[CatalogProblem] = []
    for row in rows:
        if row.unit_code is None:
            continue
        kind = units.get(row.unit_code)
        if kind is None:
            message = f"unit_code {row.unit_code!r} is not a stored unit (`hotline units load`)"
            problems.append(CatalogProblem(row.line, message))
        elif kind != row.unit_kind:
            message = f"unit_code {row.unit_code!r} is a {kind.value}, not a {row.unit_kind}"
            problems.append(CatalogProblem(row.line, message))
    return problems


def _parse(path: Path) -> tuple[list[CatalogRow], list[CatalogProblem], set[str]]:
    """The sound rows, the problems, and the codes of the rows that are not sound."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        _check_header(path, header)
        given = frozenset(header)
        problems: list[CatalogProblem] = []
        rows: list[CatalogRow] = []
        first_line: dict[str, int] = {}
        broken: set[str] = set()
        for record in reader:
            line = reader.line_num
            messages: list[str] = []
            row = _validate(line, record, given, messages)
            problems += [CatalogProblem(line, message) for message in messages]
            if row is None:
                broken.add(str(record.get("code") or "").strip())
                continue
            if row.code in first_line:
                message = f"duplicate code {row.code!r} (first on line {first_line[row.code]})"
                problems.append(CatalogProblem(line, message))
                continue
            first_line[row.code] = line
            rows.append(row)
    return rows, problems, broken


def _tree_problems(
    rows: list[CatalogRow],
    *,
    stored: Mapping[str, Category],
    replace: bool,
    broken: set[str] | None = None,
) -> list[CatalogProblem]:
    """Problems of the tree; a parent whose own row is broken is already reported there."""
    in_file = {row.code: row.level for row in rows}
    levels = {**({} if replace else {c: s.level for c, s in stored.items()}), **in_file}
    problems: list[CatalogProblem] = []
    for row in rows:
        before = stored.get(row.code)
        if before is not None and before.level != row.level:
            message = f"{row.code!r} is stored with level {before.level}; a code keeps its level"
            problems.append(CatalogProblem(row.line, message))
        if row.parent_code is None or (broken and row.parent_code in broken):
            continue
        parent = f"parent {row.parent_code!r} of {row.code!r}"
        parent_level = levels.get(row.parent_code)
        if parent_level is None:
            where = "is not in the file" if replace else "is neither in the file nor stored"
            problems.append(CatalogProblem(row.line, f"{parent} {where}"))
        elif row.parent_code not in in_file and not stored[row.parent_code].active:
            message = f"{parent} is inactive; add it to the file to make it active again"
            problems.append(CatalogProblem(row.line, message))
        elif parent_level != row.level - 1:
            message = (
                f"{parent} has level {parent_level}; "
                f"a level-{row.level} category needs a level-{row.level - 1} parent"
            )
            problems.append(CatalogProblem(row.line, message))
    return problems


def catalog_tree(
    *, session: Session, code: str | None = None, include_inactive: bool = False
) -> list[CategoryNode]:
    """The catalog as trees ordered by code: the level-1 areas, or the one node `code`."""
    query = select(Category).order_by(col(Category.code))
    if not include_inactive:
        query = query.where(col(Category.active).is_(True))
    categories = list(session.exec(query).all())
    nodes = {category.code: CategoryNode(category) for category in categories}
    roots: list[CategoryNode] = []
    for category in categories:
        parent = nodes.get(category.parent_code) if category.parent_code else None
        if parent is not None:
            parent.children.append(nodes[category.code])
        elif category.parent_code is None:
            roots.append(nodes[category.code])
    if code is None:
        return roots
    return [nodes[code]] if code in nodes else []


def search_categories(
    *, session: Session, text: str, leaves_only: bool = False, limit: int = 50
) -> list[Category]:
    """Active categories whose names (zh or en) or example phrasings contain `text`.

    Case-insensitive; the catalog is small, so it is filtered here rather than in SQL (the
    examples are a JSON list, which SQLite and PostgreSQL search differently).
    """
    needle = text.strip().casefold()
    if not needle:
        return []
    query = select(Category).where(col(Category.active).is_(True)).order_by(col(Category.code))
    if leaves_only:
        query = query.where(Category.level == LEAF_LEVEL)
    found = [
        category
        for category in session.exec(query).all()
        if any(needle in value.casefold() for value in _searchable(category))
    ]
    return found[:limit]


def matching_examples(category: Category, text: str) -> list[str]:
    """The example phrasings of `category` that contain `text` (case-insensitive)."""
    needle = text.strip().casefold()
    return [example for example in category.examples if needle and needle in example.casefold()]


def _searchable(category: Category) -> Iterable[str]:
    yield category.name_zh
    yield category.name_en
    yield from category.examples


def _update(category: Category, values: Mapping[str, Any]) -> bool:
    changed = {key: value for key, value in values.items() if getattr(category, key) != value}
    for key, value in changed.items():
        setattr(category, key, value)
    return bool(changed)


def _check_header(path: Path, header: list[str]) -> None:
    missing = [name for name in REQUIRED_FIELDS if name not in header]
    unknown = [name for name in header if name not in FIELDS]
    if missing or unknown:
        message = f"line 1: header must use the columns {', '.join(FIELDS)} and include "
        message += f"{', '.join(REQUIRED_FIELDS)}; missing {missing}, unknown {unknown}"
        raise CatalogFileError(path, [CatalogProblem(None, message)])


def _validate(
    line: int, record: Mapping[str | None, Any], given: frozenset[str], problems: list[str]
) -> CatalogRow | None:
    if None in record:
        problems.append("more cells than header columns")
        return None
    text = {name: _text(record.get(name), name, problems) for name in MAX_LENGTHS}
    for name in ("code", "name_zh", "name_en"):
        if not text[name]:
            problems.append(f"{name} is missing")
    code, parent_code = text["code"], text["parent_code"] or None
    level = _level(record.get("level"), problems)
    if level == 1 and parent_code is not None:
        problems.append(f"a level-1 area has no parent (got {parent_code!r})")
    if level is not None and level > 1 and parent_code is None:
        problems.append(f"a level-{level} category needs a parent_code")
    if code and parent_code == code:
        problems.append(f"{code!r} cannot be its own parent")
    unit_kind = _unit_kind(record.get("unit_kind"), level, problems)
    unit_code = _unit_code(text["unit_code"] or None, level, unit_kind, given, problems)
    acknowledge = _positive(record.get("acknowledge_hours"), "acknowledge_hours", problems)
    respond = _positive(record.get("respond_hours"), "respond_hours", problems)
    resolve = _positive(record.get("resolve_working_days"), "resolve_working_days", problems)
    if resolve is not None and not resolve.is_integer():
        problems.append(f"resolve_working_days must be whole days, not {resolve}")
    if problems or level is None:
        return None
    return CatalogRow(
        line=line,
        code=code,
        parent_code=parent_code,
        level=level,
        name_zh=text["name_zh"],
        name_en=text["name_en"],
        unit_kind=unit_kind,
        unit_code=unit_code,
        acknowledge_hours=acknowledge,
        respond_hours=respond,
        resolve_working_days=None if resolve is None else int(resolve),
        examples=split_examples(record.get("examples") or ""),
        given=given,
    )


def _unit_code(
    code: str | None,
    level: int | None,
    kind: UnitKind | None,
    given: frozenset[str],
    problems: list[str],
) -> str | None:
    """A department or utility leaf names its unit; other rows leave `unit_code` empty."""
    if level != LEAF_LEVEL:
        if code is not None:
            problems.append("only a leaf (level 3) names a unit_code")
        return code
    if kind in NAMED_KINDS and code is None and "unit_code" in given:
        problems.append(f"unit_code is missing (a {kind} leaf names its unit)")
    elif kind is not None and kind not in NAMED_KINDS and code is not None:
        problems.append(f"a {kind} leaf goes to the place's {kind}: leave unit_code empty")
    return code


def split_examples(cell: str) -> list[str]:
    """The phrasings of an `examples` cell, separated by ` | `."""
    return [part.strip() for part in cell.split(EXAMPLE_SEPARATOR) if part.strip()]


def _text(value: str | None, name: str, problems: list[str]) -> str:
    value = (value or "").strip()
    if len(value) > MAX_LENGTHS[name]:
        problems.append(f"{name} is longer than {MAX_LENGTHS[name]} characters")
    return value


def _level(value: str | None, problems: list[str]) -> int | None:
    value = (value or "").strip()
    if value not in {"1", "2", "3"}:
        problems.append(f"level must be 1, 2 or 3, not {value!r}")
        return None
    return int(value)


def _unit_kind(value: str | None, level: int | None, problems: list[str]) -> UnitKind | None:
    value = (value or "").strip()
    if not value:
        if level == LEAF_LEVEL:
            problems.append("unit_kind is missing (every leaf names the kind of unit for it)")
        return None
    try:
        return UnitKind(value)
    except ValueError:
        known = ", ".join(kind.value for kind in UnitKind)
        problems.append(f"unknown unit_kind {value!r} (expected one of {known})")
        return None


def _positive(value: str | None, name: str, problems: list[str]) -> float | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        problems.append(f"{name} must be a number, not {value!r}")
        return None
    if not math.isfinite(number) or number <= 0:
        problems.append(f"{name} must be positive, not {value!r}")
        return None
    return number


def check_category_record(
    record: Mapping[str, Any], *, units: Mapping[str, UnitKind]
) -> tuple[CatalogRow | None, list[str]]:
    """One category as a form gives it, checked as a file row is (`hotline catalog load`):
    the row's own fields, then its unit against the stored units."""
    problems: list[str] = []
    given = frozenset(name for name in FIELDS if name in record)
    fields: dict[str | None, Any] = dict(record.items())
    row = _validate(1, fields, given, problems)
    if row is None:
        return None, problems
    return row, [problem.message for problem in unit_problems([row], units=units)]
