"""A dispatcher's 派单 to a street or district moves the case's place there, through the real
workflow and worker; a department or utility, or the place the case already has, leaves it."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from dispatch.location import Confidence
from models import Case
from models.enums import PlaceMethod
from tests.utils.cases import case_row
from tests.workflows.conftest import HarnessFactory
from workflows.case import CaseWorkflow
from workflows.types import Dispatch

CHAOYANG, WANGJING = "110105", "110105026"
HAIDIAN, ZHONGGUANCUN = "110108", "110108011"
DISPATCHER = "dispatcher-7"


def _place(case: Case) -> tuple[object, ...]:
    return (
        case.district_code,
        case.street_code,
        case.place_method,
        case.place_confidence,
        case.place_approximate,
    )


async def test_a_case_without_a_place_takes_the_street_it_is_dispatched_to(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case()
        assert case_row(engine, handle.id).district_code is None
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch(DISPATCHER, WANGJING))
    assert _place(case_row(engine, handle.id)) == (
        CHAOYANG,
        WANGJING,
        PlaceMethod.dispatcher,
        Confidence.exact.value,
        False,
    )


async def test_a_case_elsewhere_moves_to_the_district_it_is_dispatched_to(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case(address="海淀区中关村街道某小区")
        before = case_row(engine, handle.id)
        assert (before.district_code, before.street_code) == (HAIDIAN, ZHONGGUANCUN)
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch(DISPATCHER, CHAOYANG))
    # A Haidian street inside Chaoyang would be a contradiction: the street is dropped.
    assert _place(case_row(engine, handle.id)) == (
        CHAOYANG,
        None,
        PlaceMethod.dispatcher,
        Confidence.exact.value,
        False,
    )


async def test_the_district_a_case_already_is_in_keeps_its_street_and_method(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        handle = await h.new_case(address="朝阳区望京街道某小区")
        before = _place(case_row(engine, handle.id))
        assert before[:3] == (CHAOYANG, WANGJING, PlaceMethod.address)
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch(DISPATCHER, CHAOYANG))
    assert _place(case_row(engine, handle.id)) == before


async def test_a_department_or_utility_leaves_the_place_alone(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine
) -> None:
    async with harness(time_skipping) as h:
        placed = await h.new_case(address="海淀区中关村街道某小区")
        unplaced = await h.new_case()
        before = _place(case_row(engine, placed.id))
        await placed.execute_update(CaseWorkflow.dispatch, Dispatch(DISPATCHER, "D-RSJ-110105"))
        await unplaced.execute_update(CaseWorkflow.dispatch, Dispatch(DISPATCHER, "U-DL-CY"))
    assert _place(case_row(engine, placed.id)) == before
    assert _place(case_row(engine, unplaced.id)) == (None, None, None, None, False)
    assert case_row(engine, placed.id).lead_unit_code == "D-RSJ-110105"
