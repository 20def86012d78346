"""Smart dispatch in the case workflow: automatic when confident and located, else suggested."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from models.enums import CaseStatus, Channel
from tests.utils.cases import case_row, event_kinds, events
from tests.workflows.conftest import HarnessFactory
from workflows.case import CaseWorkflow
from workflows.types import Dispatch, Transcribe

SMOKE = "小区楼下烧烤摊油烟太大，晚上熏得没法开窗"
WANGJING = "北京市朝阳区望京街道阜通东大街6号"


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Trained on first use by the worker (catalog phrasings and past cases), then reused."""
    return tmp_path_factory.mktemp("dispatch") / "model.joblib"


def _refusal(failure: WorkflowUpdateFailedError) -> str:
    cause = failure.cause
    assert isinstance(cause, ApplicationError)
    return cause.message


async def _settled(handle: object) -> None:
    import asyncio

    for _ in range(1200):  # up to a minute: the first case trains the model
        state = await handle.query(CaseWorkflow.describe)  # type: ignore[attr-defined]
        if state.timeline:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("smart dispatch never decided")


async def test_confident_located_request_is_dispatched_automatically(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine, model_path: Path
) -> None:
    async with harness(
        time_skipping, smart_dispatch=True, dispatch_threshold=0.0, dispatch_model_path=model_path
    ) as h:
        handle = await h.new_case(description=SMOKE, address=WANGJING)
        await _settled(handle)
    assert event_kinds(engine, handle.id) == ["accepted", "dispatched"], events(engine, handle.id)[
        -1
    ].payload
    dispatched = events(engine, handle.id)[1]
    assert dispatched.actor == "smart-dispatch"
    row = case_row(engine, handle.id)
    assert row.status == CaseStatus.dispatched
    # Chaoyang's street, or a department's Chaoyang branch (D-STHJJ-110105).
    assert row.lead_unit_code is not None and "110105" in row.lead_unit_code
    assert row.category_code is not None and row.resolve_due_at is not None


async def test_request_without_a_place_goes_to_the_dispatcher_with_suggestions(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine, model_path: Path
) -> None:
    async with harness(
        time_skipping, smart_dispatch=True, dispatch_threshold=0.0, dispatch_model_path=model_path
    ) as h:
        handle = await h.new_case(description=SMOKE)
        await _settled(handle)
        assert case_row(engine, handle.id).status == CaseStatus.accepted
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch("dispatcher-1", "110105"))
    suggested = events(engine, handle.id)[1]
    assert suggested.kind == "dispatch_suggested"
    assert suggested.payload["suggestions"].count(" | ") == 2  # the top three, for a person
    assert event_kinds(engine, handle.id)[-1] == "dispatched"


async def test_below_the_threshold_a_person_decides(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine, model_path: Path
) -> None:
    async with harness(
        time_skipping, smart_dispatch=True, dispatch_threshold=1.0, dispatch_model_path=model_path
    ) as h:
        handle = await h.new_case(description=SMOKE, address=WANGJING)
        await _settled(handle)
    assert event_kinds(engine, handle.id) == ["accepted", "dispatch_suggested"]
    assert "threshold" in events(engine, handle.id)[1].payload["reason"]


async def test_smart_dispatch_keeps_the_category_the_citizen_chose(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine, model_path: Path
) -> None:
    chosen = "04.02.006"  # 大气污染: the citizen's leaf, not the model's guess
    async with harness(
        time_skipping, smart_dispatch=True, dispatch_threshold=0.0, dispatch_model_path=model_path
    ) as h:
        handle = await h.new_case(description=SMOKE, address=WANGJING, category_code=chosen)
        await _settled(handle)
    assert event_kinds(engine, handle.id) == ["accepted", "dispatched"]
    row = case_row(engine, handle.id)
    assert row.category_code == chosen
    # Chaoyang's street, or a department's Chaoyang branch (D-STHJJ-110105).
    assert row.lead_unit_code is not None and "110105" in row.lead_unit_code


async def test_smart_dispatch_files_a_case_without_a_category_under_a_leaf(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine, model_path: Path
) -> None:
    async with harness(
        time_skipping, smart_dispatch=True, dispatch_threshold=0.0, dispatch_model_path=model_path
    ) as h:
        handle = await h.new_case(description=SMOKE, address=WANGJING)
        await _settled(handle)
    row = case_row(engine, handle.id)
    assert row.category_code is not None and row.category_code.count(".") == 2


async def test_a_voicemail_waits_for_its_transcript_then_is_dispatched(
    time_skipping: WorkflowEnvironment, harness: HarnessFactory, engine: Engine, model_path: Path
) -> None:
    async with harness(
        time_skipping, smart_dispatch=True, dispatch_threshold=0.0, dispatch_model_path=model_path
    ) as h:
        handle = await h.new_case(
            channel=Channel.voice, description="（来电录音，待人工转写）", awaiting_transcript=True
        )
        with pytest.raises(WorkflowUpdateFailedError) as empty:
            await handle.execute_update(CaseWorkflow.transcribe, Transcribe("dispatcher-1", " "))
        assert _refusal(empty.value) == "type what the caller said: the transcript is empty"
        assert event_kinds(engine, handle.id) == ["accepted"]  # the placeholder is not classified
        heard = f"{WANGJING}，{SMOKE}"
        await handle.execute_update(CaseWorkflow.transcribe, Transcribe("dispatcher-1", heard))
        for _ in range(1200):  # the first case may train the model
            if len(event_kinds(engine, handle.id)) > 2:
                break
            await asyncio.sleep(0.05)
        with pytest.raises(WorkflowUpdateFailedError) as twice:
            await handle.execute_update(CaseWorkflow.transcribe, Transcribe("dispatcher-2", "又"))
        assert _refusal(twice.value) == f"case {handle.id} already has a transcript"
    # Classified from the typed words; no address came with a call, so a person may decide.
    kinds = event_kinds(engine, handle.id)
    assert kinds[:2] == ["accepted", "transcribed"] and len(kinds) == 3
    assert kinds[2] in ("dispatched", "dispatch_suggested")
    row = case_row(engine, handle.id)
    assert (row.description, row.awaiting_transcript) == (heard, False)
    assert events(engine, handle.id)[1].actor == "dispatcher-1"
