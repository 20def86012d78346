"""The case workflow: one per case, id = case number, driving the 接诉即办 lifecycle.

The workflow holds the clock (deadline timers) and the rules (which action is allowed when);
activities write every transition to the database and send every message. Staff actions are
updates whose validators reject bad requests before anything reaches history; citizen messages
are signals. See docs/lifecycle.md for the states and what moves between them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.enums import CaseStatus, Satisfaction
    from workflows.callback import CallbackWorkflow
    from workflows.search_attributes import CASE_CATEGORY, CASE_STATUS, CASE_UNIT
    from workflows.types import (
        SMART_DISPATCH,
        TERMINAL,
        UNIT_HANDLING,
        WITHDRAWABLE,
        ActionResult,
        AnswerDirectly,
        CallbackInput,
        CallbackResult,
        CaseChanges,
        CaseInput,
        CaseOutcome,
        CaseState,
        CitizenDetails,
        DeadlinePlan,
        DeadlineRequest,
        Deadlines,
        Dispatch,
        DispatchAdvice,
        DuplicateMerged,
        ExtensionDecision,
        ExtensionRequest,
        Merge,
        Notice,
        Overrule,
        PendingExtension,
        Policy,
        PolicyRequest,
        Redispatch,
        Resolve,
        ReturnCase,
        Step,
        StepResult,
        Supervise,
        SurveyAnswer,
        TimelineEntry,
        Transcribe,
        Transition,
        UnitAction,
        UnitCheck,
        Urge,
        Withdraw,
    )

ACTIVITY_TIMEOUT = timedelta(seconds=30)
# Database or network trouble heals; keep retrying (bad data fails fast as non-retryable).
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))
TIMELINE_KEPT = 100  # the workflow keeps the recent story; the database keeps all of it
SYSTEM = "system"
# UNIT_HANDLING in lifecycle order, so a refusal names the states the same way every time.
_UNIT_HANDLING_ORDER = (
    CaseStatus.dispatched,
    CaseStatus.acknowledged,
    CaseStatus.in_progress,
    CaseStatus.reopened,
)
SMART = SMART_DISPATCH
# A transition is one activity (`apply_step`: checks, deadlines, event, case row and outbox in
# one transaction). Histories of before ran a chain of activities per transition; they replay
# through `_steps_of_before`.
ONE_STEP = "one-activity-per-transition"
# The step stays a regular activity: as a local one it held its workflow task while it waited
# on the database, and on a saturated 2-core machine (bench.lifecycle on PostgreSQL) tasks
# outlived their timeout and two cases got stuck ("Workflow Task in failed state").
RESOLVE_ONLY = ["resolve_due_at"]


@workflow.defn
class CaseWorkflow:
    @workflow.init
    def __init__(self, request: CaseInput) -> None:
        self.state = request.state or CaseState(
            number=request.number,
            channel=request.channel,
            urgency=request.urgency,
            category_code=request.category_code,
            awaiting_transcript=request.awaiting_transcript,
            smart_dispatch_after_transcript=request.smart_dispatch and request.awaiting_transcript,
        )
        self.use_search_attributes = request.use_search_attributes
        self.lock = asyncio.Lock()
        self.version = 0  # bumped on every change, wakes the main loop
        self.callback_child: workflow.ChildWorkflowHandle[Any, CallbackResult] | None = None
        self.early_answer: SurveyAnswer | None = None
        self.merged_surveyed: set[str] = set()  # merged cases asked this callback round
        self._one_step = False  # `patched(ONE_STEP)`, asked at each transition (memoised)
        # A dispatch can arrive while `run` still loads the policy; deadlines wait for it.
        self.policy_loaded = request.state is not None

    # ---- main loop ---------------------------------------------------------------------

    @workflow.run
    async def run(self, request: CaseInput) -> CaseOutcome:
        if request.state is None:
            self.state.policy = await self._activity(
                "load_policy",
                PolicyRequest(self.state.category_code, self.state.urgency),
                Policy,
            )
            self.policy_loaded = True
            self._publish_search_attributes()
            # A voicemail's placeholder is no description to classify: smart dispatch waits
            # for the transcript a person types (`transcribe`).
            waits = request.awaiting_transcript
            if request.smart_dispatch and not waits and workflow.patched("smart-dispatch"):
                await self._smart_dispatch()
        while self.state.status not in TERMINAL:
            if self._transcript_arrived():
                await self._smart_dispatch()
                continue
            if self.state.status == CaseStatus.resolved:
                if workflow.patched("callback-after-resolve-handler"):
                    # The resolve handler still holds the lock while it tells the citizen;
                    # the survey must not overtake that notice.
                    await workflow.wait_condition(lambda: not self.lock.locked())
                await self._run_callback()
                continue
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(lambda: not self.lock.locked())
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    CaseInput(
                        number=self.state.number,
                        channel=self.state.channel,
                        use_search_attributes=self.use_search_attributes,
                        state=self.state,
                    )
                )
            await self._wait_for_change_or_deadline()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return CaseOutcome(self.state.number, self.state.status, self.state.satisfaction)

    def _transcript_arrived(self) -> bool:
        """True once, when a voicemail's smart dispatch waited and a person has transcribed it
        (and nobody dispatched the case meanwhile)."""
        state = self.state
        if not state.smart_dispatch_after_transcript or state.awaiting_transcript:
            return False
        state.smart_dispatch_after_transcript = False
        return state.status == CaseStatus.accepted

    async def _wait_for_change_or_deadline(self) -> None:
        seen = self.version
        due = self._next_deadline()
        if due is None:
            await workflow.wait_condition(lambda: self.version != seen)
            return
        name, at = due
        remaining = (at - workflow.now()).total_seconds()
        if remaining > 0:
            try:
                await workflow.wait_condition(
                    lambda: self.version != seen, timeout=timedelta(seconds=remaining)
                )
                return
            except TimeoutError:
                pass  # the deadline passed: escalation is business as usual, not a crash
        async with self.lock:
            if self._next_deadline() == due:
                await self._breach(name)

    def _next_deadline(self) -> tuple[str, datetime] | None:
        status, deadlines = self.state.status, self.state.deadlines
        candidates = []
        if status == CaseStatus.dispatched:
            candidates.append(("acknowledge", deadlines.acknowledge_due_at))
        if status in (CaseStatus.dispatched, CaseStatus.acknowledged):
            candidates.append(("respond", deadlines.respond_due_at))
        if status in UNIT_HANDLING:
            candidates.append(("resolve", deadlines.resolve_due_at))
        open_ = [(n, at) for n, at in candidates if at is not None and n not in self.state.breached]
        return min(open_, key=lambda item: item[1]) if open_ else None

    async def _breach(self, name: str) -> None:
        """督办: record the breach against the unit, flag the case, tell the unit and its parent."""
        unit = self.state.lead_unit_code or ""
        self.state.breached.append(name)
        self.state.supervised = True
        await self._record(
            "sla_breach",
            SYSTEM,
            changes=CaseChanges(supervised=True),
            payload={"deadline": name, "unit": unit},
            detail=name,
            notices=lambda: [
                self._notice(
                    audience, "sla_breach", unit_code=unit, params={"deadline": name, "unit": unit}
                )
                for audience in ("unit", "unit_parent")
            ],
        )

    # ---- callback (回访) ---------------------------------------------------------------

    async def _run_callback(self) -> None:
        self.state.callback_round += 1
        self.merged_surveyed = set()
        await self._record("callback_started", SYSTEM, to=CaseStatus.callback)
        policy = self.state.policy
        early, self.early_answer = self.early_answer, None
        self.callback_child = await workflow.start_child_workflow(
            CallbackWorkflow.run,
            CallbackInput(
                number=self.state.number,
                round=self.state.callback_round,
                attempts=policy.callback_attempts,
                retry_hours=policy.callback_retry_hours,
                early_answer=early,
            ),
            id=f"{self.state.number}/callback/{self.state.callback_round}",
        )
        if self.state.merged_numbers and workflow.patched("merged-citizen-notices"):
            async with self.lock:
                for merged in list(self.state.merged_numbers):
                    await self._survey_merged(merged)
        if self.early_answer is not None:  # arrived while the child was starting
            await self.callback_child.signal(CallbackWorkflow.answer_received, self.early_answer)
        result = await self.callback_child
        self.callback_child = None
        async with self.lock:
            await self._finish_callback(result)

    async def _finish_callback(self, result: CallbackResult) -> None:
        answer = result.answer
        if answer is None:
            self.state.satisfaction = Satisfaction.no_evaluation
            await self._record(
                "survey_unanswered",
                SYSTEM,
                to=CaseStatus.closed,
                changes=CaseChanges(
                    satisfaction=Satisfaction.no_evaluation, closed_at=workflow.now()
                ),
                payload={"attempts": str(result.attempts_made)},
            )
            return
        self.state.satisfaction = answer.satisfaction
        await self._record(
            "survey_answered",
            "citizen",
            changes=CaseChanges(
                survey_contacted=answer.contacted,
                survey_resolved=answer.resolved,
                satisfaction=answer.satisfaction,
            ),
            payload={
                "contacted": str(answer.contacted).lower(),
                "resolved": str(answer.resolved).lower(),
                "satisfaction": answer.satisfaction.value,
            },
            detail=answer.satisfaction.value,
        )
        if answer.satisfaction == Satisfaction.dissatisfied and not answer.resolved:
            await self._reopen()
        else:
            await self._record(
                "closed",
                SYSTEM,
                to=CaseStatus.closed,
                changes=CaseChanges(closed_at=workflow.now()),
            )

    async def _reopen(self) -> None:
        """重办: back to the same unit with a fresh resolve deadline, counted against it."""
        self.state.reopen_count += 1
        self.state.satisfaction = None

        def planned(result: StepResult) -> None:
            assert result.deadlines is not None
            self.state.deadlines.resolve_due_at = result.deadlines.resolve_due_at
            self.state.breached = [n for n in self.state.breached if n != "resolve"]

        def notices() -> Iterator[Notice]:
            yield self._notice("unit", "unit_reopened", unit_code=self.state.lead_unit_code)
            if self._one_step or workflow.patched("reopen-citizen-notice"):
                yield self._notice("citizen", "reopened", due_from="resolve_due_at")

        await self._record(
            "reopened",
            SYSTEM,
            to=CaseStatus.reopened,
            changes=CaseChanges(reopen_count=self.state.reopen_count),
            payload={"unit": self.state.lead_unit_code or ""},
            plan=DeadlinePlan(workflow.now(), 0, RESOLVE_ONLY),
            apply=planned,
            notices=notices,
        )

    # ---- queries -----------------------------------------------------------------------

    @workflow.query
    def describe(self) -> CaseState:
        """The current state with the recent timeline."""
        return self.state

    # ---- staff actions (updates) -------------------------------------------------------

    async def _smart_dispatch(self) -> None:
        """Dispatch on its own when confident, else leave the suggestions for a dispatcher."""
        try:
            advice: DispatchAdvice = await self._activity(
                "suggest_dispatch", self.state.number, DispatchAdvice
            )
        except ActivityError as exc:
            async with self.lock:
                reason = str(exc.cause)
                await self._record(
                    "dispatch_suggestion_failed", SMART, payload={"error": reason}, detail=reason
                )
            return
        async with self.lock:
            if self.state.status != CaseStatus.accepted:
                return  # a person acted first
            top = advice.top
            unit_code = advice.unit_code or (top.unit_code if top is not None else None)
            if advice.automatic and top is not None and unit_code is not None:
                category: str | None = advice.category_code or top.category_code
                if workflow.patched("smart-dispatch-keeps-category"):
                    # The citizen's (or operator's) category stands; smart dispatch only fills
                    # a missing one.
                    category = advice.category_code if self.state.category_code is None else None
                action = Dispatch(SMART, unit_code, [], category, advice.reason)
                try:
                    await self._dispatch(action)
                    return
                except ApplicationError:
                    pass  # e.g. the unit was retired since the model learnt it: ask a person
            suggestions = " | ".join(
                f"{s.category_code} {s.probability:.2f} {s.unit_code or '-'} ({s.reason})"
                for s in advice.suggestions
            )
            await self._record(
                "dispatch_suggested",
                SMART,
                payload={"reason": advice.reason, "suggestions": suggestions},
                detail=advice.reason,
            )

    @workflow.update
    async def dispatch(self, action: Dispatch) -> ActionResult:
        """派单 to a lead unit (and assisting units), from the dispatch centre's queue."""
        async with self.lock:
            self._recheck(self._check_dispatch, action)
            await self._dispatch(action)
            return self._result()

    async def _dispatch(self, action: Dispatch) -> None:
        changed = action.category_code and action.category_code != self.state.category_code
        category = action.category_code if changed else self.state.category_code
        now = workflow.now()
        came_back = self.state.status == CaseStatus.returned

        def dispatched(result: StepResult) -> None:
            assert result.deadlines is not None
            if result.policy is not None:
                self.state.policy = result.policy
            self.state.category_code = category
            self.state.deadlines = result.deadlines
            self.state.dispatched_at = now
            self.state.breached = []
            self.state.lead_unit_code = action.unit_code
            self.state.assisting_unit_codes = list(action.assisting_unit_codes)

        def notices() -> Iterator[Notice]:
            yield self._notice(
                "unit", "unit_new_case", unit_code=action.unit_code, due_from="acknowledge_due_at"
            )
            patch = "return-redispatch-citizen-notice"
            if came_back and (self._one_step or workflow.patched(patch)):
                # After a return (退单) the citizen hears the case moved, not "dispatched" again.
                yield self._notice("citizen", "redispatched", params={"unit": action.unit_code})
            else:
                yield self._notice("citizen", "dispatched")

        await self._record(
            "dispatched",
            action.actor,
            to=CaseStatus.dispatched,
            changes=CaseChanges(
                lead_unit_code=action.unit_code,
                assisting_unit_codes=list(action.assisting_unit_codes),
                category_code=category,
            ),
            payload={"unit": action.unit_code, "note": action.note},
            detail=action.unit_code,
            unit_codes=[action.unit_code, *action.assisting_unit_codes],
            policy=PolicyRequest(category, self.state.urgency) if changed else None,
            plan=DeadlinePlan(now, self.state.extension_days_granted),
            apply=dispatched,
            notices=notices,
        )

    @dispatch.validator
    def _validate_dispatch(self, action: Dispatch) -> None:
        self._check_dispatch(action)

    def _check_dispatch(self, action: Dispatch) -> None:
        self._require(CaseStatus.accepted, CaseStatus.returned)
        _require_text(action.unit_code, "name the unit to dispatch to")
        if action.unit_code in action.assisting_unit_codes:
            raise ValueError("the lead unit cannot also be an assisting unit")

    @workflow.update
    async def acknowledge(self, action: UnitAction) -> ActionResult:
        """签收: the unit accepts the ticket."""
        async with self.lock:
            self._recheck(self._check_acknowledge, action)
            await self._record(
                "acknowledged", action.actor, to=CaseStatus.acknowledged, detail=action.note
            )
            return self._result()

    @acknowledge.validator
    def _validate_acknowledge(self, action: UnitAction) -> None:
        self._check_acknowledge(action)

    def _check_acknowledge(self, action: UnitAction) -> None:
        self._require(CaseStatus.dispatched)
        self._require_unit(action.unit_code)

    @workflow.update
    async def return_case(self, action: ReturnCase) -> ActionResult:
        """退单: the unit says the case is not theirs; the dispatch centre decides next."""
        async with self.lock:
            self._recheck(self._check_return, action)
            await self._record(
                "returned",
                action.actor,
                to=CaseStatus.returned,
                payload={"unit": action.unit_code, "reason": action.reason},
                detail=action.reason,
                notices=lambda: [
                    self._notice(
                        "centre",
                        "returned",
                        params={"unit": action.unit_code, "reason": action.reason},
                    )
                ],
            )
            return self._result()

    @return_case.validator
    def _validate_return(self, action: ReturnCase) -> None:
        self._check_return(action)

    def _check_return(self, action: ReturnCase) -> None:
        self._require(CaseStatus.dispatched, CaseStatus.acknowledged)
        self._require_unit(action.unit_code)
        _require_text(action.reason, "a return needs a reason")

    @workflow.update
    async def overrule_return(self, action: Overrule) -> ActionResult:
        """The centre rejects the return: the case goes back to the same unit, clock running."""
        async with self.lock:
            self._recheck(self._check_overrule, action)
            await self._record(
                "return_overruled",
                action.actor,
                to=CaseStatus.dispatched,
                payload={"unit": self.state.lead_unit_code or "", "reason": action.reason},
                detail=action.reason,
                notices=lambda: [
                    self._notice(
                        "unit",
                        "unit_new_case",
                        unit_code=self.state.lead_unit_code,
                        params={"due": _iso(self.state.deadlines.acknowledge_due_at)},
                    )
                ],
            )
            return self._result()

    @overrule_return.validator
    def _validate_overrule(self, action: Overrule) -> None:
        self._check_overrule(action)

    def _check_overrule(self, action: Overrule) -> None:
        self._require(CaseStatus.returned)
        _require_text(action.reason, "overruling a return needs a reason")

    @workflow.update
    async def respond(self, action: UnitAction) -> ActionResult:
        """响应: the unit has contacted the citizen; handling is under way."""
        async with self.lock:
            self._recheck(self._check_respond, action)
            await self._record(
                "responded", action.actor, to=CaseStatus.in_progress, detail=action.note
            )
            return self._result()

    @respond.validator
    def _validate_respond(self, action: UnitAction) -> None:
        self._check_respond(action)

    def _check_respond(self, action: UnitAction) -> None:
        self._require(CaseStatus.acknowledged, CaseStatus.reopened)
        self._require_unit(action.unit_code)

    @workflow.update
    async def request_extension(self, action: ExtensionRequest) -> ActionResult:
        """延期: the unit asks for more working days; a supervisor decides."""
        async with self.lock:
            self._recheck(self._check_extension_request, action)
            self.state.pending_extension = PendingExtension(
                action.working_days, action.reason, action.actor
            )
            await self._record(
                "extension_requested",
                action.actor,
                payload={"working_days": str(action.working_days), "reason": action.reason},
                detail=f"{action.working_days}: {action.reason}",
            )
            return self._result()

    @request_extension.validator
    def _validate_extension_request(self, action: ExtensionRequest) -> None:
        self._check_extension_request(action)

    def _check_extension_request(self, action: ExtensionRequest) -> None:
        self._require(CaseStatus.acknowledged, CaseStatus.in_progress, CaseStatus.reopened)
        self._require_unit(action.unit_code)
        _require_text(action.reason, "an extension request needs a reason")
        if self.state.pending_extension is not None:
            raise ValueError("an extension request is already waiting for a decision")
        left = self.state.policy.max_extension_working_days - self.state.extension_days_granted
        if not 1 <= action.working_days <= left:
            raise ValueError(
                f"an extension must be between 1 and {left} working days "
                f"(at most {self.state.policy.max_extension_working_days} per case)"
            )

    @workflow.update
    async def decide_extension(self, action: ExtensionDecision) -> ActionResult:
        """Approve (the resolve deadline moves) or reject a pending extension request."""
        async with self.lock:
            self._recheck(self._check_extension_decision, action)
            pending = self.state.pending_extension
            assert pending is not None
            self.state.pending_extension = None
            decision = "approved" if action.approve else "rejected"

            def unit_told() -> Notice:
                return self._notice(
                    "unit",
                    "extension_decided",
                    unit_code=self.state.lead_unit_code,
                    params={"decision": decision},
                )

            if not action.approve:
                await self._record(
                    "extension_rejected",
                    action.actor,
                    detail=action.note,
                    notices=lambda: [unit_told()],
                )
                return self._result()
            granted = self.state.extension_days_granted + pending.working_days
            start = self.state.dispatched_at or workflow.now()

            def extended(result: StepResult) -> None:
                assert result.deadlines is not None
                due = result.deadlines.resolve_due_at
                self.state.extension_days_granted = granted
                self.state.deadlines.resolve_due_at = due
                if due and due > workflow.now():
                    self.state.breached = [n for n in self.state.breached if n != "resolve"]

            def notices() -> list[Notice]:
                told = []
                if self._one_step or workflow.patched("extension-citizen-notice"):
                    told.append(
                        self._notice("citizen", "extension_approved", due_from="resolve_due_at")
                    )
                return [*told, unit_told()]

            await self._record(
                "extension_approved",
                action.actor,
                payload={"working_days": str(pending.working_days)},
                detail=action.note,
                plan=DeadlinePlan(start, granted, RESOLVE_ONLY),
                apply=extended,
                notices=notices,
            )
            return self._result()

    @decide_extension.validator
    def _validate_extension_decision(self, action: ExtensionDecision) -> None:
        self._check_extension_decision(action)

    def _check_extension_decision(self, action: ExtensionDecision) -> None:
        if self.state.pending_extension is None:
            raise ValueError("there is no extension request to decide")

    @workflow.update
    async def resolve(self, action: Resolve) -> ActionResult:
        """办结: the unit's reply to the citizen; the callback follows."""
        async with self.lock:
            self._recheck(self._check_resolve, action)
            await self._mark_resolved("resolved", action.actor, action.reply)
            return self._result()

    @resolve.validator
    def _validate_resolve(self, action: Resolve) -> None:
        self._check_resolve(action)

    def _check_resolve(self, action: Resolve) -> None:
        self._require(CaseStatus.in_progress, CaseStatus.reopened)
        self._require_unit(action.unit_code)
        _require_text(action.reply, "a resolution needs a reply text for the citizen")

    @workflow.update
    async def answer_directly(self, action: AnswerDirectly) -> ActionResult:
        """直接答复: a consultation answered on first contact, no unit involved."""
        async with self.lock:
            self._recheck(self._check_answer_directly, action)
            await self._mark_resolved("answered_directly", action.actor, action.reply)
            return self._result()

    @answer_directly.validator
    def _validate_answer_directly(self, action: AnswerDirectly) -> None:
        self._check_answer_directly(action)

    def _check_answer_directly(self, action: AnswerDirectly) -> None:
        self._require(CaseStatus.accepted)
        _require_text(action.reply, "a direct answer needs a reply text for the citizen")

    @workflow.update
    async def transcribe(self, action: Transcribe) -> ActionResult:
        """A person typed what the caller said on a voicemail: it becomes the description,
        and smart dispatch (the main loop) classifies it as it would any text case."""
        async with self.lock:
            self._recheck(self._check_transcribe, action)
            text = action.text.strip()
            await self._record(
                "transcribed",
                action.actor,
                changes=CaseChanges(description=text, transcript=text, awaiting_transcript=False),
                payload={"characters": str(len(text))},
            )
            # Only now: smart dispatch must read the description just written, not the
            # placeholder.
            self.state.awaiting_transcript = False
            return self._result()  # the main loop runs smart dispatch, if it waited

    @transcribe.validator
    def _validate_transcribe(self, action: Transcribe) -> None:
        self._check_transcribe(action)

    def _check_transcribe(self, action: Transcribe) -> None:
        if self.state.status in TERMINAL:
            raise ValueError(f"case {self.state.number} is {self.state.status.value}")
        if not self.state.awaiting_transcript:
            raise ValueError(f"case {self.state.number} already has a transcript")
        _require_text(action.text, "type what the caller said: the transcript is empty")

    @workflow.update
    async def merge(self, action: Merge) -> ActionResult:
        """Close this case as a duplicate of an open master case."""
        async with self.lock:
            self._recheck(self._check_merge, action)

            def notices() -> list[Notice]:
                if self._one_step or workflow.patched("merge-citizen-notice"):
                    # Before the master hears of it: its reply may follow at once (it is
                    # resolved).
                    return [
                        self._notice("citizen", "merged", params={"master": action.master_number})
                    ]
                return []

            await self._record(
                "merged",
                action.actor,
                to=CaseStatus.merged,
                changes=CaseChanges(
                    merged_into_number=action.master_number, closed_at=workflow.now()
                ),
                payload={"master": action.master_number},
                detail=action.master_number,
                master_number=action.master_number,
                notices=notices,
            )
            master = workflow.get_external_workflow_handle(action.master_number)
            await master.signal(CaseWorkflow.duplicate_merged, DuplicateMerged(self.state.number))
            return self._result()

    @merge.validator
    def _validate_merge(self, action: Merge) -> None:
        self._check_merge(action)

    def _check_merge(self, action: Merge) -> None:
        if self.state.status in TERMINAL or self.state.status in (
            CaseStatus.resolved,
            CaseStatus.callback,
        ):
            raise ValueError(f"case {self.state.number} is {self.state.status}: it cannot merge")
        _require_text(action.master_number, "name the case to merge into")
        if action.master_number == self.state.number:
            raise ValueError("a case cannot be merged into itself")

    # ---- supervisor actions (updates): 督办, 催办, 改派 ----------------------------------
    # New handlers only: no history written before them holds these updates, so replaying
    # one never reaches this code and no `workflow.patched` marker is needed; the existing
    # paths (dispatch, deadlines) are untouched.

    @workflow.update
    async def supervise(self, action: Supervise) -> ActionResult:
        """督办: flag the case with a note; the unit sees the flag and the note on the case."""
        async with self.lock:
            self._recheck(self._check_supervise, action)
            self.state.supervised = True
            await self._record(
                "supervised",
                action.actor,
                changes=CaseChanges(supervised=True),
                payload={"unit": self.state.lead_unit_code or "", "note": action.note},
                detail=action.note,
            )
            return self._result()

    @supervise.validator
    def _validate_supervise(self, action: Supervise) -> None:
        self._check_supervise(action)

    def _check_supervise(self, action: Supervise) -> None:
        self._require(*_UNIT_HANDLING_ORDER)
        _require_text(action.note, "supervision (督办) needs a note for the unit")

    @workflow.update
    async def urge(self, action: Urge) -> ActionResult:
        """催办: urge the unit holding the case; the case is flagged and the unit notified."""
        async with self.lock:
            self._recheck(self._check_urge, action)
            unit = self.state.lead_unit_code or ""
            self.state.supervised = True
            await self._record(
                "urged",
                action.actor,
                changes=CaseChanges(supervised=True),
                payload={"unit": unit, "note": action.note},
                detail=action.note,
                notices=lambda: [
                    self._notice("unit", "unit_urged", unit_code=unit, params={"note": action.note})
                ],
            )
            return self._result()

    @urge.validator
    def _validate_urge(self, action: Urge) -> None:
        self._check_urge(action)

    def _check_urge(self, action: Urge) -> None:
        self._require(*_UNIT_HANDLING_ORDER)
        _require_text(action.note, "urging (催办) needs a note for the unit")

    @workflow.update
    async def redispatch(self, action: Redispatch) -> ActionResult:
        """改派: move the case to another unit; its deadlines start again as at a dispatch."""
        async with self.lock:
            self._recheck(self._check_redispatch, action)
            previous = self.state.lead_unit_code or ""
            now = workflow.now()
            assisting = [c for c in self.state.assisting_unit_codes if c != action.unit_code]

            def redispatched(result: StepResult) -> None:
                assert result.deadlines is not None
                self.state.deadlines = result.deadlines
                self.state.dispatched_at = now
                self.state.breached = []
                self.state.lead_unit_code = action.unit_code
                self.state.assisting_unit_codes = assisting

            def notices() -> Iterator[Notice]:
                unit = action.unit_code
                yield self._notice(
                    "unit", "unit_new_case", unit_code=unit, due_from="acknowledge_due_at"
                )
                yield self._notice(
                    "unit", "unit_redispatched", unit_code=previous, params={"unit": unit}
                )
                if self._one_step or workflow.patched("redispatch-citizen-notice"):
                    yield self._notice("citizen", "redispatched", params={"unit": unit})

            await self._record(
                "redispatched",
                action.actor,
                to=CaseStatus.dispatched,
                changes=CaseChanges(
                    lead_unit_code=action.unit_code, assisting_unit_codes=assisting
                ),
                payload={"unit": action.unit_code, "from_unit": previous, "reason": action.reason},
                detail=action.reason,
                unit_codes=[action.unit_code],
                plan=DeadlinePlan(now, self.state.extension_days_granted),
                apply=redispatched,
                notices=notices,
            )
            return self._result()

    @redispatch.validator
    def _validate_redispatch(self, action: Redispatch) -> None:
        self._check_redispatch(action)

    def _check_redispatch(self, action: Redispatch) -> None:
        self._require(*_UNIT_HANDLING_ORDER)
        _require_text(action.unit_code, "name the unit to re-dispatch to")
        _require_text(action.reason, "a re-dispatch needs a reason")
        if action.unit_code == self.state.lead_unit_code:
            raise ValueError(f"case {self.state.number} is already with unit {action.unit_code}")
        if self.state.pending_extension is not None:
            raise ValueError("decide the pending extension request before re-dispatching")

    # ---- citizen messages (signals) ----------------------------------------------------

    @workflow.signal
    async def add_details(self, message: CitizenDetails) -> None:
        """More details from the citizen, on any channel, while the case is open."""
        async with self.lock:
            if self.state.status in TERMINAL or not message.text.strip():
                return
            if message.message_key:
                if message.message_key in self.state.message_keys:
                    return  # the same message delivered twice
                self.state.message_keys.append(message.message_key)
            await self._record(
                "citizen_details",
                "citizen",
                payload={"text": message.text, "channel": message.channel.value},
                detail=message.text,
                dedupe=f"details:{message.message_key}" if message.message_key else None,
            )

    @workflow.signal
    async def withdraw(self, message: Withdraw) -> None:
        """撤回: ignored once the case is resolved or closed (callers check first to say so).

        The unit holding the case is told it is no longer theirs, and the citizen gets a
        confirmation on the channel the case came from.
        """
        async with self.lock:
            if self.state.status not in WITHDRAWABLE:
                return
            holding_unit = self.state.lead_unit_code if self.state.status in UNIT_HANDLING else None

            def notices() -> list[Notice]:
                if not (self._one_step or workflow.patched("withdraw-notices")):
                    return []
                told = [self._notice("unit", "unit_withdrawn", unit_code=holding_unit)]
                return [*(told if holding_unit else []), self._notice("citizen", "withdrawn")]

            payload = {"reason": message.reason}
            if message.channel:
                payload["channel"] = message.channel
            await self._record(
                "withdrawn",
                message.actor or "citizen",
                to=CaseStatus.withdrawn,
                changes=CaseChanges(closed_at=workflow.now()),
                payload=payload,
                detail=message.reason,
                notices=notices,
            )

    @workflow.signal
    async def survey_answer(self, answer: SurveyAnswer) -> None:
        """The citizen's survey answer from any channel; each answer key counts once."""
        if answer.answer_key in self.state.survey_answer_keys:
            return
        if answer.merged_number:
            await self._merged_survey_answer(answer)
            return
        if self.callback_child is not None:
            self.state.survey_answer_keys.append(answer.answer_key)
            await self.callback_child.signal(CallbackWorkflow.answer_received, answer)
        elif self.state.status in (CaseStatus.resolved, CaseStatus.callback):
            self.state.survey_answer_keys.append(answer.answer_key)
            self.early_answer = self.early_answer or answer

    @workflow.signal
    async def duplicate_merged(self, message: DuplicateMerged) -> None:
        """并案: a duplicate joins this case; its citizen gets this case's reply and survey."""
        async with self.lock:
            merged = message.duplicate_number
            if merged not in self.state.merged_numbers:
                self.state.merged_numbers.append(merged)
            answered = self.state.status in (CaseStatus.resolved, CaseStatus.callback)

            def notices() -> list[Notice]:
                if not (
                    answered and (self._one_step or workflow.patched("merged-citizen-notices"))
                ):
                    return []
                # Merged after the reply went out: this citizen gets it (and the survey) now.
                told = [self._merged_notice(merged, "resolved")]
                if self.callback_child is not None and merged not in self.merged_surveyed:
                    self.merged_surveyed.add(merged)
                    told.append(self._merged_notice(merged, "survey"))
                return told

            await self._record(
                "duplicate_merged",
                SYSTEM,
                payload={"duplicate": merged},
                detail=merged,
                notices=notices,
            )

    async def _merged_survey_answer(self, answer: SurveyAnswer) -> None:
        """A merged citizen's answer: an event on this case beside the master citizen's own
        answer, which alone decides close or reopen and counts in the three rates."""
        merged = answer.merged_number
        async with self.lock:
            # Answered before the callback started counts for the round about to start.
            upcoming = self.state.status == CaseStatus.resolved
            once = f"{merged}:{self.state.callback_round + upcoming}"
            if (
                merged not in self.state.merged_numbers
                or self.state.status not in (CaseStatus.resolved, CaseStatus.callback)
                or once in self.state.merged_survey_answered
                or answer.answer_key in self.state.survey_answer_keys
            ):
                return
            self.state.survey_answer_keys.append(answer.answer_key)
            self.state.merged_survey_answered.append(once)
            await self._record(
                "merged_survey_answered",
                "citizen",
                payload={
                    "duplicate": merged,
                    "contacted": str(answer.contacted).lower(),
                    "resolved": str(answer.resolved).lower(),
                    "satisfaction": answer.satisfaction.value,
                },
                detail=f"{merged}: {answer.satisfaction.value}",
            )

    # ---- helpers -----------------------------------------------------------------------

    async def _mark_resolved(self, kind: str, actor: str, reply: str) -> None:
        self.state.reply = reply

        def notices() -> Iterator[Notice]:
            yield self._notice("citizen", "resolved")
            merged = list(self.state.merged_numbers)
            if merged and (self._one_step or workflow.patched("merged-citizen-notices")):
                for number in merged:
                    yield self._merged_notice(number, "resolved")

        # The reply also goes on the event: a reopened case is resolved again with a new reply,
        # and the console shows every one of them (the case row keeps only the last).
        await self._record(
            kind,
            actor,
            to=CaseStatus.resolved,
            changes=CaseChanges(reply=reply),
            payload={"reply": reply},
            detail=reply,
            notices=notices,
        )

    def _require(self, *allowed: CaseStatus) -> None:
        if self.state.status not in allowed:
            names = ", ".join(status.value for status in allowed)
            raise ValueError(
                f"case {self.state.number} is {self.state.status.value}; "
                f"this needs it to be {names}"
            )

    def _require_unit(self, unit_code: str) -> None:
        if unit_code != self.state.lead_unit_code:
            raise ValueError(
                f"case {self.state.number} is with unit {self.state.lead_unit_code}, "
                f"not {unit_code}"
            )

    @staticmethod
    def _recheck(check: Any, action: Any) -> None:
        """Validators ran before the lock; another update may have moved the case since."""
        try:
            check(action)
        except ValueError as exc:
            raise ApplicationError(str(exc), type="InvalidAction", non_retryable=True) from exc

    def _result(self) -> ActionResult:
        return ActionResult(self.state.number, self.state.status)

    async def _record(
        self,
        kind: str,
        actor: str,
        *,
        to: CaseStatus | None = None,
        changes: CaseChanges | None = None,
        payload: dict[str, str] | None = None,
        detail: str = "",
        dedupe: str | None = None,
        notices: Callable[[], Iterable[Notice]] | None = None,
        unit_codes: list[str] | None = None,
        master_number: str | None = None,
        policy: PolicyRequest | None = None,
        plan: DeadlinePlan | None = None,
        apply: Callable[[StepResult], None] | None = None,
    ) -> None:
        """One transition: write it (event, case row, notices) first, then change the
        workflow's own state (`apply`, then the status and timeline).

        `notices` is a function (a generator where a notice depends on a patch): histories of
        before decided each notice after the one before it was sent, and replay that way. A
        refused check (`unit_codes`, `master_number`, an unknown category) fails the update
        with nothing written and nothing changed.
        """
        self._one_step = workflow.patched(ONE_STEP)
        if self._one_step and plan is not None and policy is None:
            await workflow.wait_condition(lambda: self.policy_loaded)
        seq = self.state.event_seq
        self.state.event_seq += 1
        changes = changes or CaseChanges()
        before = self.state.status
        after = to or before
        changes.status = to
        now = workflow.now()
        transition = Transition(
            number=self.state.number,
            dedupe_key=f"{self.state.number}:{dedupe or self.state.event_seq}",
            kind=kind,
            actor=actor,
            at=now,
            from_status=before,
            to_status=after,
            payload=payload or {},
            changes=changes,
        )
        step = Step(
            transition=transition,
            unit_codes=list(unit_codes or []),
            master_number=master_number,
            policy=policy,
            current_policy=self.state.policy,
            plan=plan,
        )
        if self._one_step:
            step.notices = [self._keyed(notice) for notice in (notices() if notices else [])]
            try:
                result: StepResult = await self._activity("apply_step", step, StepResult)
            except (ActivityError, ApplicationError) as exc:
                self.state.event_seq = seq
                raise _refusal(exc) from exc
        else:
            try:
                result = await self._steps_of_before(step)
            except ApplicationError:
                self.state.event_seq = seq  # refused before anything was written
                raise
        if apply is not None:
            apply(result)
        self.state.status = after
        self.state.timeline.append(TimelineEntry(kind, actor, now, before, after, detail[:200]))
        del self.state.timeline[:-TIMELINE_KEPT]
        self.version += 1
        if to is not None:
            self._publish_search_attributes()
        if not self._one_step and notices is not None:
            for notice in notices():
                await self._activity("notify", self._keyed(_due(notice, result.deadlines)))

    async def _steps_of_before(self, step: Step) -> StepResult:
        """The chain of activities a transition was before `apply_step`, for replay."""
        result = StepResult()
        if step.unit_codes:
            await self._checked_activity("check_units", UnitCheck(step.unit_codes))
        if step.master_number is not None:
            await self._checked_activity("check_master_case", step.master_number)
        policy = self.state.policy
        if step.policy is not None:
            policy = await self._checked_activity("load_policy", step.policy, Policy)
            result.policy = policy
        if step.plan is not None:
            request = DeadlineRequest(step.plan.start, policy, step.plan.extension_working_days)
            deadlines: Deadlines = await self._activity("plan_deadlines", request, Deadlines)
            result.deadlines = deadlines
            for name in step.plan.fields:
                setattr(step.transition.changes, name, getattr(deadlines, name))
        await self._activity("record_transition", step.transition)
        return result

    def _notice(
        self,
        audience: str,
        kind: str,
        *,
        unit_code: str | None = None,
        params: dict[str, str] | None = None,
        due_from: str = "",
    ) -> Notice:
        """A notice about this case; its dedupe key is given when it is queued (`_keyed`)."""
        return Notice(
            number=self.state.number,
            dedupe_key="",
            audience=audience,
            kind=kind,
            unit_code=unit_code,
            params=params or {},
            due_from=due_from,
        )

    def _merged_notice(self, merged: str, kind: str) -> Notice:
        """To the citizen of a case merged into this one, in their language, on their channel:
        this case's reply (`resolved`) or its survey, under their own case number."""
        params = {"master": self.state.number, "reply": self.state.reply or ""}
        if kind == "survey":
            params["round"] = str(self.state.callback_round)
        return Notice(number=merged, dedupe_key="", audience="citizen", kind=kind, params=params)

    def _keyed(self, notice: Notice) -> Notice:
        self.state.event_seq += 1
        notice.dedupe_key = f"{self.state.number}:n{self.state.event_seq}"
        return notice

    async def _survey_merged(self, merged: str) -> None:
        """The survey once a round to a merged case's citizen (the child asks the master's)."""
        if merged not in self.merged_surveyed:
            self.merged_surveyed.add(merged)
            await self._activity("notify", self._keyed(self._merged_notice(merged, "survey")))

    async def _activity(self, name: str, arg: Any, result_type: type | None = None) -> Any:
        return await workflow.execute_activity(
            name,
            arg,
            result_type=result_type,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
        )

    async def _checked_activity(self, name: str, arg: Any, result_type: type | None = None) -> Any:
        """An activity whose refusal (unknown unit, closed master) fails the update cleanly."""
        try:
            return await self._activity(name, arg, result_type)
        except ActivityError as exc:
            raise _refusal(exc) from exc

    def _publish_search_attributes(self) -> None:
        if not self.use_search_attributes:
            return
        workflow.upsert_search_attributes(
            [
                CASE_STATUS.value_set(self.state.status.value),
                CASE_UNIT.value_set(self.state.lead_unit_code or ""),
                CASE_CATEGORY.value_set(self.state.category_code or ""),
            ]
        )


def _refusal(exc: ActivityError | ApplicationError) -> ApplicationError:
    """An activity's refusal (unknown unit, closed master) as the update's clean failure; a
    local activity's may arrive without the ActivityError around it."""
    cause = exc if isinstance(exc, ApplicationError) else exc.cause
    message = cause.message if isinstance(cause, ApplicationError) else str(exc)
    return ApplicationError(message, type="InvalidAction", non_retryable=True)


def _due(notice: Notice, deadlines: Deadlines | None) -> Notice:
    """The planned deadline a notice names, filled in the workflow (`apply_step` does this
    itself)."""
    if notice.due_from and deadlines is not None:
        notice.params["due"] = _iso(getattr(deadlines, notice.due_from))
    return notice


def _require_text(value: str, message: str) -> None:
    if not value or not value.strip():
        raise ValueError(message)


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""
