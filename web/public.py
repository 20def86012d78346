"""Public pages: submit a request, see its number, track it, and the feed of recent cases.

Server-rendered and usable without JavaScript. A submitted form goes through the same intake
service and workflow start as every other channel (`Channel.web`); the form's hidden
`intake_key` makes a double-clicked submit one case.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from api.auth import client_address
from api.deps import EngineDep, SessionDep, SettingsDep, TemporalDep
from auth.throttle import DETAILS_CODE, DETAILS_SEND, app_throttle, code_limit, sender_limit
from auth.tokens import TokenKind, sign, unsign
from core.db import session_scope
from core.i18n import LOCALES, N_, Domain
from core.redaction import mask_for_owner
from core.settings import Settings
from intake.attachments import attachment_path, store_attachment
from intake.errors import IntakeRejected
from intake.flows import start_case_workflow
from intake.owners import reachable_contacts
from intake.schemas import Contact, Intake
from intake.service import accept_intake
from models.attachment import Attachment
from models.case import Case
from models.enums import (
    AttachmentKind,
    Channel,
    CoordinateSystem,
    IdentityKind,
    Language,
    RequestType,
    UnitKind,
)
from models.event import CaseEvent
from models.queues import public_feed
from models.service import get_case
from models.unit import Category, Unit
from notices.port import NotifierRegistry, OutboundMessage
from web.i18n import PUBLIC_EVENTS, request_language, text
from web.local_time import local_date, local_datetime
from web.maps import map_settings, nearby_cases, pin_place
from web.pages import HERE, anonymous_form_ok, render, secure_cookies
from web.track_mine import contact_mark, other_cases

log = logging.getLogger("hotline.web")
router = APIRouter(include_in_schema=False)

# Served by their path under web/static (vendored libraries in subfolders): the table is built
# from the folder once, so a request can only name a file that is in it, never a path on disk.
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".png": "image/png"}
STATIC = {
    path.relative_to(HERE / "static").as_posix(): STATIC_TYPES[path.suffix]
    for path in sorted((HERE / "static").rglob("*"))
    if path.is_file() and path.suffix in STATIC_TYPES
}
DETAILS_COOKIE = "hotline_details"
CODE_COOKIE = "hotline_code"
DETAILS_MAX_AGE_S = 30 * 60
SUBMITTED_COOKIE = "hotline_submitted"
SUBMITTED_MAX_AGE_S = 24 * 3600
SUBMITTED_KEPT = 5
CASE_NUMBER = re.compile(r"^[0-9]{8}-[0-9]{6}$")
CODE = re.compile(r"^[0-9A-Za-z._-]{1,32}$")


@router.get("/static/{name:path}")
def static(name: str) -> FileResponse:
    """The static files, looked up in the table of web/static (nothing else on disk)."""
    if name not in STATIC:
        raise HTTPException(404, "no such static file")
    return FileResponse(
        HERE / "static" / name,
        media_type=STATIC[name],
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return render(request, "home.html", {})


@router.get("/submit", response_class=HTMLResponse)
def submit_form(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """The request form; `?q=` narrows the category list (the no-JavaScript search)."""
    form = {"type": RequestType.complaint.value, **request.query_params}
    return _form_page(request, session, settings, form, errors=[])


# The form's fields, as the template names them, for each field a refusal may name.
FORM_FIELDS = {
    "contact.phone": "phone",
    "contact.email": "email",
    "contact.name": "name",
    "attachment": "photo",
    "longitude": "latitude",
}


@router.post("/submit", response_model=None)
async def submit(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    description: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    intake_key: Annotated[str, Form()] = "",
    category_code: Annotated[str, Form()] = "",
    type: Annotated[str, Form()] = RequestType.complaint.value,
    address: Annotated[str, Form()] = "",
    latitude: Annotated[str, Form()] = "",
    longitude: Annotated[str, Form()] = "",
    coordinate_system: Annotated[str, Form()] = CoordinateSystem.wgs84.value,
    name: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    lang: Annotated[str, Form()] = "",
    district: Annotated[str, Form()] = "",
    q: Annotated[str, Form()] = "",
    search: Annotated[str, Form()] = "",
    photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Accept the form as a web intake, then show the case number (303 to the confirmation).

    The category search button posts here too (`search=1`): the form comes back with the
    matching categories and everything typed, and no case is made.
    """
    description, address, name, phone, email, category_code, intake_key = (
        clean(v) for v in (description, address, name, phone, email, category_code, intake_key)
    )
    form = {
        "description": description,
        "category_code": category_code,
        "type": type,
        "address": address,
        "latitude": latitude,
        "longitude": longitude,
        "coordinate_system": coordinate_system,
        "name": name,
        "phone": phone,
        "email": email,
        "intake_key": intake_key,
        "district": district if CODE.match(district) else "",
        "q": clean(q),
    }
    if search:
        # a browser never sends a chosen file back with a page: ask for it again
        form["photo_again"] = "1" if photo is not None and photo.filename else ""
        return await _form_again(request, engine, settings, form, [])
    if not anonymous_form_ok(request, csrf_token):
        expired = _problem(request, "csrf", _expired(request))
        return await _form_again(request, engine, settings, form, [expired])
    ours = {language.value for language in LOCALES}
    language = Language(lang) if lang in ours else request_language(request)
    # The form parser has already spooled the photo to a temporary file (the request body is
    # capped by HOTLINE_MAX_REQUEST_BYTES); it is checked by size and copied in chunks.
    size = (photo.size or 0) if photo is not None and photo.filename else 0
    errors = _photo_errors(request, photo, size, settings.max_attachment_bytes)
    if errors:
        return await _form_again(request, engine, settings, form, errors)
    try:
        intake = Intake(
            channel=Channel.web,
            description=description,
            language=language,
            type=RequestType(type) if type in RequestType.__members__ else RequestType.complaint,
            address=address or None,
            latitude=float(latitude) if latitude.strip() else None,
            longitude=float(longitude) if longitude.strip() else None,
            # a map widget picking on AMap or Baidu tiles says so: gcj02 or bd09
            coordinate_system=CoordinateSystem(coordinate_system)
            if coordinate_system in CoordinateSystem.__members__
            else CoordinateSystem.wgs84,
            category_code=category_code or None,
            contact=Contact(name=name or None, phone=phone or None, email=email or None),
            # The form's own namespace: no other door can file or find a case by these keys.
            intake_key=f"form:{intake_key[:64]}" if intake_key else None,
        )
        accepted = await run_in_threadpool(
            lambda: accept_intake(engine=engine, intake=intake, settings=settings)
        )
    except IntakeRejected as exc:
        problem = _problem(request, exc.field, exc.said_in(request_language(request)))
        return await _form_again(request, engine, settings, form, [problem])
    except ValidationError as exc:
        check = _text(request, N_("Please check this field."))
        problems = [
            _problem(request, ".".join(str(p) for p in e["loc"]), check) for e in exc.errors()
        ]
        return await _form_again(request, engine, settings, form, problems)
    except ValueError:
        not_a_number = _problem(request, "latitude", _text(request, N_("not a number")))
        return await _form_again(request, engine, settings, form, [not_a_number])
    if size and accepted.created and photo is not None:
        await run_in_threadpool(_store_photo, engine, settings, accepted.case, photo)
    await start_case_workflow(client=temporal, settings=settings, case=accepted.case)
    number = accepted.case.number
    response = RedirectResponse(f"/submitted/{number}?lang={language.value}", 303)
    # Only this browser's own new cases are confirmed as "your case number" (never any text).
    mine = [number, *(n for n in _submitted_here(request, settings) if n != number)]
    response.set_cookie(
        SUBMITTED_COOKIE,
        sign(settings.secret_key, TokenKind.submitted, {"n": " ".join(mine[:SUBMITTED_KEPT])}),
        max_age=SUBMITTED_MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings),
    )
    return response


@router.get("/submitted/{number}", response_class=HTMLResponse)
def submitted(request: Request, number: str, settings: SettingsDep) -> HTMLResponse:
    """The confirmation of a case this browser has just filed; any other number is 404."""
    if number not in _submitted_here(request, settings):
        context = {"number": None}
        return render(request, "submitted.html", context, status_code=404)
    return render(request, "submitted.html", {"number": number})


def _submitted_here(request: Request, settings: Settings) -> list[str]:
    data = unsign(
        settings.secret_key,
        TokenKind.submitted,
        request.cookies.get(SUBMITTED_COOKIE, ""),
        max_age_s=SUBMITTED_MAX_AGE_S,
    )
    numbers = (data or {}).get("n", "").split()
    return [n for n in numbers if CASE_NUMBER.match(n)]


@router.get("/track", response_class=HTMLResponse)
def track(
    request: Request, session: SessionDep, settings: SettingsDep, number: str = ""
) -> HTMLResponse:
    """The public timeline of one case; description, address and reply only after the code."""
    return _track_page(request, session, settings, number.strip(), message=None)


@router.post("/track/{number}/code", response_class=HTMLResponse)
async def send_code(
    request: Request,
    number: str,
    engine: EngineDep,
    settings: SettingsDep,
    csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Send a one-time code to the case's own phone, e-mail or chat; it unlocks the details.

    Only a channel that really delivers is used; with none, the page says so instead of
    claiming a code was sent."""

    def prepare() -> tuple[HTMLResponse | None, tuple[Channel, str] | None, Language]:
        with Session(engine) as session:
            if not anonymous_form_ok(request, csrf_token):
                return (
                    _track_page(request, session, settings, number, message=_expired(request)),
                    None,
                    Language.zh,
                )
            case = get_case(session=session, number=number) if CASE_NUMBER.match(number) else None
            candidates = _code_recipients(session, case) if case is not None else []
            registry = _notifier(request)
            delivered = [c for c in candidates if registry.delivers(c[0])]
            recipient = delivered[0] if delivered else None
            if case is None or recipient is None:
                if case is None:
                    missing = N_("No request with this number.")
                elif candidates:  # the contact exists, but no channel to it is configured
                    missing = N_(
                        "A code cannot be sent to this request's phone or e-mail at the "
                        "moment. Please call 12345 to hear about your request."
                    )
                else:
                    missing = N_("This request has no phone number or e-mail to send a code to.")
                page = _track_page(
                    request, session, settings, number, message=_text(request, missing)
                )
                return page, None, Language.zh
            return None, recipient, Language(case.language)

    def page(message: str, status_code: int = 200, *, translated: bool = False) -> HTMLResponse:
        shown = message if translated else _text(request, message)
        with Session(engine) as session:
            answer = _track_page(request, session, settings, number, message=shown)
        answer.status_code = status_code
        return answer

    # The session is closed before sending: the SMS notifier records what it sent.
    refused, recipient, language = await run_in_threadpool(prepare)
    if refused is not None or recipient is None:
        assert refused is not None
        return refused
    # No flooding a citizen with codes: a few per case, and a few per sender for all cases.
    sends = app_throttle(request)
    limits = (
        code_limit(settings, DETAILS_SEND, number),
        sender_limit(settings, client_address(request)),
    )
    if await run_in_threadpool(sends.retry_after, *limits):
        return await run_in_threadpool(page, N_("Too many codes sent: try again later."), 429)
    await run_in_threadpool(sends.failed, *limits)
    code = f"{secrets.randbelow(10**6):06d}"
    channel, address = recipient
    message = OutboundMessage(
        case_number=number,
        channel=channel,
        address=address,
        language=language,
        kind="details_code",
        text=_code_text(language, number, code),
    )
    try:
        await _notifier(request).for_channel(channel).send(message)
    except Exception as exc:  # the provider is down: say so, the citizen may ask again later
        log.warning("details code for %s not sent: %s", number, type(exc).__name__)
        failed = N_("The code could not be sent just now; please try again later.")
        return await run_in_threadpool(page, failed, 503)
    sent = _text(request, N_("The code has been sent to {contact}.")).format(
        contact=mask_for_owner(address)
    )
    answer = await run_in_threadpool(lambda: page(sent, translated=True))
    answer.set_cookie(
        CODE_COOKIE,
        sign(
            settings.secret_key,
            TokenKind.details,
            {"n": number, "h": _code_hash(settings, code), "a": contact_mark(settings, address)},
        ),
        max_age=int(settings.details_code_minutes * 60),
        httponly=True,
        samesite="strict",
        secure=secure_cookies(settings),
    )
    return answer


@router.post("/track/{number}/details", response_model=None)
def check_code(
    request: Request,
    number: str,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
) -> Response:
    """A right code (within its minutes, used once) shows the details for half an hour."""
    throttle, limit = app_throttle(request), code_limit(settings, DETAILS_CODE, number)
    if throttle.retry_after(limit):
        page = _track_page(request, session, settings, number, message=_wrong_code(request))
        page.status_code = 429
        return page
    issued = unsign(
        settings.secret_key,
        TokenKind.details,
        request.cookies.get(CODE_COOKIE, ""),
        max_age_s=settings.details_code_minutes * 60,
    )
    right = (
        anonymous_form_ok(request, csrf_token)
        and issued is not None
        and issued.get("n") == number
        and hmac.compare_digest(issued.get("h", ""), _code_hash(settings, code.strip()))
    )
    if not right:
        throttle.failed(limit)
        page = _track_page(request, session, settings, number, message=_wrong_code(request))
        page.status_code = 403
        return page
    response = RedirectResponse(f"/track?number={number}", 303)
    response.delete_cookie(CODE_COOKIE)
    response.set_cookie(
        DETAILS_COOKIE,
        sign(
            settings.secret_key,
            TokenKind.details,
            {"n": number, "ok": "1", "a": (issued or {}).get("a", "")},
        ),
        max_age=DETAILS_MAX_AGE_S,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(settings),
    )
    return response


@router.get("/feed", response_class=HTMLResponse)
def feed(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    district: str = "",
    category: str = "",
) -> HTMLResponse:
    """Recent cases by area and category; no names, phones, addresses or descriptions."""
    district = district if CODE.match(district) else ""
    category = category if CODE.match(category) else ""
    items = public_feed(
        session=session,
        district_code=district or None,
        category_code=category or None,
        limit=settings.public_feed_size,
    )
    districts = session.exec(
        select(Unit).where(Unit.kind == UnitKind.district).order_by(col(Unit.code))
    ).all()
    areas = session.exec(
        select(Category).where(Category.level == 1).order_by(col(Category.code))
    ).all()
    language = request_language(request)
    context = {
        "items": items,
        "dates": {i.number: local_date(i.created_at, language, settings.timezone) for i in items},
        "districts": districts,
        "areas": areas,
        "district": district,
        "category": category,
    }
    return render(request, "feed.html", context)


# ---- helpers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    code: str
    name: str
    path: str
    search: str
    districts: str = ""  # the districts where its unit has a local branch, space-separated


@dataclass(frozen=True)
class Group:
    label: str
    leaves: list[Leaf]
    local: bool = False  # the leaves whose unit has a branch serving the chosen district


def catalog_groups(
    session: Session, language: Language, district: str | None = None
) -> tuple[list[Group], dict[str, Leaf]]:
    """Leaves grouped under 'area / group' labels, in catalog order, for the picker.

    With a district, the leaves the catalog gives a local office there (the leaf's department
    or utility has a branch serving it) come first, in a group of their own.
    """
    categories = session.exec(
        select(Category).where(col(Category.active).is_(True)).order_by(col(Category.code))
    ).all()
    by_code = {c.code: c for c in categories}
    served = local_offices(session)

    def name(category: Category) -> str:
        return (
            (category.name_en or category.name_zh) if language is Language.en else category.name_zh
        )

    groups: dict[str, Group] = {}
    leaves: dict[str, Leaf] = {}
    for category in categories:
        if category.level != 3 or category.parent_code not in by_code:
            continue
        group = by_code[category.parent_code]
        area = by_code.get(group.parent_code or "")
        label = f"{name(area)} / {name(group)}" if area else name(group)
        words = [category.name_zh, category.name_en, *category.examples]
        districts = served.get(category.unit_code or "", frozenset())
        leaf = Leaf(
            code=category.code,
            name=name(category),
            path=f"{label} / {name(category)}",
            search=" ".join(words).lower(),
            districts=" ".join(sorted(districts)),
        )
        leaves[leaf.code] = leaf
        if district and district in districts:
            groups.setdefault("", Group(label="", leaves=[], local=True)).leaves.append(leaf)
            continue
        groups.setdefault(group.code, Group(label=label, leaves=[])).leaves.append(leaf)
    ordered = sorted(groups.values(), key=lambda g: not g.local)  # stable: catalog order kept
    return ordered, leaves


def local_offices(session: Session) -> dict[str, frozenset[str]]:
    """For each unit with branches, the districts its branches serve (`service_areas`)."""
    branches = session.exec(
        select(Unit).where(col(Unit.active).is_(True), col(Unit.parent_code).is_not(None))
    ).all()
    served: dict[str, set[str]] = {}
    for branch in branches:
        if branch.service_areas and branch.parent_code:
            served.setdefault(branch.parent_code, set()).update(branch.service_areas)
    return {unit: frozenset(codes) for unit, codes in served.items()}


def search_matches(leaf: Leaf, needle: str) -> bool:
    """Chinese matches anywhere; Latin letters at the start of a word ("road", not "abroad")."""
    needle = " ".join(needle.lower().split())
    if not needle:
        return False
    if re.search(r"[a-z0-9]", needle) is None:
        return needle in leaf.search
    return re.search(rf"(?<![a-z0-9]){re.escape(needle)}", leaf.search) is not None


def _form_page(
    request: Request,
    session: Session,
    settings: Settings,
    form: dict[str, str],
    errors: list[Problem],
) -> HTMLResponse:
    language = request_language(request)
    district = form.get("district") or ""
    district = district if CODE.match(district) else ""
    point = _form_point(form)
    nearby = nearby_cases(session, settings, *point, language) if point else []
    if point and not district:  # without JavaScript: the typed point's district
        district = pin_place(session, settings, *point, language).district_code or ""
    chosen = form.get("category_code") or ""
    catalog, leaves = catalog_groups(session, language, district or None)
    q = (form.get("q") or "").strip()
    matches = [leaf for leaf in leaves.values() if search_matches(leaf, q)] if q else []
    place = session.get(Unit, district) if district else None
    context = {
        "catalog": catalog,
        "q": q,
        "matches": matches[:100],
        "selected": form.get("category_code", ""),
        "types": [t.value for t in RequestType],
        "form": form,
        "errors": errors,
        "field_errors": {FORM_FIELDS.get(p.field, p.field): p.message for p in errors},
        "intake_key": form.get("intake_key") or uuid.uuid4().hex,
        "max_description": settings.max_description_chars,
        "district": district,
        "district_name": _unit_name(place, language),
        "page_url": "/submit" if request.method != "GET" else None,
        "duplicates": [c for c in nearby if _same_kind(c.category_code, chosen)][:5],
        "map": map_settings(settings),
    }
    return render(request, "submit.html", context, status_code=422 if errors else 200)


async def _form_again(
    request: Request,
    engine: Engine,
    settings: Settings,
    form: dict[str, str],
    errors: list[Problem],
) -> HTMLResponse:
    def page() -> HTMLResponse:
        with Session(engine) as session:
            return _form_page(request, session, settings, form, errors)

    return await run_in_threadpool(page)


def _form_point(form: dict[str, str]) -> tuple[float, float] | None:
    """The form's map point when both boxes hold a number on the globe, else None."""
    try:
        latitude = float(form.get("latitude") or "")
        longitude = float(form.get("longitude") or "")
    except ValueError:
        return None
    if -90 <= latitude <= 90 and -180 <= longitude <= 180:
        return latitude, longitude
    return None


def _same_kind(code: str | None, chosen: str) -> bool:
    """A possible duplicate: any case while no category is chosen, else the same leaf or area."""
    return not chosen or code == chosen or (code or "")[:2] == chosen[:2]


def _photo_errors(
    request: Request, photo: UploadFile | None, size: int, limit: int
) -> list[Problem]:
    if photo is None or not photo.filename or not size:
        return []
    if not (photo.content_type or "").startswith("image/"):
        return [_problem(request, "photo", _text(request, N_("Only images can be attached")))]
    if size > limit:
        too_large = _text(request, N_("The photo is too large"))
        return [_problem(request, "photo", f"{too_large} ({size} > {limit} bytes)")]
    return []


def _store_photo(engine: Engine, settings: Settings, case: Case, photo: UploadFile) -> None:
    assert case.id is not None
    photo.file.seek(0)
    with session_scope(engine) as session:
        store_attachment(
            session=session,
            root=settings.attachments_path,
            case_id=case.id,
            data=photo.file,
            kind=AttachmentKind.photo,
            content_type=photo.content_type or "application/octet-stream",
            filename=photo.filename or "",
            max_bytes=settings.max_attachment_bytes,
        )


@dataclass(frozen=True)
class PublicEvent:
    kind: str
    at: datetime
    local: str


@dataclass(frozen=True)
class TrackedCase:
    """What anyone who knows a case's number sees: no text the citizen or the unit wrote."""

    number: str
    status: str
    submitted: str  # local date and time, in the page's language
    updated: str


@dataclass(frozen=True)
class CaseDetails:
    """What only the citizen who proved the case's contact (the one-time code) sees."""

    description: str
    address: str | None
    reply: str | None
    photos: list[int]  # attachment ids, served by /track/{number}/photos/{id} to the owner


def _track_page(
    request: Request, session: Session, settings: Settings, number: str, *, message: str | None
) -> HTMLResponse:
    case = get_case(session=session, number=number) if CASE_NUMBER.match(number) else None
    context: dict[str, Any] = {"number": number, "case": None, "message": message}
    if request.method != "GET" and CASE_NUMBER.match(number):
        context["page_url"] = f"/track?number={number}"  # the language links of a POST's answer
    if case is not None:
        language = request_language(request)
        events = session.exec(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(col(CaseEvent.id))
        ).all()
        public = [
            PublicEvent(
                e.kind, e.created_at, local_datetime(e.created_at, language, settings.timezone)
            )
            for e in events
            if e.kind in PUBLIC_EVENTS
        ]
        context["events"] = public
        latest = public[-1].at if public else case.created_at
        context["case"] = TrackedCase(
            number=case.number,
            status=case.status,
            submitted=local_datetime(case.created_at, language, settings.timezone),
            updated=local_datetime(latest, language, settings.timezone),
        )
        category = session.get(Category, case.category_code) if case.category_code else None
        if category is not None:
            context["category"] = (
                category.name_en or category.name_zh
                if language is Language.en
                else category.name_zh
            )
        places = [
            session.get(Unit, code) for code in (case.district_code, case.street_code) if code
        ]
        names = [
            (unit.name_en or unit.name_zh) if language is Language.en else unit.name_zh
            for unit in places
            if unit is not None
        ]
        if names:
            context["area"] = " ".join(names)
        unlocked = _unlocked(request, settings, number)
        if unlocked is not None:
            context["details"] = CaseDetails(
                case.description, case.address, case.reply, _photo_ids(session, case)
            )
            mark = unlocked.get("a", "")
            context["other_cases"] = other_cases(session, settings, case, mark, language)
    return render(request, "track.html", context, status_code=200 if case or not number else 404)


@router.get("/track/{number}/photos/{photo_id}")
def case_photo(
    request: Request, number: str, photo_id: int, session: SessionDep, settings: SettingsDep
) -> FileResponse:
    """A photo of the case, to the citizen who entered its one-time code; 404 to anyone else
    (whether the case or the photo exists is not revealed)."""
    missing = HTTPException(404, "no such photo")
    if not CASE_NUMBER.match(number) or not _details_unlocked(request, settings, number):
        raise missing
    case = get_case(session=session, number=number)
    photo = session.get(Attachment, photo_id)
    if case is None or photo is None or photo.case_id != case.id:
        raise missing
    if photo.kind != AttachmentKind.photo:
        raise missing
    path = attachment_path(settings.attachments_path, photo.sha256)
    if not path.is_file():
        raise missing
    # Only raster images are shown inline: anything else (an SVG could carry a script) is sent
    # as a download, and nothing is sniffed, framed or cached.
    inline = photo.content_type in INLINE_IMAGES
    return FileResponse(
        path,
        media_type=photo.content_type if inline else "application/octet-stream",
        filename=None if inline else f"photo-{photo.id}",
        headers={
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


INLINE_IMAGES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def _photo_ids(session: Session, case: Case) -> list[int]:
    photos = session.exec(
        select(Attachment)
        .where(Attachment.case_id == case.id, Attachment.kind == AttachmentKind.photo)
        .order_by(col(Attachment.id))
    ).all()
    return [p.id for p in photos if p.id is not None]


def _details_unlocked(request: Request, settings: Settings, number: str) -> bool:
    return _unlocked(request, settings, number) is not None


def _unlocked(request: Request, settings: Settings, number: str) -> dict[str, str] | None:
    """The details cookie's data when it unlocks this case; None otherwise."""
    data = unsign(
        settings.secret_key,
        TokenKind.details,
        request.cookies.get(DETAILS_COOKIE, ""),
        max_age_s=DETAILS_MAX_AGE_S,
    )
    if data is not None and data.get("n") == number and data.get("ok") == "1":
        return data
    return None


def _code_recipients(session: Session, case: Case) -> list[tuple[Channel, str]]:
    """Where the case's one-time code may go: the phone, e-mail or chat the case carries.

    Holding that contact is what proves the reader owns the case, so the code never goes to a
    contact that merely claims the same person on another case, nor to one the reader types.
    """
    reachable = reachable_contacts(session=session, case=case)
    return [
        (channel, reachable[kind])
        for kind, channel in (
            (IdentityKind.phone, Channel.sms),
            (IdentityKind.email, Channel.web),  # e-mail goes out through the web channel
            (IdentityKind.telegram, Channel.chat),
        )
        if kind in reachable
    ]


def _notifier(request: Request) -> NotifierRegistry:
    """The app's notifiers when a deployment set them (`app.state.notifiers`), else the log."""
    registry = getattr(request.app.state, "notifiers", None)
    return registry if isinstance(registry, NotifierRegistry) else NotifierRegistry()


def _code_hash(settings: Settings, code: str) -> str:
    key = settings.secret_key.encode()
    return hmac.new(key, f"details-code:{code}".encode(), hashlib.sha256).hexdigest()


def _code_text(language: Language, number: str, code: str) -> str:
    message = N_("Your code to see case {number}: {code}. It expires in a few minutes.")
    return text(language, Domain.citizen, message, number=number, code=code)


def clean(value: str) -> str:
    """Typed text without NUL characters, which no database column accepts."""
    return value.replace("\x00", "")


# The form's own label for a refused field, so a citizen reads "手机号码", not "contact.phone".
FIELD_LABELS: dict[str, str] = {
    "description": N_("Describe the problem"),
    "address": N_("Address"),
    "latitude": N_("Map point (optional)"),
    "longitude": N_("Map point (optional)"),
    "category_code": N_("Category"),
    "contact.phone": N_("Mobile phone"),
    "contact.email": N_("Email"),
    "contact.name": N_("Name"),
    "attachment": N_("Photo (optional)"),
    "photo": N_("Photo (optional)"),
}


@dataclass(frozen=True)
class Problem:
    """A refused field: `field` as intake names it, `label` as the form shows it."""

    field: str
    label: str
    message: str


def _problem(request: Request, field: str, message: str) -> Problem:
    return Problem(field, _field_label(request, field), message)


def _field_label(request: Request, field: str) -> str:
    if field == "csrf":
        return ""  # the form as a whole: the message alone says it
    return _text(request, FIELD_LABELS[field]) if field in FIELD_LABELS else field


def _unit_name(unit: Unit | None, language: Language) -> str | None:
    if unit is None:
        return None
    return (unit.name_en or unit.name_zh) if language is Language.en else unit.name_zh


def _text(request: Request, message: str) -> str:
    """A citizen text (marked `N_` where written) in the page's language."""
    return text(request_language(request), Domain.citizen, message)


def _expired(request: Request) -> str:
    return _text(request, N_("The form expired: please try again."))


def _wrong_code(request: Request) -> str:
    return _text(request, N_("The code is wrong or has expired."))
