"""What an admin may change, each change checked and written with its audit row in one go.

The console's admin pages call these (and the CLI may: `actor="cli"`); each takes the
caller's session and leaves the commit to it, so the change and its `AdminChange` row are
committed together or not at all. The checks are the same as the CLI's and the file loaders'
(`auth/users.py`, `models/units.py`, `models/catalog.py`): a form is checked field by field
first, so the admin reads each problem next to its field in their language (`AdminInvalid`
carries marked staff texts), and then by the loaders' own validation, whose words are the
file loaders' (English) should anything still be wrong.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, func, or_, select

from auth.passwords import MIN_PASSWORD_LENGTH
from auth.users import (
    USERNAME,
    StaffUserInvalid,
    create_staff_user,
    get_staff_user,
    set_active,
    set_password,
)
from core.i18n import S_
from models.admin_audit import AdminAction, AdminEntity, record_change
from models.calendar_override import OVERRIDE_KINDS, CalendarOverride
from models.case import Case, CaseAssistingUnit
from models.catalog import LEAF_LEVEL, check_category_record
from models.enums import StaffRole, UnitKind
from models.queues import OPEN
from models.staff import StaffUser
from models.unit import Category, Unit
from models.units import check_unit_record

NAME_LENGTH = 120
ENGLISH_NAME_LENGTH = 160
AREA_SPLIT = re.compile(r"[\s,|]+")


@dataclass(frozen=True)
class Problem:
    message: str  # a marked staff text (`S_`), with `{name}` placeholders
    params: dict[str, Any]


class AdminInvalid(ValueError):
    """A change that cannot be made as given; nothing was written. Problems by form field
    ("" for the form as a whole)."""

    def __init__(self, problems: dict[str, Problem]) -> None:
        self.problems = problems
        super().__init__(
            "; ".join(f"{f}: {p.message.format(**p.params)}" for f, p in problems.items())
        )


def _fail(field: str, message: str, **params: Any) -> AdminInvalid:
    return AdminInvalid({field: Problem(message, params)})


class _Problems:
    def __init__(self) -> None:
        self.found: dict[str, Problem] = {}

    def add(self, field: str, message: str, **params: Any) -> None:
        self.found.setdefault(field, Problem(message, params))

    def raise_any(self) -> None:
        if self.found:
            raise AdminInvalid(self.found)


def generated_password() -> str:
    """A password an admin hands over once; 16 URL-safe characters, 96 bits."""
    return secrets.token_urlsafe(12)


# ---- staff ---------------------------------------------------------------------------------


def staff_snapshot(user: StaffUser) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "unit_code": user.unit_code,
        "active": user.active,
    }


def add_staff(
    *,
    session: Session,
    actor: str,
    username: str,
    display_name: str,
    role: str,
    unit_code: str,
    password: str,
) -> StaffUser:
    problems = _Problems()
    username = username.strip().lower()
    display_name = display_name.strip()
    unit_code = unit_code.strip()
    if not USERNAME.match(username):
        problems.add(
            "username",
            S_("2 to 64 of a-z, 0-9, dot, underscore or hyphen, starting with a letter or digit."),
        )
    elif get_staff_user(session=session, username=username) is not None:
        problems.add(
            "username", S_("A staff member named {username} exists already."), username=username
        )
    if len(display_name) > NAME_LENGTH:
        problems.add("display_name", S_("At most {count} characters."), count=NAME_LENGTH)
    try:
        chosen = StaffRole(role)
    except ValueError:
        problems.add("role", S_("Choose a role."))
        chosen = None
    if chosen is StaffRole.unit_handler:
        if not unit_code:
            problems.add("unit_code", S_("A unit handler needs a unit."))
        elif session.get(Unit, unit_code) is None:
            problems.add("unit_code", S_("No unit has the code {code}."), code=unit_code)
    elif unit_code:
        problems.add("unit_code", S_("Only a unit handler belongs to a unit: leave it empty."))
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.add("password", S_("At least {count} characters."), count=MIN_PASSWORD_LENGTH)
    problems.raise_any()
    assert chosen is not None
    try:
        user = create_staff_user(
            session=session,
            username=username,
            password=password,
            role=chosen,
            unit_code=unit_code or None,
            display_name=display_name,
        )
    except StaffUserInvalid as exc:  # the CLI's own checks, should they ever say more
        raise _fail("", str(exc)) from exc
    record_change(
        session=session,
        actor=actor,
        entity=AdminEntity.staff,
        key=user.username,
        action=AdminAction.added,
        after=staff_snapshot(user),
    )
    return user


def set_staff_active(*, session: Session, actor: str, username: str, active: bool) -> StaffUser:
    """Disabling ends the user's sessions and tokens at once (`auth.users.set_active`)."""
    user = _staff(session, username)
    if not active and user.username == actor:
        raise _fail("", S_("You cannot disable your own account."))
    before = staff_snapshot(user)
    set_active(session=session, username=user.username, active=active)
    if before["active"] != active:
        record_change(
            session=session,
            actor=actor,
            entity=AdminEntity.staff,
            key=user.username,
            action=AdminAction.enabled if active else AdminAction.disabled,
            before=before,
            after=staff_snapshot(user),
        )
    return user


def reset_staff_password(*, session: Session, actor: str, username: str, password: str) -> None:
    """A new password ends every session and token of the old one; the log says it happened,
    never what it is."""
    user = _staff(session, username)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise _fail("password", S_("At least {count} characters."), count=MIN_PASSWORD_LENGTH)
    set_password(session=session, username=user.username, password=password)
    record_change(
        session=session,
        actor=actor,
        entity=AdminEntity.staff,
        key=user.username,
        action=AdminAction.password_reset,
    )


def _staff(session: Session, username: str) -> StaffUser:
    user = get_staff_user(session=session, username=username)
    if user is None:
        raise _fail("", S_("No staff member is named {username}."), username=username)
    return user


# ---- units ---------------------------------------------------------------------------------


def unit_snapshot(unit: Unit) -> dict[str, Any]:
    return {
        "name_zh": unit.name_zh,
        "name_en": unit.name_en,
        "kind": unit.kind,
        "parent_code": unit.parent_code,
        "service_areas": list(unit.service_areas),
        "active": unit.active,
    }


def edit_unit(
    *,
    session: Session,
    actor: str,
    code: str,
    name_zh: str,
    name_en: str,
    kind: str,
    parent_code: str,
    service_areas: str,
    active: bool,
) -> Unit:
    unit = _unit(session, code)
    problems = _Problems()
    name_zh, name_en, parent_code = name_zh.strip(), name_en.strip(), parent_code.strip()
    areas = [a for a in AREA_SPLIT.split(service_areas.strip()) if a]
    areas = [a for i, a in enumerate(areas) if a not in areas[:i]]
    _check_names(problems, name_zh, name_en)
    if kind not in {k.value for k in UnitKind}:
        problems.add("kind", S_("Choose a kind."))
    parents = {u.code: u.parent_code for u in session.exec(select(Unit)).all()}
    if parent_code:
        if parent_code == code:
            problems.add("parent_code", S_("A unit cannot be its own parent."))
        elif parent_code not in parents:
            problems.add("parent_code", S_("No unit has the code {code}."), code=parent_code)
        elif _ancestor(code, parent_code, parents):
            problems.add(
                "parent_code",
                S_("{code} is under this unit: that would be a loop."),
                code=parent_code,
            )
    unknown = [a for a in areas if a not in parents]
    if unknown:
        problems.add("service_areas", S_("No unit has the code {code}."), code=", ".join(unknown))
    problems.raise_any()
    record = {
        "code": code,
        "name_zh": name_zh,
        "name_en": name_en,
        "kind": kind,
        "parent_code": parent_code,
        "service_areas": areas,
    }
    row, found = check_unit_record(record, existing=parents)
    if row is None:
        raise _fail("", "; ".join(found))
    before = unit_snapshot(unit)
    unit.name_zh, unit.name_en, unit.kind = row.name_zh, row.name_en, row.kind
    unit.parent_code, unit.service_areas, unit.active = row.parent_code, row.service_areas, active
    session.add(unit)
    session.flush()
    _log_update(session, actor, AdminEntity.unit, code, before, unit_snapshot(unit))
    return unit


def unit_open_cases(*, session: Session, code: str) -> int:
    """Open cases the unit leads, assists, or whose place (district, street) it is."""
    statuses = [s.value for s in OPEN]
    assisted = select(CaseAssistingUnit.case_id).where(CaseAssistingUnit.unit_code == code)
    query = (
        select(func.count())
        .select_from(Case)
        .where(
            col(Case.status).in_(statuses),
            or_(
                Case.lead_unit_code == code,
                Case.district_code == code,
                Case.street_code == code,
                col(Case.id).in_(assisted),
            ),
        )
    )
    return int(session.exec(query).one())


def delete_unit(*, session: Session, actor: str, code: str) -> None:
    """Only a unit nothing refers to goes; one with open cases, or history, is deactivated."""
    unit = _unit(session, code)
    if unit_open_cases(session=session, code=code):
        raise _fail("", S_("This unit has open cases: deactivate it instead."))
    referenced = [
        select(func.count())
        .select_from(Case)
        .where(
            or_(Case.lead_unit_code == code, Case.district_code == code, Case.street_code == code)
        ),
        select(func.count())
        .select_from(CaseAssistingUnit)
        .where(CaseAssistingUnit.unit_code == code),
        select(func.count()).select_from(Unit).where(Unit.parent_code == code),
        select(func.count()).select_from(StaffUser).where(StaffUser.unit_code == code),
        select(func.count()).select_from(Category).where(Category.unit_code == code),
    ]
    if any(session.exec(query).one() for query in referenced):
        raise _fail(
            "",
            S_(
                "Cases, staff, categories or other units refer to this unit: deactivate it instead."
            ),
        )
    before = unit_snapshot(unit)
    session.delete(unit)
    session.flush()
    record_change(
        session=session,
        actor=actor,
        entity=AdminEntity.unit,
        key=code,
        action=AdminAction.deleted,
        before=before,
    )


def _unit(session: Session, code: str) -> Unit:
    unit = session.get(Unit, code)
    if unit is None:
        raise _fail("", S_("No unit has the code {code}."), code=code)
    return unit


def _ancestor(code: str, candidate: str, parents: dict[str, str | None]) -> bool:
    """Whether `code` is `candidate` or one of its ancestors (so candidate is below code)."""
    seen: set[str] = set()
    current: str | None = candidate
    while current is not None and current not in seen:
        if current == code:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


def _check_names(problems: _Problems, name_zh: str, name_en: str) -> None:
    if not name_zh:
        problems.add("name_zh", S_("Required."))
    elif len(name_zh) > NAME_LENGTH:
        problems.add("name_zh", S_("At most {count} characters."), count=NAME_LENGTH)
    if len(name_en) > ENGLISH_NAME_LENGTH:
        problems.add("name_en", S_("At most {count} characters."), count=ENGLISH_NAME_LENGTH)


def _log_update(
    session: Session,
    actor: str,
    entity: AdminEntity,
    key: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    if before != after:
        record_change(
            session=session,
            actor=actor,
            entity=entity,
            key=key,
            action=AdminAction.updated,
            before=before,
            after=after,
        )


# ---- catalog leaves ------------------------------------------------------------------------

DEADLINE_FIELDS = ("acknowledge_hours", "respond_hours", "resolve_working_days")
# Which unit a leaf needs, in words (a unit kind's code in a sentence would reach the page raw).
NEEDS_UNIT = {
    UnitKind.department: S_("This leaf goes to a government department: choose one."),
    UnitKind.utility: S_("This leaf goes to a utility company: choose one."),
}
OWN_UNIT = S_("This leaf goes to the place's own unit: leave it empty.")


def category_snapshot(category: Category) -> dict[str, Any]:
    return {
        "name_zh": category.name_zh,
        "name_en": category.name_en,
        "unit_code": category.unit_code,
        "acknowledge_hours": category.acknowledge_hours,
        "respond_hours": category.respond_hours,
        "resolve_working_days": category.resolve_working_days,
        "active": category.active,
    }


def edit_leaf(
    *,
    session: Session,
    actor: str,
    code: str,
    name_zh: str,
    name_en: str,
    unit_code: str,
    deadlines: dict[str, str],
    active: bool,
) -> Category:
    """A leaf's names, unit, deadlines and active flag; its place in the tree and its unit
    kind stay (a file load changes those)."""
    category = session.get(Category, code)
    if category is None or category.level != LEAF_LEVEL:
        raise _fail("", S_("No category leaf has the code {code}."), code=code)
    problems = _Problems()
    name_zh, name_en, unit_code = name_zh.strip(), name_en.strip(), unit_code.strip()
    _check_names(problems, name_zh, name_en)
    if not name_en:
        problems.add("name_en", S_("Required."))
    units = {u.code: UnitKind(u.kind) for u in session.exec(select(Unit)).all()}
    kind = UnitKind(category.unit_kind) if category.unit_kind else None
    if unit_code and unit_code not in units:
        problems.add("unit_code", S_("No unit has the code {code}."), code=unit_code)
    elif unit_code and kind is not None and units[unit_code] != kind:
        problems.add("unit_code", NEEDS_UNIT.get(kind, OWN_UNIT))
    elif kind in NEEDS_UNIT and not unit_code:
        problems.add("unit_code", NEEDS_UNIT[kind])
    elif kind not in NEEDS_UNIT and unit_code:
        problems.add("unit_code", OWN_UNIT)
    for name in DEADLINE_FIELDS:
        value = deadlines.get(name, "").strip()
        if not value:
            continue
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if not number > 0 or number == float("inf"):
            problems.add(name, S_("A positive number, or empty for the default."))
        elif name == "resolve_working_days" and not number.is_integer():
            problems.add(name, S_("Whole working days."))
    problems.raise_any()
    record = {
        "code": code,
        "parent_code": category.parent_code or "",
        "level": str(category.level),
        "name_zh": name_zh,
        "name_en": name_en,
        "unit_kind": category.unit_kind or "",
        "unit_code": unit_code,
        **{name: deadlines.get(name, "").strip() for name in DEADLINE_FIELDS},
        "examples": "",
    }
    row, found = check_category_record(record, units=units)
    if row is None or found:
        raise _fail("", "; ".join(found))
    before = category_snapshot(category)
    category.name_zh, category.name_en, category.unit_code = row.name_zh, row.name_en, row.unit_code
    category.acknowledge_hours = row.acknowledge_hours
    category.respond_hours = row.respond_hours
    category.resolve_working_days = row.resolve_working_days
    category.active = active
    session.add(category)
    session.flush()
    _log_update(session, actor, AdminEntity.category, code, before, category_snapshot(category))
    return category


# ---- holidays ------------------------------------------------------------------------------


def override_snapshot(override: CalendarOverride) -> dict[str, Any]:
    return {"day": override.day, "kind": override.kind, "name": override.name}


def set_override(
    *,
    session: Session,
    actor: str,
    day: str,
    kind: str,
    name: str,
    is_working_day: Any,
) -> CalendarOverride:
    """Add or change an extra day off or day worked. `is_working_day(date)` is the calendar
    without overrides: a day off must be a working day there, and a day worked one that is not
    (else the entry would change nothing)."""
    problems = _Problems()
    name = name.strip()
    parsed: date | None = None
    try:
        parsed = date.fromisoformat(day.strip())
    except ValueError:
        problems.add("day", S_("A date as YYYY-MM-DD."))
    if kind not in OVERRIDE_KINDS:
        problems.add("kind", S_("Choose a day off or a day worked."))
    if not name:
        problems.add("name", S_("Required."))
    elif len(name) > NAME_LENGTH:
        problems.add("name", S_("At most {count} characters."), count=NAME_LENGTH)
    if parsed is not None and kind in OVERRIDE_KINDS:
        working = bool(is_working_day(parsed))
        if kind == "holiday" and not working:
            problems.add("day", S_("That day is a day off already."))
        if kind == "workday" and working:
            problems.add("day", S_("That day is a working day already."))
    problems.raise_any()
    assert parsed is not None
    override = session.get(CalendarOverride, parsed)
    before = override_snapshot(override) if override is not None else None
    if override is None:
        override = CalendarOverride(day=parsed, kind=kind, name=name, updated_by=actor)
    else:
        override.kind, override.name, override.updated_by = kind, name, actor
    session.add(override)
    session.flush()
    record_change(
        session=session,
        actor=actor,
        entity=AdminEntity.holiday,
        key=parsed.isoformat(),
        action=AdminAction.added if before is None else AdminAction.updated,
        before=before,
        after=override_snapshot(override),
    )
    return override


def delete_override(*, session: Session, actor: str, day: str) -> None:
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise _fail("", S_("A date as YYYY-MM-DD.")) from None
    override = session.get(CalendarOverride, parsed)
    if override is None:
        raise _fail("", S_("No extra day is set for {day}."), day=day)
    before = override_snapshot(override)
    session.delete(override)
    session.flush()
    record_change(
        session=session,
        actor=actor,
        entity=AdminEntity.holiday,
        key=parsed.isoformat(),
        action=AdminAction.deleted,
        before=before,
    )
