"""撤回 on /track: the citizen who proved the case is theirs (its one-time code) withdraws it.

The one-time code went to a contact the case carries, so the details cookie it unlocks is the
proof of ownership; without it the route answers 404, as for the case's photos, and reveals
nothing. A POST with the form's CSRF token and a ticked confirm box; nothing else acts.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import EngineDep, SettingsDep, TemporalDep
from core.db import session_scope
from core.i18n import N_
from intake.withdrawal import NotWithdrawable, withdraw_case
from models.enums import Channel
from models.service import CaseNotFound
from web.pages import anonymous_form_ok
from web.public import CASE_NUMBER, _details_unlocked, _expired, _text, _track_page

router = APIRouter(include_in_schema=False)

REASON_CHARS = 500


@router.post("/track/{number}/withdraw", response_model=None)
async def withdraw_tracked(
    request: Request,
    number: str,
    settings: SettingsDep,
    engine: EngineDep,
    temporal: TemporalDep,
    csrf_token: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
    reason: Annotated[str, Form(max_length=REASON_CHARS)] = "",
) -> Response:
    if not CASE_NUMBER.match(number) or not _details_unlocked(request, settings, number):
        raise HTTPException(404, "no such request")

    def page(message: str, status_code: int) -> HTMLResponse:
        with session_scope(engine) as session:
            answer = _track_page(request, session, settings, number, message=message)
        answer.status_code = status_code
        return answer

    if not anonymous_form_ok(request, csrf_token):
        return await run_in_threadpool(page, _expired(request), 403)
    if confirm != "yes":
        message = _text(request, N_("Tick the box to confirm that you withdraw this request."))
        return await run_in_threadpool(page, message, 422)
    try:
        await withdraw_case(
            client=temporal,
            engine=engine,
            number=number,
            reason=reason.replace("\x00", "").strip(),
            asker=None,  # proved by the one-time code the case's own contact received
            channel=Channel.web,
        )
    except (NotWithdrawable, CaseNotFound):
        message = _text(request, N_("This request can no longer be withdrawn."))
        return await run_in_threadpool(page, message, 409)
    return RedirectResponse(f"/track?number={number}", 303)
