"""What the logs of a real case hold: no phone number, no description, no reply text at INFO,
in the format production asks for (defect 13 of issue 13)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client

from api.main import create_app
from channels.twilio.signature import sign
from core.logging import JsonFormatter, RedactingFilter
from core.settings import Settings
from tests.sms.phone import message_sid, twilio_form, twiml_messages
from tests.utils.factories import unique_phone
from tests.utils.processes import start_hotline, stop
from tests.utils.servers import serve
from tests.utils.twilio_api import ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER
from workflows.case import CaseWorkflow
from workflows.types import Dispatch, Resolve, UnitAction

PUBLIC = "https://hotline.example.gov.cn"
CHAOYANG = "110105"
CASE_NUMBER = re.compile(r"\d{8}-\d{6}")


async def _until(condition: object, what: str) -> None:
    for _ in range(1200):  # a busy machine is slow; no time is asserted
        if callable(condition) and condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture
def local(settings: Settings) -> Settings:
    """Twilio's webhooks signed; a task queue of this test's own (its worker logs to a file)."""
    return settings.model_copy(
        update={
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": AUTH_TOKEN,
            "twilio_phone_number": HOTLINE_NUMBER,
            "public_base_url": PUBLIC,
            "temporal_task_queue": f"logs-{uuid.uuid4().hex[:8]}",
        }
    )


@pytest.fixture
def api(local: Settings) -> Iterator[str]:
    with serve(create_app(local)) as url:
        yield url


async def test_a_whole_sms_case_logs_no_phone_description_or_reply_at_info(
    local: Settings,
    api: str,
    temporal_client: Client,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Defect 13 of issue 13: phones, replies and texts were written to logs at INFO."""
    caplog.set_level(logging.INFO)
    log = tmp_path / "worker.log"
    json_lines = {"HOTLINE_LOG_FORMAT": "json", "HOTLINE_LOG_LEVEL": "info"}
    worker = start_hotline(local, "worker", log=log, env=json_lines)
    phone = unique_phone()
    description = f"小区门口路灯坏了 {uuid.uuid4().hex[:10]}"
    reply = f"路灯已修复，维修师傅电话 13700001234 {uuid.uuid4().hex[:10]}"
    try:
        form = twilio_form(phone, description, message_sid())
        signature = sign(PUBLIC + "/twilio/sms", form, AUTH_TOKEN)
        answer = httpx.post(
            api + "/twilio/sms", data=form, headers={"X-Twilio-Signature": signature}, timeout=60
        )
        assert answer.status_code == 200
        number = CASE_NUMBER.findall(twiml_messages(answer.text)[0])[0]
        handle = temporal_client.get_workflow_handle(number)
        await handle.execute_update(CaseWorkflow.dispatch, Dispatch("dispatcher", CHAOYANG))
        await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("h", CHAOYANG))
        await handle.execute_update(CaseWorkflow.respond, UnitAction("h", CHAOYANG, "called"))
        await handle.execute_update(CaseWorkflow.resolve, Resolve("h", CHAOYANG, reply))
        await _until(lambda: f"notify {number} survey via" in log.read_text(), "the survey")
    finally:
        stop(worker)

    written = log.read_text()  # everything the worker logged at INFO and above
    said = [written] + [r.getMessage() for r in caplog.records]  # and the API, in-process
    for secret in [phone, phone.removeprefix("+86"), description, reply, "13700001234"]:
        assert not [text for text in said if secret in text], secret
    lines = [json.loads(line) for line in written.splitlines() if line.strip()]
    assert {tuple(sorted(line)) for line in lines} <= {
        ("level", "logger", "message", "time"),
        ("exception", "level", "logger", "message", "time"),
    }
    sent = [line["message"] for line in lines if line["logger"] == "hotline.notifier"]
    assert any(f"notify {number} resolved via sms to +86" in message for message in sent), sent


def _worker_text_log(settings: Settings, log: Path) -> str:
    text_lines = {"HOTLINE_LOG_FORMAT": "text", "HOTLINE_LOG_LEVEL": "INFO"}
    worker = start_hotline(settings, "worker", log=log, env=text_lines)
    try:
        for _ in range(1200):  # a busy machine is slow; no time is asserted
            if "case worker on task queue" in log.read_text():
                break
            time.sleep(0.1)
    finally:
        stop(worker)
    return log.read_text()


def test_the_text_format_names_the_level(settings: Settings, tmp_path: Path) -> None:
    """Defect 13 of issue 13: log lines did not say their level."""
    local = settings.model_copy(update={"temporal_task_queue": f"logs-{uuid.uuid4().hex[:8]}"})
    text = _worker_text_log(local, tmp_path / "worker.log")
    started = next(line for line in text.splitlines() if "case worker on task queue" in line)
    assert " INFO hotline.worker case worker on task queue " in started


def test_a_phone_that_slips_into_a_log_line_is_masked_by_the_filter() -> None:
    """Defect 13 of issue 13: the last line of defence behind code that must not log phones."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(f"hotline.test.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        logger.warning("caller %s wrote %s", "+8613912345678", "mail me: a.b@example.com")
        logger.info('127.0.0.1:54321 - "POST /twilio/sms HTTP/1.1" 200')
        try:
            raise ValueError("bad number 13912345678")
        except ValueError:
            logger.exception("failed for %s", "13912345678")
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "13912345678" not in written and "a.b@example.com" not in written
    first = json.loads(written.splitlines()[0])
    assert first["message"] == "caller [phone] wrote mail me: [email]"
    assert first["level"] == "WARNING"
    assert json.loads(written.splitlines()[1])["message"].startswith("127.0.0.1:54321 - ")
