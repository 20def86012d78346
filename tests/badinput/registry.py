"""Every parser and endpoint that takes outside input, for the property tests to hammer.

A channel adds its own here: a `Parser` for a pure function (SMS body, Telegram update, Media
Stream frame, Open311 form) with the exception it may raise on bad input, and an `Endpoint`
for a webhook with a strategy for request bodies. The tests then check, for any input, that
the parser either answers or raises exactly that exception, and that the endpoint answers
a 2xx or a clear 4xx and writes nothing when it refuses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from intake.contacts import normalise_identities, normalise_phone
from intake.errors import IntakeRejected
from intake.schemas import Contact
from models import Attachment, Case, CaseEvent
from models.citizen import Citizen, CitizenIdentity

# ---- parsers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Parser:
    name: str
    parse: Callable[[Any], Any]
    rejects_with: type[Exception]
    inputs: st.SearchStrategy[Any]


phone_like = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"\+?[0-9 ()\-]{0,25}", fullmatch=True),
    st.sampled_from(["+86 138 0013 8000", "8613800138000", "13800138000", "+1 202 555 0142"]),
)
# Contact itself refuses NUL and lone surrogates (tested through the endpoint); these reach
# the normaliser.
no_nul = st.characters(codec="utf-8", exclude_characters="\x00")
contacts = st.builds(
    Contact,
    name=st.none() | st.text(no_nul, max_size=120),
    phone=st.none()
    | st.text(no_nul, max_size=40)
    | phone_like.filter(lambda s: len(s) <= 40 and s.isascii() and "\x00" not in s),
    telegram_chat_id=st.none() | st.text(no_nul, max_size=40),
    email=st.none() | st.emails().filter(lambda s: len(s) <= 254) | st.text(no_nul, max_size=254),
)

PARSERS: list[Parser] = [
    Parser(
        "phone number",
        lambda raw: normalise_phone(raw, default_region="CN"),
        IntakeRejected,
        phone_like,
    ),  # fmt: skip
    Parser(
        "contact identities",
        lambda c: normalise_identities(c, default_region="CN"),
        IntakeRejected,
        contacts,
    ),  # fmt: skip
]

# ---- endpoints --------------------------------------------------------------------------

NASTY_STRINGS = [
    "\x00",
    "路灯\x00坏了",
    "\ud800",  # a lone surrogate: valid JSON escape, not encodable as UTF-8
    "\U0010ffff",
    " " * 10,
    "'; DROP TABLE cases; --",
    "\u202e\u0645\u0631\u062d\u0628\u0627",
]
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=50)
    | st.sampled_from(NASTY_STRINGS)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
INTAKE_FIELDS = [
    "channel", "description", "language", "type", "urgency", "transcript", "address",
    "district_code", "street_code", "latitude", "longitude", "category_code", "contact",
    "intake_key", "actor",
]  # fmt: skip


def valid_intake(key: str) -> dict[str, Any]:
    return {
        "channel": "web",
        "description": "小区门口的路灯坏了。",
        "contact": {"phone": "+8613800138000"},
        "intake_key": key,
    }


@st.composite
def mutated_intakes(draw: st.DrawFn) -> dict[str, Any]:
    """A valid body with one to three fields replaced by arbitrary JSON, or an unknown one."""
    body = valid_intake(f"fuzz-{draw(st.uuids()).hex}")
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from([*INTAKE_FIELDS, "unknown_field"]))
        body[name] = draw(json_values)
    return body


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    bodies: st.SearchStrategy[Any]


ENDPOINTS: list[Endpoint] = [
    Endpoint("web intake", "POST", "/api/v1/requests", mutated_intakes()),
    Endpoint("web intake, any JSON", "POST", "/api/v1/requests", json_values),
]

# ---- what "the database is unchanged" means ---------------------------------------------

WRITTEN_BY_INTAKE = [Case, CaseEvent, Citizen, CitizenIdentity, Attachment]


def row_counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            table.__name__: session.execute(select(func.count()).select_from(table)).scalar_one()  # type: ignore[arg-type]
            for table in WRITTEN_BY_INTAKE
        }
