"""Staff actions on a running case workflow, as the CLI, the staff API and the console send them.

Every action is a Temporal update, so the workflow's validators decide; this module only turns
the SDK's failures into two small exceptions each caller translates at its boundary (an exit
code, a 409, a message on the console page), so there is one way to act on a case.
"""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from workflows.types import ActionResult


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


async def act(*, client: Client, number: str, update: Any, argument: Any) -> ActionResult:
    """Send one staff action to the case's workflow and wait for the workflow's answer.

    `update` is the `CaseWorkflow` update method (acknowledge and respond both take a
    `UnitAction`, so the caller names it). Raises `ActionRefused` with the workflow's own
    message, or `CaseClosedToActions` when the workflow has already finished; `RPCError`
    otherwise.
    """
    handle = client.get_workflow_handle(number)
    try:
        result: ActionResult = await handle.execute_update(update, argument)
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
