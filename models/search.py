"""The console's case search: one query (words, a case number or a phone) with filters, sort
and pages, always inside what the staff member may see.

Words are searched in the case's text (description, address, the name given with it) through
the index of migration 0014 (Chinese has no spaces: both index character n-grams): on
PostgreSQL a GIN index of the text's bigrams narrows to the cases holding all of a word's
bigrams and `ILIKE '%word%'` checks them; on SQLite an FTS5 trigram table answers `LIKE`. A
query that looks like a case number finds the numbers it starts; one that reads as a phone
number (any format: spaces, dashes, +86) finds the cases given that phone and the cases of the
citizen who proved it. The caller passes `visible_unit` (a unit handler's unit): it is applied
after every other condition, so no filter, search or saved view reaches another unit's case.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, false, literal_column, or_, text
from sqlmodel import Session, col, func, select

from intake.contacts import normalise_phone
from models.case import Case
from models.citizen import CaseContact, Citizen, CitizenIdentity
from models.enums import CaseStatus, Channel, IdentityKind
from workflows.types import UNIT_HANDLING

# The searched text and its bigrams: the same expressions as the index of migration 0014.
BODY = (
    "(coalesce(description, '') || ' ' || coalesce(address, '') || ' ' "
    "|| coalesce(contact_name, ''))"
)
VECTOR = f"to_tsvector('simple'::regconfig, hotline_bigrams({BODY}))"
SORTS = ("created", "oldest", "deadline", "status", "number")
PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_QUERY = 200
MAX_WORDS = 8
_NUMBER = re.compile(r"^\d{4,8}(-\d{0,6})?$")
_PHONE = re.compile(r"^\+?[\d\s().-]{7,24}$")


class BadQuery(ValueError):
    """A list parameter that cannot be used; the message names it and says what is wanted."""


@dataclass(frozen=True)
class CaseQuery:
    """What a staff member asked the list for; parsed from (and written back to) a query string."""

    q: str = ""
    statuses: tuple[CaseStatus, ...] = ()
    unit: str = ""
    district: str = ""
    street: str = ""
    category: str = ""
    channel: Channel | None = None
    overdue: bool = False
    created_from: date | None = None
    created_to: date | None = None
    sort: str = "created"
    page: int = 1
    per_page: int = PER_PAGE

    def params(self, **changes: Any) -> dict[str, str]:
        """The query string's parameters (only those set), with `changes` applied."""
        query = replace(self, **changes) if changes else self
        values = {
            "q": query.q,
            "status": ",".join(s.value for s in query.statuses),
            "unit": query.unit,
            "district": query.district,
            "street": query.street,
            "category": query.category,
            "channel": query.channel.value if query.channel else "",
            "overdue": "1" if query.overdue else "",
            "from": query.created_from.isoformat() if query.created_from else "",
            "to": query.created_to.isoformat() if query.created_to else "",
            "sort": "" if query.sort == "created" else query.sort,
            "page": "" if query.page == 1 else str(query.page),
            "per_page": "" if query.per_page == PER_PAGE else str(query.per_page),
        }
        return {key: value for key, value in values.items() if value}

    def query_string(self, **changes: Any) -> str:
        return urlencode(self.params(**changes))


_CODE = re.compile(r"^[0-9A-Za-z._-]{1,32}$")


def parse_case_query(params: Mapping[str, str]) -> CaseQuery:
    """A `CaseQuery` from request parameters; a bad one raises `BadQuery` saying which."""

    def get(name: str) -> str:
        return str(params.get(name, "") or "").strip()

    q = " ".join(get("q").split())
    if len(q) > MAX_QUERY or "\x00" in q:
        raise BadQuery(f"q: at most {MAX_QUERY} characters, no NUL")
    codes = {name: get(name) for name in ("unit", "district", "street", "category")}
    for name, value in codes.items():
        if value and not _CODE.match(value):
            raise BadQuery(f"{name}: a code of letters, digits, '.', '_' or '-'")
    try:
        statuses = tuple(CaseStatus(s) for s in get("status").split(",") if s)
    except ValueError as exc:
        raise BadQuery(f"status: one of {', '.join(s.value for s in CaseStatus)}") from exc
    try:
        channel = Channel(get("channel")) if get("channel") else None
    except ValueError as exc:
        raise BadQuery(f"channel: one of {', '.join(c.value for c in Channel)}") from exc
    sort = get("sort") or "created"
    if sort not in SORTS:
        raise BadQuery(f"sort: one of {', '.join(SORTS)}")
    return CaseQuery(
        q=q,
        statuses=statuses,
        channel=channel,
        overdue=get("overdue") in ("1", "on", "true"),
        created_from=_date(get("from"), "from"),
        created_to=_date(get("to"), "to"),
        sort=sort,
        page=_number(get("page"), "page", 1, 1_000_000),
        per_page=_number(get("per_page"), "per_page", PER_PAGE, MAX_PER_PAGE),
        **codes,
    )


def _date(value: str, name: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError as exc:
        raise BadQuery(f"{name}: a date as YYYY-MM-DD") from exc


def _number(value: str, name: str, default: int, most: int) -> int:
    if not value:
        return default
    if not value.isdigit() or not 1 <= int(value) <= most:
        raise BadQuery(f"{name}: a whole number from 1 to {most}")
    return int(value)


@dataclass(frozen=True)
class CasePage:
    cases: list[Case]
    total: int
    query: CaseQuery
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pages", max(1, -(-self.total // self.query.per_page)))


@dataclass(frozen=True)
class Scope:
    """The part of the list a view fixes before the staff member's filters narrow it."""

    statuses: Collection[CaseStatus] = ()
    unit: str | None = None  # the view's unit (a unit handler's inbox)
    supervision: bool = False  # flagged, overdue or waiting for an extension decision
    pending_extension_numbers: Collection[str] = ()


def search_cases(
    *,
    session: Session,
    query: CaseQuery,
    visible_unit: str | None,
    now: datetime,
    zone: ZoneInfo,
    default_region: str,
    scope: Scope = Scope(),
    paged: bool = True,
) -> CasePage:
    """One page of the cases matching `query` inside `scope`, and how many match in all."""
    statement = select(Case).where(*conditions(session, query, scope, now, zone, default_region))
    if visible_unit is not None:
        statement = statement.where(Case.lead_unit_code == visible_unit)
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    statement = sort_statement(statement, query.sort)
    if paged:
        statement = statement.offset((query.page - 1) * query.per_page).limit(query.per_page)
    return CasePage(cases=list(session.exec(statement).all()), total=total, query=query)


def iterate_cases(
    *,
    session: Session,
    query: CaseQuery,
    visible_unit: str | None,
    now: datetime,
    zone: ZoneInfo,
    default_region: str,
    scope: Scope = Scope(),
    batch: int = 1000,
) -> Any:
    """Every matching case in the list's order, a batch at a time (the CSV export)."""
    statement = select(Case).where(*conditions(session, query, scope, now, zone, default_region))
    if visible_unit is not None:
        statement = statement.where(Case.lead_unit_code == visible_unit)
    statement = sort_statement(statement, query.sort)
    offset = 0
    while True:
        rows = session.exec(statement.offset(offset).limit(batch)).all()
        yield from rows
        if len(rows) < batch:
            return
        offset += batch


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """The unit missed a deadline by `now` (the same rule as `models.queues.find_cases`)."""
    return and_(
        col(Case.status).in_([s.value for s in UNIT_HANDLING]),
        or_(
            and_(col(Case.status) == CaseStatus.dispatched, col(Case.acknowledge_due_at) < now),
            col(Case.resolve_due_at) < now,
        ),
    )


def conditions(
    session: Session,
    query: CaseQuery,
    scope: Scope,
    now: datetime,
    zone: ZoneInfo,
    default_region: str,
) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if scope.statuses:
        found.append(col(Case.status).in_([s.value for s in scope.statuses]))
    if scope.unit is not None:
        found.append(col(Case.lead_unit_code) == scope.unit)
    if scope.supervision:
        found.append(
            or_(
                col(Case.supervised).is_(True),
                overdue_condition(now),
                col(Case.number).in_(list(scope.pending_extension_numbers)),
            )
        )
    if query.statuses:
        found.append(col(Case.status).in_([s.value for s in query.statuses]))
    for column, value in (
        (Case.lead_unit_code, query.unit),
        (Case.district_code, query.district),
        (Case.street_code, query.street),
    ):
        if value:
            found.append(col(column) == value)
    if query.category:
        found.append(col(Case.category_code).startswith(query.category))
    if query.channel:
        found.append(col(Case.channel) == query.channel.value)
    if query.overdue:
        found.append(overdue_condition(now))
    if query.created_from:
        found.append(col(Case.created_at) >= _local_midnight(query.created_from, zone))
    if query.created_to:
        found.append(
            col(Case.created_at) < _local_midnight(query.created_to + timedelta(days=1), zone)
        )
    if query.q:
        found.append(matches(session, query.q, default_region))
    return found


def matches(session: Session, q: str, default_region: str) -> ColumnElement[bool]:
    """Cases whose number starts with `q`, that were given the phone `q`, or whose text has
    every word of `q`. A number or a phone is looked up as such only (not as words)."""
    if _NUMBER.match(q):
        return _number_prefix(q)
    phone = _phone(q, default_region)
    if phone is not None:
        return _with_phone(session, phone)
    words = q.split()[:MAX_WORDS]
    named = _named(session, q)
    text_match = and_(*(_word(session, word) for word in words))
    return or_(text_match, col(Case.citizen_id).in_(named)) if named else text_match


def _number_prefix(prefix: str) -> ColumnElement[bool]:
    # A range, not LIKE: the plain B-tree index on `number` serves it on both databases.
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(col(Case.number) >= prefix, col(Case.number) < upper)


def _phone(q: str, default_region: str) -> str | None:
    if not _PHONE.match(q) or sum(c.isdigit() for c in q) < 7:
        return None
    try:
        return normalise_phone(q, default_region=default_region)
    except ValueError:
        return None


def _with_phone(session: Session, phone: str) -> ColumnElement[bool]:
    """Looked up first (two small index reads), so the case query stays a plain id list."""
    case_ids = session.exec(
        select(CaseContact.case_id).where(
            CaseContact.kind == IdentityKind.phone, CaseContact.value == phone
        )
    ).all()
    citizen_ids = session.exec(
        select(CitizenIdentity.citizen_id).where(
            CitizenIdentity.kind == IdentityKind.phone, CitizenIdentity.value == phone
        )
    ).all()
    if not case_ids and not citizen_ids:
        return false()
    return or_(col(Case.id).in_(list(case_ids)), col(Case.citizen_id).in_(list(citizen_ids)))


def _named(session: Session, q: str) -> list[int]:
    """Citizens whose recorded name is exactly `q` (the name on the case is in its text)."""
    if len(q) > 120:
        return []
    return list(session.exec(select(Citizen.id).where(Citizen.name == q).limit(1000)).all())  # type: ignore[arg-type]


def _word(session: Session, word: str) -> ColumnElement[bool]:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if session.get_bind().dialect.name == "postgresql":
        substring = literal_column(BODY).ilike(f"%{escaped}%", escape="\\")
        if len(word) < 2 or not any(c.isalnum() for c in word):
            return substring  # no bigram to look up: a scan (one character is rarely asked)
        bigrams = func.plainto_tsquery(
            literal_column("'simple'::regconfig"), func.hotline_bigrams(word)
        )
        return and_(literal_column(VECTOR).op("@@")(bigrams), substring)
    if escaped != word:  # FTS5's LIKE has no ESCAPE: look for the characters themselves
        found: Select[Any] = select(literal_column("rowid")).where(
            text("instr(lower(body), lower(:word)) > 0").bindparams(word=word)
        )
    else:
        found = select(literal_column("rowid")).where(literal_column("body").like(f"%{word}%"))
    return col(Case.id).in_(found.select_from(text("case_search")))


def sort_statement(statement: Any, sort: str) -> Any:
    if sort == "oldest":
        return statement.order_by(col(Case.created_at), col(Case.id))
    if sort == "deadline":
        return statement.order_by(col(Case.resolve_due_at).asc().nulls_last(), col(Case.id))
    if sort == "status":
        return statement.order_by(col(Case.status), col(Case.created_at).desc(), col(Case.id))
    if sort == "number":
        return statement.order_by(col(Case.number).desc())
    return statement.order_by(col(Case.created_at).desc(), col(Case.id).desc())


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)
