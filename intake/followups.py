"""What a citizen says after the first message: more details, a survey answer, a withdrawal.

Channels call these instead of signalling workflows themselves, so the one-way flow holds
(channel → intake → workflow). Every call carries the channel's own message id as a key: the
workflow ignores a key it has seen, so a webhook delivered twice changes nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import exists, or_
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from core.temporal import TemporalUnavailable
from intake.owners import ProvedContact, owned_by, owner_filter, proved_first
from models.case import Case
from models.enums import CaseStatus, Channel, IdentityKind, Language, Satisfaction
from models.service import CaseNotFound, get_case
from workflows.case import CaseWorkflow
from workflows.types import TERMINAL, CitizenDetails, SurveyAnswer, Withdraw

# A survey answer is accepted while the callback is pending.
AWAITING_SURVEY = frozenset({CaseStatus.resolved, CaseStatus.callback})


class CaseClosed(RuntimeError):
    """The case no longer takes citizen messages (closed, withdrawn or merged)."""

    def __init__(self, number: str, status: CaseStatus) -> None:
        super().__init__(number, status)
        self.number = number
        self.status = status

    def __str__(self) -> str:
        return f"case {self.number} is {self.status} and takes no more messages"


@dataclass(frozen=True)
class CaseStatusView:
    """What a citizen may learn about a case by its number.

    Anyone learns the status; the unit's reply only the case's owner (`own`), proved by the
    contact the question came from.
    """

    number: str
    status: CaseStatus
    language: Language
    unit_code: str | None
    own: bool
    reply: str | None  # None unless `own` and the case has been answered
    # A case merged into another (并案) is handled as that one: its number and status, and its
    # reply is this case's.
    master_number: str | None = None
    master_status: CaseStatus | None = None


def latest_case_of(
    engine: Engine,
    kind: IdentityKind,
    value: str,
    *,
    statuses: frozenset[CaseStatus] | None = None,
    open_only: bool = False,
) -> Case | None:
    """The newest case of the citizen behind this identity, optionally limited by status."""
    with Session(engine) as session:
        query = (
            select(Case)
            .where(owner_filter(kind, value))
            .order_by(proved_first(kind, value), col(Case.created_at).desc(), col(Case.id).desc())
        )
        if statuses is not None:
            query = query.where(col(Case.status).in_(list(statuses)))
        elif open_only:
            query = query.where(col(Case.status).not_in(list(TERMINAL)))
        return session.exec(query.limit(1)).first()


def case_status(
    engine: Engine, number: str, *, asker: ProvedContact | None = None
) -> CaseStatusView:
    """The case's status for whoever asks; its reply too when `asker` owns the case."""
    with Session(engine) as session:
        case = get_case(session=session, number=number)
        if case is None:
            raise CaseNotFound(number)
        own = owned_by(session, case, asker)
        master = merged_master(session, case)
        handled = master or case
        answered = handled.status in AWAITING_SURVEY | {CaseStatus.closed}
        return CaseStatusView(
            number=case.number,
            status=CaseStatus(case.status),
            language=Language(case.language),
            unit_code=handled.lead_unit_code,
            own=own,
            reply=handled.reply if own and answered else None,
            master_number=master.number if master else None,
            master_status=CaseStatus(master.status) if master else None,
        )


def merged_master(session: Session, case: Case) -> Case | None:
    """The case `case` was merged into (并案), which handles it; None when not merged."""
    if case.status != CaseStatus.merged or case.merged_into_id is None:
        return None
    return session.get(Case, case.merged_into_id)


def survey_open(session: Session, case: Case) -> bool:
    """The case's survey takes an answer: its own callback is pending, or, for a merged case,
    its master's (the merged citizen is asked too, see docs/lifecycle.md)."""
    handled = merged_master(session, case) or case
    return handled.status in AWAITING_SURVEY


def latest_awaiting_survey(engine: Engine, kind: IdentityKind, value: str) -> Case | None:
    """The newest case of this identity's citizen whose survey is open (`survey_open`)."""
    master = aliased(Case)
    awaiting = list(AWAITING_SURVEY)
    master_awaits = exists().where(
        col(master.id) == col(Case.merged_into_id), col(master.status).in_(awaiting)
    )
    with Session(engine) as session:
        query = (
            select(Case)
            .where(owner_filter(kind, value))
            .where(
                or_(
                    col(Case.status).in_(awaiting),
                    (col(Case.status) == CaseStatus.merged) & master_awaits,
                )
            )
            .order_by(proved_first(kind, value), col(Case.created_at).desc(), col(Case.id).desc())
        )
        return session.exec(query.limit(1)).first()


async def add_details(
    *,
    client: Client,
    engine: Engine,
    number: str,
    text: str,
    channel: Channel,
    message_key: str,
) -> None:
    view = case_status(engine, number)
    if view.status in TERMINAL:
        raise CaseClosed(number, view.status)
    await _signal(
        client,
        number,
        CaseWorkflow.add_details.__name__,
        CitizenDetails(text=text, channel=channel, message_key=message_key),
    )


async def answer_survey(
    *,
    client: Client,
    engine: Engine,
    number: str,
    answer_key: str,
    contacted: bool,
    resolved: bool,
    satisfaction: Satisfaction,
) -> None:
    """The answer to the case's callback; a merged case's goes to its master's callback,
    marked as the merged citizen's, so it never stands in for the master citizen's own."""
    target, merged = await asyncio.to_thread(_survey_target, engine, number)
    answer = SurveyAnswer(
        answer_key=answer_key,
        contacted=contacted,
        resolved=resolved,
        satisfaction=satisfaction,
        merged_number=merged,
    )
    await _signal(client, target, CaseWorkflow.survey_answer.__name__, answer)


def _survey_target(engine: Engine, number: str) -> tuple[str, str]:
    """The workflow to signal, and the merged case's number when it is not the case's own."""
    with Session(engine) as session:
        case = get_case(session=session, number=number)
        master = merged_master(session, case) if case is not None else None
        return (master.number, number) if master is not None else (number, "")


async def withdraw(
    *, client: Client, number: str, reason: str = "", actor: str = "citizen", channel: str = ""
) -> None:
    """Signal 撤回 as is; `intake.withdrawal` checks owner and status first and waits for it."""
    message = Withdraw(reason=reason, actor=actor, channel=channel)
    await _signal(client, number, CaseWorkflow.withdraw.__name__, message)


async def _signal(client: Client, number: str, signal: str, arg: object) -> None:
    try:
        await client.get_workflow_handle(number).signal(signal, arg)
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            raise CaseNotFound(number) from exc  # no running workflow: the case is over
        raise TemporalUnavailable(client.service_client.config.target_host, str(exc)) from exc
