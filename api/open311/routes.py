"""Open311 GeoReport v2 at /open311/v2/: discovery, services, requests, tokens, updates.

Every endpoint answers `.json` or `.xml` with the same data. Errors (including FastAPI's own
parameter validation) come back in the spec's `errors` form with its status codes, through
`Open311Route`, so a client never sees a FastAPI-shaped error from here.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.deps import EngineDep, SessionDep, SettingsDep, get_temporal
from api.open311 import inputs, service, updates
from api.open311.inputs import (
    check_jurisdiction,
    comma_list,
    date_window,
    parse_locale,
    parse_statuses,
    parse_w3c,
)
from api.open311.render import Format, Open311Error, error_response, render
from api.open311.schemas import (
    Created,
    Discovery,
    RequestUpdate,
    Service,
    ServiceDefinition,
    ServiceRequest,
    Token,
    UpdateCreated,
    answers,
)
from core.db import session_scope
from core.i18n import N_, gettext_for
from core.temporal import TemporalUnavailable
from intake.errors import IntakeRejected
from intake.flows import start_case_workflow
from intake.service import accept_intake
from models.api_key import ApiKeyPublic, authenticate
from models.case import Case
from models.enums import Channel, Language
from models.service import get_case_or_raise

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMAT_TYPES = {Format.xml: "text/xml", Format.json: "application/json"}


class Open311Route(APIRoute):
    """Answers every failure of an Open311 endpoint in the spec's error form."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            fmt = _format_of(request)
            try:
                if fmt is None:
                    raise Open311Error(404, "unknown format: end the path in .json or .xml")
                _refuse_nul(request)
                return await handler(request)
            except Open311Error as exc:
                response = error_response(fmt or Format.json, [exc])
                if exc.code == 503:
                    response.headers["Retry-After"] = "30"
                return response
            except RequestValidationError as exc:
                return error_response(fmt or Format.json, [_invalid(exc)])
            except IntakeRejected as exc:
                message = f"{inputs.open311_field(exc.field)}: {exc.message}"
                return error_response(fmt or Format.json, [Open311Error(400, message)])
            except TemporalUnavailable as exc:
                response = error_response(fmt or Format.json, [Open311Error(503, str(exc))])
                response.headers["Retry-After"] = "30"
                return response

        return answer


def _format_of(request: Request) -> Format | None:
    try:
        return Format(request.path_params.get("fmt", ""))
    except ValueError:
        return None


def _refuse_nul(request: Request) -> None:
    """No text of ours holds NUL (PostgreSQL cannot store it): refuse it up front."""
    values = [*request.path_params.values(), *request.query_params.keys()]
    values += request.query_params.values()
    if any("\x00" in str(value) for value in values):
        raise Open311Error(400, "parameters may not contain NUL characters")


def _invalid(exc: RequestValidationError) -> Open311Error:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ())[1:]) or "request"
    return Open311Error(400, f"{where}: {first.get('msg', 'invalid')}")


router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route)

Jurisdiction = Annotated[
    str | None, Query(description="Optional: this endpoint serves one jurisdiction.")
]
Locale = Annotated[str | None, Query(description="Extension: zh (default) or en.")]


@router.get("/discovery.{fmt}", responses=answers(Discovery))
def discovery(fmt: Format, settings: SettingsDep) -> Response:
    """Service discovery: where the GeoReport v2 endpoint is and what it speaks."""
    endpoint = {
        "specification": SPECIFICATION,
        "url": settings.public_base_url.rstrip("/") + router.prefix,
        "changeset": settings.open311_changeset,
        "type": "production",
        "formats": list(FORMAT_TYPES.values()),
    }
    body = {
        "changeset": settings.open311_changeset,
        "contact": settings.open311_contact,
        "key_service": settings.open311_key_service,
        "endpoints": [endpoint],
    }
    return render(fmt, "discovery", None, body)


@router.get("/services.{fmt}", responses=answers(list[Service]))
def services(
    fmt: Format,
    session: SessionDep,
    settings: SettingsDep,
    jurisdiction_id: Jurisdiction = None,
    locale: Locale = None,
) -> Response:
    """The service list: every leaf of the category catalog."""
    check_jurisdiction(settings, jurisdiction_id)
    found = service.list_services(session=session, language=parse_locale(locale))
    return render(fmt, "services", "service", found)


@router.get("/services/{service_code}.{fmt}", responses=answers(ServiceDefinition))
def service_definition(
    service_code: str,
    fmt: Format,
    session: SessionDep,
    settings: SettingsDep,
    jurisdiction_id: Jurisdiction = None,
    locale: Locale = None,
) -> Response:
    """A service definition: the attributes a request for this service may carry."""
    check_jurisdiction(settings, jurisdiction_id)
    definition = service.service_definition(
        session=session, code=service_code, language=parse_locale(locale)
    )
    return render(fmt, "service_definition", None, definition)


POST_FIELDS = {
    name: {"type": "string"}
    for name in (
        "api_key",
        "jurisdiction_id",
        "service_code",
        "lat",
        "long",
        "coordinate_system",
        "address_string",
        "address_id",
        "email",
        "device_id",
        "account_id",
        "first_name",
        "last_name",
        "phone",
        "description",
        "media_url",
    )
}
POST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            inputs.FORM_TYPE: {
                "schema": {
                    "type": "object",
                    "properties": POST_FIELDS,
                    "required": ["api_key", "service_code"],
                    "additionalProperties": {"type": "string"},
                    "description": "plus attribute[code]=value for the service's attributes",
                }
            }
        },
    }
}


@router.post(
    "/requests.{fmt}",
    responses=answers(list[Created], 403, 413, 503),
    openapi_extra=POST_BODY,
)
async def create_request(
    fmt: Format,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    """Create a service request (a case) from a form-encoded POST with an api_key.

    Idempotent: the same form from the same client (or the same Idempotency-Key header)
    answers with the case the first POST made.
    """
    form = inputs.parse_form(
        request.headers.get("content-type", ""), await request.body(), request.query_params
    )
    check_jurisdiction(settings, inputs.one(form, "jurisdiction_id"))
    client = await _authenticated(engine, form)

    def build() -> inputs.Submission:
        with Session(engine) as session:
            return inputs.build_submission(
                form=form, session=session, client=client, idempotency_key=idempotency_key
            )

    submission = await run_in_threadpool(build)
    accepted = await run_in_threadpool(
        lambda: accept_intake(engine=engine, intake=submission.intake, settings=settings)
    )
    if accepted.created:
        await run_in_threadpool(_keep_extra, engine, accepted.case.number, submission.extra)
    temporal = await get_temporal(request)  # after the checks: a bad POST needs no Temporal
    await start_case_workflow(client=temporal, settings=settings, case=accepted.case)
    body = {
        "service_request_id": accepted.case.number,
        "token": submission.token,
        "service_notice": _notice(accepted.case.number, submission.intake.language),
        "account_id": submission.account_id,
    }
    return render(fmt, "service_requests", "request", [body])


async def _authenticated(engine: Engine, form: inputs.Form) -> ApiKeyPublic:
    secret = inputs.one(form, "api_key")
    if secret is None:
        raise Open311Error(403, "api_key was not provided")
    client = await run_in_threadpool(lambda: authenticate(engine=engine, secret=secret))
    if client is None:
        raise Open311Error(403, "api_key is not valid (unknown or revoked)")
    if client.channel is not Channel.open311:
        raise Open311Error(403, "api_key is issued for the request API, not for Open311")
    return client


def _keep_extra(engine: Engine, number: str, extra: dict[str, Any]) -> None:
    with session_scope(engine) as session:
        case: Case = get_case_or_raise(session=session, number=number)
        case.extra = {**case.extra, "open311": extra}
        session.add(case)


def _notice(number: str, language: Language) -> str:
    notice = N_("Your request is case {number}; the responsible unit will be in touch.")
    return gettext_for(language)(notice).format(number=number)


@router.get("/requests.{fmt}", responses=answers(list[ServiceRequest]))
def list_requests(
    fmt: Format,
    session: SessionDep,
    settings: SettingsDep,
    jurisdiction_id: Jurisdiction = None,
    service_request_id: Annotated[
        str | None, Query(description="Comma-separated; overrides every other filter.")
    ] = None,
    service_code: Annotated[str | None, Query(description="Comma-separated.")] = None,
    start_date: Annotated[str | None, Query(description="W3C datetime.")] = None,
    end_date: Annotated[str | None, Query(description="W3C datetime.")] = None,
    status: Annotated[str | None, Query(description="open, closed, or both.")] = None,
    updated_after: Annotated[str | None, Query(description="Extension: W3C datetime.")] = None,
    updated_before: Annotated[str | None, Query(description="Extension: W3C datetime.")] = None,
    agency_responsible: Annotated[
        str | None, Query(description="Extension: unit codes, comma-separated.")
    ] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000, description="Extension.")] = 1,
    page_size: Annotated[
        int, Query(ge=1, le=service.MAX_PAGE_SIZE, description="Extension.")
    ] = service.MAX_PAGE_SIZE,
    extensions: Annotated[bool, Query(description="Extension: add each request's notes.")] = False,
    locale: Locale = None,
) -> Response:
    """Service requests, newest first; by default those made in the last 90 days."""
    check_jurisdiction(settings, jurisdiction_id)
    updated = (
        parse_w3c("updated_after", updated_after),
        parse_w3c("updated_before", updated_before),
    )
    if updated[0] and updated[1] and updated[0] > updated[1]:
        raise Open311Error(400, "updated_after is after updated_before")
    start, end = date_window(
        parse_w3c("start_date", start_date),
        parse_w3c("end_date", end_date),
        default=updated == (None, None),
    )
    numbers = comma_list(service_request_id, "service_request_id")
    query = service.RequestQuery(
        numbers=numbers or None,
        service_codes=comma_list(service_code, "service_code"),
        statuses=parse_statuses(status),
        start=start,
        end=end,
        updated_after=updated[0],
        updated_before=updated[1],
        agencies=comma_list(agency_responsible, "agency_responsible"),
        page=page,
        page_size=page_size,
    )
    found = service.find_requests(
        session=session, query=query, language=parse_locale(locale), notes=extensions
    )
    return render(fmt, "service_requests", "request", found)


@router.get("/requests/{service_request_id}.{fmt}", responses=answers(list[ServiceRequest]))
def get_request(
    service_request_id: str,
    fmt: Format,
    session: SessionDep,
    settings: SettingsDep,
    jurisdiction_id: Jurisdiction = None,
    extensions: Annotated[bool, Query(description="Extension: add the request's notes.")] = False,
    locale: Locale = None,
) -> Response:
    """One service request (a list of one, as the spec has it)."""
    check_jurisdiction(settings, jurisdiction_id)
    found = service.get_request(
        session=session,
        number=service_request_id,
        language=parse_locale(locale),
        notes=extensions,
    )
    return render(fmt, "service_requests", "request", [found])


@router.get("/tokens/{token}.{fmt}", responses=answers(list[Token]))
def token(
    token: str,
    fmt: Format,
    session: SessionDep,
    settings: SettingsDep,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    """The service_request_id a POST's token stands for."""
    check_jurisdiction(settings, jurisdiction_id)
    found = service.find_token(session=session, token=token)
    return render(fmt, "service_requests", "request", [found])


@router.get("/servicerequestupdates.{fmt}", responses=answers(list[RequestUpdate]))
def request_updates(
    fmt: Format,
    session: SessionDep,
    settings: SettingsDep,
    jurisdiction_id: Jurisdiction = None,
    start_date: Annotated[str | None, Query(description="W3C datetime.")] = None,
    end_date: Annotated[str | None, Query(description="W3C datetime.")] = None,
    api_key: Annotated[str | None, Query(description="Accepted; not needed to read.")] = None,
    locale: Locale = None,
) -> Response:
    """mySociety's extension: public updates on every request, oldest first."""
    check_jurisdiction(settings, jurisdiction_id)
    start, end = date_window(
        parse_w3c("start_date", start_date), parse_w3c("end_date", end_date), default=True
    )
    found = service.request_updates(
        session=session, start=start, end=end, language=parse_locale(locale)
    )
    return render(fmt, "service_request_updates", "request_update", found)


UPDATE_FIELDS = {
    name: {"type": "string"}
    for name in (
        "api_key",
        "jurisdiction_id",
        "service_request_id",
        "update_id",
        "status",
        "updated_datetime",
        "description",
        "media_url",
        "email",
        "first_name",
        "last_name",
        "phone",
        "title",
        "account_id",
    )
}
UPDATE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            inputs.FORM_TYPE: {
                "schema": {
                    "type": "object",
                    "properties": UPDATE_FIELDS,
                    "required": ["api_key", *updates.REQUIRED],
                    "additionalProperties": {"type": "string"},
                }
            }
        },
    }
}


@router.post(
    "/servicerequestupdates.{fmt}",
    responses=answers(list[UpdateCreated], 403, 413, 503),
    openapi_extra=UPDATE_BODY,
)
async def create_update(
    fmt: Format, request: Request, engine: EngineDep, settings: SettingsDep
) -> Response:
    """mySociety's extension: a citizen's update (comment) on an open request.

    Idempotent per client and `update_id`: a retried POST answers the same update_id.
    """
    form = inputs.parse_form(
        request.headers.get("content-type", ""), await request.body(), request.query_params
    )
    check_jurisdiction(settings, inputs.one(form, "jurisdiction_id"))
    client = await _authenticated(engine, form)
    update = updates.parse_update(form, client, settings.max_description_chars)
    update_id = await run_in_threadpool(updates.recorded_update, engine, update)
    if update_id is None:
        temporal = await get_temporal(request)  # after the checks: a bad POST needs no Temporal
        update_id = await updates.deliver(temporal, engine, update)
    body = {"update_id": str(update_id), "account_id": update.account_id}
    return render(fmt, "service_request_updates", "request_update", [body])
