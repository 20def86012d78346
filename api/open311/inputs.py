"""What Open311 clients send, checked and turned into our values, with errors they can act on.

An empty parameter counts as an absent one (the spec's rule for optional arguments). A POST is
`application/x-www-form-urlencoded` with `attribute[code]=value` pairs, so it is parsed here
rather than declared field by field.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pydantic import ValidationError
from sqlmodel import Session

from api.open311.render import Open311Error
from api.open311.service import ATTRIBUTE_BY_CODE, get_service
from core.clock import utcnow
from core.settings import Settings
from intake.schemas import Contact, Intake
from models.api_key import ApiKeyPublic
from models.enums import Channel, CoordinateSystem, Language, RequestType, UnitKind, Urgency
from models.unit import Unit

MAX_WINDOW = timedelta(days=90)  # the spec's default and widest date range
MAX_BODY_BYTES = 256 * 1024
MAX_FIELDS = 100
MAX_IDEMPOTENCY_KEY = 200
MAX_MEDIA_URL = 2000
FORM_TYPE = "application/x-www-form-urlencoded"


# ---- query parameters -------------------------------------------------------------------


def check_jurisdiction(settings: Settings, jurisdiction_id: str | None) -> None:
    """One jurisdiction is served, so the parameter is optional; a wrong one is not found."""
    if jurisdiction_id and jurisdiction_id != settings.open311_jurisdiction_id:
        raise Open311Error(
            404,
            f"jurisdiction_id '{jurisdiction_id}' was not found; "
            f"this endpoint serves '{settings.open311_jurisdiction_id}'",
        )


def parse_locale(value: str | None) -> Language:
    """`locale` (an extension): zh (the default) or en; region suffixes like en-US are fine."""
    if not value:
        return Language.zh
    base = value.replace("_", "-").split("-")[0].lower()
    if base not in {language.value for language in Language}:
        raise Open311Error(400, f"locale '{value}' is not supported; use zh or en")
    return Language(base)


def parse_w3c(name: str, value: str | None) -> datetime | None:
    """A W3C datetime with its zone (2010-01-01T00:00:00Z); a bare date means midnight UTC."""
    if not value:
        return None
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or (moment.tzinfo is None and "T" in text.upper()):
        raise Open311Error(
            400, f"{name} '{value}' is not a W3C datetime with a zone, eg 2010-01-01T00:00:00Z"
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:
        raise Open311Error(400, f"{name} '{value}' is out of range") from exc


def date_window(
    start: datetime | None, end: datetime | None, *, default: bool
) -> tuple[datetime | None, datetime | None]:
    """start_date/end_date: at most 90 days apart; with neither, the last 90 days (when
    `default`), with one, the 90 days from or up to it."""
    if start is not None and end is not None:
        if start > end:
            raise Open311Error(400, "start_date is after end_date")
        if end - start > MAX_WINDOW:
            raise Open311Error(400, "start_date and end_date may not span more than 90 days")
        return start, end
    try:
        if start is not None:
            return start, start + MAX_WINDOW
        if end is not None:
            return end - MAX_WINDOW, end
    except OverflowError as exc:
        raise Open311Error(400, "start_date or end_date is out of range") from exc
    if not default:
        return None, None
    now = utcnow()
    return now - MAX_WINDOW, now


MAX_LIST_ITEMS = 1000


def comma_list(value: str | None, name: str = "parameter") -> list[str]:
    items = [part.strip() for part in (value or "").split(",") if part.strip()]
    if len(items) > MAX_LIST_ITEMS:
        raise Open311Error(400, f"{name} lists more than {MAX_LIST_ITEMS} values")
    return items


def parse_statuses(value: str | None) -> frozenset[str]:
    statuses = frozenset(comma_list(value))
    unknown = sorted(statuses - {"open", "closed"})
    if unknown:
        raise Open311Error(400, f"status '{unknown[0]}' is not open or closed")
    return statuses


# ---- POST requests ----------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    intake: Intake
    token: str  # also the intake key: a retried POST finds the case the first one made
    account_id: str | None
    extra: dict[str, Any]  # what the case keeps of the client's own fields


Form = dict[str, list[str]]


def parse_form(content_type: str, body: bytes, query: Mapping[str, str]) -> Form:
    """The form's fields, query parameters first (some clients put api_key there)."""
    if len(body) > MAX_BODY_BYTES:
        raise Open311Error(413, f"the request body exceeds {MAX_BODY_BYTES} bytes")
    media_type = content_type.split(";")[0].strip().lower()
    if body and media_type not in {FORM_TYPE, ""}:
        raise Open311Error(400, f"send the request as {FORM_TYPE}, not {media_type}")
    try:
        pairs = parse_qsl(
            body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=MAX_FIELDS
        )
    except ValueError as exc:
        raise Open311Error(400, f"the form has more than {MAX_FIELDS} fields") from exc
    form: Form = {}
    if any("\x00" in key or "\x00" in value for key, value in pairs):
        raise Open311Error(400, "form fields may not contain NUL characters")
    for key, value in [*query.items(), *pairs]:
        if value.strip():
            form.setdefault(key, []).append(value.strip())
    return form


def one(form: Form, name: str) -> str | None:
    values = form.get(name)
    if not values:
        return None
    if len(set(values)) > 1:
        raise Open311Error(400, f"{name} was given {len(values)} different values; give one")
    return values[0]


def build_submission(
    *,
    form: Form,
    session: Session,
    client: ApiKeyPublic,
    idempotency_key: str | None,
) -> Submission:
    code = one(form, "service_code")
    if code is None:
        raise Open311Error(400, "service_code was not provided")
    service = get_service(session=session, code=code)
    latitude, longitude = _point(form)
    address = one(form, "address_string")
    district, street = _address_id(session, one(form, "address_id"))
    if latitude is None and address is None and district is None:
        raise Open311Error(
            400, "a location is required: lat and long, or address_string, or address_id"
        )
    attributes = _attributes(form)
    name = " ".join(part for part in (one(form, "first_name"), one(form, "last_name")) if part)
    description = one(form, "description") or service.name_zh
    token = _token(form, client, idempotency_key)
    try:
        intake = Intake(
            channel=Channel.open311,
            description=description,
            language=Language(attributes.get("language", Language.zh.value)),
            type=RequestType(attributes.get("request_type", RequestType.complaint.value)),
            urgency=Urgency(attributes.get("urgency", Urgency.normal.value)),
            address=address,
            district_code=district,
            street_code=street,
            latitude=latitude,
            longitude=longitude,
            coordinate_system=_coordinate_system(form),
            category_code=service.code,
            contact=Contact(name=name or None, phone=one(form, "phone"), email=one(form, "email")),
            intake_key=token,
            actor=f"open311:{client.name}"[:120],
        )
    except ValidationError as exc:
        raise Open311Error(400, _validation_message(exc)) from exc
    media_url = check_media_url(one(form, "media_url"))
    account_id = one(form, "account_id")
    extra = {
        "client": client.name,
        "attributes": attributes,
        "media_url": media_url,
        "device_id": one(form, "device_id"),
        "account_id": account_id,
    }
    return Submission(intake=intake, token=token, account_id=account_id, extra=extra)


def _point(form: Form) -> tuple[float | None, float | None]:
    raw_lat, raw_long = one(form, "lat"), one(form, "long")
    if (raw_lat is None) != (raw_long is None):
        raise Open311Error(400, "lat and long must be sent together")
    if raw_lat is None or raw_long is None:
        return None, None
    latitude = _coordinate("lat", raw_lat, 90)
    longitude = _coordinate("long", raw_long, 180)
    return latitude, longitude


def _coordinate(name: str, raw: str, limit: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > limit:
        raise Open311Error(400, f"{name} '{raw[:40]}' is not a number within ±{limit:g}")
    return value


def _coordinate_system(form: Form) -> CoordinateSystem:
    """The datum of lat/long (an extension; the spec says WGS-84, the default): a client whose
    map is AMap or Tencent sends gcj02, Baidu bd09, and intake converts the point to WGS-84
    as it does for the web form and the API."""
    raw = one(form, "coordinate_system")
    if raw is None:
        return CoordinateSystem.wgs84
    if raw not in CoordinateSystem.__members__:
        known = ", ".join(CoordinateSystem)
        raise Open311Error(400, f"coordinate_system '{raw[:40]}' is not one of {known}")
    return CoordinateSystem(raw)


def _address_id(session: Session, address_id: str | None) -> tuple[str | None, str | None]:
    """address_id is a unit code from our address system: a street (with its district) or
    a district."""
    if address_id is None:
        return None, None
    unit = session.get(Unit, address_id) if len(address_id) <= 32 else None
    if unit is not None and unit.kind == UnitKind.district:
        return unit.code, None
    if unit is not None and unit.kind == UnitKind.street:
        parent = session.get(Unit, unit.parent_code) if unit.parent_code else None
        district = parent.code if parent and parent.kind == UnitKind.district else None
        return district, unit.code
    raise Open311Error(400, f"address_id '{address_id}' is not a known street or district code")


def _attributes(form: Form) -> dict[str, str]:
    chosen: dict[str, str] = {}
    for key, values in form.items():
        if not key.startswith("attribute["):
            continue
        code = key[len("attribute[") :].removesuffix("[]").removesuffix("]")
        attribute = ATTRIBUTE_BY_CODE.get(code)
        if attribute is None:
            known = ", ".join(ATTRIBUTE_BY_CODE)
            raise Open311Error(400, f"unknown attribute '{code}'; this service takes {known}")
        if len(set(values)) > 1:
            raise Open311Error(400, f"attribute[{code}] takes a single value")
        if values[0] not in attribute.keys():
            allowed = ", ".join(attribute.keys())
            raise Open311Error(400, f"attribute[{code}] '{values[0]}' is not one of {allowed}")
        chosen[code] = values[0]
    return chosen


def check_media_url(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if len(value) > MAX_MEDIA_URL or parts.scheme not in {"http", "https"} or not parts.netloc:
        raise Open311Error(400, "media_url must be an http or https URL")
    return value


def _token(form: Form, client: ApiKeyPublic, idempotency_key: str | None) -> str:
    """The request's idempotency key, per client: the `Idempotency-Key` header when sent,
    else the form itself, so a client retrying the same POST gets the same case."""
    if idempotency_key is not None:
        if not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
            raise Open311Error(400, f"Idempotency-Key takes 1 to {MAX_IDEMPOTENCY_KEY} characters")
        source = "header:" + idempotency_key
    else:
        fields = sorted((key, values) for key, values in form.items() if key != "api_key")
        source = "form:" + json.dumps(fields, ensure_ascii=False)
    return hashlib.sha256(f"{client.id}\n{source}".encode()).hexdigest()


# Our intake's field names as the client called them.
FIELD_NAMES = {
    "address": "address_string",
    "latitude": "lat",
    "longitude": "long",
    "contact.name": "first_name",
    "contact.phone": "phone",
    "contact.email": "email",
}


def open311_field(name: str) -> str:
    return FIELD_NAMES.get(name, name)


def _validation_message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{open311_field(where)}: {first['msg']}"
