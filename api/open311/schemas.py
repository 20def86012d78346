"""The shapes of Open311's JSON answers, for the OpenAPI schema (the XML carries the same).

Routes build their answers as plain values and render them in the asked format; these models
document those values, and schemathesis checks the JSON answers against them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Endpoint(BaseModel):
    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str]


class Discovery(BaseModel):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[Endpoint]


class Service(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str = Field(description="realtime: the service_request_id comes back at once")
    keywords: str
    group: str | None


class AttributeValue(BaseModel):
    key: str
    name: str


class ServiceAttribute(BaseModel):
    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[AttributeValue]


class ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[ServiceAttribute]


class Created(BaseModel):
    service_request_id: str
    token: str = Field(description="The request's idempotency key; tokens/{token} finds it")
    service_notice: str
    account_id: str | None


class Note(BaseModel):
    type: str = Field(description="opened, activity or closed")
    datetime: str
    summary: str
    description: str | None


class ServiceRequest(BaseModel):
    service_request_id: str
    status: str = Field(description="open or closed")
    status_notes: str | None
    service_name: str | None
    service_code: str | None
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None
    notes: list[Note] | None = Field(default=None, description="Only with extensions=true")


class Token(BaseModel):
    service_request_id: str
    token: str


class RequestUpdate(BaseModel):
    update_id: str
    service_request_id: str
    status: str
    updated_datetime: str
    description: str
    media_url: str
    external_status_code: str


class UpdateCreated(BaseModel):
    update_id: str = Field(description="Our id of the update, as servicerequestupdates lists it")
    account_id: str | None


class Error(BaseModel):
    code: int
    description: str


def answers(model: Any, *extra: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses: 200 with `model` in JSON (or the same as XML), errors as Open311."""
    xml = {"text/xml": {"schema": {"type": "string"}}}
    error = {"model": list[Error], "content": xml}
    described = {
        400: "Bad request",
        403: "api_key missing or not valid",
        404: "Not found: format, jurisdiction, service, request or token",
        413: "Body too large",
        503: "Temporal unreachable (or an update still being recorded): retry, POSTs are "
        "idempotent",
    }
    responses: dict[int | str, dict[str, Any]] = {
        200: {"model": model, "content": xml, "description": "Success"},
        400: {**error, "description": described[400]},
        404: {**error, "description": described[404]},
    }
    for status in extra:
        responses[status] = {**error, "description": described[status]}
    return responses
