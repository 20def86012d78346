"""Domain errors translated into HTTP answers in one place, with messages a caller can act on."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

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

    @app.exception_handler(TemporalUnavailable)
    async def _temporal_unavailable(_: Request, exc: TemporalUnavailable) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": str(exc)})
