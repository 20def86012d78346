"""JSON log lines from workflows and activities name the case: `case_number`, `workflow_id`.

temporalio's `workflow.logger` and `activity.logger` put their context on each record
(`temporal_workflow`, `temporal_activity`); `core.logging.JsonFormatter` lifts the ids out,
so an operator greps one field for everything a case did. A real worker on the dev server.
"""

from __future__ import annotations

import io
import json
import logging
import random
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from core.logging import JsonFormatter


@activity.defn
async def say_hello(name: str) -> str:
    activity.logger.info("greeting %s", name)
    return f"hello {name}"


@workflow.defn
class LoggingWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        workflow.logger.info("about to greet")
        return await workflow.execute_activity(
            say_hello, name, start_to_close_timeout=timedelta(seconds=30)
        )


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger("temporalio.workflow"), logging.getLogger("temporalio.activity")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield stream
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


async def test_workflow_and_activity_lines_carry_the_case_number_and_workflow_id(
    temporal_client: Client, json_lines: io.StringIO
) -> None:
    number = f"20261130-{random.randrange(10**6):06d}"
    workflow_id = f"{number}/callback/1"  # a case's child workflow: the case is its prefix
    task_queue = f"log-context-{uuid.uuid4().hex[:8]}"
    async with Worker(
        temporal_client,
        task_queue=task_queue,
        workflows=[LoggingWorkflow],
        activities=[say_hello],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        result = await temporal_client.execute_workflow(
            LoggingWorkflow.run, "citizen", id=workflow_id, task_queue=task_queue
        )
    assert result == "hello citizen"
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    ours = [line for line in lines if line.get("workflow_id") == workflow_id]
    by_logger = {line["logger"]: line for line in ours}
    assert set(by_logger) == {"temporalio.workflow", "temporalio.activity"}
    for line in ours:
        assert line["case_number"] == number
        assert line["workflow_type"] == "LoggingWorkflow"
    assert by_logger["temporalio.activity"]["activity_type"] == "say_hello"


def test_a_case_number_given_by_our_code_is_a_field_too() -> None:
    record = logging.LogRecord("hotline.intake", logging.INFO, __file__, 1, "accepted", (), None)
    record.case_number = "20261130-000042"
    line = json.loads(JsonFormatter().format(record))
    assert line["case_number"] == "20261130-000042"
    assert "workflow_id" not in line
