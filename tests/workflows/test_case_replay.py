"""Histories recorded by earlier versions of the workflows must still replay.

A change to CaseWorkflow or CallbackWorkflow that breaks determinism would strand every
running case; this catches it before it ships. To add a history: run a case, then
`(await handle.fetch_history()).to_json()` into tests/workflows/histories/NAME.json.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from workflows.worker import WORKFLOWS

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_recorded_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    await Replayer(workflows=WORKFLOWS).replay_workflow(history)


def test_there_are_histories_to_replay() -> None:
    assert {p.stem for p in HISTORIES} >= {
        "happy_path",
        "reopen_then_close",
        "breach_return",
        # Citizen notices: moved after a return, extension, a merged citizen's reply, survey
        # and answer, reopen, 改派 (the master), and the merged case's own notice.
        "merged_notices",
        "merge_duplicate",
    }
