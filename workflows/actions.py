"""Staff actions on a running case workflow, as the CLI, the staff API and the console send them.

Every action is a Temporal update, so the workflow's validators decide; this module only turns
the SDK's failures into two small exceptions each caller translates at its boundary (an exit
code, a 409, a message on the console page), so there is one way to act on a case.

Every update carries an id derived from the request (`update_id`). On a loaded machine the
server may stop waiting for the update before the workflow has run it: the SDK then raises
`WorkflowUpdateRPCTimeoutOrCancelledError`, although the update itself is fine. Rather than fail
(the staff member would press again and act twice) or send a new update, `act` waits on the
same update id until its outcome is known: Temporal runs an update id once per workflow run.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from uuid import uuid4

from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError, RPCStatusCode

from workflows.types import ActionResult

# How long a caller keeps waiting for an update's outcome in all, across RPC timeouts.
OUTCOME_WAIT = timedelta(minutes=2)
RESEND_PAUSE_SECONDS = 0.2


class ActionRefused(ValueError):
    """The workflow said no (wrong state, wrong unit, missing text); nothing was recorded."""

    def __init__(self, number: str, message: str) -> None:
        super().__init__(message)
        self.number = number
        self.message = message

    def __str__(self) -> str:
        return self.message


class CaseClosedToActions(ActionRefused):
    """The case's workflow has finished (closed, merged, withdrawn): no action can reach it."""


class ActionOutcomeUnknown(RuntimeError):
    """The server did not tell the update's outcome within `OUTCOME_WAIT`; it may still run."""

    def __init__(self, number: str, update_id: str) -> None:
        super().__init__(number, update_id)
        self.number = number
        self.update_id = update_id

    def __str__(self) -> str:
        return (
            f"case {self.number}: the workflow has not answered update {self.update_id} yet; "
            "look at the case before acting again"
        )


def update_id_for(number: str, update: Any, request_id: str | None = None) -> str:
    """The update's id: the caller's request id when it has one (an Idempotency-Key, a form's
    one-time token), so a request sent twice acts once; a fresh id otherwise."""
    name = getattr(update, "__name__", str(update))
    return f"{number}/{name}/{request_id or uuid4().hex}"


async def act(
    *,
    client: Client,
    number: str,
    update: Any,
    argument: Any,
    update_id: str | None = None,
    rpc_timeout: timedelta | None = None,
    outcome_wait: timedelta = OUTCOME_WAIT,
) -> ActionResult:
    """Send one staff action to the case's workflow and wait for the workflow's answer.

    `update` is the `CaseWorkflow` update method (acknowledge and respond both take a
    `UnitAction`, so the caller names it). Raises `ActionRefused` with the workflow's own
    message, `CaseClosedToActions` when the workflow has already finished,
    `ActionOutcomeUnknown` when no outcome came within `outcome_wait`; `RPCError` otherwise.
    """
    handle = client.get_workflow_handle(number)
    update_id = update_id or update_id_for(number, update)
    try:
        result: ActionResult = await asyncio.wait_for(
            _outcome(handle, update, argument, update_id, rpc_timeout),
            timeout=outcome_wait.total_seconds(),
        )
    except TimeoutError as exc:
        raise ActionOutcomeUnknown(number, update_id) from exc
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        raise ActionRefused(number, getattr(cause, "message", None) or str(cause)) from exc
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise CaseClosedToActions(
                number, f"case {number} is no longer open to staff actions ({exc.message})"
            ) from exc
        raise
    return result


async def _outcome(
    handle: WorkflowHandle[Any, Any],
    update: Any,
    argument: Any,
    update_id: str,
    rpc_timeout: timedelta | None,
) -> ActionResult:
    """Send the update once, then only ever wait on its id (resending the same id when the
    server had not yet admitted it is harmless: it is the same update)."""
    while True:
        try:
            result: ActionResult = await handle.execute_update(
                update, argument, id=update_id, rpc_timeout=rpc_timeout
            )
            return result
        except WorkflowUpdateRPCTimeoutOrCancelledError:
            pass
        polled = await _poll(handle, update, update_id, rpc_timeout)
        if polled is not None:
            return polled
        await asyncio.sleep(RESEND_PAUSE_SECONDS)


async def _poll(
    handle: WorkflowHandle[Any, Any],
    update: Any,
    update_id: str,
    rpc_timeout: timedelta | None,
) -> ActionResult | None:
    """The outcome of an update already sent; None when the server does not know the id yet
    (the RPC that timed out never reached it), so the caller sends it again."""
    update_handle = handle.get_update_handle_for(update, update_id)
    while True:
        try:
            result: ActionResult = await update_handle.result(rpc_timeout=rpc_timeout)
            return result
        except WorkflowUpdateRPCTimeoutOrCancelledError:
            continue
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND and await _workflow_running(handle):
                return None
            raise


async def _workflow_running(handle: WorkflowHandle[Any, Any]) -> bool:
    """NOT_FOUND names either the update or the workflow; only a running workflow may still
    take the update."""
    try:
        description = await handle.describe()
    except RPCError:
        return False
    return description.status == WorkflowExecutionStatus.RUNNING
