"""A case run through the real workflow keeps its ranking facts as it moves (analytics/facts.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.testing import WorkflowEnvironment

from analytics.dimensions import Dimension
from analytics.metrics import Source, Weights, group_metrics
from analytics.periods import PeriodKind, period_for
from core.clock import utcnow
from core.settings import Settings
from intake.service import accept_intake
from models import CaseEvaluation, CaseFactReturn, CaseFacts
from models.enums import CaseStatus, Satisfaction
from tests.utils.cases import case_row, events, wait_for_notification
from tests.utils.factories import make_intake
from tests.workflows.conftest import HarnessFactory
from workflows.activities import CaseActivities
from workflows.calendar import load_calendar
from workflows.case import CaseWorkflow
from workflows.types import Dispatch, Resolve, ReturnCase, SurveyAnswer, Transition, UnitAction

CHAOYANG, HAIDIAN = "110105", "110108"


async def test_a_returned_reopened_case_keeps_its_facts(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    unhappy = SurveyAnswer(
        "f1", contacted=True, resolved=False, satisfaction=Satisfaction.dissatisfied
    )
    happy = SurveyAnswer("f2", True, True, Satisfaction.basically_satisfied)
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch("d", CHAOYANG))
        await handle.execute_update(CaseWorkflow.return_case, ReturnCase("h", CHAOYANG, "不归我们"))
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch("d", HAIDIAN))
        await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("h", HAIDIAN))
        await handle.execute_update(CaseWorkflow.respond, UnitAction("h", HAIDIAN, "called"))
        await handle.execute_update(CaseWorkflow.resolve, Resolve("h", HAIDIAN, "已处理"))
        await wait_for_notification(engine, handle.id, "survey")
        await handle.signal(CaseWorkflow.survey_answer, unhappy)
        await time_skipping.sleep(timedelta(minutes=1))
        assert (await handle.query(CaseWorkflow.describe)).status == CaseStatus.reopened
        await handle.execute_update(CaseWorkflow.respond, UnitAction("h", HAIDIAN))
        await handle.execute_update(CaseWorkflow.resolve, Resolve("h", HAIDIAN, "已重新处理"))
        await wait_for_notification(engine, handle.id, "survey", count=2)
        await handle.signal(CaseWorkflow.survey_answer, happy)
        await handle.result()
    case = case_row(engine, handle.id)
    timeline = events(engine, handle.id)
    first_resolved = next(e.created_at for e in timeline if e.kind == "resolved")
    with Session(engine) as session:
        facts = session.get(CaseFacts, case.id)
        returns = session.exec(select(CaseFactReturn).where(CaseFactReturn.case_id == case.id))
        outcomes = session.exec(
            select(CaseEvaluation)
            .where(CaseEvaluation.case_id == case.id)
            .order_by(col(CaseEvaluation.id))
        ).all()
        returned = [(r.unit_code, r.n) for r in returns]
    assert facts is not None
    assert (facts.created_at, facts.dispatches, facts.returns) == (case.created_at, 2, 1)
    # The keys followed the re-dispatch (and any place it moved) onto the facts.
    assert (facts.lead_unit_code, facts.district_code, facts.street_code) == (
        HAIDIAN,
        case.district_code,
        case.street_code,
    )
    assert (facts.category_code, facts.channel) == (case.category_code, case.channel)
    assert (facts.reopened, facts.resolved_at) == (True, first_resolved)
    assert not (facts.b_acknowledge or facts.b_respond or facts.b_resolve)
    assert returned == [(CHAOYANG, 1)]
    answers = [e.id for e in timeline if e.kind == "survey_answered"]
    assert [(o.id, o.contacted, o.resolved, o.satisfaction) for o in outcomes] == [
        (answers[0], True, False, "dissatisfied"),
        (answers[1], True, True, "basically_satisfied"),
    ]


def test_a_retried_transition_counts_once_in_the_facts(engine: Engine, settings: Settings) -> None:
    case = accept_intake(engine=engine, intake=make_intake(), settings=settings).case
    activities = CaseActivities(engine=engine, settings=settings, calendar=load_calendar())
    returned = Transition(
        number=case.number,
        dedupe_key=f"{case.number}:facts-retry",
        kind="returned",
        actor="h",
        at=utcnow(),
        payload={"unit": CHAOYANG, "reason": "不归我们"},
    )
    for _ in range(2):  # Temporal retries an activity whose answer was lost
        activities.record_transition(returned)
    with Session(engine) as session:
        facts = session.get(CaseFacts, case.id)
        by_unit = session.get(CaseFactReturn, (case.id, CHAOYANG))
    assert facts is not None and facts.returns == 1
    assert by_unit is not None and by_unit.n == 1


def test_a_case_with_no_event_yet_counts_as_accepted(engine: Engine, settings: Settings) -> None:
    at = datetime(2031, 3, 5, 2, 0, tzinfo=UTC)  # a day no other test writes to
    case = accept_intake(
        engine=engine, intake=make_intake(), settings=settings, clock=lambda: at
    ).case
    with Session(engine) as session:
        facts = session.get(CaseFacts, case.id)
    assert facts is not None
    assert (facts.created_at, facts.channel, facts.lead_unit_code) == (at, "web", None)
    assert (facts.dispatches, facts.returns, facts.resolved_at) == (0, 0, None)
    day = period_for(PeriodKind.daily, date(2031, 3, 5), "Asia/Shanghai")
    weights = Weights.from_settings(settings)
    by_channel = [
        [
            (g.key, g.accepted, g.dispatched)
            for g in group_metrics(
                engine=engine,
                period=day,
                dimension=Dimension.channel,
                weights=weights,
                source=source,
            )
        ]
        for source in (Source.facts, Source.events)
    ]
    assert by_channel == [[("web", 1, 0)], [("web", 1, 0)]]
