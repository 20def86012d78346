"""Logging for every process: one level, text or JSON lines, personal data masked last.

Every `hotline` command (and uvicorn inside `hotline api`, in each of its worker processes)
is set up from `logging_config`: `HOTLINE_LOG_LEVEL` for the level, `HOTLINE_LOG_FORMAT`
`text` (time, level name, logger, message) or `json` (one object a line with the same keys).
Code logs case numbers, CallSids and masked phones, never what a citizen said or was told;
`RedactingFilter` still masks any phone, e-mail or ID number that slips into a line.
JSON lines carry `workflow_id` and `case_number` where the record knows them, so a case's
lines can be found without parsing messages (see `JsonFormatter`).
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
import sys
from datetime import UTC, datetime
from typing import Any

from core.redaction import redact
from core.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# uvicorn's own loggers: sent through our handler, not uvicorn's formatters.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
# Client libraries that log every request at INFO (URLs, headers): only with DEBUG.
CHATTY_LOGGERS = ("twilio.http_client", "httpx", "httpcore")
# IPv4 addresses (with a port) in server lines are not phone numbers: kept as they are.
# Kept as they are in a log line: IP addresses (and ports), and Twilio's ids (CallSid,
# MessageSid, RecordingSid: two letters and 32 hex digits), which hold digit runs but no person.
_ADDRESS = re.compile(
    r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?![\d.])"
    r"|(?<![A-Za-z0-9])[A-Z]{2}[0-9a-f]{32}(?![A-Za-z0-9])"
)


# The public case number (intake/numbers.py): the day it was accepted, then its sequence.
CASE_NUMBER = re.compile(r"\d{8}-\d{6,}")


class RedactingFilter(logging.Filter):
    """Mask phones, e-mails and ID numbers in each record's message and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # arguments that do not fit the format
            message = f"{record.msg} {record.args}"
        record.msg, record.args = redact_line(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_line(record.exc_text)
        return True


def redact_line(text: str) -> str:
    """`redact` around the IP addresses of a log line (which it would take for phones)."""
    parts: list[str] = []
    last = 0
    for match in _ADDRESS.finditer(text):
        parts += [redact(text[last : match.start()]), match.group()]
        last = match.end()
    parts.append(redact(text[last:]))
    return "".join(parts)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message[, exception], and
    the case's `case_number` and `workflow_id` (with `workflow_type`, `activity_type`) when the
    record carries them: temporalio's workflow and activity loggers put their context in
    `temporal_workflow` / `temporal_activity` extras, and our code may pass
    `extra={"case_number": ...}`. A case workflow's id is its case number; its callback
    child's is `<case number>/callback/<round>`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **case_context(record),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def case_context(record: logging.LogRecord) -> dict[str, str]:
    """`case_number`, `workflow_id`, `workflow_type`, `activity_type` known to the record."""
    temporal: dict[str, Any] = {
        **(getattr(record, "temporal_workflow", None) or {}),
        **(getattr(record, "temporal_activity", None) or {}),
    }
    context = {
        key: str(temporal[key])
        for key in ("workflow_id", "workflow_type", "activity_type")
        if temporal.get(key) is not None
    }
    case_number = getattr(record, "case_number", None)
    if case_number is None and "workflow_id" in context:
        first = context["workflow_id"].split("/", 1)[0]
        case_number = first if CASE_NUMBER.fullmatch(first) else None
    if case_number is not None:
        context["case_number"] = str(case_number)
    return context


class CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is when a record comes: a command run inside another
    program (a test runner, a notebook) may swap the stream and close the one it lent."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:  # noqa: ANN401
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:  # noqa: ANN401
        """StreamHandler sets it; the current stderr is read at each record instead."""


def logging_config(settings: Settings) -> dict[str, Any]:
    """The `logging.config.dictConfig` of a hotline process (uvicorn takes it as log_config)."""
    chatty = "DEBUG" if settings.log_level == "DEBUG" else "WARNING"
    formatter: dict[str, Any] = (
        {"()": JsonFormatter} if settings.log_format == "json" else {"format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": RedactingFilter}},
        "formatters": {"hotline": formatter},
        "handlers": {
            "stderr": {
                "()": CurrentStderrHandler,
                "formatter": "hotline",
                "filters": ["redact"],
            }
        },
        "root": {"level": settings.log_level, "handlers": ["stderr"]},
        "loggers": {
            **{
                name: {"level": settings.log_level, "handlers": [], "propagate": True}
                for name in UVICORN_LOGGERS
            },
            **{
                name: {"level": chatty, "handlers": [], "propagate": True}
                for name in CHATTY_LOGGERS
            },
        },
    }


def configure_logging(settings: Settings) -> None:
    """Set up this process's logging; called once by each `hotline` command."""
    logging.config.dictConfig(logging_config(settings))
