"""Accept a request: validate, find the citizen, number the case, record `accepted`, once.

Only a contact the channel proved (`proved`: the signed sender of an SMS, a call or a Telegram
update) finds or makes a citizen; every other contact is kept on this case alone, unproved.

Everything happens in one transaction, so a refused or failed intake leaves no trace, and the
channel's `intake_key` makes the whole operation idempotent: a duplicate delivery, even one
racing the original, returns the case the first one created.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table, bindparam, insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from analytics.facts import refresh_case_keys
from core.clock import Clock, utcnow
from core.db import session_scope
from core.i18n import N_
from core.settings import Settings
from intake.citizens import find_or_create_citizen, record_case_contacts
from intake.contacts import normalise_identities
from intake.errors import IntakeRejected
from intake.numbers import allocate_case_number, local_day
from intake.place import find_place
from intake.schemas import Intake
from models.case import Case
from models.enums import CaseStatus, IdentityKind, UnitKind
from models.event import CaseEvent
from models.unit import Category, Unit

# A duplicate racing the original loses on the unique key and finds the winner's case on the
# next attempt; more attempts than that mean something else is wrong.
_ATTEMPTS = 3
_CASES: Table = Case.__table__  # type: ignore[attr-defined]
_EVENTS: Table = CaseEvent.__table__  # type: ignore[attr-defined]
# Statements built once: parameters passed apart keep SQLAlchemy's compiled-statement cache warm.
_INSERT_CASE = insert(_CASES)
_INSERT_EVENT = insert(_EVENTS)
_CASE_BY_KEY = select(_CASES.c.id).where(
    _CASES.c.channel == bindparam("channel"), _CASES.c.intake_key == bindparam("key")
)


@dataclass(frozen=True)
class Accepted:
    case: Case
    created: bool  # False when the intake key had been seen before


def accept_intake(
    *,
    engine: Engine,
    intake: Intake,
    settings: Settings,
    proved: IdentityKind | None = None,
    clock: Clock = utcnow,
) -> Accepted:
    """Record the request as a new case, or return the case this intake key already made.

    `proved` names the contact kind the calling channel adapter vouches for (the `From` of a
    signed Twilio webhook is `phone`, the chat of a signed Telegram update is `telegram`); it
    is never taken from the request itself, so no HTTP caller can claim someone's identity.
    """
    identities = normalise_identities(intake.contact, default_region=settings.default_phone_region)
    proof = _proof(identities, proved)
    _check_text(intake, settings)
    for attempt in range(_ATTEMPTS):
        try:
            with session_scope(engine) as session:
                return _accept_in(session, intake, identities, proof, settings, clock)
        except IntegrityError:
            if attempt == _ATTEMPTS - 1 or intake.intake_key is None:
                raise
    raise AssertionError("unreachable")


def _proof(
    identities: list[tuple[IdentityKind, str]], proved: IdentityKind | None
) -> tuple[IdentityKind, str] | None:
    if proved is None:
        return None
    for kind, value in identities:
        if kind is proved:
            return kind, value
    raise ValueError(f"the channel vouches for a {proved.value} contact the intake does not carry")


def _accept_in(
    session: Session,
    intake: Intake,
    identities: list[tuple[IdentityKind, str]],
    proof: tuple[IdentityKind, str] | None,
    settings: Settings,
    clock: Clock,
) -> Accepted:
    if intake.intake_key is not None:
        seen = session.connection().execute(
            _CASE_BY_KEY, {"channel": intake.channel, "key": intake.intake_key}
        )
        if (case_id := seen.scalar()) is not None:
            existing = session.get(Case, case_id)
            assert existing is not None
            return Accepted(case=existing, created=False)
    _check_references(session, intake)
    place = find_place(session=session, intake=intake, var_dir=settings.var_dir)
    citizen = (
        find_or_create_citizen(
            session=session,
            identity=proof,
            proved_by=intake.channel,
            name=intake.contact.name,
            language=intake.language,
        )
        if proof is not None
        else None
    )
    now = clock()
    case = Case(
        number=allocate_case_number(
            session=session, day=local_day(now, timezone=settings.timezone)
        ),
        channel=intake.channel,
        language=intake.language,
        type=intake.type,
        description=intake.description,
        transcript=intake.transcript,
        awaiting_transcript=intake.awaiting_transcript,
        address=intake.address or None,
        district_code=place.district_code,
        street_code=place.street_code,
        latitude=place.latitude,
        longitude=place.longitude,
        place_method=place.method,
        place_confidence=place.confidence,
        place_approximate=place.approximate,
        category_code=intake.category_code,
        urgency=intake.urgency,
        citizen_id=citizen.id if citizen else None,
        intake_key=intake.intake_key,
        contact_name=intake.contact.name or None,
        status=CaseStatus.accepted,
        created_at=now,
        updated_at=now,
    )
    _insert_case(session, case)
    assert case.id is not None
    refresh_case_keys(session, case, created=True)  # counted as accepted from now on
    record_case_contacts(
        session=session, case_id=case.id, identities=identities, proof=proof, now=now
    )
    session.connection().execute(
        _INSERT_EVENT,
        {
            "case_id": case.id,
            "kind": "accepted",
            "actor": intake.actor,
            "from_status": None,
            "to_status": CaseStatus.accepted,
            "payload": {"channel": intake.channel.value},
            "created_at": now,
            "dedupe_key": None,
        },
    )
    return Accepted(case=case, created=True)


def _insert_case(session: Session, case: Case) -> None:
    """One Core INSERT of the row the model describes: the ORM's unit of work (identity map,
    flush planning, attribute events) cost more than the statement itself on this hot path.
    The model stays a plain, detached object its callers read."""
    values = {column.name: getattr(case, column.name) for column in _CASES.columns}
    del values["id"]
    key = session.connection().execute(_INSERT_CASE, values).inserted_primary_key
    assert key is not None
    case.id = key[0]


def _check_text(intake: Intake, settings: Settings) -> None:
    if not intake.description:
        raise IntakeRejected("description", N_("describe the problem: the description is empty"))
    limit = settings.max_description_chars
    if len(intake.description) > limit:
        raise IntakeRejected(
            "description",
            N_("the description has {count} characters; the limit is {limit}"),
            count=len(intake.description),
            limit=limit,
        )
    if (intake.latitude is None) != (intake.longitude is None):
        raise IntakeRejected("latitude", N_("give both latitude and longitude, or neither"))


def _check_references(session: Session, intake: Intake) -> None:
    if intake.category_code is not None:
        category = session.get(Category, intake.category_code)
        if category is None or not category.active:
            raise IntakeRejected(
                "category_code", N_("unknown category '{code}'"), code=intake.category_code
            )
    for field, code, kind, unknown in (
        ("district_code", intake.district_code, UnitKind.district, N_("unknown district '{code}'")),
        ("street_code", intake.street_code, UnitKind.street, N_("unknown street '{code}'")),
    ):
        if code is None:
            continue
        unit = session.get(Unit, code)
        if unit is None or unit.kind != kind:
            raise IntakeRejected(field, unknown, code=code)
