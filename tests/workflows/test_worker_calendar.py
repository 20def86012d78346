"""The case worker says at start-up where each year of its working-day calendar comes from.

Apart from test_calendar.py: that module defines a sandboxed workflow, and the sandbox
re-imports its module, which must not pull in the whole worker.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from core.settings import Environment, Settings
from workflows.worker import build_worker


async def test_worker_logs_where_each_year_comes_from(
    time_skipping: WorkflowEnvironment, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        environment=Environment.test,
        database_url=f"sqlite:///{tmp_path / 'hotline.db'}",
        var_dir=tmp_path,
        _env_file=None,  # type: ignore[call-arg]
    )
    with (
        ThreadPoolExecutor(max_workers=1) as executor,
        caplog.at_level(logging.INFO, logger="hotline.worker"),
    ):
        async with build_worker(time_skipping.client, settings, executor=executor):
            pass  # started (and so validated against the server), then shut down cleanly
    [line] = [r.getMessage() for r in caplog.records if "working-day calendar" in r.getMessage()]
    assert "2025 to 2026 from " in line
    assert "2027 to 2099 estimated by the holidays package" in line
