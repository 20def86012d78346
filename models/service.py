"""Keyword-only read helpers over cases, shared by the API, the CLI and activities."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from models.case import Case, CaseAssistingUnit, CasePublic, CasesPublic
from models.enums import CaseStatus
from models.event import CaseEvent, CaseEventPublic


class CaseNotFound(LookupError):
    def __init__(self, number: str) -> None:
        super().__init__(number)
        self.number = number

    def __str__(self) -> str:
        return f"no case numbered '{self.number}'"


def get_case(*, session: Session, number: str) -> Case | None:
    return session.exec(select(Case).where(Case.number == number)).first()


def get_case_or_raise(*, session: Session, number: str) -> Case:
    case = get_case(session=session, number=number)
    if case is None:
        raise CaseNotFound(number)
    return case


def case_public(*, session: Session, case: Case) -> CasePublic:
    assisting = session.exec(
        select(CaseAssistingUnit.unit_code)
        .where(CaseAssistingUnit.case_id == case.id)
        .order_by(col(CaseAssistingUnit.unit_code))
    ).all()
    return CasePublic.model_validate(case, update={"assisting_unit_codes": list(assisting)})


def list_cases(
    *,
    session: Session,
    status: CaseStatus | None = None,
    unit_code: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> CasesPublic:
    query = select(Case)
    if status is not None:
        query = query.where(Case.status == status)
    if unit_code is not None:
        query = query.where(Case.lead_unit_code == unit_code)
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Case.number).desc()).offset(offset).limit(limit)).all()
    return CasesPublic(data=[case_public(session=session, case=c) for c in rows], count=count)


def timeline(*, session: Session, case: Case) -> list[CaseEventPublic]:
    events = session.exec(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(col(CaseEvent.id))
    ).all()
    return [CaseEventPublic.model_validate(event) for event in events]
