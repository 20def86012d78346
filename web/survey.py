"""The callback survey on the web: `/survey/{token}`, the signed link the survey notice carries.

The page asks the same three questions as the SMS, Telegram and phone survey, with the same
answers (1 = yes / satisfied, 2 = no / basically satisfied, 3 = dissatisfied, read by
`parse_survey_keys`), and hands the answer to the workflow's `survey_answer` signal as the SMS
channel does. The link proves nothing but that its holder received the survey notice: it answers
that one case's survey and shows nothing the citizen or the unit wrote.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.deps import EngineDep, SettingsDep, TemporalDep
from auth.survey_links import SurveyLink, link_matches, read_survey_token
from channels.survey_replies import parse_survey_keys
from core.i18n import LOCALES, N_
from core.settings import Settings
from core.temporal import TemporalUnavailable
from intake.followups import answer_survey, survey_open
from intake.owners import reachable_contacts
from models.service import CaseNotFound, get_case
from web.i18n import LANG_COOKIE
from web.pages import anonymous_form_ok, render

log = logging.getLogger("hotline.web.survey")
router = APIRouter(include_in_schema=False)

INVALID = N_("This survey link is not valid. Please call 12345 if you want to rate your request.")
EXPIRED = N_("This survey link has expired. Please call 12345 if you want to rate your request.")
CLOSED = N_("The survey of case {number} is no longer open: it was answered or the case is over.")
THANKS = N_("Thank you for rating case {number}.")
INCOMPLETE = N_("Please answer all three questions.")
FORM_EXPIRED = N_("The form expired: please try again.")
UNAVAILABLE = N_("Your answer could not be recorded just now; please try again later.")


@dataclass(frozen=True)
class Checked:
    """A token checked against the case: its link and the case's language, or what is wrong."""

    link: SurveyLink | None
    language: str | None
    problem: str | None  # a message id: INVALID, EXPIRED or CLOSED
    status_code: int = 200


def _check(engine: Engine, settings: Settings, token: str) -> Checked:
    read = read_survey_token(settings, token)
    with Session(engine) as session:
        number = read.link.number if read.link else read.expired_number
        case = get_case(session=session, number=number) if number else None
        language = case.language if case is not None else None
        if read.link is None or case is None:
            expired = read.expired_number is not None and case is not None
            return Checked(None, language, EXPIRED if expired else INVALID, 410 if expired else 404)
        contacts = list(reachable_contacts(session=session, case=case).values())
        if not link_matches(settings, read.link, contacts):
            return Checked(None, None, INVALID, 404)
        if not survey_open(session, case):
            return Checked(read.link, language, CLOSED, 410)
        return Checked(read.link, language, None)


def _needs_language(request: Request, language: str | None) -> bool:
    """The page speaks the case's language unless the visitor chose one (`?lang=`, cookie)."""
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return language is not None and chosen not in {lang.value for lang in LOCALES}


def _page(
    request: Request, checked: Checked, token: str, *, message: str | None = None, status: int = 200
) -> HTMLResponse:
    number = checked.link.number if checked.link else ""
    context = {
        "token": token,
        "number": number,
        "problem": checked.problem,
        "message": message,
        "done": False,
    }
    return render(
        request,
        "survey.html",
        context,
        status_code=status if status != 200 else checked.status_code,
    )


@router.get("/survey/{token}", response_model=None)
async def survey_form(
    request: Request, token: str, engine: EngineDep, settings: SettingsDep
) -> Response:
    checked = await run_in_threadpool(_check, engine, settings, token)
    if _needs_language(request, checked.language):
        return RedirectResponse(f"/survey/{token}?lang={checked.language}", 303)
    return _page(request, checked, token)


@router.post("/survey/{token}", response_model=None)
async def survey_answer(
    request: Request,
    token: str,
    engine: EngineDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    csrf_token: Annotated[str, Form()] = "",
    contacted: Annotated[str, Form()] = "",
    resolved: Annotated[str, Form()] = "",
    satisfaction: Annotated[str, Form()] = "",
) -> Response:
    checked = await run_in_threadpool(_check, engine, settings, token)
    if checked.problem is not None or checked.link is None:
        return _page(request, checked, token)
    if not anonymous_form_ok(request, csrf_token):
        return _page(request, checked, token, message=FORM_EXPIRED, status=403)
    reply = parse_survey_keys(f"{contacted}{resolved}{satisfaction}")
    if reply is None:
        return _page(request, Checked(checked.link, None, None, 422), token, message=INCOMPLETE)
    link = checked.link
    try:
        await answer_survey(
            client=temporal,
            engine=engine,
            number=link.number,
            # One answer per link and round: a second post of the same form counts once.
            answer_key=f"web-survey:{link.number}:{link.round}",
            contacted=reply.contacted,
            resolved=reply.resolved,
            satisfaction=reply.satisfaction,
        )
    except CaseNotFound:
        closed = Checked(link, None, CLOSED, 410)
        return _page(request, closed, token)
    except TemporalUnavailable:
        log.warning("survey answer for %s not recorded: Temporal unavailable", link.number)
        return _page(request, Checked(link, None, None, 503), token, message=UNAVAILABLE)
    context = {"token": token, "number": link.number, "problem": None, "done": True}
    return render(request, "survey.html", context)
