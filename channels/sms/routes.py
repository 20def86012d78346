"""Twilio's webhooks for SMS: texts in (answered in TwiML) and delivery reports of texts out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool
from twilio.twiml.messaging_response import MessagingResponse

from api.deps import EngineDep, SettingsDep, TemporalDep
from channels.rate_limit import RateLimiter
from channels.sms import store
from channels.sms.inbound import BadWebhook, Inbound, SmsConversation
from channels.sms.notifier import STATUS_PATH
from channels.twilio.signature import SignedForm

router = APIRouter(prefix="/twilio", tags=["sms"])


def get_rate_limiter(request: Request, settings: SettingsDep, engine: EngineDep) -> RateLimiter:
    """One limiter per app, made on first use (the memory store must outlive a request)."""
    state = request.app.state
    limiter: RateLimiter | None = getattr(state, "rate_limiter", None)
    if limiter is None:
        limiter = RateLimiter.from_settings(settings, engine)
        state.rate_limiter = limiter
    return limiter


def twiml(text: str | None) -> Response:
    answer = MessagingResponse()
    if text:
        answer.message(text)
    return Response(str(answer), media_type="application/xml")


@router.post("/sms", response_class=Response)
async def inbound_sms(
    form: SignedForm,
    settings: SettingsDep,
    engine: EngineDep,
    temporal: TemporalDep,
    limiter: Annotated[RateLimiter, Depends(get_rate_limiter)],
) -> Response:
    """A text from a citizen: a new case, more details, a command or a survey answer (TwiML)."""
    try:
        message = Inbound.from_form(form, default_region=settings.default_phone_region)
    except BadWebhook as exc:
        raise HTTPException(400, str(exc)) from exc
    conversation = SmsConversation(
        engine=engine, settings=settings, temporal=temporal, limiter=limiter
    )
    return twiml(await conversation.handle(message))


@router.post(STATUS_PATH.removeprefix("/twilio"), status_code=204)
async def sms_status(form: SignedForm, request: Request, engine: EngineDep) -> Response:
    """Twilio's delivery report for a text we sent: kept on the message and the case."""
    sid = form.get("MessageSid") or form.get("SmsSid")
    status = form.get("MessageStatus") or form.get("SmsStatus")
    if not sid or not status:
        raise HTTPException(400, "a status callback needs MessageSid and MessageStatus")
    await run_in_threadpool(
        lambda: store.record_status(
            engine,
            sid=sid,
            status=status,
            error_code=form.get("ErrorCode") or None,
            phone=form.get("To", ""),
            case_number=request.query_params.get("case"),
            kind=request.query_params.get("kind"),
        )
    )
    return Response(status_code=204)
