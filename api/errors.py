"""Domain errors translated into HTTP answers in one place, with messages a caller can act on."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, OperationalError

from core.temporal import TemporalUnavailable
from intake.errors import IntakeRejected
from models.service import CaseNotFound


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(IntakeRejected)
    async def _intake_rejected(_: Request, exc: IntakeRejected) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": exc.message, "field": exc.field})

    @app.exception_handler(CaseNotFound)
    async def _case_not_found(_: Request, exc: CaseNotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(exc)})

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_: Request, exc: RequestValidationError) -> Response:
        # FastAPI's own handler echoes each bad input back and fails with a 500 on bytes that
        # are not UTF-8 (a photo posted as JSON); echo at most a short, decodable excerpt.
        # ASCII JSON, so a lone surrogate the client sent comes back escaped, not as a 500.
        errors = [{**error, "input": _excerpt(error.get("input"))} for error in exc.errors()]
        body = json.dumps({"detail": jsonable_encoder(errors)}, ensure_ascii=True)
        return Response(body, status_code=422, media_type="application/json")

    @app.exception_handler(OperationalError)
    async def _database_unavailable(_: Request, exc: OperationalError) -> JSONResponse:
        # The database is down or restarting: nothing was written, the same request may be
        # repeated (intake_key makes that safe), so say "try again" rather than 500.
        detail = "the database is not answering; nothing was recorded, try again shortly"
        return JSONResponse(status_code=503, content={"detail": detail})

    @app.exception_handler(DataError)
    async def _unstorable_value(_: Request, exc: DataError) -> JSONResponse:
        # The database refused a value (a NUL character in a path on PostgreSQL...): bad
        # input, and the transaction was rolled back.
        detail = "the request contains a value the database cannot store (such as a NUL character)"
        return JSONResponse(status_code=422, content={"detail": detail})

    @app.exception_handler(TemporalUnavailable)
    async def _temporal_unavailable(_: Request, exc: TemporalUnavailable) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": str(exc)})


def _excerpt(value: Any, limit: int = 200) -> Any:
    if isinstance(value, bytes):
        value = value[:limit].decode("utf-8", "replace")
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + "…"
    if isinstance(value, dict | list):
        text = str(value)
        return value if len(text) <= limit else text[:limit] + "…"
    return value
