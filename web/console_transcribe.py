"""The transcription queue: voicemails no machine could transcribe, for a person to type.

A call recorded where no speech model listens is filed with a placeholder description and
`awaiting_transcript`; smart dispatch waits. The centre's intake staff (operators, dispatchers,
admins: who may take requests in) listen here through the case's guarded attachment route and
type what the caller said. Saving is the workflow's `transcribe` update: the text becomes the
description, the event names who typed it, and smart dispatch then classifies the case as it
would any text case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.service import RPCError

from api.deps import EngineDep, SessionDep, SettingsDep, TemporalDep
from api.staff_actions import visible_case
from auth.roles import StaffAction
from core.i18n import S_, Domain
from core.settings import Settings
from models.case import Case
from models.enums import AttachmentKind
from models.service import CaseNotFound
from web.case_view import AttachmentView, attachments
from web.console import Staff, StaffDep, _check_csrf, _page, _require
from web.i18n import request_language, text
from web.public import clean
from workflows.actions import ActionRefused, act
from workflows.case import CaseWorkflow
from workflows.types import TERMINAL, Transcribe

router = APIRouter(prefix="/console", include_in_schema=False)
QUEUE_SIZE = 100
EMPTY = S_("Type what the caller said: the transcript is empty.")
TOO_LONG = S_("The transcript has {count} characters; the limit is {limit}.")
NOT_WAITING = S_("Case {number} no longer waits for a transcript.")
REFUSED = S_("The transcript of case {number} was not saved: {reason}")


@dataclass(frozen=True)
class Voicemail:
    number: str
    received: str  # local time
    language: str
    recordings: list[AttachmentView]


def waiting(session: Session, zone: ZoneInfo) -> list[Voicemail]:
    """Open cases whose recording awaits a transcript, the oldest first."""
    cases = session.exec(
        select(Case)
        .where(Case.awaiting_transcript == True, col(Case.status).not_in(TERMINAL))  # noqa: E712
        .order_by(col(Case.created_at))
        .limit(QUEUE_SIZE)
    ).all()
    return [
        Voicemail(
            number=case.number,
            received=case.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            language=case.language,
            recordings=[a for a in attachments(session, case) if a.kind == AttachmentKind.audio],
        )
        for case in cases
    ]


@router.get("/transcribe", response_class=HTMLResponse)
def queue(
    request: Request, staff: StaffDep, session: SessionDep, settings: SettingsDep, done: str = ""
) -> HTMLResponse:
    """The voicemails waiting for a person to type what the caller said."""
    _require(staff, StaffAction.intake)
    return _queue_page(request, staff, session, settings, done=done[:20])


@router.post("/transcribe/{number}", response_model=None)
async def save(
    request: Request,
    number: str,
    staff: StaffDep,
    engine: EngineDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    transcript: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """Save a typed transcript as the case's description; smart dispatch follows."""
    _check_csrf(staff, csrf_token)
    _require(staff, StaffAction.intake)
    typed = clean(transcript).strip()
    language = request_language(request)
    problem = _problem(typed, settings)
    if problem is not None:
        message = text(language, Domain.staff, problem[0], **problem[1])
        return await _again(request, staff, engine, settings, message, 422, number, typed)
    if not await run_in_threadpool(_waits, engine, staff, number):
        message = text(language, Domain.staff, NOT_WAITING, number=number)
        return await _again(request, staff, engine, settings, message, 409, number, typed)
    try:
        await act(
            client=temporal,
            number=number,
            update=CaseWorkflow.transcribe,
            argument=Transcribe(actor=staff.user.username, text=typed),
        )
    except (ActionRefused, RPCError) as exc:
        reason = exc.message if isinstance(exc, ActionRefused) else str(exc)
        message = text(language, Domain.staff, REFUSED, number=number, reason=reason)
        return await _again(request, staff, engine, settings, message, 409, number, typed)
    return RedirectResponse(f"/console/transcribe?done={number}", 303)


def _problem(typed: str, settings: Settings) -> tuple[str, dict[str, object]] | None:
    if not typed:
        return EMPTY, {}
    limit = settings.max_description_chars
    if len(typed) > limit:
        return TOO_LONG, {"count": len(typed), "limit": limit}
    return None


def _waits(engine: Engine, staff: Staff, number: str) -> bool:
    with Session(engine) as session:
        try:
            case = visible_case(session=session, user=staff.user, number=number)
        except CaseNotFound:
            return False
        return case.awaiting_transcript and case.status not in TERMINAL


async def _again(
    request: Request,
    staff: Staff,
    engine: Engine,
    settings: Settings,
    error: str,
    status: int,
    number: str,
    typed: str,
) -> HTMLResponse:
    def page() -> HTMLResponse:
        with Session(engine) as session:
            return _queue_page(
                request,
                staff,
                session,
                settings,
                error=error,
                status=status,
                kept={number: typed},
            )

    return await run_in_threadpool(page)


def _queue_page(
    request: Request,
    staff: Staff,
    session: Session,
    settings: Settings,
    *,
    done: str = "",
    error: str | None = None,
    status: int = 200,
    kept: dict[str, str] | None = None,
) -> HTMLResponse:
    context = {
        "voicemails": waiting(session, ZoneInfo(settings.timezone)),
        "done": done,
        "error": error,
        "kept": kept or {},
    }
    return _page(request, staff, "console/transcribe.html", context, status_code=status)
