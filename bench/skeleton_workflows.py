"""The case workflow's interaction shape with nothing inside: the limit Temporal itself sets.

Same client calls as a real case (start, four updates, a survey signal, the result), the same
callback child workflow, and no activities, no database: whatever the real lifecycle costs
beyond this is ours to win back (bench/skeleton.py runs it; issue 18 quotes the ratio).
Kept apart from bench/skeleton.py so the workflow sandbox imports nothing heavy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError


@dataclass
class SkeletonAction:
    actor: str
    unit: str = ""


@dataclass
class SkeletonAnswer:
    satisfied: bool


@dataclass
class SkeletonResult:
    status: str


@workflow.defn
class SkeletonCallback:
    """回访 as a child, like the real callback: waits for the citizen's answer."""

    def __init__(self) -> None:
        self.answer: SkeletonAnswer | None = None

    @workflow.run
    async def run(self, number: str) -> SkeletonResult:
        await workflow.wait_condition(lambda: self.answer is not None)
        return SkeletonResult("closed")

    @workflow.signal
    def answer_survey(self, answer: SkeletonAnswer) -> None:
        self.answer = answer


@workflow.defn
class SkeletonCase:
    def __init__(self) -> None:
        self.status = "accepted"
        self.survey_sent = False
        self.child: workflow.ChildWorkflowHandle[SkeletonCallback, SkeletonResult] | None = None

    @workflow.run
    async def run(self, number: str) -> SkeletonResult:
        await workflow.wait_condition(lambda: self.status == "resolved")
        self.child = await workflow.start_child_workflow(
            SkeletonCallback.run,
            number,
            id=f"{number}-callback",
            execution_timeout=timedelta(hours=1),
        )
        self.survey_sent = True
        result = await self.child
        self.status = result.status
        return result

    def _move(self, wanted: str, to: str) -> SkeletonResult:
        if self.status != wanted:
            raise ApplicationError(f"case is {self.status}, not {wanted}", non_retryable=True)
        self.status = to
        return SkeletonResult(to)

    @workflow.update
    async def dispatch(self, action: SkeletonAction) -> SkeletonResult:
        return self._move("accepted", "dispatched")

    @workflow.update
    async def acknowledge(self, action: SkeletonAction) -> SkeletonResult:
        return self._move("dispatched", "acknowledged")

    @workflow.update
    async def respond(self, action: SkeletonAction) -> SkeletonResult:
        return self._move("acknowledged", "in_progress")

    @workflow.update
    async def resolve(self, action: SkeletonAction) -> SkeletonResult:
        return self._move("in_progress", "resolved")

    @workflow.signal
    async def survey_answer(self, answer: SkeletonAnswer) -> None:
        await workflow.wait_condition(lambda: self.child is not None)
        assert self.child is not None
        await self.child.signal(SkeletonCallback.answer_survey, answer)

    @workflow.query
    def sent(self) -> bool:
        return self.survey_sent
