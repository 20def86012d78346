"""The case workflow's interaction shape with nothing inside: the limit Temporal itself sets.

Same client calls as a real case (start, four updates, a survey signal, the result), the same
callback child workflow, and no activities, no database: whatever the real lifecycle costs
beyond this is ours to win back (bench/skeleton.py runs it; issue 18 quotes the ratio).
Kept apart from bench/skeleton.py so the workflow sandbox imports nothing heavy.

`SkeletonCase.run(number, steps=True)` adds what issue 18's design cannot do without: one no-op
activity per transition, as many as a real case runs (9: acceptance, the dispatch advice, four
staff updates, the survey sent, its answer, the close). The gap between the two skeletons is
Temporal's own price for durable steps; what the real lifecycle costs beyond the second is ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow
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


@dataclass
class SkeletonStep:
    number: str
    kind: str


@activity.defn
def skeleton_step(step: SkeletonStep) -> SkeletonResult:
    """The stand-in for a transition's one database write: nothing, answered at once."""
    return SkeletonResult(step.kind)


async def _step(number: str, kind: str, steps: bool) -> None:
    if steps:
        await workflow.execute_activity(
            skeleton_step, SkeletonStep(number, kind), start_to_close_timeout=timedelta(minutes=1)
        )


@workflow.defn
class SkeletonCallback:
    """回访 as a child, like the real callback: waits for the citizen's answer."""

    def __init__(self) -> None:
        self.answer: SkeletonAnswer | None = None

    @workflow.run
    async def run(self, number: str, steps: bool = False) -> SkeletonResult:
        await _step(number, "survey_sent", steps)
        await workflow.wait_condition(lambda: self.answer is not None)
        await _step(number, "survey_answered", steps)
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
        self.number = ""
        self.steps = False

    @workflow.run
    async def run(self, number: str, steps: bool = False) -> SkeletonResult:
        self.number, self.steps = number, steps
        await _step(number, "accepted", steps)
        await _step(number, "dispatch_advice", steps)
        await workflow.wait_condition(lambda: self.status == "resolved")
        self.child = await workflow.start_child_workflow(
            SkeletonCallback.run,
            args=[number, steps],
            id=f"{number}-callback",
            execution_timeout=timedelta(hours=1),
        )
        self.survey_sent = True
        result = await self.child
        await _step(number, "closed", steps)
        self.status = result.status
        return result

    async def _move(self, wanted: str, to: str) -> SkeletonResult:
        if self.status != wanted:
            raise ApplicationError(f"case is {self.status}, not {wanted}", non_retryable=True)
        await _step(self.number, to, self.steps)
        self.status = to
        return SkeletonResult(to)

    @workflow.update
    async def dispatch(self, action: SkeletonAction) -> SkeletonResult:
        return await self._move("accepted", "dispatched")

    @workflow.update
    async def acknowledge(self, action: SkeletonAction) -> SkeletonResult:
        return await self._move("dispatched", "acknowledged")

    @workflow.update
    async def respond(self, action: SkeletonAction) -> SkeletonResult:
        return await self._move("acknowledged", "in_progress")

    @workflow.update
    async def resolve(self, action: SkeletonAction) -> SkeletonResult:
        return await self._move("in_progress", "resolved")

    @workflow.signal
    async def survey_answer(self, answer: SkeletonAnswer) -> None:
        await workflow.wait_condition(lambda: self.child is not None)
        assert self.child is not None
        await self.child.signal(SkeletonCallback.answer_survey, answer)

    @workflow.query
    def sent(self) -> bool:
        return self.survey_sent
