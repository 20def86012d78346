"""Case lists the staff work from (queues, a unit's inbox, supervision) and the public feed.

Keyword-only read helpers over `cases` and `case_events`; the staff API, the console and the
public pages all use them, so a filter means the same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import and_, or_
from sqlmodel import Session, col, func, select

from models.case import Case, CasesPublic
from models.enums import CaseStatus
from models.event import CaseEvent
from models.service import case_public
from models.unit import Category, Unit
from workflows.types import TERMINAL, UNIT_HANDLING

# 调度队列: what the dispatch centre still has to send somewhere.
DISPATCH_QUEUE = frozenset({CaseStatus.accepted, CaseStatus.returned})
OPEN = frozenset(CaseStatus) - TERMINAL


def find_cases(
    *,
    session: Session,
    statuses: Collection[CaseStatus] | None = None,
    unit_code: str | None = None,
    category_code: str | None = None,
    supervised: bool | None = None,
    overdue_at: datetime | None = None,
    numbers: Collection[str] | None = None,
    offset: int = 0,
    limit: int = 50,
) -> CasesPublic:
    """Cases newest first; `overdue_at` keeps cases whose unit missed a deadline by then."""
    query = select(Case)
    if statuses:
        query = query.where(col(Case.status).in_([s.value for s in statuses]))
    if unit_code is not None:
        query = query.where(Case.lead_unit_code == unit_code)
    if category_code is not None:
        query = query.where(col(Case.category_code).startswith(category_code))
    if supervised is not None:
        query = query.where(Case.supervised == supervised)
    if numbers is not None:
        query = query.where(col(Case.number).in_(list(numbers)))
    if overdue_at is not None:
        query = query.where(
            col(Case.status).in_([s.value for s in UNIT_HANDLING]),
            or_(
                and_(
                    col(Case.status) == CaseStatus.dispatched,
                    col(Case.acknowledge_due_at) < overdue_at,
                ),
                col(Case.resolve_due_at) < overdue_at,
            ),
        )
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Case.number).desc()).offset(offset).limit(limit)).all()
    return CasesPublic(data=[case_public(session=session, case=c) for c in rows], count=count)


def pending_extension_numbers(*, session: Session, unit_code: str | None = None) -> list[str]:
    """Open cases whose latest extension event is a request still waiting for a decision."""
    kinds = ("extension_requested", "extension_approved", "extension_rejected")
    latest = (
        select(CaseEvent.case_id, func.max(CaseEvent.id).label("last_id"))
        .where(col(CaseEvent.kind).in_(kinds))
        .group_by(col(CaseEvent.case_id))
        .subquery()
    )
    query = (
        select(Case.number)
        .join(latest, latest.c.case_id == col(Case.id))
        .join(CaseEvent, col(CaseEvent.id) == latest.c.last_id)
        .where(CaseEvent.kind == "extension_requested")
        .where(col(Case.status).in_([s.value for s in OPEN]))
    )
    if unit_code is not None:
        query = query.where(Case.lead_unit_code == unit_code)
    return list(session.exec(query.order_by(col(Case.number).desc())).all())


def latest_event(*, session: Session, case: Case, kind: str) -> CaseEvent | None:
    return session.exec(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.kind == kind)
        .order_by(col(CaseEvent.id).desc())
    ).first()


class FeedItem(BaseModel):
    """One case in the public feed: what, where (district and street) and how far; no person."""

    number: str
    created_at: datetime
    status: CaseStatus
    category_code: str | None
    category_zh: str | None
    category_en: str | None
    area_zh: str | None
    area_en: str | None


def public_feed(
    *,
    session: Session,
    district_code: str | None = None,
    category_code: str | None = None,
    limit: int = 50,
) -> list[FeedItem]:
    """Recent cases by area and category, with no description, address or citizen."""
    query = select(Case).where(col(Case.merged_into_id).is_(None))
    if district_code:
        query = query.where(Case.district_code == district_code)
    if category_code:
        query = query.where(col(Case.category_code).startswith(category_code))
    rows = session.exec(query.order_by(col(Case.created_at).desc()).limit(limit)).all()
    return [_feed_item(session, case) for case in rows]


def _feed_item(session: Session, case: Case) -> FeedItem:
    category = session.get(Category, case.category_code) if case.category_code else None
    places = [session.get(Unit, code) for code in (case.district_code, case.street_code) if code]
    units = [unit for unit in places if unit is not None]
    return FeedItem(
        number=case.number,
        created_at=case.created_at,
        status=case.status,
        category_code=case.category_code,
        category_zh=category.name_zh if category else None,
        category_en=category.name_en if category else None,
        area_zh=" ".join(u.name_zh for u in units) or None,
        area_en=" ".join(u.name_en or u.name_zh for u in units) or None,
    )
