"""回访: the callback child workflow that asks the citizen the three survey questions.

It contacts the citizen up to `attempts` times, `retry_hours` apart, on the channel the case
came through, and returns the first answer, or none (未评价, no evaluation) when nobody answers.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.types import CallbackInput, CallbackResult, Sent, SurveyAnswer, SurveyRequest

ACTIVITY_TIMEOUT = timedelta(seconds=30)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))


@workflow.defn
class CallbackWorkflow:
    @workflow.init
    def __init__(self, request: CallbackInput) -> None:
        self.answer: SurveyAnswer | None = request.early_answer

    @workflow.signal
    def answer_received(self, answer: SurveyAnswer) -> None:
        """Only the first answer counts; a re-delivered or second answer is ignored."""
        if self.answer is None:
            self.answer = answer

    @workflow.run
    async def run(self, request: CallbackInput) -> CallbackResult:
        attempts_made = 0
        for attempt in range(1, request.attempts + 1):
            if self.answer is not None:
                break
            attempts_made = attempt
            sent: Sent = await workflow.execute_activity(
                "send_survey",
                SurveyRequest(number=request.number, round=request.round, attempt=attempt),
                result_type=Sent,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=RETRY,
            )
            if not sent.reachable:
                break  # an anonymous citizen cannot be asked: no evaluation
            try:
                await workflow.wait_condition(
                    lambda: self.answer is not None,
                    timeout=timedelta(hours=request.retry_hours),
                )
            except TimeoutError:
                continue  # no answer this time: try again, until the attempts run out
        return CallbackResult(answer=self.answer, attempts_made=attempts_made)
